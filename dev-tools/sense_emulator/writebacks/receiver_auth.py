"""How the write-back dispatcher authenticates to the customer's receiver: the guide's three ways.

- ``query``: a pre-shared token in a query parameter of the write-back URL (``?token=…``);
- ``header``: the pre-shared token in ``Authorization: Bearer …``;
- ``oauth2``: OAuth2 client credentials. The customer's OpenID Connect discovery URL gives the
  token endpoint; the access token is cached for its ``expires_in`` (renewed a little before,
  and at once after the receiver answers 401) and sent as ``Authorization: Bearer …``;
- ``none``: no credentials (to watch a receiver refuse them).

``Redactor`` removes every secret (raw, URL-encoded, base64) and every query string from a text
before it is recorded, so no attempt record or error message can carry a credential.
"""
from __future__ import annotations

import base64
import re
import threading
import time
from typing import Dict, Iterable, List, Optional, Tuple
from urllib.parse import quote, quote_plus, urlencode, urlsplit, urlunsplit

MODES = ("none", "query", "header", "oauth2")
TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
#: Renew a cached access token this fraction of its lifetime (at most 30 s) before it expires.
RENEW_FRACTION = 0.1
RENEW_MAX_SECONDS = 30.0


class AuthError(Exception):
    """Credentials could not be obtained (the message names the step and status, never a secret)."""


class Redactor:
    _QUERY = re.compile(r"\?[^\s'\"<>)]*")

    def __init__(self, secrets: Iterable[str] = ()):
        variants = set()
        for secret in secrets:
            if not secret:
                continue
            raw = secret.encode()
            variants.update({secret, quote(secret, safe=""), quote_plus(secret), base64.b64encode(raw).decode(),
                             base64.urlsafe_b64encode(raw).decode().rstrip("="), repr(secret)[1:-1]})
        self.variants = sorted((v for v in variants if v), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        text = self._QUERY.sub("?…", text)
        for variant in self.variants:
            text = text.replace(variant, "***")
        return text


def redact_url(url: str) -> str:
    """The URL with every query value replaced by ``***`` (a customer may put a key in it)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    names = [pair.split("=", 1)[0] for pair in parts.query.split("&") if pair]
    return urlunsplit(parts._replace(query="&".join(f"{n}=***" for n in names)))


class Authenticator:
    """Adds credentials to a request; ``rejected()`` is called when the receiver answers 401."""

    mode = "none"

    def prepare(self, url: str) -> Tuple[str, Dict[str, str]]:
        return url, {}

    def rejected(self) -> None:
        pass

    def secrets(self) -> List[str]:
        return []

    def describe(self) -> dict:
        return {"mode": self.mode}


class QueryToken(Authenticator):
    mode = "query"

    def __init__(self, token: str, param: str = "token"):
        if not token:
            raise ValueError("auth mode query needs a token")
        self.token, self.param = token, param

    def prepare(self, url: str) -> Tuple[str, Dict[str, str]]:
        parts = urlsplit(url)
        query = (parts.query + "&" if parts.query else "") + urlencode({self.param: self.token})
        return urlunsplit(parts._replace(query=query)), {}

    def secrets(self) -> List[str]:
        return [self.token]

    def describe(self) -> dict:
        return {"mode": self.mode, "token_param": self.param, "token_set": True}


class HeaderToken(Authenticator):
    mode = "header"

    def __init__(self, token: str):
        if not token:
            raise ValueError("auth mode header needs a token")
        self.token = token

    def prepare(self, url: str) -> Tuple[str, Dict[str, str]]:
        return url, {"Authorization": f"Bearer {self.token}"}

    def secrets(self) -> List[str]:
        return [self.token]

    def describe(self) -> dict:
        return {"mode": self.mode, "token_set": True}


class ClientCredentials(Authenticator):
    """OAuth2 client credentials through the customer's discovery document; one cached token."""

    mode = "oauth2"

    def __init__(self, discovery_url: str, client_id: str, client_secret: str, scope: Optional[str] = None,
                 audience: Optional[str] = None, token_auth_method: str = "client_secret_basic",
                 timeout: float = 10.0, clock=time.monotonic):
        if not discovery_url or not client_id or not client_secret:
            raise ValueError("auth mode oauth2 needs discovery_url, client_id and client_secret")
        if token_auth_method not in TOKEN_AUTH_METHODS:
            raise ValueError(f"token_auth_method must be one of {', '.join(TOKEN_AUTH_METHODS)}")
        self.discovery_url, self.client_id, self.client_secret = discovery_url, client_id, client_secret
        self.scope, self.audience, self.token_auth_method = scope, audience, token_auth_method
        self.timeout = timeout
        self._clock = clock
        import requests  # here, not at module level: the emulator starts without it

        self._requests = requests
        self._lock = threading.Lock()
        self._session = requests.Session()
        self._token_endpoint: Optional[str] = None
        self._token: Optional[str] = None
        self._renew_at = 0.0
        self.discovery_fetches = 0
        self.token_fetches = 0
        self.token_failures = 0

    def _discover(self) -> str:
        self.discovery_fetches += 1
        try:
            response = self._session.get(self.discovery_url, timeout=self.timeout)
        except self._requests.RequestException as exc:
            raise AuthError(f"discovery: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise AuthError(f"discovery answered {response.status_code}")
        try:
            endpoint = response.json()["token_endpoint"]
        except (ValueError, KeyError, TypeError):
            raise AuthError("discovery document has no token_endpoint") from None
        if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
            raise AuthError("discovery document's token_endpoint is not an http(s) URL")
        return endpoint

    def _fetch(self) -> None:
        if self._token_endpoint is None:
            self._token_endpoint = self._discover()
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        if self.audience:
            form["audience"] = self.audience
        auth = None
        if self.token_auth_method == "client_secret_basic":
            auth = (quote_plus(self.client_id), quote_plus(self.client_secret))  # RFC 6749 2.3.1
        else:
            form.update(client_id=self.client_id, client_secret=self.client_secret)
        self.token_fetches += 1
        try:
            response = self._session.post(self._token_endpoint, data=form, auth=auth, timeout=self.timeout)
        except self._requests.RequestException as exc:
            self.token_failures += 1
            self._token_endpoint = None  # rediscover next time: the endpoint may have moved
            raise AuthError(f"token endpoint: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
            self.token_failures += 1
            code = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), str) else None
            raise AuthError(f"token endpoint answered {response.status_code}" + (f" {code}" if code else ""))
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, (int, float)) and expires_in > 0 else 60.0
        self._token = body["access_token"]
        self._renew_at = self._clock() + lifetime - min(RENEW_MAX_SECONDS, lifetime * RENEW_FRACTION)

    def current_token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._token = None
                self._fetch()
            return self._token

    def prepare(self, url: str) -> Tuple[str, Dict[str, str]]:
        return url, {"Authorization": f"Bearer {self.current_token()}"}

    def rejected(self) -> None:
        with self._lock:
            self._token = None

    def secrets(self) -> List[str]:
        with self._lock:
            return [s for s in (self.client_secret, self._token) if s]

    def describe(self) -> dict:
        return {"mode": self.mode, "discovery_url": redact_url(self.discovery_url), "client_id": self.client_id,
                "scope": self.scope, "audience": self.audience, "token_auth_method": self.token_auth_method,
                "token_cached": self._token is not None, "discovery_fetches": self.discovery_fetches,
                "token_fetches": self.token_fetches, "token_failures": self.token_failures}


def build(spec: dict, timeout: float = 10.0) -> Authenticator:
    """An authenticator from ``{"mode", "token", "token_param", "discovery_url", "client_id",
    "client_secret", "scope", "audience", "token_auth_method"}``; ValueError names what is missing."""
    mode = spec.get("mode", "none")
    if mode == "none":
        return Authenticator()
    if mode == "query":
        return QueryToken(spec.get("token") or "", spec.get("token_param") or "token")
    if mode == "header":
        return HeaderToken(spec.get("token") or "")
    if mode == "oauth2":
        return ClientCredentials(spec.get("discovery_url") or "", spec.get("client_id") or "",
                                 spec.get("client_secret") or "", spec.get("scope"), spec.get("audience"),
                                 spec.get("token_auth_method") or "client_secret_basic", timeout)
    raise ValueError(f"auth mode must be one of {', '.join(MODES)}, not {mode!r}")
