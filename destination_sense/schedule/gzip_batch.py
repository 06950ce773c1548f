"""Batches: JSON arrays of serialised records, gzip-compressed as they fill, within both limits.

A ``GzipBatch`` compresses its records exactly once, with one streaming deflate compressor
(zlib-ng when installed: the same gzip format, about twice as fast as zlib at the same level), and
knows its compressed size exactly whenever a decision depends on it:

- ``extend(items)`` compresses runs of records at once. A run is sized from the compression ratio
  observed so far to fill most of the remaining room, and is ended with a ``Z_SYNC_FLUSH``, after
  which the size is exact. If a run could overflow, the compressor state is copied first; if it
  does overflow, the copy is restored and the records go one at a time from there, each kept only
  if the finished body would still fit. So a batch of ~500 records costs a handful of compressor
  calls, each large enough to run without the GIL. ``add(item)`` is ``extend`` of one record.

A batch is therefore filled as close to the byte limit as a record boundary allows, without
recompressing it. Only rare events rebuild a batch from the retained raw records: a second version
of an id within the batch (only the last is kept), and the caller splitting it after a 413 or 400.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import orjson

from destination_sense.records.item import DEFAULT_LEVEL, Item, RecordTooLarge
from destination_sense.records.item import deflate as _deflate

#: Bytes the closing ``]``, the final deflate block and the gzip trailer can take.
FINISH_RESERVE = 24
#: A run is sized to fill this share of the remaining room, by the observed ratio.
RUN_FILL = 0.85
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
class GzipBatch:
    collection: str
    max_records: int
    max_bytes: int
    level: int = DEFAULT_LEVEL
    ratio_hint: float = 0.0  # 0: unknown, the first run is sized pessimistically
    items: List[Item] = field(default_factory=list)
    superseded: List[Item] = field(default_factory=list)
    created_at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self._ids: Dict[str, int] = {}
        self._reset_compressor()

    # ------------------------------------------------------------------
    def _reset_compressor(self) -> None:
        self._comp = _deflate.compressobj(self.level, _deflate.DEFLATED, 31)
        self._out: List[bytes] = []
        self._out_len = 0
        self._fed_raw = 0  # raw bytes compressed and flushed so far
        self._raw_total = 0
        self._careful = False
        self._finished: Optional[bytes] = None
        self.compressor_calls = 0

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, entity_id: str) -> bool:
        return entity_id in self._ids

    @property
    def full(self) -> bool:
        return len(self.items) >= self.max_records

    @property
    def raw_bytes(self) -> int:
        return self._raw_total + 1

    @property
    def compressed_bytes(self) -> int:
        """Exact compressed size so far (before the closing bytes)."""
        return self._out_len

    @property
    def ratio(self) -> float:
        if self._fed_raw > 4096:
            return self._out_len / self._fed_raw
        return self.ratio_hint

    @property
    def _room(self) -> int:
        return self.max_bytes - self._out_len - FINISH_RESERVE

    def _commit(self, chunk: bytes, raw_len: int) -> None:
        self._out.append(chunk)
        self._out_len += len(chunk)
        self._fed_raw += raw_len

    # ------------------------------------------------------------------
    def add(self, item: Item) -> bool:
        """Append ``item``; False when the batch is full and the item belongs in the next batch.

        Raises ``RecordTooLarge`` when the item alone cannot fit in an empty batch.
        """
        return self.extend((item,)) == 1

    def _try_run(self, run: Sequence[Item]) -> bool:
        """Compress ``run``; keep it if the batch still fits, else roll back to a copy of the state.

        No copy is taken when the run fits even uncompressed (deflate adds at most a few bytes per
        16 KiB): it cannot overflow."""
        data = b",".join([item.data for item in run])
        raw = len(data) + 1  # with the "[" or "," before the run
        snapshot = None if raw + raw // 1024 + 64 <= self._room else self._comp.copy()
        self.compressor_calls += 1
        comp = self._comp
        chunk = comp.compress(b"," if self.items else b"[") + comp.compress(data) + comp.flush(_deflate.Z_SYNC_FLUSH)
        if len(chunk) > self._room:
            if snapshot is None:  # pragma: no cover - excluded by the bound above
                raise AssertionError("a run that fitted uncompressed overflowed")
            self._comp = snapshot
            if not self.items and len(run) == 1:
                raise RecordTooLarge(len(run[0].data), f"more than {len(chunk):,}", self.max_bytes)
            return False
        self._commit(chunk, raw)
        items = self.items
        self._ids.update(zip([item.entity_id for item in run], range(len(items), len(items) + len(run))))
        items.extend(run)
        self._raw_total += raw
        return True

    def extend(self, items: Sequence[Item], start: int = 0) -> int:
        """Add ``items[start:]`` in order while they fit; return the index of the first one left out."""
        if self._finished is not None:
            raise RuntimeError("batch already finished")
        ids = self._ids
        i, n = start, len(items)
        while i < n:
            item = items[i]
            previous = ids.get(item.entity_id)
            if previous is not None:  # a later version of a record already in the batch
                if not self._replace(previous, item):
                    return i
                ids = self._ids  # rebuilt
                i += 1
                continue
            if len(self.items) >= self.max_records:
                return i
            if self._careful:
                if not self._try_run((item,)):
                    return i
                i += 1
                continue
            ratio = self.ratio or 1.0
            budget = self._room * RUN_FILL / ratio
            seen = set()
            size = 0
            j = i
            end = min(n, i + self.max_records - len(self.items))
            while j < end:
                item = items[j]
                entity_id = item.entity_id
                if entity_id in ids or entity_id in seen:
                    break
                size += len(item.data) + 1
                if size > budget and j > i:
                    size -= len(item.data) + 1
                    break
                seen.add(entity_id)
                j += 1
            if j == i + 1 and size > budget:
                self._careful = True  # one record fills what is left: go record by record
                continue
            if self._try_run(items[i:j]):
                i = j
            else:
                self._careful = True
        return i

    def _replace(self, index: int, item: Item) -> bool:
        """Keep only the last version of an id: drop the earlier one and rebuild the stream."""
        old = self.items[index]
        kept = self.items[:index] + self.items[index + 1 :]
        superseded = self.superseded + [old]
        self.items = []
        self._ids = {}
        self._reset_compressor()
        if self.extend(kept) != len(kept):  # pragma: no cover - the same records fitted before
            raise AssertionError("rebuilt batch no longer fits")
        self.superseded = superseded
        return self.add(item)

    def body(self) -> bytes:
        """The finished gzip body (computed once).

        Once the body exists, the records' raw JSON is released: a finished batch waiting for or
        in delivery holds only its compressed body (memory ~5 × smaller). The rare split after a
        413 or 400 gets the records back from the body (``restore_raw``)."""
        if self._finished is None:
            if not self.items:
                raise ValueError("empty batch")
            tail = self._comp.compress(b"]") + self._comp.flush(_deflate.Z_FINISH)
            self._finished = b"".join(self._out) + tail
            self._out = []
            self._comp = None
            for item in self.items:
                item.data = None
        return self._finished

    def restore_raw(self) -> None:
        """Give the items their raw JSON back, decoded from the finished body."""
        if self._finished is None or all(item.data is not None for item in self.items):
            return
        records = orjson.loads(_deflate.decompress(self._finished, 31))
        if len(records) != len(self.items):  # pragma: no cover - the body is built from the items
            raise AssertionError("body and items disagree")
        for item, record in zip(self.items, records):
            item.data = orjson.dumps(record)

    def rebuilt(self, items: List[Item]) -> "GzipBatch":
        """A new batch of the same collection holding ``items`` (used after 400 and 413 answers)."""
        self.restore_raw()
        batch = GzipBatch(self.collection, self.max_records, self.max_bytes, self.level, self.ratio)
        if batch.extend(items) != len(items):
            raise AssertionError("a subset of a batch must fit")
        return batch
