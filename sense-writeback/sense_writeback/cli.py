"""``sense-writeback``: run the write-back receiver. ``serve`` prints its base URL as the first stdout line."""
from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import logging
import sys
from typing import List, Optional

from sense_writeback.config import ConfigError, ReceiverConfig, load_config


#: Where the documentation is in a source checkout (the published pages are at ``documentation_url()``).
DOCS_PATH = "docs/sense-writeback.md"


def documentation_url() -> Optional[str]:
    """The ``Documentation`` URL of the installed distribution's metadata (setup.py's ``project_urls``)."""
    try:
        entries = importlib.metadata.metadata("sense-writeback").get_all("Project-URL") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip() == "Documentation":
            return url.strip()
    return None


def _docs() -> str:
    url = documentation_url()
    return f"Documentation: {url}\n({DOCS_PATH} in a source checkout)" if url else f"Documentation: {DOCS_PATH} in a source checkout"


def parser() -> argparse.ArgumentParser:
    docs = _docs()
    raw = argparse.RawDescriptionHelpFormatter  # the URL on a line of its own, never wrapped
    root = argparse.ArgumentParser(prog="sense-writeback", formatter_class=raw,
                                   description="A durable receiver for Sense write-backs.", epilog=docs)
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="receive write-backs over HTTP", formatter_class=raw,
                                description="Secrets come from the environment (SENSE_WRITEBACK_TOKENS,\n"
                                            "SENSE_WRITEBACK_DATABASE_URL, ..._FILE) or files.\n\n" + docs)
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
    prune = commands.add_parser("prune", help="delete old write-backs every registered feed reader is past (the "
                                              "retention job, e.g. a Kubernetes CronJob)")
    prune.add_argument("--db", help="SQLite file (default $SENSE_WRITEBACK_DB, else sense-writeback.db)")
    prune.add_argument("--database-url", help="PostgreSQL URL; prefer $SENSE_WRITEBACK_DATABASE_URL (or _FILE)")
    prune.add_argument("--retention-days", type=float, required=True, help="keep write-backs younger than this")
    return root


def main(argv: Optional[List[str]] = None) -> int:
    namespace = parser().parse_args(argv)
    if namespace.command == "prune":
        return prune(namespace)
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


def prune(args) -> int:
    """One retention pass; prints ``{"pruned": n}``. Exit 1 when storage fails (the job is retried)."""
    logging.basicConfig(level="INFO", stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from sense_writeback.forward.command import store_target
    from sense_writeback.retention import RetentionWorker
    from sense_writeback.store import open_store

    if args.retention_days <= 0:
        print("sense-writeback prune: --retention-days must be above 0", file=sys.stderr)
        return 2
    try:
        with open_store(store_target(args), writer=False) as store:
            from sense_writeback.store.feed import ensure_schema

            ensure_schema(store)
            pruned = RetentionWorker(store, args.retention_days, 3600).run_once()
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else ""
        print(f"sense-writeback prune: storage failed: {type(exc).__name__}: {reason}", file=sys.stderr)
        return 1
    print(json.dumps({"pruned": pruned}))
    return 0


def _safe(exc: Exception, config: ReceiverConfig) -> str:
    """An error message without the database URL (it may hold a password)."""
    text = str(exc)
    if config.database_url:
        text = text.replace(config.database_url, "<database url>")
    return text
