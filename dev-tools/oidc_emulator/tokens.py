"""Building and signing JWTs: the token endpoint's access tokens and the admin's test tokens.

Signing goes through PyJWT. Test tokens may be deliberately wrong in one way at a time (expired,
not yet valid, foreign issuer or audience, ``alg: none``, HS256 keyed with the RSA public key
(algorithm confusion), an unknown or missing ``kid``, a key the JWKS never publishes, a broken
signature), so that a receiver's refusals can be tested through real HTTP.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any, Dict, Optional

import jwt

from oidc_emulator.keys import ALGORITHMS, KeyRing, new_key

#: Algorithms a test token may use: the provider's own, plus the two classic attacks.
TEST_ALGORITHMS = ALGORITHMS + ("none", "HS256")


class MintError(ValueError):
    """A test-token request that cannot be honoured (the message names the field)."""


def standard_claims(issuer: str, audience: Optional[str], subject: str, scope: str, lifetime: int,
                    now: Optional[int] = None) -> Dict[str, Any]:
    now = int(time.time()) if now is None else now
    claims: Dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    if audience:
        claims["aud"] = audience
    if scope:
        claims["scope"] = scope
    return claims


def sign(keys: KeyRing, claims: Dict[str, Any], alg: str) -> str:
    """A token signed with the current key of ``alg``, its ``kid`` in the header."""
    key = keys.current(alg)
    return jwt.encode(claims, key.private_key, algorithm=alg, headers={"kid": key.kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _hs256(header: Dict[str, Any], claims: Dict[str, Any], secret: bytes) -> str:
    """HS256 by hand: PyJWT rightly refuses a PEM public key as an HMAC secret, which is the attack."""
    signing_input = ".".join(
        _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def mint(keys: KeyRing, defaults: Dict[str, Any], spec: Dict[str, Any]) -> Dict[str, Any]:
    """A test token from an admin request; returns ``{"token", "kid", "alg", "claims"}``.

    ``spec`` keys (all optional):
      claims      merged over ``defaults`` (iss, aud, sub, iat, nbf, exp, jti, scope); null removes one
      lifetime    seconds from now for ``exp`` (negative: already expired)
      not_before  seconds from now for ``nbf`` (positive: not yet valid)
      alg         RS256 (default), ES256, none, HS256
      kid         header kid; null omits it; default the signing key's kid
      untrusted   sign with a fresh key that no JWKS publishes (default kid: a new unknown one)
      hmac_key    for HS256: "rsa_public_pem" (default; algorithm confusion) or any string
      tamper      flip the signature so that it no longer verifies
      header      extra header fields
    """
    if not isinstance(spec, dict):
        raise MintError("the body must be a JSON object")
    unknown = set(spec) - {"claims", "lifetime", "not_before", "alg", "kid", "untrusted", "hmac_key", "tamper", "header"}
    if unknown:
        raise MintError(f"unknown field(s): {', '.join(sorted(unknown))}")
    alg = spec.get("alg", "RS256")
    if alg not in TEST_ALGORITHMS:
        raise MintError(f"alg must be one of {', '.join(TEST_ALGORITHMS)}, not {alg!r}")
    claims = dict(defaults)
    now = int(time.time())
    for name, field in (("lifetime", "exp"), ("not_before", "nbf")):
        if name in spec:
            if not isinstance(spec[name], int) or isinstance(spec[name], bool):
                raise MintError(f"{name} must be an integer number of seconds")
            claims[field] = now + spec[name]
    extra = spec.get("claims") or {}
    if not isinstance(extra, dict):
        raise MintError("claims must be an object")
    for name, value in extra.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    header_extra = spec.get("header") or {}
    if not isinstance(header_extra, dict):
        raise MintError("header must be an object")

    kid: Optional[str]
    if alg == "none":
        kid = spec.get("kid")
        headers = {"alg": "none", **({"kid": kid} if kid else {}), **header_extra}
        token = jwt.encode(claims, None, algorithm="none", headers=headers)
    elif alg == "HS256":
        rsa_key = keys.current("RS256")
        kid = spec.get("kid", rsa_key.kid)
        hmac_key = spec.get("hmac_key", "rsa_public_pem")
        secret = rsa_key.public_pem() if hmac_key == "rsa_public_pem" else str(hmac_key).encode()
        header = {"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid else {}), **header_extra}
        token = _hs256(header, claims, secret)
    else:
        key = new_key(alg) if spec.get("untrusted") else keys.current(alg)
        kid = spec.get("kid", key.kid)
        headers = {**({"kid": kid} if kid else {}), **header_extra}
        token = jwt.encode(claims, key.private_key, algorithm=alg, headers=headers)
    if spec.get("tamper"):
        head, payload, signature = token.split(".")
        if not signature:
            raise MintError("tamper needs a signed token (alg none has no signature)")
        flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
        token = f"{head}.{payload}.{flipped}"
    return {"token": token, "kid": kid, "alg": alg, "claims": claims}
