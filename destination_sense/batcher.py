"""The batching stage: fills one gzip batch per entity and hands full batches to delivery.

The reading thread sends it runs of serialised records per entity (``Records``), ``Flush``
commands (on STATE, on age, at the end) and state markers, in input order. It compresses on its
own thread (the compressor releases the GIL), so reading, compressing and sending overlap.
A ``Flush`` of several entities closes their batches in the published entity order.

References: before a batch is sent, the open batches of earlier entities that hold an entity it
references are sent first, so a record never reaches Sense before what it points to, even when
the source interleaves its streams.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

from destination_sense.batching import DEFAULT_LEVEL, GzipBatch, Item, RecordTooLarge
from destination_sense.direct import DirectItem
from destination_sense.entities import ENTITIES
from destination_sense.rejections import Rejections
from destination_sense.stage import Stage
from destination_sense.state import DeliveryCounts, StateMarker

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


@dataclass
class Records:
    collection: str
    items: List[Item]


@dataclass
class Updates:
    """Partial updates (PATCH) of one entity; each item's data is the JSON body without the id."""

    collection: str
    items: List[Item]


@dataclass
class Flush:
    collection: Optional[str] = None  # None: every entity, in the published order


class Batcher(Stage):
    name = "batching"

    def __init__(self, delivery: Stage, rejections: Rejections, counts: DeliveryCounts, max_records: int, max_bytes: int, level: int = DEFAULT_LEVEL):
        self.delivery = delivery
        self.rejections = rejections
        self.counts = counts
        self.max_records = max_records
        self.max_bytes = max_bytes
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
            self.delivery.submit(item)
        else:  # pragma: no cover
            raise TypeError(f"unexpected {item!r}")

    def _feed(self, collection: str, items: List[Item]) -> None:
        i, n = 0, len(items)
        while i < n:
            batch = self.open[collection]
            if batch is None:
                batch = self.open[collection] = GzipBatch(
                    collection, self.max_records, self.max_bytes, self.levels[collection], self.ratio.get(collection, 0.0)
                )
            try:
                i = batch.extend(items, i)
            except RecordTooLarge as exc:  # pragma: no cover - the reader checks records near the limit
                bad = items[i]
                self.rejections.reject(collection, bad.stream, bad.position, bad.entity_id, [(None, str(exc))], self.counts)
                i += 1
                continue
            if i < n or batch.full:
                # closed by a limit: choose the next batch's level from which limit it was
                size = len(batch.body())
                self.levels[collection] = next_level(batch.full, size, batch.level, self.max_bytes, self.default_level)
                self._close(collection)

    def _close(self, collection: str) -> None:
        batch = self.open[collection]
        self.open[collection] = None
        if batch is not None and batch.items:
            self.ratio[collection] = batch.ratio
            self._send_referenced(batch)
            self.delivery.submit(batch)

    def _send_referenced(self, batch: GzipBatch) -> None:
        """Close the open batches of earlier entities that hold entities this batch references."""
        open_batches = self.open
        for item in batch.items:
            for target, entity_id in item.refs:
                other = open_batches[target]
                if other is not None and entity_id in other:
                    self._close(target)
