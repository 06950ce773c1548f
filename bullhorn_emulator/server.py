"""HTTP server emulating Bullhorn's OAuth server, REST login and `query` endpoints."""
from __future__ import annotations

import base64
import collections
import hashlib
import html
import json
import math
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlencode, urlsplit

from . import files, picklists, writes
from .data import DEFAULT_COUNTS, ENTITY_FIELDS, Store, generate
from .query import QueryError, parse_fields, parse_order_by, parse_where

try:  # orjson is a dependency of the project; fall back to json if absent.
    import orjson

    def _dumps(obj: Any) -> bytes:
        return orjson.dumps(obj)
except ImportError:  # pragma: no cover
    def _dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()

MAX_COUNT = 500
#: Largest `start` and `count` accepted: Bullhorn reads them as 32-bit integers.
MAX_INT_PARAM = 2**31 - 1
#: Largest request body read (the emulator's bodies are small forms and JSON objects).
MAX_BODY_BYTES = 1024 * 1024
CACHE_ENTRIES = 256  # cached query results and projections (FIFO)
DEFAULT_COUNT = 20


@dataclass
class Settings:
    seed: int = 1
    counts: Dict[str, int] = field(default_factory=lambda: dict(DEFAULT_COUNTS))
    client_id: str = "emulator-client-id"
    client_secret: str = "emulator-client-secret-0001"
    username: str = "api.user"
    password: str = "emulator-password-0001"
    redirect_uri: str = "https://localhost/oauth/callback"
    corp_token: str = "e999"
    initial_refresh_token: Optional[str] = "emulator-refresh-token-0001"
    access_token_ttl: float = 600.0  # seconds; Bullhorn's access tokens live 10 minutes
    session_ttl: float = 3600.0  # seconds
    session_max_calls: int = 0  # >0: a session answers 401 after this many REST calls
    throttle_every: int = 0  # >0: every n-th REST call is answered with 429
    rate_limit_per_minute: int = 0  # >0: REST calls beyond this many in 60 s get 429
    latency_ms: float = 0.0  # added to every REST data call
    read_timeout: float = 60.0  # seconds a connection may send nothing (a half-sent request gets a 400)


class BadRequest(Exception):
    """A client error answered with ``status``; ``close`` when the rest of the request cannot be read."""

    def __init__(self, message: str, status: int = 400, close: bool = False):
        super().__init__(message)
        self.status = status
        self.close = close


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_param(params: Dict[str, Any], name: str, default: int) -> int:
    """A non-negative 32-bit integer parameter (query string text or a JSON integer), else QueryError."""
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise QueryError(f"{name} must be an integer, got {value[:40]!r}")
    if not _is_int(value):
        raise QueryError(f"{name} must be an integer")
    if not 0 <= value <= MAX_INT_PARAM:
        raise QueryError(f"{name} must be between 0 and {MAX_INT_PARAM}")
    return value


#: Settings `POST /_admin/config` may change: name -> (type, smallest value, smallest is allowed).
ADMIN_SETTINGS: Dict[str, Tuple[type, float, bool]] = {
    "session_max_calls": (int, 0, True), "throttle_every": (int, 0, True), "rate_limit_per_minute": (int, 0, True),
    "access_token_ttl": (float, 0, False), "session_ttl": (float, 0, False), "latency_ms": (float, 0, True),
}


def _settings_changes(params: Dict[str, Any]) -> Dict[str, Any]:
    """The validated changes of a `POST /_admin/config`; any bad name or value is a 400, nothing changes."""
    changes: Dict[str, Any] = {}
    for key, value in params.items():
        if key not in ADMIN_SETTINGS:
            raise BadRequest(f"unknown setting {key!r}; settings: {', '.join(ADMIN_SETTINGS)}")
        kind, low, inclusive = ADMIN_SETTINGS[key]
        if isinstance(value, str):
            try:
                value = kind(value)
            except ValueError:
                raise BadRequest(f"{key} must be a number, got {value[:40]!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not _is_int(value)):
            raise BadRequest(f"{key} must be {'an integer' if kind is int else 'a number'}")
        if not math.isfinite(value) or value < low or (value == low and not inclusive):
            raise BadRequest(f"{key} must be {'at least' if inclusive else 'greater than'} {low:g}, got {value!r}")
        if value > MAX_INT_PARAM:
            raise BadRequest(f"{key} must be at most {MAX_INT_PARAM}")
        changes[key] = kind(value)
    return changes


class EmulatorState:
    """Everything the emulator knows: data, tokens, sessions, counters. Thread-safe."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.lock = threading.RLock()
        self.store: Store = generate(settings.seed, settings.counts)
        self.attachments = files.seed_attachments(settings.seed, self.store)
        self.fields = {entity: {name for name, _ in spec} for entity, spec in ENTITY_FIELDS.items()}
        self.field_kinds = {entity: dict(spec) for entity, spec in ENTITY_FIELDS.items()}
        self.codes: Dict[str, Tuple[str, float, Optional[str]]] = {}
        self.access_tokens: Dict[str, float] = {}
        self.refresh_tokens: Dict[str, str] = {}  # token -> "valid" | "used"
        self.sessions: Dict[str, Dict[str, Any]] = {}
        self.issued: set = set()  # every credential ever issued (see /_admin/issued-secrets)
        self.touch_counter = 0
        # Sorted query results and compiled `fields` projections, see matching() and projector().
        self._results: Dict[Tuple[str, str, Optional[str]], List[Dict[str, Any]]] = {}
        self._projectors: Dict[Tuple[str, str], Callable[[Dict[str, Any]], Dict[str, Any]]] = {}
        self.rest_calls = 0
        self.rest_call_times: Deque[float] = collections.deque()
        self.stats: Dict[str, Any] = {}
        self.reset_stats()
        if settings.initial_refresh_token:
            self.refresh_tokens[settings.initial_refresh_token] = "valid"

    # ------------------------------------------------------------------ stats
    def reset_stats(self) -> None:
        with self.lock:
            self.stats = {
                "requests": 0,
                "authorize": 0,
                "authorize_code_issued": 0,
                "token_authorization_code": 0,
                "token_refresh": 0,
                "token_refresh_rejected": 0,
                "refresh_token_reuse_rejected": 0,
                "token_errors": 0,
                "rest_login": 0,
                "rest_login_rejected": 0,
                "query_calls": 0,
                "query_by_entity": {},
                "records_served": 0,
                "records_served_by_entity": {},
                "max_count_requested": 0,
                "status_401": 0,
                "status_412": 0,
                "status_429": 0,
                "session_expired_401": 0,
                "max_rest_calls_per_minute": 0,
                "where_clauses": collections.deque(maxlen=50),
            }

    def snapshot_stats(self) -> Dict[str, Any]:
        with self.lock:
            out = dict(self.stats)
            out["where_clauses"] = list(self.stats["where_clauses"])
            out["query_by_entity"] = dict(self.stats["query_by_entity"])
            out["records_served_by_entity"] = dict(self.stats["records_served_by_entity"])
            out["valid_refresh_tokens"] = sum(1 for s in self.refresh_tokens.values() if s == "valid")
            out["active_sessions"] = len(self.sessions)
            out["counts"] = {e: len(r) for e, r in self.store.records.items()}
            return out

    # ------------------------------------------------------------------ tokens
    def new_token(self, prefix: str) -> str:
        return f"{prefix}{secrets.token_hex(16)}"

    def issue_tokens(self) -> Dict[str, Any]:
        with self.lock:
            access = self.new_token("at-")
            refresh = self.new_token("rt-")
            self.access_tokens[access] = time.time() + self.settings.access_token_ttl
            self.refresh_tokens[refresh] = "valid"
            self.issued.update((access, refresh))
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(self.settings.access_token_ttl),
            "refresh_token": refresh,
        }

    def check_session(self, token: Optional[str]) -> Optional[int]:
        """None if the session may make a call, else the HTTP status to answer."""
        if not token:
            self.stats["status_412"] += 1
            return 412
        with self.lock:
            sess = self.sessions.get(token)
            if sess is None:
                self.stats["status_401"] += 1
                return 401
            expired = time.time() > sess["expires"]
            exhausted = self.settings.session_max_calls > 0 and sess["calls"] >= self.settings.session_max_calls
            if expired or exhausted:
                self.sessions.pop(token, None)
                self.stats["status_401"] += 1
                self.stats["session_expired_401"] += 1
                return 401
            sess["calls"] += 1
        return None

    def rate_limited(self) -> bool:
        with self.lock:
            now = time.time()
            self.rest_calls += 1
            window = self.rest_call_times
            window.append(now)
            while window and window[0] < now - 60:
                window.popleft()
            self.stats["max_rest_calls_per_minute"] = max(self.stats["max_rest_calls_per_minute"], len(window))
            if self.settings.throttle_every > 0 and self.rest_calls % self.settings.throttle_every == 0:
                self.stats["status_429"] += 1
                return True
            if self.settings.rate_limit_per_minute > 0 and len(window) > self.settings.rate_limit_per_minute:
                self.stats["status_429"] += 1
                return True
        return False

    # ------------------------------------------------------------------ data
    def project(self, entity: str, record: Dict[str, Any], spec: Dict[str, Any]) -> Dict[str, Any]:
        """One record with the fields of a parsed `fields` spec (see `projector`)."""
        return self._compile_projection(entity, spec)(record)

    def projector(self, entity: str, fields_text: str) -> Callable[[Dict[str, Any]], Dict[str, Any]]:
        """A function projecting a record onto `fields_text`, compiled once per (entity, fields).

        Unknown fields raise LookupError here, before any record is read (Bullhorn answers an
        invalid field with an error even when nothing matches).
        """
        key = (entity, fields_text)
        proj = self._projectors.get(key)
        if proj is None:
            proj = self._compile_projection(entity, parse_fields(fields_text))
            if len(self._projectors) >= CACHE_ENTRIES:
                self._projectors.pop(next(iter(self._projectors)))
            self._projectors[key] = proj
        return proj

    def _compile_projection(self, entity: str, spec: Dict[str, Any]) -> Callable[[Dict[str, Any]], Dict[str, Any]]:
        kinds = self.field_kinds[entity]
        if "*" in spec:
            spec = {**{name: None for name in kinds}, **{k: v for k, v in spec.items() if k != "*"}}
        names: List[str] = []
        # Fields whose stored value is a dict get reshaped after the plain copy (in place, so the
        # output keeps the order of `fields`): (name, target records by id or None, sub-fields, ...).
        refs: List[Tuple[str, Optional[Dict[int, Dict[str, Any]]], Optional[List[Tuple[str, bool]]]]] = []
        objects: List[Tuple[str, Optional[List[str]], bool]] = []
        for name, sub in spec.items():
            kind = kinds.get(name)
            if kind is None:
                raise LookupError(f"Invalid field '{name}' for entity {entity}")
            names.append(name)
            if kind.startswith(("ref:", "ref_opt:")):
                if sub is None:
                    refs.append((name, None, None))
                    continue
                target = kind.split(":", 1)[1]
                sub_fields = []
                for sub_name in sub:
                    sub_kind = self.field_kinds[target].get(sub_name)
                    if sub_kind is None:
                        raise LookupError(f"Invalid field '{sub_name}' for entity {target}")
                    sub_fields.append((sub_name, sub_kind.startswith(("ref", "obj"))))
                refs.append((name, self.store.by_id.get(target, {}), sub_fields))
            elif kind == "address" or kind.startswith("obj:") or sub is not None:
                objects.append((name, list(sub) if sub is not None else None, kind.startswith("obj:")))

        def project(record: Dict[str, Any]) -> Dict[str, Any]:
            get = record.get
            out = {name: get(name) for name in names}
            for name, by_id, sub_fields in refs:
                value = out[name]
                if value is None:
                    continue
                if sub_fields is None:
                    out[name] = {"id": value["id"]}
                    continue
                target_record = by_id.get(value["id"]) or {"id": value["id"]}  # type: ignore[union-attr]
                nested: Dict[str, Any] = {}
                for sub_name, is_ref in sub_fields:
                    sub_value = target_record.get(sub_name)
                    if is_ref and isinstance(sub_value, dict):
                        sub_value = {"id": sub_value["id"]}
                    nested[sub_name] = sub_value
                out[name] = nested
            for name, sub, is_obj in objects:
                value = out[name]
                if not isinstance(value, dict):
                    continue
                if sub is None:
                    out[name] = {"id": value["id"]} if is_obj else dict(value)
                else:
                    shaped = {k: value.get(k) for k in sub}
                    if is_obj:
                        shaped.setdefault("id", value["id"])
                    out[name] = shaped
            return out

        return project

    def matching(self, entity: str, where: str, order_by: Optional[str]) -> List[Dict[str, Any]]:
        """Records of `entity` matching `where`, sorted by `order_by`; call with the lock held.

        Cached per (entity, where, orderBy) until data changes (`touch`): paging through a result
        re-runs the same query with another `start`, and a full scan and sort per page made the
        emulator quadratic in the result size.
        """
        key = (entity, where, order_by)
        matched = self._results.get(key)
        if matched is None:
            predicate = parse_where(where or "", self.fields[entity])
            order = parse_order_by(order_by)
            for name, _ in order:
                if name.split(".")[0] not in self.fields[entity]:
                    raise QueryError(f"Invalid orderBy field '{name}'")
            matched = [r for r in self.store.records[entity] if predicate(r)]
            for name, desc in reversed(order):
                matched.sort(key=lambda r, n=name: _sort_key(r, n), reverse=desc)
            if len(self._results) >= CACHE_ENTRIES:
                self._results.pop(next(iter(self._results)))
            self._results[key] = matched
        return matched

    def query(self, entity: str, params: Dict[str, str]) -> Dict[str, Any]:
        if entity not in self.store.records:
            raise LookupError(f"Entity '{entity}' is not supported by this emulator")
        for name in ("where", "fields", "orderBy"):
            if not isinstance(params.get(name, ""), str):
                raise QueryError(f"{name} must be a string")
        where = params.get("where")
        fields_text = params.get("fields")
        if not fields_text:
            raise QueryError("Missing required parameter: fields")
        start = _int_param(params, "start", 0)
        count = _int_param(params, "count", DEFAULT_COUNT)
        with self.lock:
            matched = self.matching(entity, where or "", params.get("orderBy"))
            project = self.projector(entity, fields_text)
            self.stats["max_count_requested"] = max(self.stats["max_count_requested"], count)
            self.stats["where_clauses"].append(where)
            count = min(count, MAX_COUNT)
            data = [project(r) for r in matched[start:start + count]]
            self.stats["query_calls"] += 1
            self.stats["query_by_entity"][entity] = self.stats["query_by_entity"].get(entity, 0) + 1
            self.stats["records_served"] += len(data)
            by_entity = self.stats["records_served_by_entity"]
            by_entity[entity] = by_entity.get(entity, 0) + len(data)
        return {"start": start, "count": len(data), "data": data}

    def touch(self, entity: str, count: int = 0, ids: Optional[List[int]] = None) -> Dict[str, Any]:
        """Modify some records: a changed field and a new, strictly later dateLastModified."""
        if entity not in self.store.records:
            raise LookupError(f"Entity '{entity}' is not supported by this emulator")
        with self.lock:
            self.touch_counter += 1
            self._results.clear()  # dateLastModified changes: cached query results are stale
            rows = self.store.records[entity]
            if ids:
                chosen = [self.store.get(entity, int(i)) for i in ids]
                if any(c is None for c in chosen):
                    raise QueryError("unknown id in ids")
            else:
                rng = random.Random(f"{self.settings.seed}:touch:{entity}:{self.touch_counter}")
                chosen = rng.sample(rows, min(count, len(rows)))
            latest = max((r["dateLastModified"] for e in self.store.records.values() for r in e), default=0)
            stamp = max(int(time.time() * 1000), latest + 1)
            touched = []
            for rec in chosen:
                assert rec is not None
                rec["dateLastModified"] = stamp
                if "customText1" in rec:
                    rec["customText1"] = f"touched-{self.touch_counter}"
                elif "subject" in rec:
                    rec["subject"] = f"{rec['subject'].split(' (')[0]} (touched-{self.touch_counter})"
                touched.append(rec["id"])
        return {"entity": entity, "ids": sorted(touched), "dateLastModified": stamp}


def _sort_key(record: Dict[str, Any], name: str) -> Tuple[int, Any]:
    value: Any = record
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, str(value))


LOGIN_FORM = """<!DOCTYPE html>
<html><head><title>Bullhorn emulator - sign in</title></head>
<body><h1>Sign in</h1>{error}
<form method="get" action="/oauth/authorize">
<input type="hidden" name="client_id" value="{client_id}">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="redirect_uri" value="{redirect_uri}">
<input type="hidden" name="state" value="{state}">
<input type="hidden" name="action" value="Login">
<label>Username <input name="username"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in and accept</button>
</form></body></html>
"""


class Handler(BaseHTTPRequestHandler):
    server_version = "BullhornEmulator/0.1"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    state: EmulatorState  # set on the subclass created by make_server

    # -------------------------------------------------------------- plumbing
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return  # request lines carry tokens in query strings; never log them

    def _send(self, status: int, body: Any = None, headers: Optional[Dict[str, str]] = None,
              content_type: str = "application/json;charset=UTF-8") -> None:
        if body is None:
            payload = b""
        elif isinstance(body, (bytes, bytearray)):
            payload = bytes(body)
        elif isinstance(body, str):
            payload = body.encode()
        else:
            payload = _dumps(body)
        self.send_response(status)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _error(self, status: int, message: str, key: Optional[str] = None) -> None:
        body: Dict[str, Any] = {"errorMessage": message, "errorCode": status}
        if key:
            body["errorMessageKey"] = key
        self._send(status, body)

    def _body(self) -> bytes:
        """The request body, framed by a single valid Content-Length (else ``BadRequest``)."""
        if self.headers.get("Transfer-Encoding"):
            raise BadRequest("Transfer-Encoding is not supported; send a Content-Length", 501, close=True)
        lengths = {v.strip() for v in self.headers.get_all("Content-Length") or []}
        if not lengths:
            return b""
        if len(lengths) > 1:
            raise BadRequest("conflicting Content-Length headers", close=True)
        text = lengths.pop()
        if not text.isdigit() or not text.isascii():
            raise BadRequest(f"Content-Length must be a non-negative integer, got {text[:40]!r}", close=True)
        length = int(text)
        if length > MAX_BODY_BYTES:
            raise BadRequest(f"request body over {MAX_BODY_BYTES} bytes", 413, close=True)
        try:
            raw = self.rfile.read(length)
        except TimeoutError:
            raw = b""
        if len(raw) < length:
            raise BadRequest(f"request body shorter than its Content-Length ({length} bytes)", close=True)
        return raw

    def _params(self) -> Dict[str, Any]:
        parts = urlsplit(self.path)
        params: Dict[str, Any] = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        raw = self._body()
        if self.command in ("POST", "PUT") and raw:
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BadRequest(f"request body is not UTF-8 (byte {exc.start})")
            if ctype == "application/json":
                try:
                    body = json.loads(text)
                except (ValueError, RecursionError) as exc:
                    raise BadRequest(f"request body is not valid JSON: {str(exc)[:80]}")
                if isinstance(body, dict):
                    for k, v in body.items():
                        params.setdefault(k, v)
                self._json_body = body
            else:
                for k, v in parse_qs(text, keep_blank_values=True).items():
                    params.setdefault(k, v[-1])
        return params

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch()

    def _dispatch(self) -> None:
        self._json_body: Any = None
        state = self.state
        with state.lock:
            state.stats["requests"] += 1
        path = urlsplit(self.path).path
        try:
            params = self._params()
            if path == "/oauth/authorize":
                return self._authorize(params)
            if path == "/oauth/token":
                return self._token(params)
            if path == "/rest-services/login":
                return self._login(params)
            if path.startswith("/_admin/"):
                return self._admin(path[len("/_admin/"):], params)
            prefix = f"/rest-services/{state.settings.corp_token}/"
            if path.startswith(prefix):
                return self._rest(path[len(prefix):], params)
            self._error(404, f"No such resource: {path}")
        except BadRequest as exc:
            if exc.close:
                self.close_connection = True
            self._error(exc.status, str(exc))
        except QueryError as exc:
            self._error(400, str(exc))
        except LookupError as exc:
            self._error(404, str(exc))
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # pragma: no cover - last-resort guard
            self._error(500, f"Internal error: {type(exc).__name__}")

    # -------------------------------------------------------------- OAuth
    def _authorize(self, params: Dict[str, str]) -> None:
        st = self.state
        s = st.settings
        with st.lock:
            st.stats["authorize"] += 1
        if params.get("client_id") != s.client_id:
            return self._send(400, {"error": "invalid_client", "error_description": "Invalid client id"})
        if params.get("response_type") != "code":
            return self._send(400, {"error": "unsupported_response_type"})
        redirect_uri = params.get("redirect_uri") or s.redirect_uri
        state_param = params.get("state", "")
        if params.get("action") == "Login":
            if params.get("username") == s.username and params.get("password") == s.password:
                code = st.new_token("code-")
                with st.lock:
                    st.codes[code] = (s.client_id, time.time() + 120, params.get("redirect_uri"))
                    st.issued.add(code)
                    st.stats["authorize_code_issued"] += 1
                query = {"code": code}
                if state_param:
                    query["state"] = state_param
                sep = "&" if "?" in redirect_uri else "?"
                return self._send(302, b"", {"Location": f"{redirect_uri}{sep}{urlencode(query)}"},
                                  content_type="text/html")
            error = "<p class='error'>Invalid username or password.</p>"
        else:
            error = ""
        page = LOGIN_FORM.format(error=error, client_id=html.escape(s.client_id),
                                 redirect_uri=html.escape(redirect_uri), state=html.escape(state_param))
        self._send(200, page, content_type="text/html;charset=UTF-8")

    def _token(self, params: Dict[str, str]) -> None:
        st = self.state
        s = st.settings
        if self.command != "POST":
            return self._send(405, {"error": "invalid_request", "error_description": "POST required"})
        if params.get("client_id") != s.client_id or params.get("client_secret") != s.client_secret:
            with st.lock:
                st.stats["token_errors"] += 1
            return self._send(401, {"error": "invalid_client", "error_description": "Invalid client credentials"})
        grant = params.get("grant_type")
        if grant == "authorization_code":
            code = params.get("code") or ""
            with st.lock:
                st.stats["token_authorization_code"] += 1
                entry = st.codes.pop(code, None)
            if entry is None or entry[1] < time.time():
                with st.lock:
                    st.stats["token_errors"] += 1
                return self._send(400, {"error": "invalid_grant", "error_description": "Invalid, expired or used authorization code"})
            if entry[2] and params.get("redirect_uri") and params.get("redirect_uri") != entry[2]:
                return self._send(400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"})
            return self._send(200, st.issue_tokens())
        if grant == "refresh_token":
            token = params.get("refresh_token") or ""
            with st.lock:
                st.stats["token_refresh"] += 1
                status = st.refresh_tokens.get(token)
                if status == "valid":
                    st.refresh_tokens[token] = "used"
                elif status == "used":
                    st.stats["refresh_token_reuse_rejected"] += 1
                    st.stats["token_refresh_rejected"] += 1
                else:
                    st.stats["token_refresh_rejected"] += 1
            if status != "valid":
                return self._send(400, {"error": "invalid_grant", "error_description": "Invalid, expired or revoked refresh token"})
            return self._send(200, st.issue_tokens())
        return self._send(400, {"error": "unsupported_grant_type"})

    # -------------------------------------------------------------- REST
    def _login(self, params: Dict[str, str]) -> None:
        st = self.state
        s = st.settings
        token = params.get("access_token") or ""
        if not params.get("version"):
            return self._error(400, "Missing required parameter: version")
        with st.lock:
            st.stats["rest_login"] += 1
            expires = st.access_tokens.get(token)
            valid = expires is not None and expires > time.time()
            if not valid:
                st.stats["rest_login_rejected"] += 1
        if not valid:
            return self._error(401, "Invalid or expired OAuth access token.", "errors.authentication.invalidOAuthToken")
        ttl_minutes = params.get("ttl")
        ttl = s.session_ttl
        if ttl_minutes:
            try:
                ttl = min(ttl, float(ttl_minutes) * 60)
            except ValueError:
                pass
        rest_token = str(secrets.token_hex(4)) + "-" + secrets.token_hex(2) + "-" + secrets.token_hex(2) + "-" + \
            secrets.token_hex(2) + "-" + secrets.token_hex(6)
        with st.lock:
            st.sessions[rest_token] = {"expires": time.time() + ttl, "calls": 0}
            st.issued.add(rest_token)
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        rest_url = f"http://{host}/rest-services/{s.corp_token}/"
        cookie = f"BhRestToken={rest_token}; Path=/rest-services/{s.corp_token}; HttpOnly"
        self._send(200, {"BhRestToken": rest_token, "restUrl": rest_url}, {"Set-Cookie": cookie})

    def _session_token(self, params: Dict[str, str]) -> Optional[str]:
        token = self.headers.get("BhRestToken") or self.headers.get("BHRestToken") or params.get("BhRestToken")
        if not token and self.headers.get("Cookie"):
            cookie = SimpleCookie(self.headers.get("Cookie"))
            if "BhRestToken" in cookie:
                token = cookie["BhRestToken"].value
        return token

    def _rest(self, rest_path: str, params: Dict[str, str]) -> None:
        st = self.state
        status = st.check_session(self._session_token(params))
        if status == 412:
            return self._error(412, "Missing BhRestToken: a session key is required.")
        if status == 401:
            return self._error(401, "Bad 'BhRestToken' or timed-out.", "errors.authentication.invalidRestToken")
        if st.rate_limited():
            return self._error(429, "Too many requests. Wait 1 second, then retry.")
        if st.settings.latency_ms:
            time.sleep(st.settings.latency_ms / 1000.0)
        parts = rest_path.strip("/").split("/")
        if parts[0] == "query" and len(parts) == 2:
            if self.command == "POST" and isinstance(self._json_body, dict) and "where" in self._json_body:
                params["where"] = self._json_body["where"]
            return self._send(200, st.query(parts[1], params))
        if parts[0] == "meta" and len(parts) == 2:
            base = f"http://{self.headers.get('Host')}/rest-services/{st.settings.corp_token}/"
            return self._send(200, picklists.entity_meta(parts[1], params.get("fields"), base))
        answer = writes.route(st.writes, self.command, parts, params, self._json_body)
        if answer is not None:
            return self._send(*answer)
        if parts[0] in ("entityFiles", "entity", "file") and len(parts) >= 3:
            return self._files(parts)
        if parts[0] == "ping":
            with st.lock:
                token = self._session_token(params)
                expires = st.sessions.get(token or "", {}).get("expires", 0)
            return self._send(200, {"sessionExpires": int(expires * 1000)})
        if parts[0] == "logout":
            with st.lock:
                st.sessions.pop(self._session_token(params) or "", None)
            return self._send(200, {"logout": "OK"})
        return self._error(404, f"Unsupported REST resource: {rest_path}")

    def _files(self, parts: List[str]) -> None:
        """``entityFiles/Candidate/{id}``, ``entity/Candidate/{id}/fileAttachments``,
        ``file/Candidate/{id}/{fileId}`` (base64 JSON) and ``…/{fileId}/raw`` (the bytes)."""
        st = self.state
        if parts[1] != "Candidate" or not parts[2].isdigit() or st.store.get("Candidate", int(parts[2])) is None:
            raise LookupError(f"No such entity: {parts[1]} {parts[2]}")
        attached = st.attachments.get(int(parts[2]), [])
        if parts[0] == "entityFiles" and len(parts) == 3:
            return self._send(200, {"EntityFiles": [a.entity_file() for a in attached]})
        if parts[0] == "entity" and parts[3:] == ["fileAttachments"]:
            data = [a.file_attachment() for a in attached]
            return self._send(200, {"start": 0, "count": len(data), "data": data})
        if parts[0] == "file" and len(parts) in (4, 5) and parts[3].isdigit() and parts[4:] in ([], ["raw"]):
            attachment = files.find(st.attachments, int(parts[2]), int(parts[3]))
            content = attachment.content()
            if parts[4:] == ["raw"]:
                disposition = f'attachment; filename="{attachment.name}"'
                return self._send(200, content, {"Content-Disposition": disposition}, content_type=attachment.content_type)
            encoded = base64.b64encode(content).decode()
            return self._send(200, {"File": {"contentType": attachment.content_type, "fileContent": encoded, "name": attachment.name}})
        raise LookupError(f"Unsupported file resource: {'/'.join(parts)}")

    # -------------------------------------------------------------- admin
    def _admin(self, action: str, params: Dict[str, Any]) -> None:
        st = self.state
        if action == "health":
            return self._send(200, {"ok": True})
        if action == "stats":
            return self._send(200, st.snapshot_stats())
        if action == "records":
            # Ground truth for tests: every id and dateLastModified of an entity.
            entity = str(params.get("entity"))
            if entity not in st.store.records:
                return self._send(404, {"error": f"unknown entity {entity}"})
            with st.lock:
                rows = [{"id": r["id"], "dateLastModified": r["dateLastModified"]} for r in st.store.records[entity]]
            return self._send(200, {"entity": entity, "records": rows})
        if action == "files":
            # Ground truth for tests: every attachment with its size and sha256.
            return self._send(200, {"files": [
                {**a.file_attachment(), "sha256": hashlib.sha256(a.content()).hexdigest()}
                for attached in st.attachments.values() for a in attached
            ]})
        if action == "notes":
            return self._send(200, st.writes.dump())
        if action == "issued-secrets":
            # Every credential the emulator knows or issued, so tests can prove none is logged.
            with st.lock:
                issued = sorted(st.issued | set(st.refresh_tokens))
            return self._send(200, {"secrets": issued + [st.settings.client_secret, st.settings.password]})
        if self.command != "POST":
            return self._send(405, {"error": "POST required"})
        if action == "reset-stats":
            st.reset_stats()
            return self._send(200, {"ok": True})
        if action == "touch":
            ids = params.get("ids")
            if ids is not None and not (isinstance(ids, list) and all(_is_int(i) for i in ids)):
                raise BadRequest("ids must be a list of integers")
            result = st.touch(str(params.get("entity")), _int_param(params, "count", 0), ids or None)
            return self._send(200, result)
        if action == "write-faults":
            try:
                return self._send(200, st.writes.set_faults(_int_param(params, "status", 500), _int_param(params, "count", 1)))
            except writes.WriteError as exc:
                raise BadRequest(str(exc))
        if action == "expire-sessions":
            with st.lock:
                n = len(st.sessions)
                st.sessions.clear()
            return self._send(200, {"expired": n})
        if action == "expire-access-tokens":
            with st.lock:
                n = len(st.access_tokens)
                st.access_tokens.clear()
            return self._send(200, {"expired": n})
        if action == "refresh-token":
            # What an administrator gets by running the interactive consent once.
            tokens = st.issue_tokens()
            return self._send(200, {"refresh_token": tokens["refresh_token"]})
        if action == "config":
            changes = _settings_changes(params)
            with st.lock:
                for key, value in changes.items():
                    setattr(st.settings, key, value)
                current = {k: getattr(st.settings, k) for k in ADMIN_SETTINGS}
            return self._send(200, current)
        return self._send(404, {"error": f"unknown admin action {action}"})


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The listen backlog: the stdlib's default of 5 drops the SYNs of a burst of clients, which
    # then wait for TCP's retransmission back-off (1, 3, 7, 15 s...) before they are even accepted.
    request_queue_size = 1024


def make_server(settings: Settings, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
    state = EmulatorState(settings)
    handler = type("BoundHandler", (Handler,), {"state": state, "timeout": settings.read_timeout})
    server = EmulatorServer((host, port), handler)
    state.writes = writes.Writes(state)  # type: ignore[attr-defined]
    server.state = state  # type: ignore[attr-defined]
    return server
