"""OAuth2 client-credentials mode: bearer JWTs checked against the customer's OpenID provider.

The discovery document (``discovery_url``) names the issuer and the JWKS URL. Keys are fetched
lazily, cached for ``jwks_max_age`` seconds, and refreshed at once when a token names a ``kid`` the
cache does not hold (key rotation) — at most once per ``jwks_refresh_interval``, so a flood of
forged ``kid``s cannot hammer the provider. Only the configured asymmetric algorithms are accepted
(``alg: none`` and HMAC are refused before any key is looked at), and the algorithm must fit the
key's type and curve (algorithm confusion). Signature, ``iss``, ``aud``, ``exp`` (required) and
``nbf`` are checked by PyJWT with ``clock_skew`` seconds of leeway; a configured scope must be in the
token's ``scope`` (space-separated) or ``scp`` (list) claim.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Dict, Optional, Tuple

import httpx
import jwt

from sense_writeback.receiver_settings import OidcSettings

log = logging.getLogger("sense_writeback.oidc")

_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}
_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


class TokenRejected(Exception):
    """The bearer token is not acceptable; ``reason`` is for the log (never the token)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ProviderUnavailable(Exception):
    """The provider's discovery document or keys could not be fetched (server trouble, not bad credentials)."""


def looks_like_jwt(value: str) -> bool:
    return value.count(".") == 2


class OidcValidator:
    def __init__(self, settings: OidcSettings, client: Optional[httpx.AsyncClient] = None):
        self.settings = settings
        self._client = client
        self._keys: Dict[str, Tuple[jwt.PyJWK, Dict[str, Any]]] = {}
        self._issuer: Optional[str] = settings.issuer
        self._jwks_uri: Optional[str] = None
        self._fetched_at: Optional[float] = None
        self._last_refresh: float = float("-inf")
        self._lock = asyncio.Lock()
        self.refreshes = 0

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.settings.http_timeout, follow_redirects=False)
        return self._client

    async def _get_json(self, url: str) -> Any:
        try:
            response = await self._http().get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(f"GET {url}: {type(exc).__name__}: {exc}") from None

    async def _refresh(self) -> None:
        """Fetch the discovery document (until it succeeded once) and the JWKS."""
        self._last_refresh = time.monotonic()
        if self._jwks_uri is None:
            discovery = await self._get_json(self.settings.discovery_url)
            if not isinstance(discovery, dict) or not discovery.get("jwks_uri") or not discovery.get("issuer"):
                raise ProviderUnavailable("discovery document without issuer or jwks_uri")
            self._jwks_uri = discovery["jwks_uri"]
            if self._issuer is None:
                self._issuer = discovery["issuer"]
        document = await self._get_json(self._jwks_uri)
        keys: Dict[str, Tuple[jwt.PyJWK, Dict[str, Any]]] = {}
        for entry in (document.get("keys") or []) if isinstance(document, dict) else []:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig" or not entry.get("kid"):
                continue
            try:
                keys[entry["kid"]] = (jwt.PyJWK(entry), entry)
            except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
                log.warning("JWKS key %s skipped: %s", entry.get("kid"), exc)
        self._keys = keys
        self._fetched_at = time.monotonic()
        self.refreshes += 1
        log.info("JWKS loaded: %d key(s)", len(keys))

    async def _ensure_keys(self) -> None:
        stale = self._fetched_at is None or time.monotonic() - self._fetched_at > self.settings.jwks_max_age
        if not stale:
            return
        async with self._lock:
            stale = self._fetched_at is None or time.monotonic() - self._fetched_at > self.settings.jwks_max_age
            if stale:
                try:
                    await self._refresh()
                except ProviderUnavailable:
                    if self._fetched_at is None:
                        raise
                    log.warning("JWKS refresh failed; keeping the cached keys")

    async def _key_for(self, kid: Optional[str], alg: str) -> Tuple[jwt.PyJWK, Dict[str, Any]]:
        await self._ensure_keys()
        if kid is None:
            fitting = [k for k in self._keys.values() if _fits(*k, alg)]
            if len(fitting) != 1:
                raise TokenRejected("token without kid and no single key for its algorithm")
            return fitting[0]
        if kid not in self._keys:
            async with self._lock:
                if kid not in self._keys and time.monotonic() - self._last_refresh >= self.settings.jwks_refresh_interval:
                    try:
                        await self._refresh()
                    except ProviderUnavailable as exc:
                        log.warning("JWKS refresh for an unknown kid failed: %s", exc)
            if kid not in self._keys:
                raise TokenRejected("unknown kid")
        return self._keys[kid]

    async def validate(self, token: str) -> Dict[str, Any]:
        """The token's claims, or ``TokenRejected`` / ``ProviderUnavailable``."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRejected("malformed token") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.settings.algorithms:
            raise TokenRejected(f"algorithm {alg!r} not accepted")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise TokenRejected("kid is not a string")
        key, data = await self._key_for(kid, alg)
        if not _fits(key, data, alg):
            raise TokenRejected("algorithm does not fit the key")
        try:
            claims = jwt.decode(
                token, key.key, algorithms=[alg], audience=self.settings.audience, issuer=self._issuer,
                leeway=self.settings.clock_skew, options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise TokenRejected(type(exc).__name__) from None
        scope = self.settings.required_scope
        if scope and scope not in _scopes(claims):
            raise TokenRejected("required scope missing")
        return claims


def _fits(key: jwt.PyJWK, data: Dict[str, Any], alg: str) -> bool:
    """Whether a JWK may verify ``alg``: right key type, its own ``alg`` (if any) equal, right curve."""
    if data.get("alg") not in (None, alg):
        return False
    if _KEY_TYPES.get(alg[:2]) != key.key_type:
        return False
    return alg not in _CURVES or data.get("crv") == _CURVES[alg]


def _scopes(claims: Dict[str, Any]) -> set:
    found = set()
    scope = claims.get("scope")
    if isinstance(scope, str):
        found.update(scope.split())
    scp = claims.get("scp")
    if isinstance(scp, list):
        found.update(s for s in scp if isinstance(s, str))
    elif isinstance(scp, str):
        found.update(scp.split())
    return found
