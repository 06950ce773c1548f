"""The sender: POSTs the scheduler's batches, PATCHes its updates, runs sink work, echoes the STATEs it is given.

It works its queue strictly in order on its own thread (one request in flight while the next batches
fill), so what the scheduler passes on after a batch happens after that batch was answered; after a
failure nothing more is sent or echoed (``Stage``).

Answers: 201 → accepted (the ledger is told, with Sense's ``request_id``). 413 → the batch is split
in two and each half sent, and the entity's byte limit is lowered (``ByteLimits``, owned here): the
scheduler fills later batches to ``fill_limit`` and a batch built before that lesson and still above
it is split before it is sent. 400 with per-entity errors → exactly those records are rejected and
the rest re-sent; when the errors cannot be tied to records, the batch is bisected until they can.
Retryable failures are handled by the client (``http_client``, ``retry``); anything else stops
the sender. ``dry_run``: nothing is sent, everything counts as accepted.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Tuple

from destination_sense.errors import SenseError
from destination_sense.ledger import SyncLedger
from destination_sense.output import ProtocolOutput
from destination_sense.records.item import Item
from destination_sense.schedule.gzip_batch import GzipBatch
from destination_sense.schedule.scheduler import StateMarker, Updates
from destination_sense.send.byte_limits import ByteLimits
from destination_sense.send.http_client import EntityError, SenseClient, parse_entity_errors, request_id_of
from destination_sense.stage import Stage

QUEUE_DEPTH = 1
#: Concurrent PATCH requests for partial updates.
UPDATE_CONCURRENCY = 4


class Sender(Stage):
    name = "sender"

    def __init__(
        self,
        client: Optional[SenseClient],
        output: ProtocolOutput,
        ledger: SyncLedger,
        max_bytes: int,
        dry_run: bool = False,
    ):
        self.client = client
        self.output = output
        self.ledger = ledger
        self.limits = ByteLimits(max_bytes)
        self.dry_run = dry_run or client is None
        self._pool: Optional[ThreadPoolExecutor] = None
        super().__init__(QUEUE_DEPTH)

    # what the scheduler and the sinks use ----------------------------------------
    def fill_limit(self, collection: str) -> int:
        """Compressed bytes the entity's next batch may hold (lowered by 413 answers)."""
        return self.limits.for_entity(collection)

    def request(self, method: str, path: str, headers: dict, body, what: str):
        """One request to ``api_url + path`` with auth and retries: ``(response, retries)`` (sinks use it)."""
        return self.client.send(method, self.client.api_url + path, headers, body, what)

    # the queue -----------------------------------------------------------------------
    def finish(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def handle(self, item) -> None:
        cls = item.__class__
        if cls is GzipBatch:
            self._deliver(item)
        elif cls is StateMarker:
            self.ledger.commit_state(item.state, item.scope, item.positions, self.output.state)
        elif cls is Updates:
            self._update(item)
        else:  # a sink's work (possible values, resume uploads)
            item.deliver(self)

    # partial updates ---------------------------------------------------------
    def _update(self, updates: Updates) -> None:
        """PATCH each record, ``UPDATE_CONCURRENCY`` at a time; updates of one id stay in order."""
        if self.dry_run:
            for item in updates.items:
                self.ledger.sent(updates.collection, (item,), "updated")
            return
        lanes: Dict[int, List[Item]] = {}
        width = min(UPDATE_CONCURRENCY, len(updates.items))
        for item in updates.items:
            lanes.setdefault(hash(item.entity_id) % width, []).append(item)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(UPDATE_CONCURRENCY, thread_name_prefix="sense-patch")
        futures = [self._pool.submit(self._patch_lane, updates.collection, lane) for lane in lanes.values()]
        errors = [f.exception() for f in futures]
        for error in errors:
            if error is not None:
                raise error

    def _patch_lane(self, collection: str, items: List[Item]) -> None:
        for item in items:
            response = self.client.patch_entity(collection, item.entity_id, item.data)
            status = response.status_code
            if 200 <= status < 300:
                self.ledger.sent(collection, (item,), "updated", request_id_of(response.content))
            elif status == 404:
                self._reject(item, [(None, "no entity with this id exists in Sense: a partial update needs an existing entity")])
            elif status == 400:
                errors = parse_entity_errors(response.content) or [EntityError(None, response.text[:300])]
                self._reject(item, [(e.field_name, e.message) for e in errors])
            else:
                raise SenseError(f"PATCH /{collection}/{{id}} answered unexpected HTTP {status}: {response.text[:300]}")

    # batches -----------------------------------------------------------------
    def _deliver(self, batch: GzipBatch) -> None:
        body = batch.body()
        if self.dry_run:
            self._accepted(batch, body, None)
            return
        limit = self.limits.for_entity(batch.collection)
        if len(body) > limit and len(batch.items) > 1:
            # built before a 413 lowered the limit: split now instead of sending what will be refused
            self._split(batch, f"{len(body):,} compressed bytes is above the {limit:,} learned from a 413")
            return
        outcome = self.client.post_batch(batch.collection, body, f"POST /{batch.collection} ({len(batch)} records)")
        self.ledger.retried(batch.collection, outcome.retries)
        if outcome.accepted:
            self._accepted(batch, body, outcome.request_id)
        elif outcome.too_large:
            limit = self.limits.too_large(batch.collection, len(body))
            self.output.info(f"Sense answered 413 to {len(body):,} compressed bytes of {batch.collection}: later batches hold at most {limit:,}.")
            self._split(batch, "Sense answered 413 (payload too large)")
        elif outcome.rejected:
            self._handle_rejected(batch, outcome.errors)
        else:  # pragma: no cover - the client raises for anything else
            raise RuntimeError(f"unexpected outcome {outcome.status}")

    def _accepted(self, batch: GzipBatch, body: bytes, request_id: Optional[str]) -> None:
        records = batch.items + batch.superseded if batch.superseded else batch.items
        self.ledger.sent(
            batch.collection, records, "sent", request_id, compressed=len(body), raw=batch.raw_bytes, superseded=len(batch.superseded)
        )

    def _split(self, batch: GzipBatch, why: str) -> None:
        items = batch.items
        self.ledger.split(batch.collection)
        if len(items) == 1:
            batch.restore_raw()  # the rejection carries the JSON as sent
            self._reject(items[0], [(None, why + " for this single record")])
            self._count_superseded(batch)
            return
        half = len(items) // 2
        self.output.info(f"{why} for {len(items)} {batch.collection}; sending it as two batches.")
        first, second = batch.rebuilt(items[:half]), batch.rebuilt(items[half:])
        first.superseded = batch.superseded
        self._deliver(first)
        self._deliver(second)

    def _handle_rejected(self, batch: GzipBatch, errors: List[EntityError]) -> None:
        by_index: Dict[int, List[EntityError]] = {}
        positions = {item.entity_id: i for i, item in enumerate(batch.items)}
        for error in errors:
            index = error.index
            if index is None or index >= len(batch.items):
                index = positions.get(error.entity_id) if error.entity_id is not None else None
            if index is not None:
                by_index.setdefault(index, []).append(error)
        if not by_index:
            self._split(batch, "Sense answered 400 without naming the records at fault")
            return
        batch.restore_raw()  # the rejections carry the JSON as sent
        for index, item_errors in sorted(by_index.items()):
            self._reject(batch.items[index], [(e.field_name, e.message) for e in item_errors])
        rest = [item for i, item in enumerate(batch.items) if i not in by_index]
        if rest:
            retry = batch.rebuilt(rest)
            retry.superseded = batch.superseded
            self._deliver(retry)
        else:
            self._count_superseded(batch)

    def _count_superseded(self, batch: GzipBatch) -> None:
        """Earlier versions of an id in a batch count as sent with it, even when the last version is rejected."""
        if batch.superseded:
            self.ledger.sent(batch.collection, batch.superseded, "sent", requests=0, superseded=len(batch.superseded))
            batch.superseded = []

    def _reject(self, item: Item, problems: List[Tuple]) -> None:
        self.ledger.reject(item.stream, item.position, item.entity_id, problems, item.line, item.data)
