"""Bullhorn's two-step login for the forwarder, without the Airbyte CDK.

1. OAuth 2.0: the refresh-token grant (refresh tokens are single use and rotate on every refresh), or
   the headless authorize call with username and password when there is no usable refresh token;
2. the REST login: the access token → a session key (``BhRestToken``) and the data centre's ``restUrl``.

Each rotated refresh token is written to the token file (``{"refresh_token": "…"}``, mode 0600, replaced
atomically and fsynced before it is used) and read back at the next start, so a restart never sends a
spent token. source-ats's ``components.BullhornSession`` does the same for the connector (its image is
manifest-only, so it cannot import this module); ``integration_tests/test_bullhorn_session_parity.py``
holds both to the same behaviour against the Bullhorn emulator.

Secrets never reach a log or an error message: errors name the call and the HTTP status only.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from typing import Any, Dict, Mapping, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

import requests

from sense_writeback.forward.retry_policy import RetryPolicy

log = logging.getLogger("sense_writeback.forward")

ACCESS_TOKEN_MARGIN_SECONDS = 30.0  # renew the access token a little before Bullhorn says it expires
AUTH_TIMEOUT = (10, 60)
AUTH_RETRY = RetryPolicy(attempts=5, backoff=1.0, backoff_max=16.0)
SPENT_REFRESH_TOKEN = ("Bullhorn rejected the refresh token: it was already used or revoked (refresh tokens are "
                       "single use). Re-authorize to get a new one, or configure username and password.")


class AuthFailed(Exception):
    """Bullhorn refused the configured credentials (a configuration problem; the forwarder stops)."""


class Unreachable(Exception):
    """Bullhorn kept failing transiently (the item stays first in line)."""


def read_token_file(path: str) -> Dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def write_token_file(path: str, data: Mapping[str, Any]) -> None:
    """Replace ``path`` atomically with ``data`` as JSON, mode 0600, durable before it returns."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".bullhorn-token-", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(dict(data), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class BullhornSession:
    """OAuth token and REST session of one Bullhorn API user; thread-safe."""

    def __init__(self, credentials: Mapping[str, Any], auth_base_url: str, rest_login_url: str, token_file: str,
                 api_version: str = "*", retry: RetryPolicy = AUTH_RETRY, sleep=time.sleep):
        self.auth_base_url = auth_base_url.rstrip("/")
        self.rest_login_url = rest_login_url.rstrip("/")
        self.token_file = token_file
        self.api_version = api_version
        self.client_id = str(credentials.get("client_id") or "")
        self.client_secret = str(credentials.get("client_secret") or "")
        self.username = credentials.get("username") or None
        self.password = credentials.get("password") or None
        self.redirect_uri = credentials.get("redirect_uri") or None
        # The newest refresh token: the token file's (the configured one may be spent) else the configured one.
        self.refresh_token: Optional[str] = read_token_file(token_file).get("refresh_token") or credentials.get("refresh_token") or None
        self.access_token: Optional[str] = None
        self.access_token_expires_at = 0.0
        self._rest: Optional[Tuple[str, str]] = None  # (BhRestToken, restUrl), replaced as one
        self._auth_failure: Optional[str] = None
        self.renewals = 0
        self.retry = retry
        self.sleep = sleep
        self._lock = threading.RLock()
        self._http = requests.Session()

    def current(self) -> Tuple[str, str]:
        """``(BhRestToken, restUrl)``, logging in first if needed."""
        rest = self._rest
        if rest is not None:
            return rest
        with self._lock:
            if self._rest is None:
                self._login()
            assert self._rest is not None
            return self._rest

    def renew(self, rejected_token: Optional[str]) -> None:
        """Replace a session Bullhorn rejected (401); a no-op when another thread already did."""
        with self._lock:
            if rejected_token is not None and self._rest is not None and rejected_token != self._rest[0]:
                return
            log.info("Bullhorn REST session rejected or expired; logging in again.")
            self._rest = None
            self.renewals += 1
            self._login()

    # ---------------------------------------------------------------- OAuth

    def _obtain_access_token(self) -> None:
        """A new access token; a refused credential is remembered and refused again without a request."""
        if self._auth_failure is not None:
            raise AuthFailed(self._auth_failure)
        try:
            self._obtain_access_token_once()
        except AuthFailed as exc:
            self._auth_failure = str(exc)
            raise

    def _obtain_access_token_once(self) -> None:
        if self.refresh_token:
            status, body = self._token_request({"grant_type": "refresh_token", "refresh_token": self.refresh_token})
            if status == 200:
                return self._store_tokens(body)
            if status in (400, 401) and body.get("error") == "invalid_client":
                raise AuthFailed("Bullhorn rejected the OAuth client_id/client_secret.")
            self.refresh_token = None  # spent or revoked: sending it again cannot succeed
            if not (self.username and self.password):
                raise AuthFailed(SPENT_REFRESH_TOKEN)
            log.info("Refresh token rejected by Bullhorn; authorizing again with username/password.")
        elif not (self.username and self.password):
            raise AuthFailed("Configure a refresh token, or username and password, to authorize with Bullhorn.")
        params = {"grant_type": "authorization_code", "code": self._headless_authorize()}
        if self.redirect_uri:
            params["redirect_uri"] = self.redirect_uri
        status, body = self._token_request(params)
        if status != 200:
            raise AuthFailed(f"Bullhorn did not exchange the authorization code for tokens (HTTP {status}).")
        self._store_tokens(body)

    def _store_tokens(self, body: Mapping[str, Any]) -> None:
        access = body.get("access_token")
        if not access:
            raise Unreachable("Bullhorn's token endpoint answered without an access_token.")
        try:
            expires_in = float(body.get("expires_in") or 600)
        except (TypeError, ValueError):
            expires_in = 600.0
        new_refresh = body.get("refresh_token")
        if new_refresh and new_refresh != self.refresh_token:
            write_token_file(self.token_file, {"refresh_token": str(new_refresh)})  # durable before it is relied on
            self.refresh_token = str(new_refresh)
            log.info("Bullhorn issued a new refresh token; saved to the token file.")
        self.access_token = str(access)
        self.access_token_expires_at = time.time() + expires_in

    def _headless_authorize(self) -> str:
        params = {"client_id": self.client_id, "response_type": "code", "action": "Login",
                  "username": self.username, "password": self.password}
        if self.redirect_uri:
            params["redirect_uri"] = self.redirect_uri
        response = self._send("GET", f"{self.auth_base_url}/authorize", "OAuth authorize", params=params,
                              allow_redirects=False)
        location = response.headers.get("Location") or ""
        code = parse_qs(urlsplit(location).query).get("code", [None])[0] if location else None
        if not code:
            if response.status_code == 400:
                raise AuthFailed("Bullhorn rejected the OAuth client_id on the authorize call.")
            raise AuthFailed("Bullhorn did not issue an authorization code: check username and password "
                             "(and that the API user has accepted the terms of service).")
        return str(code)

    def _token_request(self, params: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
        data = dict(params, client_id=self.client_id, client_secret=self.client_secret)
        response = self._send("POST", f"{self.auth_base_url}/token", "OAuth token", data=data)
        if response.status_code >= 500:
            raise Unreachable(f"Bullhorn's OAuth token endpoint failed with HTTP {response.status_code}.")
        try:
            body = response.json()
        except ValueError:
            body = {}
        return response.status_code, body if isinstance(body, dict) else {}

    # ---------------------------------------------------------------- REST login

    def _login(self) -> None:
        refreshed = False
        if not (self.access_token and time.time() < self.access_token_expires_at - ACCESS_TOKEN_MARGIN_SECONDS):
            self._obtain_access_token()
            refreshed = True
        for _ in range(2):
            response = self._send("POST", f"{self.rest_login_url}/login", "REST login",
                                  params={"version": self.api_version, "access_token": self.access_token})
            if response.status_code == 200:
                body = response.json()
                token, url = body.get("BhRestToken"), body.get("restUrl")
                if not token or not url:
                    raise Unreachable("Bullhorn's REST login answered without BhRestToken/restUrl.")
                self._rest = (str(token), str(url) if str(url).endswith("/") else f"{url}/")
                log.info("Logged in to the Bullhorn REST API.")
                return
            if response.status_code in (400, 401, 403) and not refreshed:
                self.access_token = None  # rejected early (expired or revoked): a new one, once
                self._obtain_access_token()
                refreshed = True
                continue
            if response.status_code < 500:
                raise AuthFailed(f"Bullhorn's REST login rejected the OAuth access token (HTTP {response.status_code}).")
            raise Unreachable(f"Bullhorn's REST login failed with HTTP {response.status_code}.")
        raise AuthFailed("Bullhorn's REST login rejected a freshly issued access token.")

    def _send(self, method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
        """An auth request under ``self.retry``; never echoes a URL (its query carries secrets)."""
        problem = ""
        for attempt in range(1, self.retry.attempts + 1):
            retry_after = None
            try:
                response = self._http.request(method, url, timeout=AUTH_TIMEOUT, **kwargs)
            except requests.RequestException as exc:
                problem = type(exc).__name__
            else:
                if not self.retry.retries_status(response.status_code) or attempt == self.retry.attempts:
                    return response
                problem, retry_after = f"HTTP {response.status_code}", response.headers.get("Retry-After")
            if attempt < self.retry.attempts:
                wait = self.retry.delay(attempt, retry_after)
                log.info("Bullhorn %s call failed (%s); retrying in %.1f s.", what, problem, wait)
                self.sleep(wait)
        raise Unreachable(f"Bullhorn {what} call failed {self.retry.attempts} times ({problem}).")
