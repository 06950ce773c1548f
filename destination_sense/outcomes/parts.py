"""Gzip JSON Lines in numbered parts: memory bounded by one part, every stored part whole and readable.

``LineParts`` compresses each line once, as it is written, into an in-memory gzip member. ``flush()`` closes
the member and puts it as the next part (``<prefix>/part-00001.jsonl.gz``, ``part-00002``, …); a part is
also flushed on its own when it reaches ``part_bytes`` compressed. A part whose put failed is kept and
put again by the next ``flush()`` (so a retry after a storage outage loses nothing); parts are never
rewritten, so what a failed sync stored stays readable with any gzip reader (``zcat``, ``gzip.open``).
"""
from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from typing import List, Optional

#: A part is put once its compressed size reaches this (about 40-100 MB of JSON lines).
PART_BYTES = 4 * 1024 * 1024
CONTENT_TYPE = "application/x-ndjson"
COMPRESSION_LEVEL = 6


@dataclass
class StoredPart:
    key: str
    records: int


class LineParts:
    def __init__(self, store, prefix: str, part_bytes: int = PART_BYTES):
        self.store = store
        self.prefix = prefix
        self.part_bytes = part_bytes
        self.stored: List[StoredPart] = []
        self.records = 0  # lines written, stored or not
        self._number = 0
        self._compressor = None
        self._buffer: Optional[io.BytesIO] = None
        self._lines = 0
        self._unstored: Optional[StoredPart] = None  # a closed part whose put failed
        self._unstored_data = b""

    @property
    def pending(self) -> int:
        """Lines written but not yet durably stored."""
        return self._lines + (self._unstored.records if self._unstored is not None else 0)

    def write(self, line: bytes) -> None:
        """Add one JSON line (without its newline); puts the part when it is full."""
        if self._compressor is None:
            self._compressor = zlib.compressobj(COMPRESSION_LEVEL, zlib.DEFLATED, 31)  # 31: gzip framing
            self._buffer = io.BytesIO()
        self._buffer.write(self._compressor.compress(line + b"\n"))
        self._lines += 1
        self.records += 1
        if self._buffer.tell() >= self.part_bytes:
            self.flush()

    def flush(self) -> None:
        """Store every line written so far (a part that failed before first); raises what the store raises."""
        if self._unstored is not None:
            self._put(self._unstored, self._unstored_data)
        if not self._lines:
            return
        self._buffer.write(self._compressor.flush(zlib.Z_FINISH))
        data = self._buffer.getvalue()
        self._number += 1
        part = StoredPart(f"{self.prefix}/part-{self._number:05d}.jsonl.gz", self._lines)
        self._compressor, self._buffer, self._lines = None, None, 0
        self._put(part, data)

    def _put(self, part: StoredPart, data: bytes) -> None:
        self._unstored, self._unstored_data = part, data
        self.store.put(part.key, data, CONTENT_TYPE)
        self._unstored, self._unstored_data = None, b""
        self.stored.append(part)
