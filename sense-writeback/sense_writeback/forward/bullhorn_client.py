"""Bullhorn REST calls for the forwarder: a ``BullhornSession`` (OAuth + REST login) and one ``RetryPolicy``.

``call`` retries what may succeed later, as the policy says: 429 (after ``Retry-After``, seconds or an
HTTP date, or backoff), 5xx, connection errors and timeouts; a 401 (the session expired) logs in again
and retries at once. Anything else is ``Permanent`` (Bullhorn refused the request: a 400 naming fields,
a 404). Tokens never reach a log or an error message: errors name the call and the status, never a URL
with its query string. No Airbyte CDK, no connector: ``requests`` and urllib3's ``Retry-After`` parser.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict, Optional

import requests

from sense_writeback.forward.bullhorn_session import AuthFailed, BullhornSession, Unreachable
from sense_writeback.forward.retry_policy import RetryPolicy

__all__ = ["AuthFailed", "BullhornClient", "Permanent", "Unreachable"]

log = logging.getLogger("sense_writeback.forward")


class Permanent(Exception):
    """Bullhorn refused the request; retrying the same request cannot succeed."""

    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class BullhornClient:
    def __init__(self, credentials: Dict[str, Any], auth_base_url: str, rest_login_url: str, token_file: str,
                 retry: RetryPolicy = RetryPolicy(), timeout: float = 30.0, sleep: Callable[[float], None] = time.sleep):
        self.session = BullhornSession(credentials, auth_base_url, rest_login_url, token_file, sleep=sleep)
        self.http = requests.Session()
        self.retry = retry
        self.timeout = timeout
        self.sleep = sleep
        self.retries: Dict[str, int] = {"429": 0, "5xx": 0, "401": 0, "network": 0}

    def call(self, method: str, path: str, body: Any = None, params: Optional[Dict[str, Any]] = None,
             idempotent: bool = True) -> Dict[str, Any]:
        """The JSON answer of ``method restUrl/path``; retries transient failures (see module doc).

        ``idempotent=False`` (a create): a network error or 5xx may have created it, so it is not
        resent here; ``Unreachable`` is raised and the caller checks before trying again."""
        what = f"Bullhorn {method} {path.split('?')[0]}"
        problem = ""
        for attempt in range(1, self.retry.attempts + 1):
            token, rest_url = self.session.current()
            retry_after = None
            try:
                response = self.http.request(method, rest_url + path, json=body, params=params,
                                             headers={"BhRestToken": token}, timeout=self.timeout)
            except requests.RequestException as exc:
                problem = type(exc).__name__
                self.retries["network"] += 1
                if not idempotent:
                    raise Unreachable(f"{what}: {problem}; the outcome is unknown") from None
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
                    self.session.renew(token)
                    continue  # a new session, at once
                if not self.retry.retries_status(status):
                    raise Permanent(status, _error_message(response))
                problem = f"HTTP {status}"
                if status == 429:  # not processed: safe to send again, even a create
                    self.retries["429"] += 1
                    retry_after = response.headers.get("Retry-After")
                else:
                    self.retries["5xx"] += 1
                    if not idempotent:
                        raise Unreachable(f"{what}: {problem}; the outcome is unknown")
            if attempt < self.retry.attempts:
                wait = self.retry.delay(attempt, retry_after)
                log.info("%s failed (%s); retrying in %.1f s", what, problem, wait)
                self.sleep(wait)
        raise Unreachable(f"{what} failed {self.retry.attempts} times ({problem})")


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        return str(body.get("errorMessage") or body.get("message") or body)[:500]
    return str(body)[:300]


def client_for(settings, credentials: Dict[str, Any]) -> BullhornClient:
    """The forwarder's client as its ``ForwardSettings`` describe it (``forward``, ``replay``, the console's replay)."""
    return BullhornClient(credentials, settings.auth_base_url, settings.rest_login_url, settings.state_file,
                          retry=RetryPolicy(attempts=settings.max_attempts))
