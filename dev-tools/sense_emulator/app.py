"""The behaviour of the emulated Sense API, independent of the HTTP transport.

``App.handle(Request)`` → ``Response``. Routes (``/v1`` needs a valid bearer token):

    POST  /oauth2/token
    POST  /v1/{collection}                              batch upsert (1..500 entities)
    GET   /v1/{collection}/{id}                         one entity
    PATCH /v1/{collection}/{id}                         partial update
    GET   /v1/{collection}/possible-values/{fieldName}
    PUT   /v1/{collection}/possible-values/{fieldName}
    POST  /v1/candidates/{id}/resume                    multipart/form-data upload
    *     /_admin/...                                   see ``sense_emulator.admin_api``
"""
from __future__ import annotations

import hashlib
import random
import sys
import threading
import time
import traceback
import uuid
from typing import Any, List, Optional, Tuple
from urllib.parse import unquote

import orjson

from sense_api.compiled_schema import compiled
from sense_api.entities import BY_COLLECTION, COLLECTIONS
from sense_api.formats import is_iso_date_time
from sense_api.limits import MAX_BATCH_COMPRESSED_BYTES, MAX_RESUME_BYTES, RESUME_EXTENSIONS
from sense_emulator import multipart
from sense_emulator.admin_api import Admin
from sense_emulator.oauth import TokenStore, bearer_token, token_request
from sense_emulator.config import MISSING_404, EmulatorConfig
from sense_emulator.decoding import Body, DecodeError, Decoder
from sense_emulator.faults import Faults
from sense_emulator.http_messages import Request, Response, errors_response, json_response
from sense_emulator.references import ReferenceTracker
from sense_emulator.stats import Stats
from sense_emulator.store import Store
from sense_emulator.validation import batch_errors, error, patch_errors, possible_values_errors

#: Form fields of the resume upload, in the spec's order of ``required``.
RESUME_REQUIRED = ("file", "resume_id", "file_extension", "date_updated", "date_created")


def routes() -> List[Tuple[str, str]]:
    """Every (method, path template) the emulator serves outside ``/_admin``."""
    out = [("POST", "/oauth2/token")]
    for c in COLLECTIONS:
        out += [
            ("POST", f"/v1/{c}"),
            ("GET", f"/v1/{c}/{{id}}"),
            ("PATCH", f"/v1/{c}/{{id}}"),
            ("GET", f"/v1/{c}/possible-values/{{fieldName}}"),
            ("PUT", f"/v1/{c}/possible-values/{{fieldName}}"),
        ]
    out.append(("POST", "/v1/candidates/{id}/resume"))
    return out


def _request_id() -> str:
    # A version-4 UUID from the process's PRNG: uuid4() reads os.urandom, a system call that
    # releases the GIL and then waits for it behind the store's writer thread.
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


def accepted() -> Response:
    request_id = _request_id()
    response = json_response(201, {"message": f"request {request_id} is received", "request_id": request_id})
    response.request_id = request_id
    return response


def not_found_entity(entity_name: str, resource_id: str) -> Response:
    return json_response(
        404,
        {"data": {}, "errors": [error(f"{entity_name} not found", resource_id)], "resource_id": resource_id},
    )


def method_not_allowed(allowed: str) -> Response:
    return json_response(405, {"message": "Method Not Allowed"}, [("Allow", allowed)])


NOT_FOUND = {"message": "Not Found"}


class BadBody(Exception):
    def __init__(self, response: Response):
        self.response = response


class App:
    def __init__(self, config: Optional[EmulatorConfig] = None):
        self.config = config or EmulatorConfig()
        self.store = Store(self.config.db)
        self._patch_lock = threading.Lock()
        self.tokens = TokenStore(self.config.client_id, self.config.client_secret, self.config.token_ttl)
        self.faults = Faults()
        self.decoder = Decoder()
        self.stats = Stats(self.config.log_limit)
        self.references = ReferenceTracker()
        for collection in COLLECTIONS:
            compiled(collection)  # compile every validator up front
            self.references.preload(collection, self.store.ids(collection))
        self.admin = Admin(self)

    def close(self) -> None:
        self.store.close()

    def reset(self) -> None:
        self.store.reset()
        self.stats.reset()
        self.references.reset()
        self.faults.clear()

    # -- entry point ------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        path, _, query = req.target.partition("?")
        parts = [unquote(p) for p in path.split("/")[1:]]
        if len(parts) > 1 and parts[-1] == "":
            parts.pop()
        if parts and parts[0] == "_admin":
            return self._guard(lambda: self.admin.handle(req.method, parts[1:], query, req.body))
        started = time.perf_counter()
        entry = {
            "time": time.time(),
            "method": req.method,
            "path": path,
            "collection": None,
            "operation": "other",
            "status": 0,
            "records": 0,
            "bytes": len(req.body),
            "bytes_raw": len(req.body),
            "content_encoding": (req.header("Content-Encoding") or "identity").lower(),
            "request_id": None,
            "fault": None,
            "error": None,
        }
        if parts == ["oauth2", "token"]:
            response = self._guard(lambda: self._token(req, entry))
        elif parts and parts[0] == "v1":
            response = self._guard(lambda: self._v1(req, parts[1:], entry))
        else:
            response = json_response(404, NOT_FOUND)
        entry["status"] = response.status if not response.drop else 0
        entry["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        entry["request_id"] = response.request_id
        self.stats.record(entry)
        return response

    def _guard(self, handler) -> Response:
        try:
            return handler()
        except BadBody as exc:
            return exc.response
        except Exception:  # pragma: no cover - a bug in the emulator, not a client error
            traceback.print_exc(file=sys.stderr)
            return json_response(500, {"message": "Internal Server Error"})

    # -- token endpoint ---------------------------------------------------------------------
    def _token(self, req: Request, entry: dict) -> Response:
        entry["operation"] = "token"
        entry["bytes"] = entry["bytes_raw"] = 0  # never count or log credentials
        if req.method != "POST":
            return method_not_allowed("POST")
        self._sleep()
        failure = self.faults.take_token_failure()
        if failure is not None:
            entry["fault"] = "token_failure"
            headers = [("Retry-After", "1")] if failure in (429, 503) else []
            return json_response(failure, {"error": "server_error" if failure >= 500 else "temporarily_unavailable"}, headers)
        content_type = (req.header("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return json_response(400, {"error": "invalid_request", "error_description": "Content-Type must be application/x-www-form-urlencoded"})
        client_id, client_secret, grant_type = token_request(req.body, req.header("Authorization"))
        if grant_type != "client_credentials":
            code = "invalid_request" if not grant_type else "unsupported_grant_type"
            return json_response(400, {"error": code})
        if not self.tokens.credentials_ok(client_id, client_secret):
            return json_response(401, {"error": "invalid_client"})
        token = self.tokens.issue()
        return json_response(
            200,
            {"access_token": token, "expires_in": self.tokens.ttl, "token_type": "Bearer"},
            [("Cache-Control", "no-store"), ("Pragma", "no-cache")],
        )

    def _sleep(self) -> None:
        delay = self.faults.latency_seconds()
        if delay > 0:
            time.sleep(delay)

    # -- /v1 --------------------------------------------------------------------------------
    def _v1(self, req: Request, parts: List[str], entry: dict) -> Response:
        collection = parts[0] if parts else None
        entity = BY_COLLECTION.get(collection) if collection else None
        if entity is not None:
            entry["collection"] = collection
        if self.faults.take_drop():
            entry["fault"] = "drop_connection"
            return Response(0, drop=True)
        self._sleep()
        if not self.tokens.valid(bearer_token(req.header("Authorization"))):
            entry["error"] = "missing, invalid or expired bearer token"
            return json_response(401, {"message": "Unauthorized"}, [("WWW-Authenticate", 'Bearer error="invalid_token"')])
        if self.faults.take_unauthorized():
            entry["fault"] = "unauthorized_once"
            return json_response(401, {"message": "Unauthorized"}, [("WWW-Authenticate", 'Bearer error="invalid_token"')])
        retry_after = self.faults.take_rate_limit(collection if entity else None)
        if retry_after is not None:
            entry["fault"] = "rate_limit"
            return json_response(429, {"message": "Too Many Requests"}, [("Retry-After", str(retry_after))])
        status = self.faults.take_server_error(collection if entity else None)
        if status is not None:
            entry["fault"] = "server_error"
            return json_response(status, {"message": "Service Unavailable" if status == 503 else "Internal Server Error"})
        if entity is None:
            return json_response(404, NOT_FOUND)
        n = len(parts)
        method = req.method
        if n == 1:
            if method != "POST":
                return method_not_allowed("POST")
            entry["operation"] = "upsert"
            with self.decoder.slot():
                return self._upsert(req, collection, entry)
        if n == 2:
            if method == "GET":
                entry["operation"] = "get"
                return self._get(collection, parts[1])
            if method == "PATCH":
                entry["operation"] = "patch"
                with self.decoder.slot():
                    return self._patch(req, collection, parts[1], entry)
            return method_not_allowed("GET, PATCH")
        if n == 3 and parts[1] == "possible-values":
            if method == "GET":
                entry["operation"] = "possible_values_get"
                return self._get_possible_values(collection, parts[2])
            if method == "PUT":
                entry["operation"] = "possible_values_put"
                with self.decoder.slot():
                    return self._put_possible_values(req, collection, parts[2], entry)
            return method_not_allowed("GET, PUT")
        if n == 3 and parts[2] == "resume" and collection == "candidates":
            if method != "POST":
                return method_not_allowed("POST")
            entry["operation"] = "resume"
            return self._resume(req, parts[1], entry)
        return json_response(404, NOT_FOUND)

    # -- body decoding ----------------------------------------------------------------------
    def _decoded(self, req: Request, entry: dict) -> Body:
        """The body after Content-Encoding (the caller holds a decoder slot)."""
        encoding = entry["content_encoding"].strip()
        body = req.body
        if encoding in ("identity", ""):
            raw: Body = body
        elif encoding in ("gzip", "x-gzip"):
            try:
                raw = self.decoder.gunzip(body)
            except DecodeError as exc:
                raise BadBody(errors_response(exc.status, [error(exc.message)]))
        else:
            raise BadBody(errors_response(415, [error(f"unsupported Content-Encoding {encoding!r}; use gzip or identity")]))
        entry["bytes_raw"] = len(raw)
        content_type = (req.header("Content-Type") or "application/json").split(";")[0].strip().lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise BadBody(errors_response(415, [error(f"unsupported Content-Type {content_type!r}; use application/json")]))
        return raw

    def _parsed(self, req: Request, entry: dict) -> Tuple[Body, Any]:
        """The decoded body and its JSON (the caller holds a decoder slot)."""
        raw = self._decoded(req, entry)
        try:
            return raw, self.decoder.json(raw)
        except DecodeError as exc:
            raise BadBody(errors_response(exc.status, [error(exc.message)]))

    # -- operations -------------------------------------------------------------------------
    def _upsert(self, req: Request, collection: str, entry: dict) -> Response:
        size = len(req.body)
        if size > MAX_BATCH_COMPRESSED_BYTES:
            return errors_response(
                413,
                [error(f"request body is {size:,} bytes; the limit is {MAX_BATCH_COMPRESSED_BYTES:,} bytes after compression")],
            )
        raw, items = self._parsed(req, entry)
        if items.__class__ is list:
            entry["records"] = len(items)
            if self.faults.over_max_records(len(items)):
                entry["fault"] = "max_records"
                return errors_response(413, [error(f"request has {len(items)} entities; this server accepts at most {self.faults.max_records} (injected fault)")])
        errors = batch_errors(collection, items)
        if errors:
            entry["error"] = errors[0]["message"]
            return errors_response(400, errors)
        self.references.observe(collection, items)
        self.store.upsert_many(collection, items, raw if raw.__class__ is bytes else bytes(raw))
        return accepted()

    def _get(self, collection: str, resource_id: str) -> Response:
        body = self.store.get(collection, resource_id)
        if body is None:
            return not_found_entity(BY_COLLECTION[collection].name, resource_id)
        return json_response(200, {"data": orjson.loads(body), "errors": [], "resource_id": resource_id})

    def _patch(self, req: Request, collection: str, resource_id: str, entry: dict) -> Response:
        changes = self._parsed(req, entry)[1]
        errors = patch_errors(collection, resource_id, changes)
        if errors:
            entry["error"] = errors[0]["message"]
            return errors_response(400, errors)
        with self._patch_lock:  # read-modify-write
            stored = self.store.get(collection, resource_id)
            if stored is None:
                if self.config.missing_entity == MISSING_404:
                    return not_found_entity(BY_COLLECTION[collection].name, resource_id)
                entry["error"] = "unknown id: accepted and ignored"
                return accepted()
            merged = orjson.loads(stored)
            merged.update(changes)
            merged["id"] = resource_id
            entry["records"] = 1
            self.references.observe(collection, [{**changes, "id": resource_id}])
            self.store.upsert_many(collection, [merged])
            self.store.flush()
        return accepted()

    def _field_or_error(self, collection: str, field_name: str) -> Optional[Response]:
        entity = BY_COLLECTION[collection]
        if field_name not in compiled(collection).checks:
            return errors_response(400, [error(f"{field_name} is not a field of {entity.name}", None, [field_name])])
        return None

    def _get_possible_values(self, collection: str, field_name: str) -> Response:
        problem = self._field_or_error(collection, field_name)
        if problem:
            return problem
        stored = self.store.get_possible_values(collection, field_name)
        values = None
        if stored is not None:
            values = [
                {"label": v["label"], "value": v["value"], "associationValue": v.get("associationValue")}
                for v in orjson.loads(stored)
            ]
        data = {"field_name": field_name, "object_name": BY_COLLECTION[collection].name, "values": values}
        return json_response(200, {"data": data, "resource_id": field_name})

    def _put_possible_values(self, req: Request, collection: str, field_name: str, entry: dict) -> Response:
        problem = self._field_or_error(collection, field_name)
        if problem:
            return problem
        body = self._parsed(req, entry)[1]
        errors = possible_values_errors(body)
        if errors:
            entry["error"] = errors[0]["message"]
            return errors_response(400, errors)
        values = [{"label": item["label"], "value": item["value"]} for item in body]
        encoded = orjson.dumps(values).decode()
        updated = self.store.get_possible_values(collection, field_name) != encoded
        self.store.put_possible_values(collection, field_name, encoded)
        entry["records"] = len(values)
        data = {
            "field_name": field_name,
            "object_name": BY_COLLECTION[collection].name,
            "possibleValues": values,
            "updated": updated,
        }
        return json_response(200, {"data": data, "resource_id": field_name})

    def _resume(self, req: Request, candidate_id: str, entry: dict) -> Response:
        def bad(*messages: str) -> Response:
            entry["error"] = messages[0]
            return json_response(400, {"errors": [{"message": m} for m in messages]})

        content_type = req.header("Content-Type") or ""
        if content_type.split(";")[0].strip().lower() != "multipart/form-data":
            return bad("Content-Type must be multipart/form-data")
        try:
            form = multipart.parse(req.body, content_type)
        except multipart.MultipartError as exc:
            return bad(f"Malformed multipart/form-data body: {exc}")
        missing = [name for name in RESUME_REQUIRED if name not in form or (name != "file" and not form[name].data.strip())]
        if missing:
            return bad(*(f"Missing required form field: {name}" for name in missing))
        extension = form["file_extension"].text().strip()
        if extension not in RESUME_EXTENSIONS:
            return bad("Invalid file_extension. Allowed: " + ", ".join(sorted(RESUME_EXTENSIONS)))
        data = form["file"].data
        if not data:
            return bad("The uploaded file is empty")
        if len(data) > MAX_RESUME_BYTES:
            return bad(f"File size exceeds the maximum of {MAX_RESUME_BYTES // (1024 * 1024)} MB")
        for name in ("date_created", "date_updated"):
            if not is_iso_date_time(form[name].text().strip()):
                return bad(f"Invalid {name}: expected an ISO 8601 date-time")
        if self.store.get("candidates", candidate_id) is None and self.config.missing_entity == MISSING_404:
            return not_found_entity("Candidate", candidate_id)
        file_name = form["file_name"].text() if "file_name" in form else form["file"].filename
        self.store.add_resume(
            candidate_id=candidate_id,
            resume_id=form["resume_id"].text().strip(),
            file_name=file_name,
            file_extension=extension,
            content_type=form["file"].content_type,
            date_created=form["date_created"].text().strip(),
            date_updated=form["date_updated"].text().strip(),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            file=data,
        )
        entry["records"] = 1
        return accepted()
