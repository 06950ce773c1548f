"""Registered OAuth2 clients and the authentication of a token request.

A client authenticates with HTTP Basic (``client_secret_basic``) or with ``client_id`` and
``client_secret`` form fields (``client_secret_post``); both are compared in constant time.
"""
from __future__ import annotations

import base64
import binascii
import hmac
from typing import Dict, Iterable, Optional, Tuple
from urllib.parse import unquote_plus

DEFAULT_CLIENT = ("sandbox-client", "sandbox-secret")


def parse_client(text: str) -> Tuple[str, str]:
    """``ID:SECRET`` → ``(id, secret)``; the id must not be empty."""
    client_id, sep, secret = text.partition(":")
    if not sep or not client_id or not secret:
        raise ValueError("a client is ID:SECRET with both parts non-empty")
    return client_id, secret


class Clients:
    def __init__(self, clients: Iterable[Tuple[str, str]]):
        self._secrets: Dict[str, str] = dict(clients)

    def ids(self):
        return sorted(self._secrets)

    def authenticate(self, authorization: Optional[str], form: Dict[str, str]) -> Tuple[Optional[str], str]:
        """``(client_id, method)`` for valid credentials, else ``(None, reason)``.

        The reason never contains the presented secret.
        """
        if authorization and authorization[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None, "malformed Basic credentials"
            client_id, sep, secret = decoded.partition(":")
            if not sep:
                return None, "malformed Basic credentials"
            # RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding.
            client_id, secret, method = unquote_plus(client_id), unquote_plus(secret), "client_secret_basic"
        elif "client_id" in form and "client_secret" in form:
            client_id, secret, method = form["client_id"], form["client_secret"], "client_secret_post"
        else:
            return None, "no client credentials (use HTTP Basic or client_id and client_secret form fields)"
        expected = self._secrets.get(client_id)
        # Compare against something even for an unknown id, so timing does not tell ids apart.
        ok = hmac.compare_digest((expected or "\0").encode(), secret.encode()) and expected is not None
        if not ok:
            return None, "unknown client or wrong secret"
        return client_id, method
