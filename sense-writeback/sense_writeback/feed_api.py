"""``GET /writebacks``: the stored write-backs in ``seq`` order, for readers with their own credential.

    GET /writebacks?after=<cursor>&limit=<n>[&type=A,B][&consumer=<name>]
    Authorization: Bearer <a token of SENSE_WRITEBACK_READ_TOKENS>

Answers ``{"writebacks": [...], "next": "<cursor>", "has_more": bool, "watermark": "<cursor>"}``.
Each item: the envelope (``id`` is the Sense id, ``receiver_id`` the receiver's), the parsed
columns, the entity references and ``data`` as Sense sent it. Pass ``next`` as the following
``after``. The cursor is the decimal ``seq``; ``after`` omitted or empty means from the start.
With ``consumer=<name>``, reading ``after=N`` also registers that the reader has processed
everything up to N (retention keeps what a registered reader has not passed).

Sense's tokens are never accepted here and read tokens are never accepted on the event path: a
leaked read token lets nobody inject write-backs, and Sense's token reads nothing back.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Dict

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sense_writeback.store.feed_queries import check_consumer_name, last_seq, read_feed, set_cursor
from sense_writeback.store.records import StoredWriteBack
from sense_writeback.tokens import TokenSet

log = logging.getLogger("sense_writeback.feed")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_TYPES = 20


def item(wb: StoredWriteBack) -> Dict[str, Any]:
    """One write-back as the feed serves it."""
    doc = wb.document()
    return {
        "seq": wb.seq, "cursor": str(wb.seq), "id": wb.sense_id, "receiver_id": wb.receiver_id, "type": wb.type,
        "version": wb.version, "created_date": wb.created_date, "received_at": wb.received_at,
        "auth_mode": wb.auth_mode, "unknown_type": wb.unknown_type, "newer_version": wb.newer_version,
        "entities": [{"role": role, "type": entity_type, "id": entity_id} for role, entity_type, entity_id in wb.entities],
        "data": doc.get("data") if isinstance(doc, dict) else None,
    }


class FeedError(ValueError):
    pass


def _parse(params) -> tuple:
    after_text = params.get("after") or "0"
    if not after_text.isdigit() or len(after_text) > 19:
        raise FeedError("after must be a cursor returned by this feed (a non-negative integer)")
    limit_text = params.get("limit") or str(DEFAULT_LIMIT)
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
        raise FeedError(f"limit must be an integer from 1 to {MAX_LIMIT}")
    types = [t.strip() for t in ",".join(params.getlist("type")).split(",") if t.strip()]
    if len(types) > MAX_TYPES or any(len(t) > 64 for t in types):
        raise FeedError(f"type: at most {MAX_TYPES} types of at most 64 characters")
    consumer = params.get("consumer")
    if consumer is not None:
        try:
            check_consumer_name(consumer)
        except ValueError as exc:
            raise FeedError(str(exc)) from None
    return int(after_text), int(limit_text), types, consumer


class Feed:
    def __init__(self, store, read_tokens: TokenSet):
        self.store = store
        self.read_tokens = read_tokens

    def authorized(self, request: Request) -> bool:
        value = request.headers.get("authorization") or ""
        scheme, _, credential = value.strip().partition(" ")
        return bool(self.read_tokens) and scheme.lower() == "bearer" and self.read_tokens.matches(credential.strip())

    async def endpoint(self, request: Request) -> Response:
        if not self.authorized(request):
            return JSONResponse({"error": "invalid token or session"}, status_code=401)
        try:
            after, limit, types, consumer = _parse(request.query_params)
        except FeedError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        try:
            page, watermark = await asyncio.to_thread(self._read, after, limit, types, consumer)
        except Exception as exc:
            log.error("feed read failed: %s: %s", type(exc).__name__, exc)
            return JSONResponse({"error": "storage unavailable"}, status_code=503)
        items = [item(wb) for wb in page]
        next_cursor = page[-1].seq if page else after
        body = {"writebacks": items, "next": str(next_cursor), "has_more": len(page) == limit,
                "watermark": str(watermark)}
        return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")

    def _read(self, after, limit, types, consumer):
        if consumer:
            set_cursor(self.store, consumer, after)
        watermark = last_seq(self.store)
        return read_feed(self.store, after, limit, types), watermark
