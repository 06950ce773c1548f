"""OAuth 2.0 client-credentials tokens for Sense, cached until they are about to expire.

Sense requires clients to reuse a token until ``expires_in`` says it expires and never to hard-code
the lifetime. ``TokenProvider`` requests a token only when there is none, when the cached one is
within its safety margin of expiry, or after the API rejected it (``invalidate``). The margin
scales with the lifetime (10 %, at most 60 s), so a 5-second token is still reused for 4.5 s.
Only one thread refreshes at a time; the others wait for its result.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Optional

import requests

from destination_sense.errors import ConfigError, TransientError

MARGIN_FRACTION = 0.1
MAX_MARGIN_SECONDS = 60.0


def safety_margin(lifetime: float) -> float:
    return min(MAX_MARGIN_SECONDS, max(0.0, lifetime) * MARGIN_FRACTION)


class TokenProvider:
    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        session: Optional[requests.Session] = None,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 30.0,
        on_new_token: Optional[Callable[[str], None]] = None,
    ):
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._session = session or requests.Session()
        self._clock = clock
        self._timeout = timeout
        self._on_new_token = on_new_token
        self._lock = threading.Lock()
        self._token: Optional[str] = None
        self._refresh_at = 0.0
        self.requests_made = 0
        self.last_lifetime: Optional[float] = None

    def get(self) -> str:
        token = self._token
        if token is not None and self._clock() < self._refresh_at:
            return token
        with self._lock:
            if self._token is not None and self._clock() < self._refresh_at:
                return self._token
            return self._fetch()

    def invalidate(self, token: str) -> None:
        """Forget ``token`` after the API answered 401 to it (another thread may have renewed already)."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self) -> str:
        self.requests_made += 1
        started = self._clock()
        try:
            response = self._session.post(
                self._token_url,
                data={
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                    "grant_type": "client_credentials",
                },
                timeout=self._timeout,
            )
        except requests.exceptions.InvalidURL as exc:
            raise ConfigError(f"The token URL {self._token_url!r} is not a valid URL.") from exc
        except requests.RequestException as exc:
            raise TransientError(f"Could not reach the Sense token endpoint {self._token_url}: {type(exc).__name__}.") from exc
        if response.status_code in (400, 401, 403):
            raise ConfigError(
                f"Sense rejected the client credentials (HTTP {response.status_code} from {self._token_url}). "
                "Check client_id and client_secret."
            )
        if response.status_code == 404:
            raise ConfigError(f"The token URL {self._token_url} answered 404: check token_url.")
        if response.status_code >= 400:
            raise TransientError(f"The Sense token endpoint answered HTTP {response.status_code}.")
        try:
            body = response.json()
            token = body["access_token"]
            lifetime = float(body["expires_in"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"The token URL {self._token_url} did not answer with an OAuth token (access_token, expires_in): check token_url."
            ) from exc
        if not isinstance(token, str) or not token:
            raise ConfigError(f"The token URL {self._token_url} answered an empty access_token.")
        if self._on_new_token:
            self._on_new_token(token)
        self.last_lifetime = lifetime
        self._token = token
        self._refresh_at = started + lifetime - safety_margin(lifetime)
        return token
