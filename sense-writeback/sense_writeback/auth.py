"""Which credential a request carries and whether it is valid, across every enabled mode.

Modes (the ``auth_mode`` stored with each write-back and the ``mode`` label of the auth-failure
metric): ``query_token`` (pre-shared token in the query parameter), ``header_token`` (pre-shared
token as ``Authorization: Bearer``), ``oauth2`` (a bearer JWT from the customer's OpenID provider).
A request is accepted when one presented credential is valid in an enabled mode; a request with
no credential fails as ``missing``. A bearer value is tried as a pre-shared token first, then, if it
has the shape of a JWT and OAuth2 is enabled, as a JWT.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Mapping, Optional

from sense_writeback.oidc import OidcValidator, ProviderUnavailable, TokenRejected, looks_like_jwt
from sense_writeback.tokens import TokenSet

log = logging.getLogger("sense_writeback.auth")

QUERY_TOKEN = "query_token"
HEADER_TOKEN = "header_token"
OAUTH2 = "oauth2"
MISSING = "missing"


@dataclass(frozen=True)
class AuthResult:
    mode: Optional[str] = None  # the accepted mode; None when refused
    failed_mode: Optional[str] = None  # the mode whose credential was refused (metric label)
    unavailable: bool = False  # the OpenID provider could not be reached: server trouble


class Authenticator:
    def __init__(self, tokens: TokenSet, token_param: str = "token", query: bool = True, header: bool = True,
                 oidc: Optional[OidcValidator] = None):
        self.tokens = tokens
        self.token_param = token_param
        self.query = query and bool(tokens)
        self.header = header and bool(tokens)
        self.oidc = oidc

    async def authenticate(self, query: Mapping[str, str], headers: Mapping[str, str]) -> AuthResult:
        failed: Optional[str] = None
        if self.query:
            value = query.get(self.token_param)
            if value is not None:
                if self.tokens.matches(value):
                    return AuthResult(QUERY_TOKEN)
                failed = QUERY_TOKEN
        bearer = _bearer(headers.get("authorization"))
        if bearer is not None:
            if self.header and self.tokens.matches(bearer):
                return AuthResult(HEADER_TOKEN)
            if self.oidc is not None and looks_like_jwt(bearer):
                try:
                    await self.oidc.validate(bearer)
                    return AuthResult(OAUTH2)
                except TokenRejected as exc:
                    log.info("bearer JWT refused: %s", exc.reason)
                    failed = failed or OAUTH2
                except ProviderUnavailable as exc:
                    log.error("cannot check a bearer JWT, the OpenID provider is unavailable: %s", exc)
                    return AuthResult(unavailable=True, failed_mode=OAUTH2)
            elif self.header:
                failed = failed or HEADER_TOKEN
            elif self.oidc is not None:
                failed = failed or OAUTH2
        elif headers.get("authorization") is not None:
            failed = failed or (HEADER_TOKEN if self.header else OAUTH2 if self.oidc else MISSING)
        return AuthResult(failed_mode=failed or MISSING)


def _bearer(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    scheme, _, credential = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()
