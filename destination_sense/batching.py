"""Batches: JSON arrays of serialised records, gzip-compressed as they fill, within both limits.

A ``GzipBatch`` compresses its records once, as they arrive, and knows its compressed size
exactly when it matters:
- records are buffered and fed to one streaming ``zlib`` compressor in chunks of at most 64 KiB,
  each chunk ended with a ``Z_SYNC_FLUSH`` so the compressed size so far is exact (a few bytes per
  chunk);
- a record is just appended while the exact size plus every pending byte uncompressed (a bound
  that always holds) stays under the limit; when it would not, the pending bytes are compressed
  first, so chunks shrink as the batch nears the limit;
- when even that leaves no room, each record is tried on a copy of the compressor state: if the
  body would exceed the limit once finished, the record is left for the next batch and the
  compressor rolls back.
The batch is therefore filled as close to the byte limit as a record boundary allows, without ever
recompressing it. Only rare events rebuild it from the retained raw records: a second version of an
id within the batch (only the last is kept), and the caller splitting it after a 413 or a 400.
"""
from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

CHUNK_BYTES = 64 * 1024
#: Bytes the closing ``]``, the final deflate block and the gzip trailer can take.
FINISH_RESERVE = 24
DEFAULT_LEVEL = 6


@dataclass
class Item:
    """One record in a batch: its serialised JSON and what identifies it in reports."""

    data: bytes
    entity_id: str
    stream: str
    position: int
    meta: Any = None


class RecordTooLarge(ValueError):
    pass


@dataclass
class GzipBatch:
    collection: str
    max_records: int
    max_bytes: int
    level: int = DEFAULT_LEVEL
    ratio_hint: float = 0.3
    items: List[Item] = field(default_factory=list)
    superseded: List[Item] = field(default_factory=list)
    created_at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self._ids: Dict[str, int] = {}
        self._reset_compressor()

    # ------------------------------------------------------------------
    def _reset_compressor(self) -> None:
        self._comp = zlib.compressobj(self.level, zlib.DEFLATED, 31)
        self._out: List[bytes] = []
        self._out_len = 0
        self._pending: List[bytes] = []
        self._pending_len = 0
        self._fed_raw = 0  # raw bytes compressed and flushed so far
        self._raw_total = 0
        self._careful = False
        self._finished: Optional[bytes] = None

    def __len__(self) -> int:
        return len(self.items)

    @property
    def raw_bytes(self) -> int:
        return self._raw_total + 1

    @property
    def compressed_bytes(self) -> int:
        """Exact compressed size of what has been flushed (pending bytes excluded)."""
        return self._out_len

    @property
    def ratio(self) -> float:
        return self._out_len / self._fed_raw if self._fed_raw > 4096 else self.ratio_hint

    def _flush_pending(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            chunk = self._comp.compress(data) + self._comp.flush(zlib.Z_SYNC_FLUSH)
            self._fed_raw += len(data)
            self._pending_len = 0
            self._out.append(chunk)
            self._out_len += len(chunk)

    # ------------------------------------------------------------------
    def add(self, item: Item) -> bool:
        """Append ``item``; False when the batch is full and the item belongs in the next batch.

        Raises ``RecordTooLarge`` when the item alone cannot fit in an empty batch.
        """
        if self._finished is not None:
            raise RuntimeError("batch already finished")
        previous = self._ids.get(item.entity_id)
        if previous is not None:
            return self._replace(previous, item)
        if len(self.items) >= self.max_records:
            return False
        piece = (b"," if self.items else b"[") + item.data
        if not self._careful:
            # Pessimistic: pending bytes might not compress at all. Flush (exact size) when the
            # chunk is full or when the pessimistic bound reaches the limit.
            room = self.max_bytes - self._out_len - FINISH_RESERVE
            size = self._pending_len + len(piece)
            if size > room or size > CHUNK_BYTES:
                self._flush_pending()
                room = self.max_bytes - self._out_len - FINISH_RESERVE
                size = len(piece)
            if size <= room:
                self._pending.append(piece)
                self._pending_len += len(piece)
                self._accept(item, len(piece))
                return True
            self._careful = True
        snapshot = self._comp.copy()
        chunk = self._comp.compress(piece) + self._comp.flush(zlib.Z_SYNC_FLUSH)
        if self._out_len + len(chunk) + FINISH_RESERVE > self.max_bytes:
            self._comp = snapshot
            if not self.items:
                raise RecordTooLarge(
                    f"the record is {len(item.data):,} bytes of JSON and {len(chunk):,} bytes compressed, "
                    f"more than a whole request may hold ({self.max_bytes:,} bytes compressed)"
                )
            return False
        self._out.append(chunk)
        self._out_len += len(chunk)
        self._fed_raw += len(piece)
        self._accept(item, len(piece))
        return True

    def _accept(self, item: Item, raw_len: int) -> None:
        self._ids[item.entity_id] = len(self.items)
        self.items.append(item)
        self._raw_total += raw_len

    def _replace(self, index: int, item: Item) -> bool:
        """Keep only the last version of an id: drop the earlier one and rebuild the stream."""
        old = self.items[index]
        kept = self.items[:index] + self.items[index + 1 :]
        self.superseded.append(old)
        self.items = []
        self._ids = {}
        self._reset_compressor()
        for other in kept:
            if not self.add(other):  # cannot happen: the same records fitted before
                raise AssertionError("rebuilt batch no longer fits")
        if self.add(item):
            return True
        # The new version does not fit where the old one did: put the old one back? No - the old
        # version is superseded either way; the new one goes to the next batch.
        return False

    def body(self) -> bytes:
        """The finished gzip body (computed once)."""
        if self._finished is None:
            if not self.items:
                raise ValueError("empty batch")
            self._flush_pending()
            tail = self._comp.compress(b"]") + self._comp.flush(zlib.Z_FINISH)
            self._finished = b"".join(self._out) + tail
            self._out = []
            self._comp = None
        return self._finished

    def rebuilt(self, items: List[Item]) -> "GzipBatch":
        """A new batch of the same collection holding ``items`` (used after 400 and 413 answers)."""
        batch = GzipBatch(self.collection, self.max_records, self.max_bytes, self.level, self.ratio)
        for item in items:
            if not batch.add(item):
                raise AssertionError("a subset of a batch must fit")
        return batch
