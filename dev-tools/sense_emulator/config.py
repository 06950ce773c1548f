"""Options of the emulator and their defaults."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-secret"
DEFAULT_TOKEN_TTL = 300
DEFAULT_LOG_LIMIT = 100_000
#: Seconds a connection may stay idle, and a request may take to arrive from its first byte.
DEFAULT_READ_TIMEOUT = 30.0

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
    read_timeout: float = DEFAULT_READ_TIMEOUT
    verbose: bool = False
    #: the write-back dispatcher's start-up settings (``sense_emulator.writebacks.options.settings``)
    writeback: Optional[dict] = None
