"""The ASGI application (Starlette): the event path, ``/healthz`` and ``/metrics``.

Order on the event path: authenticate (401 before any byte of the body is read), read the body
within the size limit, parse, validate, submit to the store and wait for the commit. The answer
follows the write-back guide: 200 ``{"id": receiver_id}`` only after a durable commit (the same id
for a resend), 401 ``{"error": "invalid token or session"}``, 4xx
``{"error": "unable to store because of field a,b"}`` or a body reason, 5xx
``{"error": "unable to store, server issue: ..."}`` without an id.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sense_writeback.access_log import AccessLog
from sense_writeback.auth import Authenticator
from sense_writeback.body import BodyError, check_headers, parse_object, read_limited
from sense_writeback.config import ReceiverConfig
from sense_writeback.metrics import Metrics
from sense_writeback.references import entity_references
from sense_writeback.store import CONFLICT, DUPLICATE, Incoming, Store, content_hash, new_receiver_id
from sense_writeback.validation import Policy, parse_created_date, validate

log = logging.getLogger("sense_writeback.app")

UNAUTHORIZED = {"error": "invalid token or session"}


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


class Receiver:
    """The event endpoint's logic, bound to one store, authenticator and metrics."""

    def __init__(self, config: ReceiverConfig, store: Store, authenticator: Authenticator, metrics: Metrics):
        self.config = config
        self.store = store
        self.authenticator = authenticator
        self.metrics = metrics
        self.policy = Policy(unknown_type=config.unknown_type, newer_version=config.newer_version)

    def _answer(self, start: float, outcome: str, status: int, body: dict) -> JSONResponse:
        self.metrics.latency.labels(outcome).observe(time.perf_counter() - start)
        return JSONResponse(body, status_code=status)

    def _reject(self, start: float, status: int, reason: str, message: str) -> JSONResponse:
        self.metrics.rejected.labels(reason).inc()
        return self._answer(start, "rejected", status, {"error": message})

    async def event(self, request: Request) -> Response:
        start = time.perf_counter()
        self.metrics.received.inc()
        auth = await self.authenticator.authenticate(request.query_params, request.headers)
        if auth.unavailable:
            return self._reject(start, 503, "auth_unavailable",
                                "unable to store, server issue: the identity provider cannot be reached")
        if auth.mode is None:
            self.metrics.auth_failures.labels(auth.failed_mode).inc()
            return self._answer(start, "unauthorized", 401, UNAUTHORIZED)
        request.scope.setdefault("state", {})["auth_mode"] = auth.mode
        limit = self.config.max_body_bytes
        try:
            check_headers(request.headers, limit)
            raw = await read_limited(request.stream(), limit)
            doc = parse_object(raw)
        except BodyError as exc:
            log.warning("write-back refused (%d): %s", exc.status, exc.message)
            return self._reject(start, exc.status, exc.reason, exc.message)
        verdict = validate(doc, self.policy)
        if not verdict.ok:
            sense_id = doc.get("id") if isinstance(doc.get("id"), str) else None
            log.warning("write-back %s refused: fields %s", (sense_id or "?")[:255], ",".join(verdict.errors))
            return self._reject(start, 422, verdict.reason, "unable to store because of field " + ",".join(verdict.errors))
        data = doc["data"]
        incoming = Incoming(
            receiver_id=new_receiver_id(), sense_id=doc["id"], type=doc["type"], version=float(doc["version"]),
            created_date=_utc_iso(parse_created_date(doc["created_date"])),
            received_at=_utc_iso(datetime.now(timezone.utc)), auth_mode=auth.mode, raw=raw,
            body_sha256=content_hash(doc), unknown_type=verdict.unknown_type, newer_version=verdict.newer_version,
            references=tuple(entity_references(data)),
        )
        try:
            future = self.store.submit(incoming)
            outcome = await asyncio.wait_for(asyncio.wrap_future(future), self.config.store_timeout)
        except Exception as exc:
            self.metrics.healthy.set(0)
            log.error("write-back %s not stored: %s: %s", incoming.sense_id, type(exc).__name__, exc)
            return self._reject(start, 503, "storage", "unable to store, server issue: storage unavailable")
        self.metrics.healthy.set(1)
        if outcome.status == DUPLICATE:
            self.metrics.duplicates.inc()
            return self._answer(start, "duplicate", 200, {"id": outcome.receiver_id})
        if outcome.status == CONFLICT:
            self.metrics.conflicts.inc()
            log.warning("write-back %s resent with different content: first kept as %s, conflict recorded",
                        incoming.sense_id, outcome.receiver_id)
            return self._answer(start, "conflict", 200, {"id": outcome.receiver_id})
        self.metrics.stored_type(incoming.type).inc()
        for flag in verdict.flags:
            self.metrics.flagged.labels(flag).inc()
        return self._answer(start, "stored", 200, {"id": outcome.receiver_id})

    async def healthz(self, request: Request) -> Response:
        if self.store.healthy:
            return JSONResponse({"ok": True, "storage": self.store.kind})
        return JSONResponse({"ok": False, "storage": self.store.kind, "error": "storage unavailable"}, status_code=503)

    async def metrics_page(self, request: Request) -> Response:
        return Response(self.metrics.render(), media_type=self.metrics.content_type)


def create_app(config: ReceiverConfig, store: Store, authenticator: Authenticator, metrics: Metrics = None):
    """The ASGI application (access log middleware around Starlette)."""
    receiver = Receiver(config, store, authenticator, metrics or Metrics())
    routes = [
        Route(config.event_path, receiver.event, methods=["POST"]),
        Route("/healthz", receiver.healthz, methods=["GET"]),
        Route("/metrics", receiver.metrics_page, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.receiver = receiver
    return AccessLog(app, enabled=config.access_log)
