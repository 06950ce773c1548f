"""The routes of the OpenID provider and their behaviour, independent of the HTTP transport.

    GET  /.well-known/openid-configuration   discovery (issuer = base URL)
    GET  /jwks                               public keys, current and retired
    POST /oauth2/token                       client credentials (client_secret_basic / _post)

    GET  /_admin/health                      {"ok": true}
    GET  /_admin/config                      issuer, audience, scopes, token_ttl, token_alg, client ids
    POST /_admin/config                      {"token_ttl": s, "token_alg": "RS256"|"ES256", "jwks_max_age": s}
    GET  /_admin/keys                        {"current": {alg: kid}, "retired": [{kid, alg}]}
    POST /_admin/rotate                      {"algs": [...], "keep_previous": true} → {"rotated": {alg: kid}}
    POST /_admin/tokens                      mint a test token (see ``tokens.mint``)
    GET  /_admin/counters                    requests per endpoint, tokens issued and refused
    POST /_admin/counters/reset              zero the counters
    POST /_admin/faults                      {"token": n, "jwks": n, "discovery": n}: the next n answer 503
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

import orjson

from oidc_emulator.clients import Clients
from oidc_emulator.keys import ALGORITHMS, KeyRing
from oidc_emulator.tokens import MintError, mint, sign, standard_claims

DEFAULT_AUDIENCE = "sense-writeback"
DEFAULT_TOKEN_TTL = 300
DEFAULT_JWKS_MAX_AGE = 300
COUNTED = ("discovery", "jwks", "token")


@dataclass
class ProviderConfig:
    audience: str = DEFAULT_AUDIENCE
    scopes: List[str] = field(default_factory=list)
    token_ttl: int = DEFAULT_TOKEN_TTL
    token_alg: str = "RS256"
    jwks_max_age: int = DEFAULT_JWKS_MAX_AGE
    issuer: str = ""  # default: the base URL
    base_url: str = ""  # set once the server is bound


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: List[Tuple[str, str]] = field(default_factory=list)


def json_response(status: int, payload: Any, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    return Response(status, orjson.dumps(payload), [("Content-Type", "application/json"), *(headers or [])])


def _oauth_error(status: int, code: str, description: str) -> Response:
    headers = [("WWW-Authenticate", 'Basic realm="oidc-emulator"')] if status == 401 else []
    headers.append(("Cache-Control", "no-store"))
    return json_response(status, {"error": code, "error_description": description}, headers)


class Provider:
    def __init__(self, config: ProviderConfig, clients: Clients):
        self.config = config
        self.clients = clients
        self.keys = KeyRing()
        self._lock = threading.Lock()
        self.counters: Counter = Counter()
        self.faults: Counter = Counter()

    # -- counting and faults ------------------------------------------------------------------
    def _count(self, name: str) -> bool:
        """Count a request; True if a configured fault makes it answer 503."""
        with self._lock:
            self.counters[name] += 1
            if self.faults[name] > 0:
                self.faults[name] -= 1
                self.counters[f"{name}_faulted"] += 1
                return True
        return False

    def _bump(self, name: str) -> None:
        with self._lock:
            self.counters[name] += 1

    # -- public endpoints -----------------------------------------------------------------------
    def discovery(self) -> dict:
        base = self.config.base_url
        return {
            "issuer": self.config.issuer,
            "jwks_uri": f"{base}/jwks",
            "token_endpoint": f"{base}/oauth2/token",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "id_token_signing_alg_values_supported": list(ALGORITHMS),
            "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "scopes_supported": list(self.config.scopes),
        }

    def token(self, authorization: Optional[str], body: bytes, content_type: str) -> Response:
        if "application/x-www-form-urlencoded" not in (content_type or "").lower():
            self._bump("token_refused")
            return _oauth_error(400, "invalid_request", "the body must be application/x-www-form-urlencoded")
        try:
            form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        except UnicodeDecodeError:
            self._bump("token_refused")
            return _oauth_error(400, "invalid_request", "the body is not UTF-8")
        client_id, detail = self.clients.authenticate(authorization, form)
        if client_id is None:
            self._bump("token_refused")
            return _oauth_error(401, "invalid_client", detail)
        if form.get("grant_type") != "client_credentials":
            self._bump("token_refused")
            return _oauth_error(400, "unsupported_grant_type", "only grant_type=client_credentials is supported")
        requested = form.get("scope", "").split()
        unknown = [s for s in requested if s not in self.config.scopes]
        if unknown:
            self._bump("token_refused")
            return _oauth_error(400, "invalid_scope", f"scope(s) not offered: {' '.join(unknown)}")
        audience = form.get("audience") or form.get("resource")
        if audience and audience != self.config.audience:
            self._bump("token_refused")
            return _oauth_error(400, "invalid_target", f"unknown audience {audience!r}")
        granted = " ".join(requested or self.config.scopes)
        ttl = self.config.token_ttl
        claims = standard_claims(self.config.issuer, self.config.audience, client_id, granted, ttl)
        claims["client_id"] = client_id
        token = sign(self.keys, claims, self.config.token_alg)
        self._bump("token_issued")
        payload = {"access_token": token, "token_type": "Bearer", "expires_in": ttl}
        if granted:
            payload["scope"] = granted
        return json_response(200, payload, [("Cache-Control", "no-store")])

    # -- admin ----------------------------------------------------------------------------------
    def admin(self, method: str, route: str, body: bytes) -> Response:
        try:
            spec = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError as exc:
            return json_response(400, {"error": f"body is not JSON: {exc}"})
        if method == "POST" and not isinstance(spec, dict):
            return json_response(400, {"error": "body must be a JSON object"})
        if route == "health" and method == "GET":
            return json_response(200, {"ok": True})
        if route == "config" and method == "GET":
            return json_response(200, self._config_view())
        if route == "config" and method == "POST":
            return self._set_config(spec)
        if route == "keys" and method == "GET":
            return json_response(200, self.keys.describe())
        if route == "rotate" and method == "POST":
            algs = spec.get("algs", list(ALGORITHMS))
            if isinstance(algs, str):
                algs = [algs]
            try:
                rotated = self.keys.rotate(algs, keep_previous=bool(spec.get("keep_previous", True)))
            except (ValueError, TypeError) as exc:
                return json_response(400, {"error": str(exc)})
            return json_response(200, {"rotated": rotated, **self.keys.describe()})
        if route == "tokens" and method == "POST":
            defaults = standard_claims(self.config.issuer, self.config.audience, "test-subject",
                                       " ".join(self.config.scopes), self.config.token_ttl)
            try:
                return json_response(200, mint(self.keys, defaults, spec))
            except MintError as exc:
                return json_response(400, {"error": str(exc)})
        if route == "counters" and method == "GET":
            with self._lock:
                view = {name: self.counters.get(name, 0) for name in COUNTED}
                view.update({k: v for k, v in self.counters.items() if k not in view})
                view.setdefault("token_issued", 0)
                view.setdefault("token_refused", 0)
            return json_response(200, view)
        if route == "counters/reset" and method == "POST":
            with self._lock:
                self.counters.clear()
            return json_response(200, {"reset": True})
        if route == "faults" and method == "POST":
            bad = [k for k, v in spec.items() if k not in COUNTED or not isinstance(v, int) or isinstance(v, bool) or v < 0]
            if bad:
                return json_response(400, {"error": f"faults are {{{', '.join(COUNTED)}: n >= 0}}; bad: {', '.join(bad)}"})
            with self._lock:
                self.faults.update(spec)
                state = {name: self.faults[name] for name in COUNTED}
            return json_response(200, state)
        return json_response(404, {"error": f"no admin endpoint {method} /_admin/{route}"})

    def _config_view(self) -> dict:
        cfg = self.config
        return {
            "issuer": cfg.issuer,
            "audience": cfg.audience,
            "scopes": list(cfg.scopes),
            "token_ttl": cfg.token_ttl,
            "token_alg": cfg.token_alg,
            "jwks_max_age": cfg.jwks_max_age,
            "clients": self.clients.ids(),
        }

    def _set_config(self, spec: Dict[str, Any]) -> Response:
        unknown = set(spec) - {"token_ttl", "token_alg", "jwks_max_age"}
        if unknown:
            return json_response(400, {"error": f"unknown field(s): {', '.join(sorted(unknown))}"})
        for name in ("token_ttl", "jwks_max_age"):
            if name in spec and (not isinstance(spec[name], int) or isinstance(spec[name], bool) or spec[name] < 0):
                return json_response(400, {"error": f"{name} must be a non-negative integer"})
        if "token_ttl" in spec and spec["token_ttl"] < 1:
            return json_response(400, {"error": "token_ttl must be at least 1"})
        if "token_alg" in spec and spec["token_alg"] not in ALGORITHMS:
            return json_response(400, {"error": f"token_alg must be one of {', '.join(ALGORITHMS)}"})
        for name, value in spec.items():
            setattr(self.config, name, value)
        return json_response(200, self._config_view())

    # -- routing --------------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Response:
        path = urlsplit(target).path.rstrip("/") or "/"
        if path.startswith("/_admin/"):
            return self.admin(method, path[len("/_admin/"):], body)
        if path == "/.well-known/openid-configuration" and method == "GET":
            if self._count("discovery"):
                return json_response(503, {"error": "temporarily_unavailable"})
            return json_response(200, self.discovery())
        if path == "/jwks" and method == "GET":
            if self._count("jwks"):
                return json_response(503, {"error": "temporarily_unavailable"})
            return json_response(200, self.keys.jwks(), [("Cache-Control", f"max-age={self.config.jwks_max_age}")])
        if path == "/oauth2/token":
            if method != "POST":
                return json_response(405, {"error": "use POST"}, [("Allow", "POST")])
            if self._count("token"):
                return _oauth_error(503, "temporarily_unavailable", "fault injected by /_admin/faults")
            return self.token(headers.get("Authorization"), body, headers.get("Content-Type") or "")
        return json_response(404, {"error": f"no endpoint {method} {path}"})
