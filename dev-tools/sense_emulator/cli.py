"""``sense-emulator``: run the Sense API emulator. The first stdout line is the base URL."""
from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
import threading
from typing import List, Optional, Tuple

import emulator_http
from sense_emulator import config as defaults
from sense_emulator.writebacks import options as writeback_options
from sense_emulator.config import EmulatorConfig


def parse_args(argv: Optional[List[str]] = None) -> Tuple[EmulatorConfig, Optional[str]]:
    parser = argparse.ArgumentParser(
        prog="sense-emulator",
        description="A local emulator of the Sense partner API (sandbox, test and benchmark target).",
    )
    parser.add_argument("--host", default=defaults.DEFAULT_HOST, help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=defaults.DEFAULT_PORT, help="port; 0 picks a free one (default %(default)s)")
    parser.add_argument("--client-id", default=os.environ.get("SENSE_EMULATOR_CLIENT_ID", defaults.DEFAULT_CLIENT_ID),
                        help="accepted OAuth2 client id (default %(default)s, or $SENSE_EMULATOR_CLIENT_ID)")
    parser.add_argument("--client-secret", default=None,
                        help="accepted OAuth2 client secret (default sandbox-secret, or $SENSE_EMULATOR_CLIENT_SECRET)")
    parser.add_argument("--token-ttl", type=int, default=defaults.DEFAULT_TOKEN_TTL,
                        help="access token lifetime in seconds, the token response's expires_in (default %(default)s)")
    parser.add_argument("--db", default=":memory:", help="SQLite database file (default: in memory)")
    parser.add_argument("--missing-entity", choices=(defaults.MISSING_404, defaults.MISSING_ACCEPT),
                        default=defaults.MISSING_404,
                        help="answer to PATCH or resume upload for an id never received: 404 (default) or accept (201, ignored)")
    parser.add_argument("--log-limit", type=int, default=defaults.DEFAULT_LOG_LIMIT,
                        help="request-log entries kept for /_admin/requests (default %(default)s)")
    parser.add_argument("--verbose", action="store_true", help="log request lines to stderr")
    parser.add_argument("--write-config", metavar="PATH",
                        help="once listening, write destination-sense's config for this emulator to PATH (JSON, mode 600)")
    emulator_http.add_arguments(parser)
    writeback_options.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.token_ttl < 1:
        parser.error("--token-ttl must be at least 1 second")
    limits = emulator_http.from_arguments(args, parser)
    secret = args.client_secret or os.environ.get("SENSE_EMULATOR_CLIENT_SECRET") or defaults.DEFAULT_CLIENT_SECRET
    config = EmulatorConfig(
        host=args.host,
        port=args.port,
        client_id=args.client_id,
        client_secret=secret,
        token_ttl=args.token_ttl,
        db=args.db,
        missing_entity=args.missing_entity,
        log_limit=args.log_limit,
        limits=limits,
        verbose=args.verbose,
        writeback=writeback_options.settings(args, parser),
    )
    return config, args.write_config


def write_destination_config(path: str, config: dict) -> None:
    """Write ``config`` to ``path`` whole or not at all (a reader never sees half a file), readable by its owner only."""
    temporary = f"{path}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(config, handle, indent=2)
            handle.write("\n")
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def main(argv: Optional[List[str]] = None) -> int:
    config, config_path = parse_args(argv)
    from sense_emulator.heap import return_large_blocks
    from sense_emulator.server import EmulatorServer

    return_large_blocks()

    try:
        server = EmulatorServer(config)
    except OSError as exc:
        print(f"sense-emulator: cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 2
    try:
        writeback_options.start(server.app, config.writeback)
    except Exception as exc:  # a bad setting or sample entities refused: say which, exit 2
        print(f"sense-emulator: write-back dispatcher: {exc}", file=sys.stderr)
        server.server_close()
        return 2
    # The store keeps entities as JSON text in SQLite, so the Python heap stays small; freezing
    # the startup objects keeps full collections cheap while batches of dicts come and go.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if config_path:
        try:
            write_destination_config(config_path, defaults.destination_config(server.base_url, config.client_id, config.client_secret))
        except OSError as exc:
            print(f"sense-emulator: cannot write the config file {config_path}: {exc.strerror or exc}", file=sys.stderr)
            server.app.admin.writebacks.dispatcher.stop()
            server.server_close()
            return 2
    sys.stdout.write(server.base_url + "\n")
    sys.stdout.flush()
    print(
        f"sense-emulator: token URL {server.base_url}/oauth2/token, API {server.base_url}/v1, "
        f"admin {server.base_url}/_admin, db {config.db}",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.app.admin.writebacks.dispatcher.stop()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
