"""The emulator's settings and request limits, and the parsing of the parameters that change them.

``Settings`` is what the command line sets; ``POST /_admin/config`` may change the ones in
``ADMIN_SETTINGS``. ``BadRequest`` is a client error answered with its status.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any, Dict, Optional, Tuple

from emulator_http import ConnectionLimits
from bullhorn_emulator.data import DEFAULT_COUNTS
from bullhorn_emulator.query import QueryError

MAX_COUNT = 500
#: Largest `start` and `count` accepted: Bullhorn reads them as 32-bit integers.
MAX_INT_PARAM = 2**31 - 1
#: Largest request body read (the emulator's bodies are small forms and JSON objects).
MAX_BODY_BYTES = 1024 * 1024
CACHE_ENTRIES = 256  # cached query results and projections (FIFO)
DEFAULT_COUNT = 20


@dataclass
class Settings:
    seed: int = 1
    counts: Dict[str, int] = field(default_factory=lambda: dict(DEFAULT_COUNTS))
    client_id: str = "emulator-client-id"
    client_secret: str = "emulator-client-secret-0001"
    username: str = "api.user"
    password: str = "emulator-password-0001"
    redirect_uri: str = "https://localhost/oauth/callback"
    corp_token: str = "e999"
    initial_refresh_token: Optional[str] = "emulator-refresh-token-0001"
    access_token_ttl: float = 600.0  # seconds; Bullhorn's access tokens live 10 minutes
    session_ttl: float = 3600.0  # seconds
    session_max_calls: int = 0  # >0: a session answers 401 after this many REST calls
    throttle_every: int = 0  # >0: every n-th REST call is answered with 429
    rate_limit_per_minute: int = 0  # >0: REST calls beyond this many in 60 s get 429
    retry_after: int = 0  # >0: a 429 carries Retry-After: this many seconds
    retry_after_http_date: int = 0  # 1: ... written as an HTTP date (now + retry_after) instead
    latency_ms: float = 0.0  # added to every REST data call
    event_retention: float = 86400.0  # seconds queued events and read batches (for requestId re-gets) are kept
    #: header, body and idle timeouts and the bound on connections (``emulator_http``)
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)


class BadRequest(Exception):
    """A client error answered with ``status``; ``close`` when the rest of the request cannot be read."""

    def __init__(self, message: str, status: int = 400, close: bool = False):
        super().__init__(message)
        self.status = status
        self.close = close


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def int_param(params: Dict[str, Any], name: str, default: int) -> int:
    """A non-negative 32-bit integer parameter (query string text or a JSON integer), else QueryError."""
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise QueryError(f"{name} must be an integer, got {value[:40]!r}")
    if not is_int(value):
        raise QueryError(f"{name} must be an integer")
    if not 0 <= value <= MAX_INT_PARAM:
        raise QueryError(f"{name} must be between 0 and {MAX_INT_PARAM}")
    return value


#: Settings `POST /_admin/config` may change: name -> (type, smallest value, smallest is allowed).
ADMIN_SETTINGS: Dict[str, Tuple[type, float, bool]] = {
    "session_max_calls": (int, 0, True), "throttle_every": (int, 0, True), "rate_limit_per_minute": (int, 0, True),
    "access_token_ttl": (float, 0, False), "session_ttl": (float, 0, False), "latency_ms": (float, 0, True),
    "event_retention": (float, 0, False),
    "retry_after": (int, 0, True), "retry_after_http_date": (int, 0, True),
}


def retry_after_headers(settings: Settings, now: float) -> Dict[str, str]:
    """The ``Retry-After`` header of a 429, in the form the settings ask for (none when ``retry_after`` is 0)."""
    if settings.retry_after <= 0:
        return {}
    if settings.retry_after_http_date:
        return {"Retry-After": formatdate(now + settings.retry_after, usegmt=True)}
    return {"Retry-After": str(settings.retry_after)}


def settings_changes(params: Dict[str, Any]) -> Dict[str, Any]:
    """The validated changes of a `POST /_admin/config`; any bad name or value is a 400, nothing changes."""
    changes: Dict[str, Any] = {}
    for key, value in params.items():
        if key not in ADMIN_SETTINGS:
            raise BadRequest(f"unknown setting {key!r}; settings: {', '.join(ADMIN_SETTINGS)}")
        kind, low, inclusive = ADMIN_SETTINGS[key]
        if isinstance(value, str):
            try:
                value = kind(value)
            except ValueError:
                raise BadRequest(f"{key} must be a number, got {value[:40]!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not is_int(value)):
            raise BadRequest(f"{key} must be {'an integer' if kind is int else 'a number'}")
        if not math.isfinite(value) or value < low or (value == low and not inclusive):
            raise BadRequest(f"{key} must be {'at least' if inclusive else 'greater than'} {low:g}, got {value!r}")
        if value > MAX_INT_PARAM:
            raise BadRequest(f"{key} must be at most {MAX_INT_PARAM}")
        changes[key] = kind(value)
    return changes
