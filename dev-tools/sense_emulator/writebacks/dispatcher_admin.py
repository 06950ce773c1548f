"""The ``/_admin/writebacks`` surface: configure the write-back dispatcher, queue, inspect, wait.

    GET    /_admin/writebacks?status=S&type=T&offset=N&limit=M   write-backs (no bodies) and stats
    POST   /_admin/writebacks            queue seeded write-backs: {"count": n, "types": [...] | "type": T,
                                         "seed": s, "sample_entities": false}; or your own:
                                         {"writebacks": [envelope, ...]}
    DELETE /_admin/writebacks            forget every write-back and counter
    GET    /_admin/writebacks/stats      counts per state and type, attempts, status codes
    GET    /_admin/writebacks/config     target (URL with query values masked, auth mode without
                                         secrets), retry policy, concurrency
    POST   /_admin/writebacks/config     {"url", "auth": {"mode", ...}, "timeout", "retry": {...}, "concurrency"}
    POST   /_admin/writebacks/wait       {"timeout": s}: block until none is pending or sending
    POST   /_admin/writebacks/pause      stop taking write-backs (in-flight attempts finish)
    POST   /_admin/writebacks/resume
    GET    /_admin/writebacks/{id}       one write-back with its body and every attempt
    POST   /_admin/writebacks/{id}/redeliver   send it again, whatever its state
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import orjson

from sense_emulator.writebacks.dispatcher import Dispatcher
from sense_emulator.writebacks.seed import TYPES, EntityPool, MissingEntities, Seeder, load_sample_entities

#: Most write-backs one enqueue call may create, and the longest wait one call may block.
MAX_ENQUEUE = 10_000
MAX_WAIT_SECONDS = 600.0


class WritebackAdmin:
    def __init__(self, app, dispatcher: Dispatcher):
        self.app = app
        self.dispatcher = dispatcher

    def handle(self, method: str, parts: List[str], params: Dict[str, str], body: bytes) -> Tuple[int, Any]:
        try:
            spec = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError as exc:
            return 400, {"error": f"body is not JSON: {exc}"}
        if method == "POST" and not isinstance(spec, dict):
            return 400, {"error": "the body must be a JSON object"}
        outbox = self.dispatcher.outbox
        route = parts[0] if parts else ""
        try:
            if route == "" and method == "GET":
                return 200, self._list(params)
            if route == "" and method == "POST":
                return self._enqueue(spec)
            if route == "" and method == "DELETE":
                outbox.clear()
                return 200, {"cleared": True}
            if route == "stats" and method == "GET":
                return 200, outbox.stats()
            if route == "config" and method == "GET":
                return 200, self.dispatcher.describe()
            if route == "config" and method == "POST":
                return 200, self.dispatcher.configure(spec)
            if route == "wait" and method == "POST":
                timeout = spec.get("timeout", 30)
                if not isinstance(timeout, (int, float)) or not 0 <= timeout <= MAX_WAIT_SECONDS:
                    return 400, {"error": f"timeout must be 0..{MAX_WAIT_SECONDS:g} seconds"}
                done = outbox.wait(float(timeout))
                return 200, {"done": done, "stats": outbox.stats()}
            if route in ("pause", "resume") and method == "POST":
                self.dispatcher.pause(route == "pause")
                return 200, self.dispatcher.describe()
            if route and len(parts) == 1 and method == "GET":
                delivery = outbox.get(route)
                if delivery is None:
                    return 404, {"error": f"no write-back {route!r}"}
                return 200, delivery.view(with_body=True)
            if route and parts[1:] == ["redeliver"] and method == "POST":
                return 200, outbox.redeliver(route)
        except KeyError:
            return 404, {"error": f"no write-back {route!r}"}
        except ValueError as exc:
            return 400, {"error": str(exc)}
        return 404, {"error": f"no admin endpoint {method} /_admin/writebacks/{'/'.join(parts)}"}

    def _list(self, params: Dict[str, str]) -> dict:
        status, type_ = params.get("status"), params.get("type")
        offset = int(params.get("offset", 0))
        limit: Optional[int] = int(params["limit"]) if "limit" in params else None
        return {"writebacks": self.dispatcher.outbox.views(status, type_, offset, limit),
                "stats": self.dispatcher.outbox.stats()}

    def _enqueue(self, spec: Dict[str, Any]) -> Tuple[int, Any]:
        if "writebacks" in spec:
            envelopes = spec["writebacks"]
            if set(spec) != {"writebacks"}:
                return 400, {"error": "writebacks cannot be combined with other fields"}
            if not isinstance(envelopes, list) or not 1 <= len(envelopes) <= MAX_ENQUEUE:
                return 400, {"error": f"writebacks must be a list of 1..{MAX_ENQUEUE} envelopes"}
            bad = [i for i, e in enumerate(envelopes) if not isinstance(e, dict) or not isinstance(e.get("id"), str) or not e["id"]]
            if bad:
                return 400, {"error": f"writebacks[{bad[0]}] needs a non-empty string id (the dispatcher's key)"}
            ids = self.dispatcher.outbox.add(envelopes)
            return 200, {"enqueued": len(ids), "ids": ids}
        unknown = set(spec) - {"count", "type", "types", "seed", "sample_entities"}
        if unknown:
            return 400, {"error": f"unknown field(s): {', '.join(sorted(unknown))}"}
        types = spec.get("types") or ([spec["type"]] if spec.get("type") else list(TYPES))
        wrong = [t for t in types if t not in TYPES]
        if wrong or not isinstance(types, list):
            return 400, {"error": f"unknown write-back type(s) {', '.join(map(str, wrong))} (one of {', '.join(TYPES)})"}
        count = spec.get("count", len(types))
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_ENQUEUE:
            return 400, {"error": f"count must be an integer 1..{MAX_ENQUEUE}"}
        if spec.get("sample_entities"):
            load_sample_entities(self.app)
        try:
            pool = EntityPool(self.app.store)
        except MissingEntities as exc:
            return 409, {"error": str(exc)}
        envelopes = Seeder(pool, spec.get("seed")).build_many(count, types)
        ids = self.dispatcher.outbox.add(envelopes)
        return 200, {"enqueued": len(ids), "ids": ids}
