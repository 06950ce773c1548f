"""The batching stage: fills one gzip batch per entity and hands full batches to delivery.

The reading thread sends it runs of serialised records per entity (``Records``), ``Flush``
commands (on STATE, on age, at the end) and state markers, in input order. It compresses on its
own thread (the compressor releases the GIL), so reading, compressing and sending overlap.
A ``Flush`` of several entities closes their batches in the published entity order.

States: a state marker is passed on to delivery only once every batch that was open when it
arrived (so every batch holding a record before it) has been passed on; until then it is held, in
order, and batches keep filling across states. Delivery echoes it after those batches are accepted.

Sizes: each new batch is limited by ``ByteLimits``, which a 413 answer lowers for its entity.

References: before a batch is sent, the open batches of earlier entities that hold an entity it
references are sent first, so a record never reaches Sense before what it points to, even when
the source interleaves its streams.
"""
from __future__ import annotations

from collections import deque
from typing import Deque, Dict, List, Optional, Set, Tuple

from destination_sense.byte_limits import ByteLimits
from destination_sense.gzip_batch import DEFAULT_LEVEL, FINISH_RESERVE, GzipBatch, Item, RecordTooLarge
from destination_sense.pipeline import DirectItem, Flush, Records, Stage, StateMarker, Updates
from destination_sense.rejections import Rejections
from destination_sense.state_counts import DeliveryCounts
from sense_api.entities import ENTITIES

QUEUE_DEPTH = 4
#: Faster compression levels and the size of their output relative to DEFAULT_LEVEL (zlib-ng,
#: measured on candidate-like records; SIZE_MARGIN absorbs some spread between data sets, and a
#: batch that closes on bytes all the same brings the default level back).
FAST_LEVELS = ((1, 1.65), (3, 1.15), (5, 1.015))
SIZE_MARGIN = 1.01


def next_level(closed_by_count: bool, size: int, level: int, max_bytes: int, default: int = DEFAULT_LEVEL) -> int:
    """The compression level for an entity's next batch, from how its last batch closed.

    While batches close on the record limit with room to spare in bytes, a faster level that would
    still fit is used: fewer CPU seconds, the same number of requests. As soon as a batch closes on
    the byte limit (or comes near it), the default level is back, so requests stay as full as the
    limits allow.
    """
    if not closed_by_count:
        return default
    factors = dict(FAST_LEVELS)
    at_default = size / factors.get(level, 1.0)  # what the batch would have weighed at the default level
    for fast, factor in FAST_LEVELS:
        if at_default * factor * SIZE_MARGIN <= max_bytes:
            return fast
    return default


class Batcher(Stage):
    name = "batching"

    def __init__(
        self,
        delivery: Stage,
        rejections: Rejections,
        counts: DeliveryCounts,
        max_records: int,
        max_bytes: int,
        level: int = DEFAULT_LEVEL,
        limits: Optional[ByteLimits] = None,
    ):
        self.delivery = delivery
        self.rejections = rejections
        self.counts = counts
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.limits = limits or ByteLimits(max_bytes)
        #: state markers not yet passed on, each with the entities whose open batch must go first
        self.held: Deque[Tuple[StateMarker, Set[str]]] = deque()
        self.default_level = level
        self.levels: Dict[str, int] = {e.collection: level for e in ENTITIES}
        self.open: Dict[str, Optional[GzipBatch]] = {e.collection: None for e in ENTITIES}
        self.ratio: Dict[str, float] = {}
        super().__init__(QUEUE_DEPTH)

    def handle(self, item) -> None:
        if isinstance(item, Records):
            self._feed(item.collection, item.items)
        elif isinstance(item, Flush):
            collections = [item.collection] if item.collection else [e.collection for e in ENTITIES]
            for collection in collections:
                self._close(collection)
        elif isinstance(item, (Updates, DirectItem)):
            self._close(item.collection)  # what came before the updates is sent before them
            self.delivery.submit(item)
        elif isinstance(item, StateMarker):
            waiting = {c for c, batch in self.open.items() if batch is not None and batch.items}
            self.held.append((item, waiting))
            self._release()
        else:  # pragma: no cover
            raise TypeError(f"unexpected {item!r}")

    def _feed(self, collection: str, items: List[Item]) -> None:
        i, n = 0, len(items)
        while i < n:
            batch = self.open[collection]
            if batch is None:
                max_bytes = self.limits.for_entity(collection)
                batch = self.open[collection] = GzipBatch(
                    collection, self.max_records, max_bytes, self.levels[collection], self.ratio.get(collection, 0.0)
                )
            limit = self.limits.for_entity(collection)
            if limit < batch.max_bytes:  # a 413 since the batch was opened: it obeys the new limit too
                if batch.items and batch.compressed_bytes + FINISH_RESERVE >= limit:
                    self._close(collection)
                    continue
                batch.max_bytes = limit
            try:
                i = batch.extend(items, i)
            except RecordTooLarge as exc:
                bad = items[i]
                if batch.max_bytes < self.max_bytes:
                    # too large for the limit learned from a 413, not for the configured one: it goes
                    # alone, and Sense's answer decides (a 413 rejects just this record)
                    self._close(collection)
                    alone = self.open[collection] = GzipBatch(collection, self.max_records, self.max_bytes, self.levels[collection])
                    alone.extend([bad], 0)
                    self._close(collection)
                    i += 1
                    continue
                self.rejections.reject(collection, bad.stream, bad.position, bad.entity_id, [(None, str(exc))], self.counts, sent_json=bad.data)
                i += 1
                continue
            if i < n or batch.full:
                # closed by a limit: choose the next batch's level from which limit it was
                size = len(batch.body())
                self.levels[collection] = next_level(batch.full, size, batch.level, batch.max_bytes, self.default_level)
                self._close(collection)

    def _close(self, collection: str) -> None:
        batch = self.open[collection]
        self.open[collection] = None
        if batch is not None and batch.items:
            self.ratio[collection] = batch.ratio
            self._send_referenced(batch)
            self.delivery.submit(batch)
        if self.held:
            for _, waiting in self.held:
                waiting.discard(collection)
            self._release()

    def _release(self) -> None:
        """Pass on the held markers, in order, whose batches have all been passed on."""
        held = self.held
        while held and not held[0][1]:
            self.delivery.submit(held.popleft()[0])

    def _send_referenced(self, batch: GzipBatch) -> None:
        """Close the open batches of earlier entities that hold entities this batch references."""
        open_batches = self.open
        for item in batch.items:
            for target, entity_id in item.refs:
                other = open_batches[target]
                if other is not None and entity_id in other:
                    self._close(target)
