"""`bullhorn-emulator` command line: serve the emulator on loopback."""
from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading
from typing import List, Optional

import emulator_http
from bullhorn_emulator.config import Settings
from bullhorn_emulator.data import DEFAULT_COUNTS
from bullhorn_emulator.transport import make_server

ENTITY_OPTIONS = {
    "CorporateUser": "corporate-users",
    "ClientCorporation": "client-corporations",
    "ClientContact": "client-contacts",
    "Candidate": "candidates",
    "JobOrder": "job-orders",
    "JobSubmission": "job-submissions",
    "Placement": "placements",
    "Lead": "leads",
    "CandidateCertification": "candidate-certifications",
    "Appointment": "appointments",
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bullhorn-emulator", description="Local emulator of the Bullhorn REST API (loopback only).")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    p.add_argument("--seed", type=int, default=1, help="data seed (default 1)")
    p.add_argument("--scale", type=float, default=1.0, help="multiply every default entity count")
    for entity, option in ENTITY_OPTIONS.items():
        p.add_argument(f"--{option}", type=int, default=None, help=f"number of {entity} records (default {DEFAULT_COUNTS[entity]} x scale)")
    p.add_argument("--client-id", default=Settings.client_id)
    p.add_argument("--client-secret", default=Settings.client_secret)
    p.add_argument("--username", default=Settings.username)
    p.add_argument("--password", default=Settings.password)
    p.add_argument("--refresh-token", default=Settings.initial_refresh_token,
                   help="a refresh token that is valid at start (single use, like every refresh token)")
    p.add_argument("--corp-token", default=Settings.corp_token)
    p.add_argument("--access-token-ttl", type=float, default=Settings.access_token_ttl, help="seconds (default 600)")
    p.add_argument("--session-ttl", type=float, default=Settings.session_ttl, help="REST session lifetime in seconds")
    p.add_argument("--session-max-calls", type=int, default=0, help="a REST session expires after this many calls (0: never)")
    p.add_argument("--throttle-every", type=int, default=0, help="answer every n-th REST call with 429 (0: never)")
    p.add_argument("--rate-limit-per-minute", type=int, default=0, help="429 beyond this many REST calls per minute (0: off)")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added latency per REST data call")
    p.add_argument("--event-retention", type=float, default=Settings.event_retention,
                   help="seconds event-subscription events and read batches are kept (default 86400)")
    emulator_http.add_arguments(p)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    limits = emulator_http.from_arguments(args, parser)
    if not args.event_retention > 0:
        parser.error("--event-retention must be greater than 0")
    try:
        if not ipaddress.ip_address(args.host).is_loopback:
            print("bullhorn-emulator only binds loopback addresses", file=sys.stderr)
            return 2
    except ValueError:
        if args.host != "localhost":
            print("bullhorn-emulator only binds loopback addresses", file=sys.stderr)
            return 2
    counts = {}
    for entity, option in ENTITY_OPTIONS.items():
        value = getattr(args, option.replace("-", "_"))
        counts[entity] = value if value is not None else max(1, int(round(DEFAULT_COUNTS[entity] * args.scale)))
    settings = Settings(
        seed=args.seed, counts=counts, client_id=args.client_id, client_secret=args.client_secret,
        username=args.username, password=args.password, corp_token=args.corp_token,
        initial_refresh_token=args.refresh_token or None, access_token_ttl=args.access_token_ttl,
        session_ttl=args.session_ttl, session_max_calls=args.session_max_calls,
        throttle_every=args.throttle_every, rate_limit_per_minute=args.rate_limit_per_minute,
        latency_ms=args.latency_ms, limits=limits,
        event_retention=args.event_retention,
    )
    server = make_server(settings, args.host, args.port)
    host, port = server.server_address[:2]
    print(f"http://{host}:{port}", flush=True)

    stop = threading.Event()

    def _terminate(signum: int, frame: object) -> None:
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
