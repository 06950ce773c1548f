"""``sense-writeback``: run the write-back receiver. ``serve`` prints its base URL as the first stdout line."""
from __future__ import annotations

import argparse
import gc
import json
import logging
import sys
from typing import List, Optional

from sense_writeback.config import ConfigError, ReceiverConfig, load_config


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="sense-writeback",
                                   description="A durable receiver for Sense write-backs.")
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="receive write-backs over HTTP",
                                description="Secrets come from the environment (SENSE_WRITEBACK_TOKENS, "
                                            "SENSE_WRITEBACK_DATABASE_URL, ..._FILE) or files, see docs/sense-writeback.md.")
    serve.add_argument("--config", help="YAML/JSON config file (or $SENSE_WRITEBACK_CONFIG)")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port; 0 picks a free one (default 8088)")
    serve.add_argument("--db", help="SQLite database file (default sense-writeback.db)")
    serve.add_argument("--database-url", help="PostgreSQL URL; prefer $SENSE_WRITEBACK_DATABASE_URL (a command line is visible to other users)")
    serve.add_argument("--event-path", help="the one path Sense posts to (default /event)")
    serve.add_argument("--max-body-bytes", type=int, help="largest accepted body (default 1048576)")
    serve.add_argument("--unknown-type", choices=("store", "reject"), help="a write-back type this receiver does not know (default store, flagged)")
    serve.add_argument("--newer-version", choices=("store", "reject"), help="a major version above 1 (default store, flagged)")
    serve.add_argument("--token-param", help="query parameter of the pre-shared token (default token)")
    serve.add_argument("--token-modes", help="where pre-shared tokens are accepted: query,header (default both)")
    serve.add_argument("--oidc-discovery-url", help="the customer's OpenID Connect discovery URL (enables the OAuth2 mode)")
    serve.add_argument("--oidc-audience", help="required aud claim")
    serve.add_argument("--oidc-issuer", help="required iss claim (default: the discovery document's issuer)")
    serve.add_argument("--oidc-required-scope", help="a scope the token must carry")
    serve.add_argument("--oidc-clock-skew", type=float, help="seconds of leeway for exp/nbf (default 30)")
    serve.add_argument("--oidc-jwks-refresh-interval", type=float,
                       help="minimum seconds between JWKS refreshes caused by an unknown kid (default 30)")
    serve.add_argument("--store-timeout", type=float, help="seconds to wait for a commit before answering 503 (default 30)")
    serve.add_argument("--max-batch", type=int, help="most write-backs per group commit (default 512)")
    serve.add_argument("--graceful-timeout", type=float, help="seconds to finish in-flight requests on SIGTERM (default 30)")
    serve.add_argument("--no-access-log", dest="access_log", action="store_false", default=None, help="no access log lines")
    serve.add_argument("--retention-days", type=float, help="prune write-backs older than this that every registered consumer is past (default 0: keep all)")
    serve.add_argument("--retention-interval", type=float, help="seconds between retention passes (default 3600)")
    serve.add_argument("--log-level", choices=("debug", "info", "warning", "error"), help="default info")
    from sense_writeback.forward.command import add_commands

    add_commands(commands)
    return root


def main(argv: Optional[List[str]] = None) -> int:
    namespace = parser().parse_args(argv)
    if namespace.command != "serve":
        from sense_writeback.forward.command import run

        return run(namespace.command, namespace)
    args = vars(namespace)
    command = args.pop("command")
    config_file = args.pop("config")
    try:
        config = load_config(config_file, args)
    except ConfigError as exc:
        print(f"sense-writeback: configuration error: {exc}", file=sys.stderr)
        return 2
    if command == "serve":
        return serve(config)
    return 2


def serve(config: ReceiverConfig) -> int:
    logging.basicConfig(level=config.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from sense_writeback.app import create_app
    from sense_writeback.auth import Authenticator
    from sense_writeback.metrics import Metrics
    from sense_writeback.oidc import OidcValidator
    from sense_writeback.server import base_url, bind
    from sense_writeback.server import serve as run_server
    from sense_writeback.store import open_store

    target = config.database_url or config.db
    try:
        store = open_store(target, max_batch=config.max_batch)
    except Exception as exc:
        where = "PostgreSQL" if config.database_url else config.db
        print(f"sense-writeback: cannot open the store ({where}): {type(exc).__name__}: {_safe(exc, config)}",
              file=sys.stderr)
        return 2
    try:
        sock = bind(config.host, config.port)
    except OSError as exc:
        store.close()
        print(f"sense-writeback: cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 2
    oidc = OidcValidator(config.oidc) if config.oidc.discovery_url else None
    authenticator = Authenticator(config.tokens, config.token_param, query="query" in config.token_modes,
                                  header="header" in config.token_modes, oidc=oidc)
    metrics = Metrics()
    store.observe_commits(metrics.observe_commit)
    app = create_app(config, store, authenticator, metrics)
    for handler in logging.getLogger().handlers:  # the access log's buffered lines keep their place
        app.keep_order_with(handler)
    # start-up objects (schemas, compiled validators, libraries) never become garbage: freeze them,
    # and collect less often, so that thousands of short-lived requests per second do not pay for them
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    url = base_url(sock)
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    logging.getLogger("sense_writeback").info("listening on %s%s %s", url, config.event_path,
                                              json.dumps(config.describe()))
    from sense_writeback.retention import RetentionWorker

    retention = RetentionWorker(store, config.retention_days, config.retention_interval)
    retention.start()
    try:
        run_server(app, config, sock)
    finally:
        retention.stop()
        app.flush()
        store.close()
        logging.getLogger("sense_writeback").info("stopped; every acknowledged write-back is committed")
    return 0


def _safe(exc: Exception, config: ReceiverConfig) -> str:
    """An error message without the database URL (it may hold a password)."""
    text = str(exc)
    if config.database_url:
        text = text.replace(config.database_url, "<database url>")
    return text
