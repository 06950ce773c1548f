"""Options of the emulator and their defaults."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from emulator_http import ConnectionLimits

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-secret"
DEFAULT_TOKEN_TTL = 300
DEFAULT_LOG_LIMIT = 100_000

#: Where the API and the token endpoint are under the emulator's base URL.
API_PATH = "/v1"
TOKEN_PATH = "/oauth2/token"

#: What PATCH and resume upload answer for an id that was never received.
MISSING_404 = "404"
MISSING_ACCEPT = "accept"


@dataclass
class EmulatorConfig:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    token_ttl: int = DEFAULT_TOKEN_TTL
    db: str = ":memory:"
    missing_entity: str = MISSING_404
    log_limit: int = DEFAULT_LOG_LIMIT
    #: header, body and idle timeouts and the bound on connections (``emulator_http``)
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    verbose: bool = False
    #: the write-back dispatcher's start-up settings (``sense_emulator.writebacks.options.settings``)
    writeback: Optional[dict] = None


def destination_config(base_url: str, client_id: str, client_secret: str) -> dict:
    """destination-sense's config for an emulator at ``base_url`` (``sense-emulator --write-config``)."""
    return {"client_id": client_id, "client_secret": client_secret,
            "api_url": base_url + API_PATH, "token_url": base_url + TOKEN_PATH}
