"""Custom components for the Bullhorn declarative source (source-ats).

The declarative framework cannot express Bullhorn's two-step authentication on its own:

1. OAuth 2.0 gives an access token (refresh-token grant; single-use refresh tokens that rotate on
   every refresh, optionally bootstrapped by the headless authorize call with username/password);
2. the REST login exchanges that access token for a session key (`BhRestToken`) and a
   data-centre specific `restUrl` that every later call must use.

`BullhornSession` does both, once per process and connection, thread-safely, and persists each
rotated refresh token through the CDK's CONNECTOR_CONFIG control message. `BullhornAuthenticator`
puts the session key on requests and renews the session when the API answers 401
(the manifest's error handler then retries the request with the new session). `BullhornRequester` takes its
`url_base` from the session's `restUrl`.

Change-event mode (`BullhornChangeEventRetriever`, `ChangeEventFeed`) reads the entity streams through
Bullhorn's event subscription: its destructive reads, re-gets by requestId and a checkpoint per stream
have no declarative counterpart (see docs/source-ats.md, "Change events").

Two components exist for throughput only (see docs/source-ats.md, "Throughput"):
`BullhornRecordExtractor` replaces the CDK's DpathExtractor, whose `dpath.get` walks every leaf of
the response to find one top-level key; `BullhornOffsetIncrement` evaluates the configured page size
once, where the CDK's OffsetIncrement decodes every response a second time to evaluate it.

This file is self-contained (only the CDK, requests and urllib3 are imported): the CDK's
`source-declarative-manifest` and standard tests load it as a standalone `components` module.
"""
# No `from __future__ import annotations`: the CDK exec()s this file as a module that is not yet in
# sys.modules, and dataclasses must then see real (not string) InitVar annotations.
import logging
import threading
import time
from dataclasses import InitVar, dataclass
from typing import Any, Dict, Iterable, List, Mapping, MutableMapping, Optional, Tuple, Union
from urllib.parse import parse_qs, urlsplit

import orjson
import requests
from urllib3.exceptions import InvalidHeader
from urllib3.util.retry import Retry

from airbyte_cdk.config_observation import emit_configuration_as_airbyte_control_message
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.auth.declarative_authenticator import DeclarativeAuthenticator
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.declarative.requesters.http_requester import HttpRequester
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.offset_increment import OffsetIncrement
from airbyte_cdk.sources.declarative.requesters.request_options.interpolated_request_options_provider import (
    InterpolatedRequestOptionsProvider,
)
from airbyte_cdk.sources.types import StreamSlice, StreamState
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

logger = logging.getLogger("airbyte")
_RETRY_AFTER_PARSER = Retry(0)

DEFAULT_AUTH_BASE_URL = "https://auth.bullhornstaffing.com/oauth"
DEFAULT_REST_LOGIN_URL = "https://rest.bullhornstaffing.com/rest-services"
# Renew the access token a little before Bullhorn says it expires.
ACCESS_TOKEN_MARGIN_SECONDS = 30.0
AUTH_HTTP_TIMEOUT = (10, 60)
AUTH_MAX_ATTEMPTS = 5
SPENT_REFRESH_TOKEN_MESSAGE = (
    "Bullhorn rejected the refresh token: it was already used or revoked (refresh tokens are single use). "
    "The refresh token must be renewed: re-authorize the connection to get a new one, or configure "
    "username and password for headless authorization."
)


def _config_error(message: str) -> AirbyteTracedException:
    return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)


def _transient_error(message: str) -> AirbyteTracedException:
    return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.transient_error)


def _remember_secret(value: Optional[str]) -> None:
    """Make the CDK's log filter mask a secret obtained at runtime."""
    if value:
        add_to_secrets(str(value))


class BullhornSession:
    """OAuth token + REST session for one Bullhorn connection, shared by every stream.

    Thread-safe: the concurrent declarative source calls it from several worker threads.
    """

    def __init__(self, config: MutableMapping[str, Any], auth_base_url: str, rest_login_url: str,
                 api_version: str = "*", session_ttl_minutes: Optional[int] = None):
        self._config = config
        self.auth_base_url = auth_base_url.rstrip("/")
        self.rest_login_url = rest_login_url.rstrip("/")
        self.api_version = api_version or "*"
        self.session_ttl_minutes = session_ttl_minutes
        self.client_id = str(config.get("client_id") or "")
        self.client_secret = str(config.get("client_secret") or "")
        self.username = config.get("username") or None
        self.password = config.get("password") or None
        self.redirect_uri = config.get("redirect_uri") or None
        self.refresh_token: Optional[str] = config.get("refresh_token") or None
        self.access_token: Optional[str] = None
        self.access_token_expires_at = 0.0
        # (BhRestToken, restUrl) replaced as one tuple, so readers never mix two sessions.
        self._rest: Optional[Tuple[str, str]] = None
        self.old_rest_urls: set = set()
        self.renewals = 0
        # The message of a config error from obtaining tokens: raised again without a request.
        self._auth_failure: Optional[str] = None
        self._lock = threading.RLock()
        self._http = requests.Session()
        for secret in (self.client_secret, self.refresh_token, self.password):
            _remember_secret(secret)

    # ---------------------------------------------------------------- public
    def current(self) -> Tuple[str, str]:
        """Return (BhRestToken, restUrl), logging in first if needed."""
        rest = self._rest
        if rest is not None:
            return rest
        with self._lock:
            if self._rest is None:
                self._login()
            assert self._rest is not None
            return self._rest

    @property
    def rest_token(self) -> Optional[str]:
        return self._rest[0] if self._rest else None

    @property
    def rest_url(self) -> Optional[str]:
        return self._rest[1] if self._rest else None

    def renew(self, rejected_token: Optional[str]) -> None:
        """Replace a session the API rejected (401). No-op if another thread already did it."""
        with self._lock:
            if rejected_token is not None and self.rest_token is not None and rejected_token != self.rest_token:
                return
            logger.info("Bullhorn REST session rejected or expired; logging in again.")
            if self._rest is not None:
                self.old_rest_urls.add(self._rest[1])
            self._rest = None
            self.renewals += 1
            self._login()

    # ---------------------------------------------------------------- OAuth
    def _access_token_valid(self) -> bool:
        return bool(self.access_token) and time.time() < self.access_token_expires_at - ACCESS_TOKEN_MARGIN_SECONDS

    def _obtain_access_token(self) -> None:
        """A new access token: the refresh-token grant, else (or after it) headless authorization.

        A refresh token Bullhorn rejected is spent (single use): it is never sent again in this
        process, and a config error raised here is raised again to every later caller (every
        stream of a read) without another request.
        """
        if self._auth_failure is not None:
            raise _config_error(self._auth_failure)
        try:
            self._obtain_access_token_once()
        except AirbyteTracedException as exc:
            if exc.failure_type == FailureType.config_error:
                self._auth_failure = exc.message
            raise

    def _obtain_access_token_once(self) -> None:
        if self.refresh_token:
            status, body = self._token_request({"grant_type": "refresh_token", "refresh_token": self.refresh_token})
            if status == 200:
                self._store_tokens(body)
                return
            if status in (400, 401) and body.get("error") == "invalid_client":
                raise _config_error("Bullhorn rejected the OAuth client_id/client_secret.")
            self.refresh_token = None  # spent or revoked: sending it again cannot succeed
            if not (self.username and self.password):
                raise _config_error(SPENT_REFRESH_TOKEN_MESSAGE)
            logger.info("Refresh token rejected by Bullhorn; authorizing again with username/password.")
        elif not (self.username and self.password):
            raise _config_error("Configure a refresh_token, or username and password, to authorize with Bullhorn.")
        code = self._headless_authorize()
        params = {"grant_type": "authorization_code", "code": code}
        if self.redirect_uri:
            params["redirect_uri"] = self.redirect_uri
        status, body = self._token_request(params)
        if status != 200:
            raise _config_error(f"Bullhorn did not exchange the authorization code for tokens (HTTP {status}).")
        self._store_tokens(body)

    def _store_tokens(self, body: Mapping[str, Any]) -> None:
        access = body.get("access_token")
        if not access:
            raise _transient_error("Bullhorn's token endpoint answered without an access_token.")
        _remember_secret(access)
        self.access_token = str(access)
        try:
            expires_in = float(body.get("expires_in") or 600)
        except (TypeError, ValueError):
            expires_in = 600.0
        self.access_token_expires_at = time.time() + expires_in
        new_refresh = body.get("refresh_token")
        if new_refresh and new_refresh != self.refresh_token:
            _remember_secret(new_refresh)
            self.refresh_token = str(new_refresh)
            self._persist_refresh_token()

    def _persist_refresh_token(self) -> None:
        """Emit the rotated refresh token: the old one no longer works once it has been used."""
        try:
            self._config["refresh_token"] = self.refresh_token
        except TypeError:  # an immutable mapping; the control message below is what persists it
            pass
        updated = dict(self._config)  # the full config, as the CDK's own OAuth authenticators emit it
        updated["refresh_token"] = self.refresh_token
        emit_configuration_as_airbyte_control_message(updated)
        logger.info("Bullhorn issued a new refresh token; emitted the updated connector config.")

    def _headless_authorize(self) -> str:
        params = {
            "client_id": self.client_id,
            "response_type": "code",
            "action": "Login",
            "username": self.username,
            "password": self.password,
        }
        if self.redirect_uri:
            params["redirect_uri"] = self.redirect_uri
        response = self._send("GET", f"{self.auth_base_url}/authorize", params=params, allow_redirects=False,
                              what="OAuth authorize")
        location = response.headers.get("Location") or ""
        code = parse_qs(urlsplit(location).query).get("code", [None])[0] if location else None
        if not code:
            if response.status_code == 400:
                raise _config_error("Bullhorn rejected the OAuth client_id on the authorize call.")
            raise _config_error("Bullhorn did not issue an authorization code: check username and password "
                                "(and that the API user has accepted the terms of service).")
        _remember_secret(code)
        return str(code)

    def _token_request(self, params: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
        data = dict(params, client_id=self.client_id, client_secret=self.client_secret)
        response = self._send("POST", f"{self.auth_base_url}/token", data=data, what="OAuth token")
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 500:
            raise _transient_error(f"Bullhorn's OAuth token endpoint failed with HTTP {response.status_code}.")
        return response.status_code, body if isinstance(body, dict) else {}

    # ---------------------------------------------------------------- REST login
    def _login(self) -> None:
        refreshed = False
        if not self._access_token_valid():
            self._obtain_access_token()
            refreshed = True
        for _ in range(2):
            params: Dict[str, Any] = {"version": self.api_version, "access_token": self.access_token}
            if self.session_ttl_minutes:
                params["ttl"] = self.session_ttl_minutes
            response = self._send("POST", f"{self.rest_login_url}/login", params=params, what="REST login")
            if response.status_code == 200:
                body = response.json()
                token, url = body.get("BhRestToken"), body.get("restUrl")
                if not token or not url:
                    raise _transient_error("Bullhorn's REST login answered without BhRestToken/restUrl.")
                _remember_secret(token)
                self._rest = (str(token), str(url) if str(url).endswith("/") else f"{url}/")
                logger.info("Logged in to the Bullhorn REST API.")
                return
            if response.status_code in (400, 401, 403) and not refreshed:
                # The access token was rejected (expired or revoked early): get a new one once.
                self.access_token = None
                self._obtain_access_token()
                refreshed = True
                continue
            if response.status_code < 500:
                raise _config_error(f"Bullhorn's REST login rejected the OAuth access token (HTTP {response.status_code}).")
            raise _transient_error(f"Bullhorn's REST login failed with HTTP {response.status_code}.")
        raise _config_error("Bullhorn's REST login rejected a freshly issued access token.")

    # ---------------------------------------------------------------- HTTP
    def _send(self, method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
        """Send an auth request; retry 429/5xx/connection errors; never echo URLs (they carry secrets)."""
        delay = 1.0
        last_problem = ""
        for attempt in range(1, AUTH_MAX_ATTEMPTS + 1):
            try:
                response = self._http.request(method, url, timeout=AUTH_HTTP_TIMEOUT, **kwargs)
            except requests.RequestException as exc:
                last_problem = type(exc).__name__
            else:
                if response.status_code != 429 and response.status_code < 500:
                    return response
                last_problem = f"HTTP {response.status_code}"
                if attempt == AUTH_MAX_ATTEMPTS:
                    return response
            logger.info(f"Bullhorn {what} call failed ({last_problem}); retrying (attempt {attempt}).")
            time.sleep(delay)
            delay = min(delay * 2, 16.0)
        raise _transient_error(f"Bullhorn {what} call failed after {AUTH_MAX_ATTEMPTS} attempts ({last_problem}).")


_SESSIONS: Dict[Tuple[Any, ...], BullhornSession] = {}
_SESSIONS_LOCK = threading.Lock()


def get_session(config: MutableMapping[str, Any], auth_base_url: str, rest_login_url: str, api_version: str,
                session_ttl_minutes: Optional[int]) -> BullhornSession:
    """One session per connection and process: every stream shares the token and rotation."""
    key = (
        auth_base_url.rstrip("/"), rest_login_url.rstrip("/"), config.get("client_id"),
        config.get("client_secret"), config.get("username"), config.get("password"),
    )
    with _SESSIONS_LOCK:
        session = _SESSIONS.get(key)
        if session is None:
            session = BullhornSession(config, auth_base_url, rest_login_url, api_version, session_ttl_minutes)
            _SESSIONS[key] = session
        return session


def _eval(value: Optional[str], config: Mapping[str, Any], parameters: Mapping[str, Any], default: str) -> str:
    if value is None or value == "":
        return default
    evaluated = InterpolatedString.create(str(value), parameters=parameters).eval(config)
    return str(evaluated) if evaluated not in (None, "", "None") else default


@dataclass
class BullhornAuthenticator(DeclarativeAuthenticator):
    """Puts the Bullhorn session key on every request; renews the session on 401."""

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    auth_base_url: Optional[str] = None
    rest_login_url: Optional[str] = None
    api_version: Optional[str] = "*"
    session_ttl_minutes: Optional[Union[int, str]] = None

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        auth_base_url = _eval(self.auth_base_url, self.config, parameters, DEFAULT_AUTH_BASE_URL)
        rest_login_url = _eval(self.rest_login_url, self.config, parameters, DEFAULT_REST_LOGIN_URL)
        api_version = _eval(self.api_version, self.config, parameters, "*")
        ttl_text = _eval(str(self.session_ttl_minutes) if self.session_ttl_minutes else None, self.config, parameters, "")
        ttl = int(float(ttl_text)) if ttl_text else None
        self._session = get_session(self.config, auth_base_url, rest_login_url, api_version, ttl)  # type: ignore[arg-type]

    @property
    def session(self) -> BullhornSession:
        return self._session

    # AbstractHeaderAuthenticator
    @property
    def auth_header(self) -> str:
        return "BhRestToken"

    @property
    def token(self) -> str:
        token, _ = self._session.current()
        return token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        # Also called again before every retry, so a retried request picks up a renewed session.
        token, rest_url = self._session.current()
        request.headers["BhRestToken"] = token
        # A request prepared against a previous session's restUrl follows the session's move.
        if request.url and not request.url.startswith(rest_url):
            for old in list(self._session.old_rest_urls):
                if request.url.startswith(old):
                    request.url = rest_url + request.url[len(old):]
                    break
        return request

    def get_auth_header(self) -> Mapping[str, Any]:
        token, _ = self._session.current()
        return {"BhRestToken": token}

    # ResponseAwareAuthenticator: the CDK's HttpClient shows us every response.
    def update_from_response(self, request: requests.PreparedRequest, response: requests.Response) -> None:
        """On 401, replace the session the request used (once, whichever thread sees it first).

        The manifest's error handler retries 401s; the retry is re-signed by __call__ with the new
        session. Renewal errors are not raised here (the HttpClient would swallow them): the next
        __call__ logs in again and raises a proper config error if the credentials are bad.
        """
        if response.status_code != 401:
            return
        rejected = request.headers.get("BhRestToken") if request.headers else None
        try:
            self._session.renew(rejected)
        except Exception as exc:  # noqa: BLE001 - see docstring
            logger.warning(f"Could not renew the Bullhorn REST session yet: {type(exc).__name__}")


def retry_after_seconds(value: Optional[str]) -> Optional[float]:
    """Seconds named by a ``Retry-After`` value (``"3"``, or an HTTP date), by urllib3's parser (the one
    sense-writeback's forwarder uses); None when absent or invalid."""
    if not value:
        return None
    try:
        return max(float(_RETRY_AFTER_PARSER.parse_retry_after(value.strip())), 0.0)
    except (InvalidHeader, ValueError, OverflowError):
        return None


@dataclass
class BullhornBackoffStrategy:
    """Backoff per Bullhorn's guidance: 429 → wait 1 s (or Retry-After); 401 → retry at once with the
    renewed session; other retryable errors → exponential, capped."""

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    rate_limit_seconds: float = 1.0
    max_seconds: float = 60.0

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.rate_limit_seconds = float(self.rate_limit_seconds)
        self.max_seconds = float(self.max_seconds)

    def backoff_time(self, response_or_exception: Any, attempt_count: int) -> Optional[float]:
        status = getattr(response_or_exception, "status_code", None)
        if status == 401:
            return 0.01  # must be > 0, or the HttpClient falls back to its default backoff
        if status == 429:
            retry_after = response_or_exception.headers.get("Retry-After") if response_or_exception.headers else None
            wait = retry_after_seconds(retry_after)
            return max(wait, 0.01) if wait is not None else self.rate_limit_seconds
        return min(float(2 ** max(attempt_count, 1)), self.max_seconds)


class _Put:
    """`http_method: PUT` (Bullhorn subscribes with PUT; the CDK's HttpMethod has no PUT, and its HTTP
    client only reads the method's `value`)."""

    value = "PUT"


@dataclass
class BullhornRequester(HttpRequester):
    """HttpRequester whose url_base is the `restUrl` of the current Bullhorn REST session."""

    request_parameters: Optional[Mapping[str, Any]] = None
    request_headers: Optional[Mapping[str, Any]] = None

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        if self.request_options_provider is None and (self.request_parameters or self.request_headers):
            self.request_options_provider = InterpolatedRequestOptionsProvider(
                config=self.config,
                request_parameters=dict(self.request_parameters or {}),
                request_headers=dict(self.request_headers or {}),
                parameters=parameters,
            )
        put = self.http_method == "PUT"
        if put:
            self.http_method = "GET"
        super().__post_init__(parameters)
        if put:
            self._http_method = _Put  # type: ignore[assignment]

    def get_url_base(
        self,
        *,
        stream_state: Optional[StreamState] = None,
        stream_slice: Optional[StreamSlice] = None,
        next_page_token: Optional[Mapping[str, Any]] = None,
    ) -> str:
        authenticator = self.get_authenticator()
        session = getattr(authenticator, "session", None)
        if session is None:
            return super().get_url_base(stream_state=stream_state, stream_slice=stream_slice,
                                        next_page_token=next_page_token)
        _, rest_url = session.current()
        return rest_url


@dataclass
class BullhornRecordExtractor(RecordExtractor):
    """Records at `field_path` (plain keys, no wildcards) of a JSON response.

    Same results as a DpathExtractor with a JsonDecoder: a list at the path yields its items, a
    non-empty object yields itself, anything else (missing key, empty or undecodable body) yields
    nothing; a top-level JSON list is read as one body per item. It parses the body once with orjson and follows the keys directly, instead of
    `dpath.get`, which visits every value of every record on the page.
    """

    field_path: List[str]
    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        path = [str(InterpolatedString.create(str(p), parameters=parameters).eval(self.config)) for p in self.field_path]
        if any("*" in p for p in path):
            raise ValueError("BullhornRecordExtractor does not support wildcards in field_path")
        self._path = path

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        try:
            parsed: Any = orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            logger.warning("Bullhorn answered with a body that is not JSON; no records extracted.")
            return
        for body in parsed if isinstance(parsed, list) else (parsed,):  # a top-level list: each item is a body
            for key in self._path:
                body = body.get(key) if isinstance(body, dict) else None
            if isinstance(body, list):
                yield from body
            elif isinstance(body, dict) and body:
                yield body


@dataclass
class BullhornOffsetIncrement(OffsetIncrement):
    """OffsetIncrement whose (config-interpolated) page size is evaluated once, from the config.

    The CDK's OffsetIncrement re-decodes every response to evaluate an interpolated page size (the
    interpolation may use the response); ours depends only on the config. With an int page size
    the strategy stops, as before, on a page shorter than the page size actually requested.

    ``extractor`` has a default: the CDK of the image's base (source-declarative-manifest 7.24) declares
    it without one and passes none to a custom strategy; with none, the page's record count is used.
    """

    extractor: Optional[RecordExtractor] = None

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        if self._page_size is not None and not isinstance(self.page_size, int):
            self.page_size = int(str(self._page_size.eval(self.config)).strip())


@dataclass
class BullhornPicklistExtractor(RecordExtractor):
    """One record per picklist field of a ``meta/{Entity}`` answer: ``{entity, field_name, label, values}``.

    ``values`` are the field's options as ``[{label, value}]`` (Bullhorn's ``options`` in their
    order); fields without options are not picklists and yield nothing. Records carry Bullhorn's
    entity and field names; destination-sense's ``bullhorn`` preset maps them onto Sense's.
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        try:
            body: Any = orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            logger.warning("Bullhorn answered meta with a body that is not JSON; no picklists extracted.")
            return
        if not isinstance(body, dict):
            return
        entity = body.get("entity")
        for field in body.get("fields") or []:
            if not isinstance(field, dict) or not isinstance(field.get("options"), list):
                continue
            values = [
                {"label": option.get("label"), "value": option.get("value")}
                for option in field["options"]
                if isinstance(option, dict)
            ]
            yield {"entity": entity, "field_name": field.get("name"), "label": field.get("label"), "values": values}


# --------------------------------------------------------------------------- change events
#: The Airbyte CDC column of a deleted record (set: the destination marks the entity `is_deleted`).
CDC_DELETED_FIELD = "_ab_cdc_deleted_at"
#: Where a stream's state keeps its change-event checkpoint, next to its `dateLastModified`.
CHECKPOINT_KEY = "change_events"
#: Most ids one fetch asks for (Bullhorn's query `count` maximum).
MAX_IDS_PER_CALL = 500
#: A window read when the subscription is lost starts this long before the last read of events
#: (covers a clock difference between this machine and Bullhorn).
FALLBACK_MARGIN_MS = 5 * 60 * 1000


class SubscriptionUnusable(Exception):
    """The checkpoint cannot be continued from the subscription: read a dateLastModified window instead."""


class ChangeEventFeed:
    """One Bullhorn event subscription as one sync sees it, shared by the ten entity streams.

    Bullhorn's read is destructive: `GET event/subscription/{id}?maxEvents=N` hands out queued events
    once, numbered by a `requestId`; only `…&requestId=R` gets batch R again, while Bullhorn retains it.
    So the feed reads the new batches once per sync (the first stream to ask triggers it) and keeps
    them; a stream whose checkpoint (the last request id it fully emitted) is older than the batches
    read now re-gets the ones in between by request id (a sync that died after reading them).
    Calls: one read per `max_events` events (at least one), `lastRequestId` when the first read is
    empty, plus a re-get per batch a stream is missing.
    """

    def __init__(self, subscription_id: str, max_events: int, max_reads: int, event_get: Any, event_put: Any,
                 entities: Tuple[str, ...] = ()):
        self.subscription_id = subscription_id
        self.entities = entities  # the names the subscription covers
        self.max_events = max_events
        self.max_reads = max_reads
        self._get = event_get
        self._put = event_put
        self._lock = threading.Lock()
        self._prepared = False
        self.lost: Optional[str] = None  # why the subscription could not be continued (it was created again)
        self.start_request_id = 0  # the last request id read before this sync
        self.batches: Dict[int, List[Mapping[str, Any]]] = {}
        self.read_at = 0  # when this sync read the new events (epoch ms): changes after it are in later batches

    @property
    def path(self) -> str:
        return f"event/subscription/{self.subscription_id}"

    @property
    def last_request_id(self) -> int:
        """The last request id read by this sync (or before it): a complete stream's new checkpoint."""
        return max(self.batches, default=self.start_request_id)

    def prepare(self) -> None:
        """Read the new events once (creating the subscription when it does not exist)."""
        with self._lock:
            if self._prepared:
                return
            self.read_at = int(time.time() * 1000)
            response = self._send(self._get, self.path, {"maxEvents": self.max_events})
            if response.status_code == 404:
                self.lost = f"subscription {self.subscription_id!r} does not exist (first run, expired or deleted)"
                self._subscribe()
            else:
                body = _json(response)
                if body.get("requestId") is None:
                    last = self._send(self._get, f"{self.path}/lastRequestId", {})
                    if last.status_code == 404:
                        self.lost = f"subscription {self.subscription_id!r} disappeared"
                        self._subscribe()
                    else:
                        self.start_request_id = int(_json(last).get("result") or 0)
                else:
                    self.start_request_id = int(body["requestId"]) - 1
                    self._keep(body)
                    reads = 1
                    while len(body.get("events") or []) >= self.max_events and reads < self.max_reads:
                        body = _json(self._send(self._get, self.path, {"maxEvents": self.max_events}))
                        reads += 1
                        if body.get("requestId") is None:
                            break
                        self._keep(body)
            self._prepared = True
            events = sum(len(b) for b in self.batches.values())
            logger.info(f"Change events: subscription {self.subscription_id!r}, {events} new event(s) in "
                        f"{len(self.batches)} batch(es) after request id {self.start_request_id}.")

    def events_after(self, request_id: int) -> List[Mapping[str, Any]]:
        """Every event of the batches after `request_id`, in order, re-getting missing batches."""
        self.prepare()
        if self.lost:
            raise SubscriptionUnusable(self.lost)
        if request_id > self.start_request_id:
            raise SubscriptionUnusable(f"the checkpoint's request id {request_id} is beyond the subscription's "
                                       f"last one ({self.start_request_id}): it was created again")
        missing = range(request_id + 1, self.start_request_id + 1)
        if len(missing) > self.max_reads:
            raise SubscriptionUnusable(f"{len(missing)} batches to re-get (more than {self.max_reads})")
        with self._lock:
            for rid in missing:
                if rid in self.batches:
                    continue
                response = self._send(self._get, self.path, {"maxEvents": self.max_events, "requestId": rid})
                if response.status_code == 404:
                    raise SubscriptionUnusable(f"batch {rid} is no longer retained by Bullhorn")
                self._keep(_json(response), rid)
            return [e for rid in sorted(self.batches) if rid > request_id for e in self.batches[rid]]

    def _subscribe(self) -> None:
        answer = self._send(self._put, self.path, {"type": "entity", "names": ",".join(self.entities),
                                                   "eventTypes": "INSERTED,UPDATED,DELETED"})
        if answer.status_code != 200:
            raise _transient_error(f"Bullhorn refused the event subscription {self.subscription_id!r} "
                                   f"(HTTP {answer.status_code}).")
        self.start_request_id = int(_json(answer).get("lastRequestId") or 0)
        logger.info(f"Change events: subscribed {self.subscription_id!r} to the ten entities.")

    def _keep(self, body: Mapping[str, Any], request_id: Optional[int] = None) -> None:
        rid = int(body.get("requestId") if body.get("requestId") is not None else request_id or 0)
        self.batches[rid] = [e for e in body.get("events") or [] if isinstance(e, dict)]

    @staticmethod
    def _send(requester: Any, path: str, params: Mapping[str, Any]) -> requests.Response:
        response = requester.send_request(path=path, request_params=dict(params))
        if response is None:
            raise _transient_error(f"Bullhorn gave no answer to {path.split('/')[0]}/… calls.")
        return response


def _json(response: requests.Response) -> Dict[str, Any]:
    try:
        body = orjson.loads(response.content) if response.content else {}
    except orjson.JSONDecodeError:
        raise _transient_error(f"Bullhorn answered HTTP {response.status_code} with a body that is not JSON.")
    if not isinstance(body, dict):
        raise _transient_error(f"Bullhorn answered HTTP {response.status_code} with JSON that is not an object.")
    return body


_FEEDS: Dict[Tuple[str, str], ChangeEventFeed] = {}
_FEEDS_LOCK = threading.Lock()


def feed_for(key: Tuple[str, str], make: Any) -> ChangeEventFeed:
    """The process's feed of one subscription (one read is one process, as Airbyte runs connectors)."""
    with _FEEDS_LOCK:
        feed = _FEEDS.get(key)
        if feed is None:
            feed = _FEEDS[key] = make()
        return feed


def latest_events(events: Iterable[Mapping[str, Any]], entity: str) -> Dict[int, Mapping[str, Any]]:
    """The last event of each changed id of `entity` (an id inserted, updated then deleted is deleted)."""
    last: Dict[int, Mapping[str, Any]] = {}
    unreadable = 0
    for event in events:
        if event.get("entityName") != entity:
            continue
        entity_id = event.get("entityId")
        if isinstance(entity_id, str) and entity_id.isdigit():
            entity_id = int(entity_id)
        if not isinstance(entity_id, int) or isinstance(entity_id, bool):
            unreadable += 1
            continue
        last.pop(entity_id, None)
        last[entity_id] = event
    if unreadable:
        raise _transient_error(f"Bullhorn sent {unreadable} {entity} event(s) without an integer entityId; "
                               "nothing is emitted for them rather than dropping them silently.")
    return last


def deleted_record(record_id: int, at_ms: int) -> Dict[str, Any]:
    """The record of a deleted entity: its id, the deletion time as `dateLastModified` and `_ab_cdc_deleted_at`."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at_ms / 1000)) + f".{at_ms % 1000:03d}Z"
    return {"id": record_id, "dateLastModified": at_ms, CDC_DELETED_FIELD: stamp}


@dataclass
class BullhornChangeEventRetriever:
    """The entity streams' retriever in change-event mode (`replication_method.method: change_events`).

    A stream whose state holds a checkpoint of the subscription (`change_events.request_id`) reads the
    events after it from the shared `ChangeEventFeed`, fetches the changed records `MAX_IDS_PER_CALL` ids
    per call (`POST query/{Entity}` with `id IN (…)`), and emits a deleted record for every id whose
    last event is DELETED or that no longer exists. Without a usable checkpoint (first run, subscription
    expired or re-created, batch no longer retained) it makes sure the subscription exists, then reads
    a dateLastModified window from the stream's cursor, and says so in the log. Either way the stream's
    state gets the new checkpoint when the stream has emitted everything (its partition closes).
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    query_requester: Any
    event_requester: Any
    subscribe_requester: Any
    subscription_id: str = "airbyte-source-ats"
    #: The entities of the one subscription (every entity stream's), comma-separated.
    subscribed_entities: str = ""
    max_events: Union[int, str] = 500
    max_reads: Union[int, str] = 100
    page_size: Union[int, str] = 500
    name: str = ""
    cursor: Any = None

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.entity = str(parameters["entity"])
        self.fields = str(parameters["fields"])
        self._subscription = _eval(str(self.subscription_id), self.config, parameters, "airbyte-source-ats")
        self._max_events = int(_eval(str(self.max_events), self.config, parameters, "500"))
        self._max_reads = int(_eval(str(self.max_reads), self.config, parameters, "100"))
        self._page_size = int(_eval(str(self.page_size), self.config, parameters, "500"))

    # The CDK's Retriever interface (state lives in the stream's cursor).
    def stream_slices(self) -> Iterable[Optional[StreamSlice]]:
        yield None

    @property
    def state(self) -> StreamState:
        return {}

    @state.setter
    def state(self, value: StreamState) -> None:
        pass

    def feed(self) -> ChangeEventFeed:
        return feed_for((self._subscription, str(self.config.get("rest_login_url") or "")), lambda: ChangeEventFeed(
            self._subscription, self._max_events, self._max_reads, self.event_requester, self.subscribe_requester,
            tuple(e.strip() for e in self.subscribed_entities.split(",") if e.strip())))

    def read_records(self, records_schema: Mapping[str, Any], stream_slice: Optional[StreamSlice] = None) -> Iterable[Mapping[str, Any]]:
        feed = self.feed()
        feed.prepare()  # before any window read: the subscription must exist before the window is read
        checkpoint = self._checkpoint()
        try:
            if checkpoint is None:
                raise SubscriptionUnusable("no checkpoint in the stream's state")
            events = feed.events_after(int(checkpoint["request_id"]))
        except SubscriptionUnusable as why:
            since = int(str((stream_slice or {}).get("start_time") or 0)) if stream_slice else 0
            previous = self._cursor_legacy().get(CHECKPOINT_KEY)
            if isinstance(previous, dict) and isinstance(previous.get("read_at"), int):
                # Records fetched after that read may be newer than changes still queued then.
                since = min(since, previous["read_at"] - FALLBACK_MARGIN_MS)
            logger.warning(f"Change events: {self.name}: {why}; reading the dateLastModified window from "
                           f"{since} (epoch ms) instead.")
            yield from self._window(since)
            self._set_checkpoint(feed.start_request_id)
            return
        yield from self._changes(events)
        self._set_checkpoint(feed.last_request_id)

    def _changes(self, events: List[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
        last = latest_events(events, self.entity)
        deleted = {i: e for i, e in last.items() if e.get("entityEventType") == "DELETED"}
        wanted = [i for i in last if i not in deleted]
        for record_id, event in deleted.items():
            yield deleted_record(record_id, int(event.get("eventTimestamp") or 0))
        calls = 0
        for start in range(0, len(wanted), MAX_IDS_PER_CALL):
            chunk = wanted[start:start + MAX_IDS_PER_CALL]
            found = set()
            for record in self._query(f"id IN ({','.join(str(i) for i in chunk)})", len(chunk)):
                found.add(record.get("id"))
                yield record
            calls += 1
            for record_id in chunk:
                if record_id not in found:  # deleted after its last event was queued
                    yield deleted_record(record_id, int(last[record_id].get("eventTimestamp") or 0))
        if last:
            logger.info(f"Change events: {self.name}: {len(last)} changed id(s), {len(deleted)} deleted, "
                        f"{len(wanted)} fetched in {calls} call(s).")

    def _window(self, since: int) -> Iterable[Mapping[str, Any]]:
        """Every record with dateLastModified >= `since`, keyset-paged on (dateLastModified, id)."""
        where = f"dateLastModified>={since}"
        while True:
            page = list(self._query(where, self._page_size, order_by="dateLastModified,id"))
            yield from page
            if len(page) < self._page_size:
                return
            tail = page[-1]
            where = (f"dateLastModified>{tail['dateLastModified']} OR "
                     f"(dateLastModified={tail['dateLastModified']} AND id>{tail['id']})")

    def _query(self, where: str, count: int, order_by: str = "id") -> List[Mapping[str, Any]]:
        response = self.query_requester.send_request(
            path=f"query/{self.entity}", request_params={"fields": self.fields, "count": count, "start": 0,
                                                         "orderBy": order_by},
            request_body_json={"where": where})
        if response is None:
            raise _transient_error(f"Bullhorn gave no answer to query/{self.entity}.")
        data = _json(response).get("data")
        return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []

    def _cursor_legacy(self) -> Dict[str, Any]:
        """The stream state the CDK's cursor re-emits with its `dateLastModified` (keys it does not own are kept)."""
        concurrent = getattr(self.cursor, "_concurrent_state", None)
        if not isinstance(concurrent, dict):
            raise RuntimeError("source-ats: the CDK's cursor no longer keeps a `legacy` state; change events need it")
        legacy = concurrent.get("legacy")
        if not isinstance(legacy, dict):
            legacy = concurrent["legacy"] = {}
        return legacy

    def _checkpoint(self) -> Optional[Mapping[str, Any]]:
        checkpoint = self._cursor_legacy().get(CHECKPOINT_KEY)
        if isinstance(checkpoint, dict) and checkpoint.get("subscription_id") == self._subscription \
                and isinstance(checkpoint.get("request_id"), int):
            return checkpoint
        return None

    def _set_checkpoint(self, request_id: int) -> None:
        self._cursor_legacy()[CHECKPOINT_KEY] = {"subscription_id": self._subscription, "request_id": request_id,
                                                 "read_at": self.feed().read_at}
