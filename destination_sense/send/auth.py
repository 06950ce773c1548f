"""OAuth 2.0 client-credentials tokens for Sense, cached until they are about to expire.

Sense requires clients to reuse a token until ``expires_in`` says it expires and never to hard-code
the lifetime. ``TokenProvider`` requests a token only when there is none, when the cached one is
within its safety margin of expiry, or after the API rejected it (``invalidate``). The margin
scales with the lifetime (10 %, at most 60 s), so a 5-second token is still reused for 4.5 s.
Only one thread refreshes at a time; the others wait for its result.

The answer is checked before the token is used: ``access_token`` must be printable ASCII without
whitespace (RFC 6750's token characters; a token ending in a newline would otherwise end up, escaped,
in an error message). ``expires_in`` missing or not a number → ``DEFAULT_LIFETIME_SECONDS``; zero,
negative or NaN → ``INVALID_LIFETIME_SECONDS``; a positive value below ``MIN_LIFETIME_SECONDS`` →
that floor; each with a warning (a 401 renews a token
that expired early anyway). A garbage answer (not JSON, no token, a token with whitespace) is retried
like a 5xx once; a second one in a row is a config error (the token URL is probably wrong). Every
token is handed to ``on_new_token`` (the output's masking) before anything else is done with it.
"""
from __future__ import annotations

import math
import re
import threading
import time
from typing import Any, Callable, Optional

import requests

from destination_sense.errors import ConfigError, TransientError

MARGIN_FRACTION = 0.1
MAX_MARGIN_SECONDS = 60.0
#: Lifetime assumed when the answer has no usable ``expires_in``.
DEFAULT_LIFETIME_SECONDS = 3600.0
#: Lifetime assumed when ``expires_in`` is zero, negative or NaN (the real one is unknown).
INVALID_LIFETIME_SECONDS = 60.0
#: The shortest positive lifetime believed: a token is never requested more often than this.
MIN_LIFETIME_SECONDS = 1.0
#: RFC 6750 b64token characters (and any other printable ASCII except space).
_TOKEN_RE = re.compile(r"[\x21-\x7e]+\Z")


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
        warn: Callable[[str], None] = lambda message: None,
    ):
        self._warn = warn
        self._garbage_answers = 0
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
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if isinstance(token, str) and token and self._on_new_token:
            self._on_new_token(token)  # masked from here on, whatever happens next
        if not isinstance(body, dict) or "access_token" not in body:
            self._garbage("did not answer with an OAuth token (no JSON object with access_token)")
        if not isinstance(token, str) or not token:
            self._garbage("answered an empty access_token (or one that is not a string)")
        if not _TOKEN_RE.match(token):
            self._garbage("answered an access_token with whitespace or non-printable characters (it is not shown)")
        self._garbage_answers = 0
        lifetime = self._lifetime(body.get("expires_in", None))
        self.last_lifetime = lifetime
        self._token = token
        self._refresh_at = started + lifetime - safety_margin(lifetime)
        return token

    def _garbage(self, what: str) -> None:
        self._garbage_answers += 1
        message = f"The token URL {self._token_url} {what}"
        if self._garbage_answers >= 2:
            self._garbage_answers = 0
            raise ConfigError(message + " twice in a row: check token_url.")
        raise TransientError(message + ".")

    def _lifetime(self, expires_in: Any) -> float:
        """Seconds the token lives, from ``expires_in``, with a default and a floor (see the module doc)."""
        lifetime = None
        if isinstance(expires_in, (int, float, str)) and not isinstance(expires_in, bool):
            try:
                lifetime = float(expires_in)
            except ValueError:
                pass
        if lifetime is None or math.isinf(lifetime):
            self._warn(
                f"The token answer has no usable expires_in ({str(expires_in)[:20]!r}); the token is reused for "
                f"{DEFAULT_LIFETIME_SECONDS:.0f} s (or until the API answers 401)."
            )
            return DEFAULT_LIFETIME_SECONDS
        if not lifetime >= MIN_LIFETIME_SECONDS:  # also NaN
            floor = MIN_LIFETIME_SECONDS if lifetime > 0 else INVALID_LIFETIME_SECONDS
            self._warn(
                f"The token answer says expires_in {str(expires_in)[:20]!r}; the token is reused for {floor:.0f} s "
                "(or until the API answers 401) instead of being requested again for every request."
            )
            return floor
        return lifetime
