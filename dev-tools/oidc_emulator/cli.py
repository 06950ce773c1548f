"""``oidc-emulator``: run the local OpenID provider. The first stdout line is the base URL (= issuer).

Clients come from ``--client ID:SECRET`` (repeatable) and from ``$OIDC_EMULATOR_CLIENTS``
(comma-separated ``ID:SECRET``, which keeps secrets off the process list); with neither, the one
client ``sandbox-client:sandbox-secret``.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import List, Optional

from oidc_emulator.clients import DEFAULT_CLIENT, Clients, parse_client
from oidc_emulator.keys import ALGORITHMS
from oidc_emulator.provider import DEFAULT_AUDIENCE, DEFAULT_JWKS_MAX_AGE, DEFAULT_TOKEN_TTL, Provider, ProviderConfig

CLIENTS_ENV = "OIDC_EMULATOR_CLIENTS"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oidc-emulator",
        description="A local OpenID Connect provider (discovery, JWKS with rotating keys, client-credentials tokens).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=8780, help="port; 0 picks a free one (default %(default)s)")
    parser.add_argument("--client", action="append", default=[], metavar="ID:SECRET",
                        help=f"a registered client (repeatable; also ${CLIENTS_ENV}, comma-separated)")
    parser.add_argument("--audience", default=DEFAULT_AUDIENCE, help="the aud claim of issued tokens (default %(default)s)")
    parser.add_argument("--scope", action="append", default=[], metavar="S",
                        help="a scope clients may ask for (repeatable, or space-separated); granted all when none is asked")
    parser.add_argument("--token-ttl", type=int, default=DEFAULT_TOKEN_TTL,
                        help="access token lifetime in seconds, the token response's expires_in (default %(default)s)")
    parser.add_argument("--token-alg", choices=ALGORITHMS, default="RS256", help="algorithm of issued tokens (default %(default)s)")
    parser.add_argument("--jwks-max-age", type=int, default=DEFAULT_JWKS_MAX_AGE,
                        help="Cache-Control max-age of /jwks in seconds (default %(default)s)")
    parser.add_argument("--issuer", default=None, help="issuer to announce (default: the base URL)")
    parser.add_argument("--verbose", action="store_true", help="log request lines (no query strings, no headers) to stderr")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.token_ttl < 1:
        parser.error("--token-ttl must be at least 1 second")
    texts = list(args.client) + [t for t in os.environ.get(CLIENTS_ENV, "").split(",") if t.strip()]
    try:
        clients = [parse_client(t.strip()) for t in texts] or [DEFAULT_CLIENT]
    except ValueError as exc:
        parser.error(str(exc))  # the message never contains the text it refused
    scopes = [s for text in args.scope for s in text.split()]
    config = ProviderConfig(audience=args.audience, scopes=scopes, token_ttl=args.token_ttl,
                            token_alg=args.token_alg, jwks_max_age=args.jwks_max_age, issuer=args.issuer or "")
    from oidc_emulator.server import OidcServer

    try:
        server = OidcServer(args.host, args.port, Provider(config, Clients(clients)), verbose=args.verbose)
    except OSError as exc:
        print(f"oidc-emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.write(server.base_url + "\n")
    sys.stdout.flush()
    print(f"oidc-emulator: issuer {config.issuer}, discovery {server.base_url}/.well-known/openid-configuration, "
          f"clients {', '.join(c for c, _ in clients)}", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
