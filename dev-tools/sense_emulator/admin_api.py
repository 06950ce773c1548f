"""The ``/_admin`` surface: not part of Sense's API, no authentication (the server is local).

    GET    /_admin/health                  {"ok": true}
    GET    /_admin/config                  options in effect (never the client secret)
    GET    /_admin/stats                   counters (see ``sense_emulator.stats``) and stored counts
    GET    /_admin/requests?since=N&limit=M   the request log, entries with seq > N
    GET    /_admin/entities                stored / soft-deleted counts per collection
    GET    /_admin/entities/{collection}?ids=a,b   stored entities, first-received order
    GET    /_admin/resumes?candidate_id=X  resume uploads (metadata, size, sha256)
    GET    /_admin/dangling                dangling-reference counts (see ``sense_emulator.references``)
    GET    /_admin/faults                  fault state
    POST   /_admin/faults                  configure faults (see ``sense_emulator.faults``)
    DELETE /_admin/faults                  clear every fault
    POST   /_admin/reset                   clear store, stats, log, dangling counts, faults and
                                           write-backs; body {"tokens": true} also revokes issued tokens
    *      /_admin/writebacks/...          the write-back dispatcher (see ``sense_emulator.writebacks.dispatcher_admin``)
"""
from __future__ import annotations

from typing import Any, List
from urllib.parse import parse_qs

import orjson

from sense_api.entities import COLLECTIONS
from sense_emulator.faults import FaultError
from sense_emulator.http_messages import Response, json_response
from sense_emulator.writebacks.dispatcher_admin import WritebackAdmin
from sense_emulator.writebacks.dispatcher import Dispatcher


def _json(status: int, payload: Any) -> Response:
    return json_response(status, payload)


class Admin:
    def __init__(self, app):
        self.app = app
        self.writebacks = WritebackAdmin(app, Dispatcher())

    def handle(self, method: str, parts: List[str], query: str, body: bytes):
        app = self.app
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        route = parts[0] if parts else ""
        if route == "health" and method == "GET":
            return _json(200, {"ok": True})
        if route == "config" and method == "GET":
            cfg = app.config
            return _json(
                200,
                {
                    "host": cfg.host,
                    "port": cfg.port,
                    "client_id": cfg.client_id,
                    "token_ttl": cfg.token_ttl,
                    "db": cfg.db,
                    "missing_entity": cfg.missing_entity,
                    "collections": list(COLLECTIONS),
                },
            )
        if route == "stats" and method == "GET":
            snapshot = app.stats.snapshot()
            counts = app.store.counts()
            snapshot["stored"] = {c: counts.get(c, (0, 0))[0] for c in COLLECTIONS}
            snapshot["soft_deleted"] = {c: counts.get(c, (0, 0))[1] for c in COLLECTIONS}
            snapshot["dangling"] = app.references.snapshot()["counts"]
            return _json(200, snapshot)
        if route == "requests" and method == "GET":
            try:
                since = int(params.get("since", 0))
                limit = int(params["limit"]) if "limit" in params else None
            except ValueError:
                return _json(400, {"error": "since and limit must be integers"})
            entries = app.stats.requests(since, limit)
            return _json(200, {"requests": entries, "last_seq": app.stats.seq})
        if route == "entities" and method == "GET":
            if len(parts) == 1:
                counts = app.store.counts()
                return _json(200, {c: counts.get(c, (0, 0))[0] for c in COLLECTIONS})
            collection = parts[1]
            if collection not in COLLECTIONS:
                return _json(404, {"error": f"unknown collection {collection!r}"})
            ids = params["ids"].split(",") if params.get("ids") else None
            bodies = app.store.bodies(collection, ids)
            payload = b'{"collection":%s,"count":%d,"entities":[%s]}' % (
                orjson.dumps(collection),
                len(bodies),
                b",".join(bodies),
            )
            return Response(200, payload, [("Content-Type", "application/json")])
        if route == "resumes" and method == "GET":
            return _json(200, {"resumes": app.store.resumes(params.get("candidate_id"))})
        if route == "dangling" and method == "GET":
            return _json(200, app.references.snapshot())
        if route == "faults":
            if method == "GET":
                return _json(200, app.faults.snapshot())
            if method == "DELETE":
                app.faults.clear()
                return _json(200, app.faults.snapshot())
            if method == "POST":
                try:
                    spec = orjson.loads(body or b"{}")
                    return _json(200, app.faults.configure(spec, COLLECTIONS))
                except (orjson.JSONDecodeError, FaultError) as exc:
                    return _json(400, {"error": str(exc)})
        if route == "writebacks":
            return _json(*self.writebacks.handle(method, parts[1:], params, body))
        if route == "reset" and method == "POST":
            try:
                options = orjson.loads(body) if body else {}
            except orjson.JSONDecodeError as exc:
                return _json(400, {"error": str(exc)})
            app.reset()
            self.writebacks.dispatcher.outbox.clear()
            if isinstance(options, dict) and options.get("tokens"):
                app.tokens.clear()
            return _json(200, {"reset": True})
        return _json(404, {"error": f"no admin endpoint {method} /_admin/{'/'.join(parts)}"})
