"""OAuth2 client-credentials tokens: issue, check, expire. Tokens are opaque random strings."""
from __future__ import annotations

import base64
import hmac
import secrets
import threading
import time
from typing import Dict, Optional, Tuple
from urllib.parse import parse_qs


class TokenStore:
    def __init__(self, client_id: str, client_secret: str, ttl: int, clock=time.monotonic):
        self.client_id = client_id
        self.client_secret = client_secret
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: Dict[str, float] = {}

    def credentials_ok(self, client_id: str, client_secret: str) -> bool:
        ok_id = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        ok_secret = hmac.compare_digest(client_secret.encode(), self.client_secret.encode())
        return ok_id and ok_secret

    def issue(self) -> str:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            if len(self._tokens) > 1000:
                self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + self.ttl
        return token

    def valid(self, token: Optional[str]) -> bool:
        if not token:
            return False
        expires = self._tokens.get(token)
        return expires is not None and self._clock() < expires

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


def bearer_token(authorization: Optional[str]) -> Optional[str]:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive)."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def token_request(body: bytes, authorization: Optional[str]) -> Tuple[str, str, str]:
    """(client_id, client_secret, grant_type) from a form body, or HTTP Basic client authentication."""
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    client_id = form.get("client_id", [""])[0]
    client_secret = form.get("client_secret", [""])[0]
    grant_type = form.get("grant_type", [""])[0]
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode("utf-8")
            client_id, _, client_secret = decoded.partition(":")
        except (ValueError, UnicodeDecodeError):
            pass
    return client_id, client_secret, grant_type
