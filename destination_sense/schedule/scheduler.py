"""The entity scheduler: per-entity batches, the order they leave in, and when a STATE may be echoed.

It runs on its own thread and receives, in input order, chunks of what the record pipeline made of
the input (``Item``, ``SideRecord``, ``StateMarker``) with ``TICK`` (the clock moved) and ``END``. It
fills one gzip batch per entity (``GzipBatch``: compressed as it fills, on this thread, so reading,
compressing and sending overlap), collects partial updates, hands side-stream records to their sink,
and passes finished work to the sender, which works its queue strictly in order.

**The STATE rule.** A STATE is echoed only once every record read before it is settled: accepted by
Sense, or rejected with a reason and counted. The scheduler enforces it alone. At a STATE it passes
on what cannot wait (the sinks' pending work, the pending partial updates) and then holds the STATE
until every batch that was open at that moment (so every batch holding a record read before it) has
been passed to the sender; only then is the STATE passed on, behind those batches. The sender works
in order and stops at the first failure, so the STATE reaches the output after those batches were
answered, or never. A STATE does not close batches: they keep filling across states (a source that
checkpoints after every record still fills requests), for at most ``state_delay_seconds`` after the
oldest STATE held (0: every STATE flushes every batch).

**Entity order.** Batches flushed together leave in the published entity order (``ENTITIES``);
before a batch leaves, the open batches of earlier entities that hold an entity it references leave
first, so a record never reaches Sense before what it points to; the records and partial updates
of one entity keep their input order; a sink's work leaves after the open batch of its entity
(possible values before the records that follow them, resume files after the candidates before
them).

**Flushing.** A batch closes when full (``max_records``, or the byte limit the sender gives for the
entity's next batch: ``fill_limit``), when its oldest record is ``flush_interval_seconds`` old, when
the oldest held STATE is ``state_delay_seconds`` old, and at the end.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Deque, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from destination_sense.catalog import StreamKey
from destination_sense.ledger import SyncLedger
from destination_sense.records.item import DEFAULT_LEVEL, Item, RecordTooLarge
from destination_sense.records.pipeline import SideRecord
from destination_sense.schedule.gzip_batch import GzipBatch, next_level
from destination_sense.stage import Stage
from sense_api.entities import ENTITIES

QUEUE_DEPTH = 4
#: Partial updates collected per entity before they are passed on.
UPDATE_HANDOFF = 200
COLLECTIONS = tuple(e.collection for e in ENTITIES)  # the published order


@dataclass
class Updates:
    """Partial updates (PATCH) of one entity; each item's data is the JSON body without the id."""

    collection: str
    items: List[Item]


@dataclass
class StateMarker:
    """A STATE as read, with the last position of the streams of its scope when it was read."""

    state: Dict[str, Any]
    scope: Optional[StreamKey]
    positions: Mapping[StreamKey, int]


class _Signal:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


TICK = _Signal("TICK")  # the clock moved: flush what is too old
END = _Signal("END")  # the input ended (or failed): flush everything


class EntityScheduler(Stage):
    name = "scheduler"

    def __init__(
        self,
        sender,
        ledger: SyncLedger,
        *,
        max_records: int,
        max_bytes: int,
        flush_interval: float = 300.0,
        state_delay: float = 5.0,
        sinks: Sequence[Any] = (),
        level: int = DEFAULT_LEVEL,
        clock=time.monotonic,
    ):
        self.sender = sender
        self.ledger = ledger
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.flush_interval = flush_interval
        self.state_delay = state_delay
        self.sinks = list(sinks)
        self.sink_for: Dict[StreamKey, Any] = {stream: sink for sink in self.sinks for stream in sink.streams}
        self.clock = clock
        self.default_level = level
        self.levels: Dict[str, int] = {c: level for c in COLLECTIONS}
        self.ratio: Dict[str, float] = {}
        self.open: Dict[str, Optional[GzipBatch]] = {c: None for c in COLLECTIONS}
        self.updates: Dict[str, List[Item]] = {c: [] for c in COLLECTIONS}
        self.oldest: Dict[str, Optional[float]] = {c: None for c in COLLECTIONS}
        #: STATEs not yet passed on: (marker, entities whose open batch must go first, when it arrived)
        self.held: Deque[Tuple[StateMarker, Set[str], float]] = deque()
        super().__init__(QUEUE_DEPTH)

    # ------------------------------------------------------------------ input
    def handle(self, chunk: List[Any]) -> None:
        try:
            self._handle(chunk)
        except BaseException:
            try:  # what came before the failure still goes, with the STATEs it settles
                self._flush_all()
            except BaseException:  # noqa: BLE001 - the first error is the one reported
                pass
            raise

    def _handle(self, chunk: List[Any]) -> None:
        run: List[Item] = []
        run_collection = None
        for item in chunk:
            cls = item.__class__
            if cls is Item and not item.update:
                if item.collection == run_collection:
                    run.append(item)
                    continue
                if run:
                    self._upsert(run_collection, run)
                run, run_collection = [item], item.collection
                continue
            if run:
                self._upsert(run_collection, run)
                run, run_collection = [], None
            if cls is Item:
                self._update(item)
            elif cls is StateMarker:
                self._state(item)
            elif cls is SideRecord:
                self._side(item)
            elif item is END:
                self._flush_all()
            elif item is not TICK:  # pragma: no cover
                raise TypeError(f"unexpected {item!r}")
        if run:
            self._upsert(run_collection, run)
        self._flush_aged()

    def _upsert(self, collection: str, items: List[Item]) -> None:
        self._send_due(collection)
        if self.updates[collection]:
            self._send_updates(collection)  # the updates before these records go first
        if self.oldest[collection] is None:
            self.oldest[collection] = self.clock()
        self._feed(collection, items)

    def _update(self, item: Item) -> None:
        collection = item.collection
        self._send_due(collection)
        batch = self.open[collection]
        if batch is not None and batch.items:
            self._close(collection)  # the records before this update go first
        updates = self.updates[collection]
        if not updates and self.oldest[collection] is None:
            self.oldest[collection] = self.clock()
        updates.append(item)
        if len(updates) >= UPDATE_HANDOFF:
            self._send_updates(collection)

    def _send_due(self, collection: str) -> None:
        """The sinks' work due before records of ``collection`` (possible values before the records that follow them)."""
        for sink in self.sinks:
            for work in sink.due_before(collection):
                self._send_work(work)

    def _side(self, record: SideRecord) -> None:
        sink = self.sink_for[record.stream]
        sink.add(record.stream, record.position, record.record, record.line)
        if sink.full:
            for work in sink.take():
                self._send_work(work)

    def _state(self, marker: StateMarker) -> None:
        """Pass on what cannot wait, then hold the STATE behind the batches open now (the STATE rule)."""
        if self.state_delay <= 0:
            self._flush_all()
        else:
            self._drain_sinks(before_records=True)
            for collection in COLLECTIONS:
                if self.updates[collection]:
                    self._send_updates(collection)
            self._drain_sinks(before_records=False)
        waiting = {c for c, batch in self.open.items() if batch is not None and batch.items}
        self.held.append((marker, waiting, self.clock()))
        self._release()

    # ------------------------------------------------------------------ batches
    def _feed(self, collection: str, items: List[Item]) -> None:
        i, n = 0, len(items)
        while i < n:
            batch = self.open[collection]
            if batch is None:
                batch = self.open[collection] = GzipBatch(
                    collection, self.max_records, self.sender.fill_limit(collection), self.levels[collection], self.ratio.get(collection, 0.0)
                )
            try:
                i = batch.extend(items, i)
            except RecordTooLarge as exc:
                bad = items[i]
                i += 1
                if batch.max_bytes < self.max_bytes:
                    # too large for the entity's fill limit, not for the configured one: it goes alone
                    self._close(collection)
                    alone = self.open[collection] = GzipBatch(collection, self.max_records, self.max_bytes, self.levels[collection])
                    alone.extend([bad], 0)
                    self._close(collection)
                    continue
                self.ledger.reject(bad.stream, bad.position, bad.entity_id, [(None, str(exc))], bad.line, bad.data)
                continue
            if i < n or batch.full:
                # closed by a limit: choose the next batch's level from which limit it was
                size = len(batch.body())
                self.levels[collection] = next_level(batch.full, size, batch.level, batch.max_bytes, self.default_level)
                self._close(collection)

    def _close(self, collection: str) -> None:
        """Pass on the entity's open batch (after what it references) or its pending updates; release STATEs."""
        batch = self.open[collection]
        self.open[collection] = None
        if batch is not None and batch.items:
            self.ratio[collection] = batch.ratio
            self._send_referenced(batch)
            self.sender.submit(batch)
        if self.updates[collection]:
            self._send_updates(collection)
        self.oldest[collection] = None
        if self.held:
            for _, waiting, _ in self.held:
                waiting.discard(collection)
            self._release()

    def _send_referenced(self, batch: GzipBatch) -> None:
        """Close the open batches of earlier entities that hold entities this batch references."""
        open_batches = self.open
        for item in batch.items:
            for target, entity_id in item.refs:
                other = open_batches[target]
                if other is not None and entity_id in other:
                    self._close(target)

    def _send_updates(self, collection: str) -> None:
        items, self.updates[collection] = self.updates[collection], []
        self.sender.submit(Updates(collection, items))

    def _send_work(self, work) -> None:
        self._close(work.collection)  # what was received before for its entity goes first
        self.sender.submit(work)

    def _drain_sinks(self, before_records: bool) -> None:
        for sink in self.sinks:
            if sink.precedes_records == before_records:
                for work in sink.take():
                    self._send_work(work)

    def _release(self) -> None:
        """Pass on the held STATEs, in order, whose batches have all been passed on."""
        held = self.held
        while held and not held[0][1]:
            self.sender.submit(held.popleft()[0])

    def _flush_all(self) -> None:
        self._drain_sinks(before_records=True)
        for collection in COLLECTIONS:
            self._close(collection)
        self._drain_sinks(before_records=False)

    def _flush_aged(self) -> None:
        now = self.clock()
        if self.held and now - self.held[0][2] >= self.state_delay:
            self._flush_all()
            return
        limit = self.flush_interval
        for collection in COLLECTIONS:
            started = self.oldest[collection]
            if started is not None and now - started >= limit:
                self._close(collection)
