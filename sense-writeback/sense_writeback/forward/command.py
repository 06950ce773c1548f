"""``sense-writeback forward``, ``replay`` and ``dead-letters``: argument parsing and start-up."""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from typing import Dict

from sense_writeback.env_secrets import secret
from sense_writeback.forward.settings import IGNORE, NOTE, ForwardSettings, SettingsError, credentials, parse_actions


def add_commands(commands) -> None:
    for name, text in (("forward", "write stored write-backs into Bullhorn (the outbox worker)"),
                       ("replay", "resend parked (dead-letter) write-backs to Bullhorn"),
                       ("dead-letters", "list parked write-backs with their reasons (JSON lines)")):
        sub = commands.add_parser(name, help=text, description=text + ". Bullhorn credentials come from "
                                  "SENSE_WRITEBACK_BULLHORN_CLIENT_ID, _CLIENT_SECRET, _REFRESH_TOKEN (or _USERNAME/"
                                  "_PASSWORD); see docs/sense-writeback.md.")
        sub.add_argument("--db", default=None, help="the receiver's SQLite file (default $SENSE_WRITEBACK_DB, "
                                                    "else sense-writeback.db)")
        sub.add_argument("--database-url", help="PostgreSQL URL; prefer $SENSE_WRITEBACK_DATABASE_URL")
        sub.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
        if name == "dead-letters":
            continue
        sub.add_argument("--bullhorn-auth-url", default=ForwardSettings.auth_base_url, help="Bullhorn OAuth base URL")
        sub.add_argument("--bullhorn-login-url", default=ForwardSettings.rest_login_url,
                         help="Bullhorn REST login base URL (…/rest-services)")
        sub.add_argument("--state-file", default=os.environ.get("SENSE_WRITEBACK_STATE_FILE") or ForwardSettings.state_file,
                         help="where the rotated Bullhorn refresh token is kept (mode 0600; default "
                              "$SENSE_WRITEBACK_STATE_FILE, else %(default)s)")
        sub.add_argument("--action", action="append", metavar="TYPE=Action", help="the Note action of a type")
        sub.add_argument("--entity-delete", choices=(NOTE, IGNORE), default=NOTE,
                         help="ENTITY_DELETE: a note, or ignore (never a delete in Bullhorn)")
        sub.add_argument("--entity-create", choices=(NOTE, IGNORE), default=NOTE,
                         help="ENTITY_CREATE without a Bullhorn id: a note, or ignore")
        sub.add_argument("--commenting-person", type=int, help="CorporateUser id of notes without a sender")
        if name == "forward":
            sub.add_argument("--once", action="store_true", help="stop when every stored write-back is handled")
            sub.add_argument("--poll-interval", type=float, default=ForwardSettings.poll_interval)
            sub.add_argument("--lease-seconds", type=float, default=60.0,
                             help="how long the leading forwarder's lease lasts without renewal; a standby "
                                  "forwarder takes over after it (default 60; keep it above twice Bullhorn's "
                                  "30 s request timeout)")
        else:
            sub.add_argument("--seq", type=int, action="append", help="only this seq (repeatable)")


def store_target(args) -> str:
    """The database of ``--database-url``, ``$SENSE_WRITEBACK_DATABASE_URL`` (or ``…_FILE``), ``--db``,
    ``$SENSE_WRITEBACK_DB``, else ``sense-writeback.db``."""
    return (args.database_url or secret(os.environ, "SENSE_WRITEBACK_DATABASE_URL") or args.db
            or os.environ.get("SENSE_WRITEBACK_DB") or "sense-writeback.db")


def _store(args):
    from sense_writeback.store import open_store

    return open_store(store_target(args), writer=False)


def run(command: str, args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        store = _store(args)
    except Exception as exc:
        print(f"sense-writeback {command}: cannot open the store: {type(exc).__name__}", file=sys.stderr)
        return 2
    try:
        if command == "dead-letters":
            from sense_writeback.forward.ledger import Ledger

            for letter in Ledger(store).dead_letters():
                print(json.dumps(letter))
            return 0
        return _forward(command, args, store)
    finally:
        store.close()


def _forward(command: str, args: argparse.Namespace, store) -> int:
    from sense_writeback.forward.bullhorn_client import AuthFailed, client_for
    from sense_writeback.forward.worker import Forwarder

    try:
        settings = ForwardSettings(auth_base_url=args.bullhorn_auth_url, rest_login_url=args.bullhorn_login_url,
                                   state_file=args.state_file, actions=parse_actions(args.action),
                                   entity_delete=args.entity_delete, entity_create=args.entity_create,
                                   default_commenting_person=args.commenting_person)
        if command == "forward":
            settings.poll_interval = args.poll_interval
        creds = credentials(os.environ)
    except SettingsError as exc:
        print(f"sense-writeback {command}: configuration error: {exc}", file=sys.stderr)
        return 2
    client = client_for(settings, creds)
    forwarder = Forwarder(store, client, settings, **({"lease_seconds": args.lease_seconds}
                                                      if command == "forward" else {}))
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: forwarder.stop_event.set())
    log = logging.getLogger("sense_writeback.forward")
    try:
        if command == "replay":
            summary: Dict[str, int] = forwarder.replay(set(args.seq or ()))
            print(json.dumps(summary))
            return 0
        log.info("forwarding write-backs to Bullhorn")
        forwarder.run(once=args.once)
    except AuthFailed as exc:
        print(f"sense-writeback {command}: Bullhorn refused the credentials: {exc}", file=sys.stderr)
        return 2
    log.info("forwarder stopped: %s; Bullhorn retries %s", json.dumps(forwarder.counts), json.dumps(client.retries))
    print(json.dumps({"counts": forwarder.counts, "retries": client.retries}))
    return 0
