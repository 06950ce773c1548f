"""The ASGI application (Starlette): the event path, ``/healthz`` and ``/metrics``.

Order on the event path: authenticate (401 before any byte of the body is read), read the body
within the size limit, parse, validate, submit to the store and wait for the commit. The answer
follows the write-back guide: 200 ``{"id": receiver_id}`` only after a durable commit (the same id
for a resend), 401 ``{"error": "invalid token or session"}``, 4xx
``{"error": "unable to store because of field a,b"}`` or a body reason, 5xx
``{"error": "unable to store, server issue: ..."}`` without an id.

The event endpoint is a plain ASGI callable routed by Starlette (which also answers 404/405): it
reads headers and query string straight from the ASGI scope, which keeps the per-request cost of
the hot path low; ``/healthz``, ``/readyz`` (readiness.py) and ``/metrics`` are ordinary Starlette
endpoints.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import AsyncIterator, Dict, Tuple
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sense_writeback.access_log import AccessLog
from sense_writeback.auth import Authenticator
from sense_writeback.body import BodyError, check_headers, parse_object, read_limited
from sense_writeback.clock import utc_iso
from sense_writeback.config import ReceiverConfig
from sense_writeback.metrics import Metrics
from sense_writeback.readiness import Readiness
from sense_writeback.references import entity_references
from sense_writeback.store import CONFLICT, DUPLICATE, Incoming, Store, body_hash, new_receiver_id
from sense_writeback.validation import Policy, parse_created_date, validate

log = logging.getLogger("sense_writeback.app")

UNAUTHORIZED = {"error": "invalid token or session"}
STORAGE_ISSUE = {"error": "unable to store, server issue: storage unavailable"}


class ClientGone(Exception):
    """The sender disconnected before its body was complete."""


class Receiver:
    """The event endpoint's logic, bound to one store, authenticator and metrics."""

    def __init__(self, config: ReceiverConfig, store: Store, authenticator: Authenticator, metrics: Metrics):
        self.config = config
        self.store = store
        self.authenticator = authenticator
        self.metrics = metrics
        self.policy = Policy(unknown_type=config.unknown_type, newer_version=config.newer_version)
        self.readiness = Readiness(store)

    def _answer(self, start: float, outcome: str, status: int, body: dict) -> Tuple[int, dict]:
        self.metrics.observe(outcome, time.perf_counter() - start)
        return status, body

    def _reject(self, start: float, status: int, reason: str, message: str) -> Tuple[int, dict]:
        self.metrics.rejected.labels(reason).inc()
        return self._answer(start, "rejected", status, {"error": message})

    async def handle(self, headers: Dict[str, str], query: Dict[str, str], chunks: AsyncIterator[bytes],
                     state: dict) -> Tuple[int, dict]:
        """The answer ``(status, body)`` to one POST on the event path."""
        start = time.perf_counter()
        self.metrics.received.inc()
        auth = await self.authenticator.authenticate(query, headers)
        if auth.unavailable:
            return self._reject(start, 503, "auth_unavailable",
                                "unable to store, server issue: the identity provider cannot be reached")
        if auth.mode is None:
            self.metrics.auth_failures.labels(auth.failed_mode).inc()
            return self._answer(start, "unauthorized", 401, UNAUTHORIZED)
        state["auth_mode"] = auth.mode
        limit = self.config.max_body_bytes
        try:
            check_headers(headers, limit)
            raw = await read_limited(chunks, limit)
            doc = parse_object(raw)
        except BodyError as exc:
            log.warning("write-back refused (%d): %s", exc.status, exc.message)
            return self._reject(start, exc.status, exc.reason, exc.message)
        verdict = validate(doc, self.policy)
        if not verdict.ok:
            sense_id = doc.get("id") if isinstance(doc.get("id"), str) else None
            log.warning("write-back %s refused: fields %s", (sense_id or "?")[:255], ",".join(verdict.errors))
            return self._reject(start, 422, verdict.reason, "unable to store because of field " + ",".join(verdict.errors))
        incoming = Incoming(
            receiver_id=new_receiver_id(), sense_id=doc["id"], type=doc["type"], version=float(doc["version"]),
            created_date=utc_iso(parse_created_date(doc["created_date"])),
            received_at=utc_iso(), auth_mode=auth.mode, raw=raw,
            body_sha256=body_hash(raw), unknown_type=verdict.unknown_type, newer_version=verdict.newer_version,
            references=tuple(entity_references(doc["data"])),
        )
        try:
            outcome = await self._commit(incoming)
        except Exception as exc:
            self.metrics.healthy.set(0)
            log.error("write-back %s not stored: %s: %s", incoming.sense_id, type(exc).__name__, exc)
            return self._reject(start, 503, "storage", STORAGE_ISSUE["error"])
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

    async def _commit(self, incoming: Incoming):
        """The store's outcome, or ``TimeoutError`` after ``store_timeout`` seconds (the write-back
        is then skipped if still queued, or stored and found again on Sense's re-delivery)."""
        future = self.store.submit_async(incoming)
        timer = asyncio.get_running_loop().call_later(self.config.store_timeout, future.cancel)
        try:
            return await future
        except asyncio.CancelledError:
            if future.cancelled() and not timer.cancelled():
                raise TimeoutError(f"no commit within {self.config.store_timeout} s") from None
            raise
        finally:
            timer.cancel()

    async def healthz(self, request: Request) -> Response:
        """Liveness: the process serves (never the database's state, see readiness.py)."""
        if self.readiness.live():
            return JSONResponse({"ok": True, "storage": self.store.kind})
        return JSONResponse({"ok": False, "storage": self.store.kind, "error": "the store's writer stopped"},
                            status_code=503)

    async def readyz(self, request: Request) -> Response:
        """Readiness: storage reachable, migrated and writable (the store's probe)."""
        problem = await self.readiness.problem()
        if problem is None:
            return JSONResponse({"ready": True, "storage": self.store.kind})
        return JSONResponse({"ready": False, "storage": self.store.kind, "error": problem}, status_code=503)

    async def metrics_page(self, request: Request) -> Response:
        return Response(self.metrics.render(), media_type=self.metrics.content_type)


class EventEndpoint:
    """The ASGI callable of the event path (POST only; Starlette's route answers 405 otherwise)."""

    def __init__(self, receiver: Receiver):
        self.receiver = receiver

    async def __call__(self, scope, receive, send):
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        query: Dict[str, str] = {}
        if scope.get("query_string"):
            for key, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
                query.setdefault(key, value)

        async def chunks():
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ClientGone()
                yield message.get("body", b"")
                if not message.get("more_body", False):
                    return

        state = scope.setdefault("state", {})
        try:
            status, body = await self.receiver.handle(headers, query, chunks(), state)
        except ClientGone:
            self.receiver.metrics.rejected.labels("client_gone").inc()
            return
        payload = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})


def create_app(config: ReceiverConfig, store: Store, authenticator: Authenticator, metrics: Metrics = None) -> AccessLog:
    """The ASGI application (access log middleware around Starlette); ``.flush()`` writes pending log lines."""
    receiver = Receiver(config, store, authenticator, metrics or Metrics())
    from sense_writeback.feed import Feed
    from sense_writeback.store.feed import ensure_schema

    ensure_schema(store)
    feed = Feed(store, config.read_tokens)
    routes = [
        Route(config.event_path, EventEndpoint(receiver), methods=["POST"]),
        Route("/writebacks", feed.endpoint, methods=["GET"]),
        Route("/healthz", receiver.healthz, methods=["GET"]),
        Route("/readyz", receiver.readyz, methods=["GET"]),
        Route("/metrics", receiver.metrics_page, methods=["GET"]),
    ]
    from sense_writeback.console.web import mount

    console = mount(config.console, receiver)
    app = Starlette(routes=routes + ([console] if console else []))
    app.state.receiver = receiver
    return AccessLog(app, enabled=config.access_log)
