"""Delivery: the pipeline stage that POSTs finished batches and echoes states, in order.

The batching stage queues finished batches and state markers; this stage takes them in order, so
a STATE is echoed only after every batch before it was accepted, and batches flushed together keep
the entity order in which they were queued. One batch is in flight while the next ones fill.

Answers: 201 → accepted. 413 → the batch is split in two and each half sent, and the entity's
byte limit is lowered (``ByteLimits``) so later batches start below the size that failed; a batch
built before that lesson and still above the new limit is split before it is sent. 400 with per-entity
errors → exactly those records are rejected and the rest re-sent; when the errors cannot be tied
to records, the batch is bisected until they can. Retryable failures are handled by the client;
anything else stops delivery, and no later state is ever echoed.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional

from destination_sense.byte_limits import ByteLimits
from destination_sense.errors import SenseError
from destination_sense.gzip_batch import GzipBatch, Item
from destination_sense.http_client import EntityError, SenseClient, parse_entity_errors
from destination_sense.outcomes.recorder import no_outcomes
from destination_sense.output import ProtocolOutput
from destination_sense.pipeline import DirectItem, Stage, StateMarker, Updates
from destination_sense.rejections import Rejections
from destination_sense.state_counts import DeliveryCounts
from destination_sense.sync_stats import SyncStats

QUEUE_DEPTH = 1
#: Concurrent PATCH requests for partial updates.
UPDATE_CONCURRENCY = 4


class Delivery(Stage):
    name = "delivery"

    def __init__(
        self,
        client: Optional[SenseClient],
        output: ProtocolOutput,
        stats: SyncStats,
        rejections: Rejections,
        counts: DeliveryCounts,
        dry_run: bool = False,
        limits: Optional[ByteLimits] = None,
        outcomes=None,
    ):
        self.limits = limits
        #: told of accepted records and of each STATE before and after it is echoed (``destination_sense.outcomes``)
        self.outcomes = outcomes if outcomes is not None else no_outcomes(100)
        self.client = client
        self.output = output
        self.stats = stats
        self.rejections = rejections
        self.counts = counts
        self.dry_run = dry_run
        self._pool: Optional[ThreadPoolExecutor] = None
        super().__init__(QUEUE_DEPTH)

    def finish(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def handle(self, item) -> None:
        if isinstance(item, StateMarker):
            state = self.counts.decorate(item)
            self.outcomes.before_state()  # every rejected record before it is stored first
            self.output.state(state)
            self.outcomes.state_committed()
        elif isinstance(item, Updates):
            self._update(item)
        elif isinstance(item, DirectItem):  # possible values, resume uploads
            item.deliver(self)
        else:
            self._deliver(item)

    # partial updates ---------------------------------------------------------
    def _update(self, updates: Updates) -> None:
        """PATCH each record, ``UPDATE_CONCURRENCY`` at a time; updates of one id stay in order."""
        lanes: Dict[int, List[Item]] = {}
        width = min(UPDATE_CONCURRENCY, len(updates.items))
        for item in updates.items:
            lanes.setdefault(hash(item.entity_id) % width, []).append(item)
        if self.dry_run:
            for item in updates.items:
                self._updated(updates.collection, item)
            return
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
                self._updated(collection, item)
            elif status == 404:
                self._reject(collection, item, [(None, "no entity with this id exists in Sense: a partial update needs an existing entity")])
            elif status == 400:
                errors = parse_entity_errors(response.content) or [EntityError(None, response.text[:300])]
                self._reject(collection, item, [(e.field_name, e.message) for e in errors])
            else:
                raise SenseError(f"PATCH /{collection}/{{id}} answered unexpected HTTP {status}: {response.text[:300]}")

    def _updated(self, collection: str, item: Item) -> None:
        stats = self.stats[collection]
        with self.stats.lock:
            stats.sent += 1
            stats.batches += 1
        self.outcomes.sent(collection, [(item.stream, item.position, item.entity_id)])

    def _deliver(self, batch: GzipBatch) -> None:
        stats = self.stats[batch.collection]
        body = batch.body()
        if self.dry_run:
            self._accepted(batch, body, None)
            return
        limit = self.limits.for_entity(batch.collection) if self.limits is not None else None
        if limit is not None and len(body) > limit and len(batch.items) > 1:
            # built before a 413 lowered the limit: split now instead of sending what will be refused
            self._split(batch, f"{len(body):,} compressed bytes is above the {limit:,} learned from a 413")
            return
        outcome = self.client.post_batch(batch.collection, body, f"POST /{batch.collection} ({len(batch)} records)")
        stats.retries += outcome.retries
        if outcome.accepted:
            self._accepted(batch, body, outcome.request_id)
        elif outcome.too_large:
            if self.limits is not None:
                limit = self.limits.too_large(batch.collection, len(body))
                self.output.info(f"Sense answered 413 to {len(body):,} compressed bytes of {batch.collection}: later batches hold at most {limit:,}.")
            self._split(batch, "Sense answered 413 (payload too large)")
        elif outcome.rejected:
            self._handle_rejected(batch, outcome.errors)
        else:  # pragma: no cover - the client raises for anything else
            raise RuntimeError(f"unexpected outcome {outcome.status}")

    def _accepted(self, batch: GzipBatch, body: bytes, request_id: Optional[str]) -> None:
        self.outcomes.sent(batch.collection, [(i.stream, i.position, i.entity_id) for i in (*batch.items, *batch.superseded)], request_id)
        stats = self.stats[batch.collection]
        stats.sent += len(batch.items) + len(batch.superseded)
        stats.superseded += len(batch.superseded)
        stats.batches += 1
        stats.bytes_compressed += len(body)
        stats.bytes_raw += batch.raw_bytes

    def _split(self, batch: GzipBatch, why: str) -> None:
        items = batch.items
        self.stats[batch.collection].splits += 1
        if len(items) == 1:
            batch.restore_raw()  # the record is stored as it was sent
            self._reject(batch.collection, items[0], [(None, why + " for this single record")])
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
        batch.restore_raw()  # the records are stored as they were sent
        for index, item_errors in sorted(by_index.items()):
            self._reject(batch.collection, batch.items[index], [(e.field_name, e.message) for e in item_errors])
        rest = [item for i, item in enumerate(batch.items) if i not in by_index]
        if rest:
            retry = batch.rebuilt(rest)
            retry.superseded = batch.superseded
            self._deliver(retry)
        else:
            self._count_superseded(batch)

    def _count_superseded(self, batch: GzipBatch) -> None:
        self.stats[batch.collection].sent += len(batch.superseded)
        self.stats[batch.collection].superseded += len(batch.superseded)
        batch.superseded = []

    def _reject(self, collection: str, item: Item, problems) -> None:
        self.rejections.reject(collection, item.stream, item.position, item.entity_id, problems, self.counts, sent_json=item.data)
