"""The Sense HTTP client: bearer auth, retries, and the API's answers turned into outcomes.

``SenseClient.post_batch`` sends one gzip-compressed JSON array and returns a ``PostOutcome``:
accepted (201), ``too_large`` (413: the caller splits the batch) or ``rejected`` (400 with the
per-entity ``errors``). Everything retryable (429, 5xx, timeouts, dropped connections, a failing
token endpoint) is retried here under the ``RetryPolicy``; a 401 renews the token once.
What cannot be delivered raises ``ConfigError`` or ``TransientError``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple
from urllib.parse import quote

import orjson
import requests
from requests.adapters import HTTPAdapter

from destination_sense.send.auth import TokenProvider
from destination_sense.errors import ConfigError, SenseError, TransientError
from destination_sense.send.retry import RETRYABLE_STATUS, RetryPolicy, parse_retry_after

USER_AGENT = "airbyte-destination-sense"


@dataclass
class EntityError:
    entity_id: Optional[str]
    message: str
    path: List[str] = field(default_factory=list)

    @property
    def index(self) -> Optional[int]:
        """The item position when the path starts with one (``["3", "first_name"]``)."""
        if self.path and str(self.path[0]).isdigit():
            return int(self.path[0])
        return None

    @property
    def field_name(self) -> Optional[str]:
        names = [str(p) for p in self.path if not str(p).isdigit()]
        return names[-1] if names else None


@dataclass
class PostOutcome:
    status: int
    errors: List[EntityError] = field(default_factory=list)
    retries: int = 0
    request_id: Optional[str] = None  # Sense's reference for an accepted request

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    @property
    def too_large(self) -> bool:
        return self.status == 413

    @property
    def rejected(self) -> bool:
        return self.status == 400


def request_id_of(body: bytes) -> Optional[str]:
    """Sense's ``request_id`` from an answer's JSON body, if it has one."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    value = data.get("request_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def parse_entity_errors(body: bytes) -> List[EntityError]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return []
    errors = data.get("errors") if isinstance(data, dict) else None
    out = []
    for item in errors or []:
        if not isinstance(item, dict):
            continue
        entity_id = item.get("entity_id")
        out.append(
            EntityError(
                entity_id=str(entity_id) if entity_id not in (None, "") else None,
                message=str(item.get("message") or "rejected by Sense"),
                path=[str(p) for p in item.get("path") or []],
            )
        )
    return out


class SenseClient:
    def __init__(
        self,
        api_url: str,
        tokens: TokenProvider,
        policy: Optional[RetryPolicy] = None,
        session: Optional[requests.Session] = None,
        log: Callable[[str], None] = lambda message: None,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.api_url = api_url.rstrip("/")
        self.tokens = tokens
        self.policy = policy or RetryPolicy()
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=8, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        session.headers["User-Agent"] = USER_AGENT
        self.session = session
        self.log = log
        self.timeout = timeout
        self.sleep = sleep
        self.clock = clock
        self.retries = 0

    # ------------------------------------------------------------------
    def authenticate(self) -> None:
        """Obtain a token now, retrying a failing token endpoint under the retry policy."""

        def once():
            try:
                self.tokens.get()
            except TransientError as exc:
                return _Retry(str(exc))
            return None

        self._retrying("the token request", once)

    def post_batch(self, collection: str, gzip_body: bytes, description: str = "") -> PostOutcome:
        url = f"{self.api_url}/{collection}"
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        response, retries = self._request("POST", url, headers, gzip_body, description or f"POST /{collection}")
        status = response.status_code
        if status in (200, 201, 202, 204):
            return PostOutcome(status, retries=retries, request_id=request_id_of(response.content))
        if status == 413:
            return PostOutcome(status, retries=retries)
        if status == 400:
            return PostOutcome(400, parse_entity_errors(response.content), retries=retries)
        raise self._unexpected(response, f"POST /{collection}")

    def get_entity(self, collection: str, entity_id: str) -> requests.Response:
        url = f"{self.api_url}/{collection}/{quote(entity_id, safe='')}"
        response, _ = self._request("GET", url, {}, None, f"GET /{collection}/{{id}}")
        return response

    def patch_entity(self, collection: str, entity_id: str, body: bytes) -> requests.Response:
        url = f"{self.api_url}/{collection}/{quote(entity_id, safe='')}"
        response, _ = self._request("PATCH", url, {"Content-Type": "application/json"}, body, f"PATCH /{collection}/{{id}}")
        return response

    def send(self, method: str, url: str, headers: dict, body, what: str) -> Tuple[requests.Response, int]:
        """One request with auth and retries; ``body`` may be a callable giving a fresh body per attempt
        (a stream read from disk). Returns the response and the number of retries."""
        return self._request(method, url, headers, body, what)

    # ------------------------------------------------------------------
    def _unexpected(self, response: requests.Response, what: str) -> SenseError:
        status = response.status_code
        snippet = response.text[:300]
        if status == 404:
            return ConfigError(f"{what} answered 404 at {response.url}: check api_url (expected e.g. https://partner-api.sensehq.com/v1). {snippet}")
        if status in (401, 403):
            return ConfigError(f"{what} answered {status}: the client is not allowed to write this entity. Check the credentials with the Sense team. {snippet}")
        return SenseError(f"{what} answered unexpected HTTP {status}: {snippet}")

    def _retrying(self, what: str, once: Callable[[], object]):
        """Call ``once`` until it returns something other than a ``_Retry``; the one retry loop.

        Returns ``(result, retries)``; raises ``TransientError`` when the policy gives up.
        """
        schedule = self.policy.start(self.clock)
        while True:
            result = once()
            if not isinstance(result, _Retry):
                return result, schedule.retries
            wait = schedule.next_wait(result.status, result.retry_after)
            if wait is None:
                raise TransientError(
                    f"{result.problem}; giving up after {schedule.retries + 1} attempts in {schedule.elapsed:.0f} s: {schedule.why_not}."
                )
            self.retries += 1
            self.log(f"{result.problem}; retry {schedule.retries} in {wait:.1f} s.")
            self.sleep(wait)

    def _request(self, method: str, url: str, headers: dict, body: Optional[bytes], what: str):
        renewed_after_401 = False

        def once():
            nonlocal renewed_after_401
            while True:
                try:
                    token = self.tokens.get()
                except TransientError as exc:  # the token endpoint failed
                    return _Retry(str(exc))
                try:
                    response = self.session.request(
                        method,
                        url,
                        data=body() if callable(body) else body,
                        headers={**headers, "Authorization": f"Bearer {token}"},
                        timeout=self.timeout,
                    )
                except requests.exceptions.InvalidURL as exc:
                    raise ConfigError(f"api_url {self.api_url!r} is not a valid URL.") from exc
                except requests.exceptions.Timeout:
                    return _Retry(f"{what} timed out after {self.timeout:.0f} s")
                except requests.exceptions.ConnectionError as exc:
                    return _Retry(f"{what} could not connect to {self.api_url} ({type(exc).__name__})")
                status = response.status_code
                if status == 401:
                    if renewed_after_401:
                        raise ConfigError(f"{what} answered 401 twice, even with a new token: the credentials are not accepted by the API.")
                    renewed_after_401 = True
                    self.tokens.invalidate(token)
                    self.log(f"{what} answered 401: renewing the access token and retrying once.")
                    continue
                if status not in RETRYABLE_STATUS:
                    return response
                return _Retry(f"{what} answered HTTP {status}", status, parse_retry_after(response.headers.get("Retry-After")))

        return self._retrying(what, once)


@dataclass
class _Retry:
    """What one attempt returns when it should be retried."""

    problem: str
    status: Optional[int] = None
    retry_after: Optional[float] = None


def build_client(config, output=None, policy: Optional[RetryPolicy] = None) -> SenseClient:
    """The client for a ``SenseConfig``: its token provider (new tokens registered as secrets with
    ``output``), its retry policy, and log lines through ``output`` (when given)."""
    policy = policy or RetryPolicy(max_elapsed=config.retry_max_seconds, max_retries=config.max_retries)
    on_token = output.add_secret if output is not None else None
    log = output.info if output is not None else (lambda message: None)
    warn = output.warn if output is not None else (lambda message: None)
    tokens = TokenProvider(config.token_url, config.client_id, config.client_secret, on_new_token=on_token, warn=warn)
    return SenseClient(config.api_url, tokens, policy=policy, log=log)
