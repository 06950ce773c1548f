"""The ``sense-emulator`` options of the write-back dispatcher, and how they become its settings.

Secrets never come from the command line (a process list shows it): the pre-shared token from
``$SENSE_EMULATOR_WRITEBACK_TOKEN`` or ``--writeback-token-file``, the OAuth2 client secret from
``$SENSE_EMULATOR_WRITEBACK_CLIENT_SECRET`` or ``--writeback-client-secret-file``.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Optional

from sense_emulator.writebacks.receiver_auth import MODES, TOKEN_AUTH_METHODS
from sense_emulator.writebacks.dispatcher import RetryPolicy

TOKEN_ENV = "SENSE_EMULATOR_WRITEBACK_TOKEN"
CLIENT_SECRET_ENV = "SENSE_EMULATOR_WRITEBACK_CLIENT_SECRET"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("write-back dispatcher (Sense's side of write-backs; see docs/sense-emulator.md)")
    add = group.add_argument
    defaults = RetryPolicy()
    add("--writeback-url", help="the customer's write-back URL; the dispatcher sends only once it is set")
    add("--writeback-auth", choices=MODES, default=None,
        help="query (token in a query parameter), header (Authorization: Bearer token), oauth2 (client credentials), "
             "none; default: header when a token is given, oauth2 when a discovery URL is, else none")
    add("--writeback-token-param", default="token", help="query parameter of mode query (default %(default)s)")
    add("--writeback-token-file", help=f"file holding the pre-shared token (or ${TOKEN_ENV})")
    add("--writeback-discovery-url", help="the customer's OpenID Connect discovery URL (mode oauth2)")
    add("--writeback-client-id", help="OAuth2 client id (mode oauth2)")
    add("--writeback-client-secret-file", help=f"file holding the OAuth2 client secret (or ${CLIENT_SECRET_ENV})")
    add("--writeback-scope", help="scope to ask the token endpoint for (mode oauth2)")
    add("--writeback-audience", help="audience to ask the token endpoint for (mode oauth2)")
    add("--writeback-token-auth-method", choices=TOKEN_AUTH_METHODS, default="client_secret_basic",
        help="how the client authenticates to the token endpoint (default %(default)s)")
    add("--writeback-timeout", type=float, default=10.0, help="seconds per attempt (default %(default)s)")
    add("--writeback-concurrency", type=int, default=4, help="write-backs in flight at once (default %(default)s)")
    add("--writeback-max-attempts", type=int, default=defaults.max_attempts,
        help="attempts per write-back before it is given up (default %(default)s)")
    add("--writeback-initial-delay", type=float, default=defaults.initial_delay,
        help="seconds before the first re-delivery (default %(default)s)")
    add("--writeback-multiplier", type=float, default=defaults.multiplier, help="backoff factor (default %(default)s)")
    add("--writeback-max-delay", type=float, default=defaults.max_delay, help="longest backoff in seconds (default %(default)s)")
    add("--writeback-sample-entities", action="store_true",
        help="load a small consistent set of sample entities at start (for an empty sandbox)")
    add("--writeback-enqueue", type=int, default=0, metavar="N",
        help="queue N seeded write-backs, cycling through all ten types, at start")
    add("--writeback-seed", type=int, default=None, help="seed of the write-backs' content (ids are always unique)")


def _secret(path: Optional[str], env: str, parser: argparse.ArgumentParser, what: str) -> Optional[str]:
    if path:
        try:
            return Path(path).read_text().strip() or None
        except OSError as exc:
            parser.error(f"cannot read the {what} file: {exc.strerror}")
    return os.environ.get(env) or None


def settings(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict:
    """``{"config": <Dispatcher.configure spec or None>, "enqueue": n, "seed": s, "sample_entities": b}``."""
    token = _secret(args.writeback_token_file, TOKEN_ENV, parser, "token")
    secret = _secret(args.writeback_client_secret_file, CLIENT_SECRET_ENV, parser, "client secret")
    mode = args.writeback_auth or ("oauth2" if args.writeback_discovery_url else "header" if token else "none")
    auth = {"mode": mode}
    if mode in ("query", "header"):
        if not token:
            parser.error(f"--writeback-auth {mode} needs a token (${TOKEN_ENV} or --writeback-token-file)")
        auth.update(token=token, token_param=args.writeback_token_param)
    if mode == "oauth2":
        if not (args.writeback_discovery_url and args.writeback_client_id and secret):
            parser.error("--writeback-auth oauth2 needs --writeback-discovery-url, --writeback-client-id and a client "
                         f"secret (${CLIENT_SECRET_ENV} or --writeback-client-secret-file)")
        auth.update(discovery_url=args.writeback_discovery_url, client_id=args.writeback_client_id, client_secret=secret,
                    scope=args.writeback_scope, audience=args.writeback_audience,
                    token_auth_method=args.writeback_token_auth_method)
    if args.writeback_enqueue < 0:
        parser.error("--writeback-enqueue must be >= 0")
    spec = {
        "timeout": args.writeback_timeout,
        "concurrency": args.writeback_concurrency,
        "retry": {"max_attempts": args.writeback_max_attempts, "initial_delay": args.writeback_initial_delay,
                  "multiplier": args.writeback_multiplier, "max_delay": args.writeback_max_delay},
    }
    if args.writeback_url:
        spec.update(url=args.writeback_url, auth=auth)
    return {"config": spec, "enqueue": args.writeback_enqueue, "seed": args.writeback_seed,
            "sample_entities": args.writeback_sample_entities}


def start(app, settings_: Optional[dict]) -> None:
    """Configure the app's dispatcher and queue the start-up write-backs (ValueError/MissingEntities
    name the problem)."""
    if not settings_:
        return
    from sense_emulator.writebacks.seed import EntityPool, Seeder, TYPES, load_sample_entities

    dispatcher = app.admin.writebacks.dispatcher
    dispatcher.configure(settings_["config"])
    if settings_["sample_entities"]:
        load_sample_entities(app)
    if settings_["enqueue"]:
        envelopes = Seeder(EntityPool(app.store), settings_["seed"]).build_many(settings_["enqueue"], TYPES)
        dispatcher.outbox.add(envelopes)
