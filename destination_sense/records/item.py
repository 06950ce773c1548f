"""What the record pipeline produces for an entity record: an ``Item``, and the one size check on it.

An ``Item`` is a record ready to send: its JSON serialised once (``data``), its id, where it came
from (stream, position, the input ``line`` as received, for reports) and the entities earlier in
the sync order it references (the scheduler sends those first). ``update`` marks a partial update
(PATCH, the id in the URL, not in ``data``).
"""
from __future__ import annotations

from typing import Any, Optional

try:  # zlib-ng: same API and gzip output as zlib, faster
    from zlib_ng import zlib_ng as deflate
except ImportError:  # pragma: no cover - zlib-ng is a declared dependency
    import zlib as deflate

DEFAULT_LEVEL = 6
#: A record whose JSON is at least this close to the byte limit is checked alone before batching.
NEAR_LIMIT_MARGIN = 256


class Item:
    """One record for an entity: its serialised JSON and what identifies it in reports."""

    __slots__ = ("data", "entity_id", "stream", "position", "refs", "collection", "update", "line")

    def __init__(
        self,
        data: Optional[bytes],
        entity_id: Any,
        stream: Any,
        position: int,
        refs: tuple = (),
        collection: str = "",
        update: bool = False,
        line: Optional[bytes] = None,
    ):
        self.data = data  # None once the batch's body is built (see GzipBatch.body)
        self.entity_id = entity_id
        self.stream = stream
        self.position = position
        self.refs = refs  # (collection, id) of the entities earlier in the sync order it references
        self.collection = collection
        self.update = update
        self.line = line  # the input line as received

    def __repr__(self) -> str:
        return f"Item({self.collection!r}, id={self.entity_id!r}, stream={self.stream!r}, position={self.position})"


class RecordTooLarge(ValueError):
    """A record that cannot fit even in an empty batch; the one wording of that rejection."""

    def __init__(self, json_bytes: int, compressed: str, max_bytes: int):
        super().__init__(
            f"the record is {json_bytes:,} bytes of JSON and {compressed} bytes compressed, "
            f"more than a whole request may hold ({max_bytes:,} bytes compressed)"
        )


def compressed_alone(data: bytes, level: int = DEFAULT_LEVEL) -> int:
    """Size of a gzip body holding just this record (``[record]``)."""
    comp = deflate.compressobj(level, deflate.DEFLATED, 31)
    return len(comp.compress(b"[" + data + b"]") + comp.flush(deflate.Z_FINISH))


def check_fits_alone(data: bytes, max_bytes: int, level: int = DEFAULT_LEVEL) -> None:
    """Raise ``RecordTooLarge`` if this record cannot fit even in an empty batch."""
    if len(data) + NEAR_LIMIT_MARGIN < max_bytes:
        return  # deflate never expands data by more than a few bytes per 16 KiB
    size = compressed_alone(data, level)
    if size > max_bytes:
        raise RecordTooLarge(len(data), f"{size:,}", max_bytes)
