"""Console sessions and CSRF tokens: signed values, no server-side session store.

A session cookie is ``<expires>.<nonce>.<signature>``: ``expires`` in Unix seconds, a random nonce,
and HMAC-SHA256 over both keyed with the admin token the operator logged in with. A cookie is valid
while one configured admin token verifies its signature (each compared in constant time) and it has
not expired or been logged out; removing a token from ``SENSE_WRITEBACK_ADMIN_TOKENS`` therefore ends
every session made with it, on every replica, with no table to clean. The token itself is never in
the cookie, a page or a log.

Logout drops the cookie and remembers its nonce until it expires (per process: with several
replicas a copied cookie stays valid on the others until it expires; rotate the token to end it
everywhere, see docs/sense-writeback.md).

The CSRF token of a session is HMAC(session signature, "csrf"): bound to the session, different
for each, not guessable without the cookie, and checked on every state-changing request. Before
login, the login form uses a double-submit token (a random cookie equal to a form field).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Dict, Optional

COOKIE = "sense_console"
LOGIN_COOKIE = "sense_console_login"
_DOMAIN = b"sense-writeback-console-session\x00"


@dataclass(frozen=True)
class Session:
    nonce: str
    expires: int
    signature: str

    @property
    def csrf_token(self) -> str:
        return hmac.new(self.signature.encode(), b"csrf", hashlib.sha256).hexdigest()

    def csrf_ok(self, candidate: Optional[str]) -> bool:
        return bool(candidate) and hmac.compare_digest(self.csrf_token.encode(), candidate.encode("utf-8", "replace"))


def _sign(key: bytes, payload: str) -> str:
    return hmac.new(key, _DOMAIN + payload.encode(), hashlib.sha256).hexdigest()


class Sessions:
    """Issues and checks session cookies for a set of admin tokens (``TokenSet``)."""

    def __init__(self, tokens, lifetime_seconds: float, clock=time.time):
        self._keys = tuple(tokens._tokens)  # noqa: SLF001  (bytes; the TokenSet never shows them)
        self.lifetime = lifetime_seconds
        self.clock = clock
        self._revoked: Dict[str, int] = {}
        self._lock = threading.Lock()

    def login(self, candidate: str) -> Optional[Session]:
        """A new session when ``candidate`` is one of the admin tokens (all compared in constant time)."""
        given = candidate.encode("utf-8", "surrogatepass")
        chosen = None
        for key in self._keys:
            if hmac.compare_digest(given, key):
                chosen = key
        if chosen is None:
            return None
        expires = int(self.clock() + self.lifetime)
        nonce = secrets.token_hex(16)
        return Session(nonce, expires, _sign(chosen, f"{expires}.{nonce}"))

    @staticmethod
    def cookie_value(session: Session) -> str:
        return f"{session.expires}.{session.nonce}.{session.signature}"

    def check(self, cookie: Optional[str]) -> Optional[Session]:
        """The session of a cookie value, or None (malformed, forged, expired or logged out)."""
        if not cookie or len(cookie) > 200:
            return None
        parts = cookie.split(".")
        if len(parts) != 3 or not parts[0].isdigit():
            return None
        expires_text, nonce, signature = parts
        expires = int(expires_text)
        found = False
        for key in self._keys:
            found |= hmac.compare_digest(_sign(key, f"{expires_text}.{nonce}").encode(), signature.encode("utf-8", "replace"))
        if not found or expires <= self.clock():
            return None
        with self._lock:
            if nonce in self._revoked:
                return None
        return Session(nonce, expires, signature)

    def logout(self, session: Session) -> None:
        now = self.clock()
        with self._lock:
            self._revoked = {n: e for n, e in self._revoked.items() if e > now}
            self._revoked[session.nonce] = session.expires


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def same_token(first: Optional[str], second: Optional[str]) -> bool:
    """Constant-time equality of two optional strings (False when either is missing)."""
    if not first or not second:
        return False
    return hmac.compare_digest(first.encode("utf-8", "replace"), second.encode("utf-8", "replace"))


def is_loopback(host: Optional[str]) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    return host == "localhost" or host == "::1" or host.startswith("127.")


def secure_cookie(scheme: str, host: Optional[str]) -> bool:
    """``Secure`` unless the console is reached over plain http on a loopback address."""
    return not (scheme == "http" and is_loopback(host))
