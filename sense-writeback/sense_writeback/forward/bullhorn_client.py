"""Bullhorn REST calls for the forwarder, on source-ats's OAuth + REST login.

Authentication is ``source_ats.components.BullhornSession`` (one implementation of Bullhorn's
OAuth refresh-token grant, headless authorize and REST login): this module only changes where a
rotated refresh token goes — into a state file (mode 0600, replaced atomically) instead of an
Airbyte control message, read back at the next start. Tokens never reach a log or an error
message: errors name the call and the status, never a URL with its query string.

``call`` retries what may succeed later: 429 (after ``Retry-After`` or exponential backoff),
5xx, connection errors and timeouts, and 401 (the session expired: log in again, then retry).
Anything else is ``Permanent`` (Bullhorn refused the request: a 400 naming fields, a 404).
"""
from __future__ import annotations

import json
import logging
import os
import random
import tempfile
import time
from typing import Any, Callable, Dict, Optional

import requests

log = logging.getLogger("sense_writeback.forward")


class Permanent(Exception):
    """Bullhorn refused the request; retrying the same request cannot succeed."""

    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class Unreachable(Exception):
    """Bullhorn kept failing transiently for ``max_attempts`` (the item stays first in line)."""


class AuthFailed(Exception):
    """Bullhorn refused the configured credentials (a configuration problem; the forwarder stops)."""


def _session_class():
    from source_ats.components import BullhornSession  # imports airbyte_cdk (~2 s): only when forwarding

    class PersistedSession(BullhornSession):
        """``BullhornSession`` whose rotated refresh token is written to ``state_file``."""

        state_file: Optional[str] = None

        def _persist_refresh_token(self) -> None:
            if self.state_file:
                write_state(self.state_file, {"refresh_token": self.refresh_token})
            log.info("Bullhorn issued a new refresh token; saved to the forwarder's state file.")

    return PersistedSession


def read_state(path: str) -> Dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def write_state(path: str, data: Dict[str, Any]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".bullhorn-state-", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class BullhornClient:
    def __init__(self, credentials: Dict[str, Any], auth_base_url: str, rest_login_url: str, state_file: str,
                 max_attempts: int = 10, backoff: float = 0.5, max_backoff: float = 30.0, timeout: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep):
        config = dict(credentials)
        saved = read_state(state_file).get("refresh_token")
        if saved:
            config["refresh_token"] = saved  # the newest one: the configured one may be spent
        session_class = _session_class()
        self.session = session_class(config, auth_base_url, rest_login_url)
        self.session.state_file = state_file
        self.http = requests.Session()
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.sleep = sleep
        self.retries: Dict[str, int] = {"429": 0, "5xx": 0, "401": 0, "network": 0}

    def _rest(self, rejected: Optional[str] = None):
        """``(BhRestToken, restUrl)``, after a new login when ``rejected`` (the token Bullhorn refused)."""
        from airbyte_cdk.models import FailureType
        from airbyte_cdk.utils.traced_exception import AirbyteTracedException

        try:
            if rejected is not None:
                self.session.renew(rejected)
            return self.session.current()
        except AirbyteTracedException as exc:
            if exc.failure_type == FailureType.config_error:
                raise AuthFailed(exc.message) from None
            raise Unreachable(f"Bullhorn login failed: {exc.message}") from None

    def call(self, method: str, path: str, body: Any = None, params: Optional[Dict[str, Any]] = None,
             idempotent: bool = True) -> Dict[str, Any]:
        """The JSON answer of ``method restUrl/path``; retries transient failures (see module doc).

        ``idempotent=False`` (a create): a network error or 5xx may have created it, so it is not
        resent here; ``Unreachable`` is raised and the caller checks before trying again."""
        delay = self.backoff
        problem = ""
        for attempt in range(1, self.max_attempts + 1):
            token, rest_url = self._rest()
            try:
                response = self.http.request(method, rest_url + path, json=body, params=params,
                                             headers={"BhRestToken": token}, timeout=self.timeout)
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}"
                self.retries["network"] += 1
                if not idempotent:
                    raise Unreachable(f"Bullhorn {method} {path.split('?')[0]}: {problem}; the outcome is unknown")
            else:
                status = response.status_code
                if status < 300:
                    try:
                        answer = response.json()
                    except ValueError:
                        answer = {}
                    return answer if isinstance(answer, dict) else {"data": answer}
                if status == 401:
                    self.retries["401"] += 1
                    problem = "HTTP 401 (session expired)"
                    self._rest(rejected=token)
                    continue  # a new session, at once
                if status == 429:
                    self.retries["429"] += 1
                    problem = "HTTP 429"
                    retry_after = response.headers.get("Retry-After")
                    if retry_after and retry_after.isdigit():
                        delay = max(delay, float(retry_after))
                elif status >= 500:
                    self.retries["5xx"] += 1
                    problem = f"HTTP {status}"
                    if not idempotent:
                        raise Unreachable(f"Bullhorn {method} {path.split('?')[0]}: {problem}; the outcome is unknown")
                else:
                    raise Permanent(status, _error_message(response))
            if attempt < self.max_attempts:
                log.info("Bullhorn %s %s failed (%s); retrying in %.1f s", method, path.split("?")[0], problem, delay)
                self.sleep(delay * (0.5 + random.random() / 2))
                delay = min(delay * 2, self.max_backoff)
        raise Unreachable(f"Bullhorn {method} {path.split('?')[0]} failed {self.max_attempts} times ({problem})")


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        return str(body.get("errorMessage") or body.get("message") or body)[:500]
    return str(body)[:300]
