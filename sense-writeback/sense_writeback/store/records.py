"""What the store takes in (``Incoming``), answers (``Outcome``) and gives back (``StoredWriteBack``)."""
from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

from sense_writeback.references import Reference

STORED = "stored"
DUPLICATE = "duplicate"
CONFLICT = "conflict"


_ID_BYTES = 16
_ID_BLOCK = 256  # ids per read of the system's random source
_random_ids: List[str] = []
_ids_lock = threading.Lock()
os.register_at_fork(after_in_child=_random_ids.clear)  # a forked process never reuses its parent's ids


def new_receiver_id() -> str:
    """The receiver's own id for a write-back: ``wb_`` and 32 random hex digits (128 bits from
    ``os.urandom``, read 256 ids at a time: one system call per 256 write-backs instead of one each)."""
    try:
        return _random_ids.pop()
    except IndexError:
        with _ids_lock:
            if not _random_ids:
                block = os.urandom(_ID_BYTES * _ID_BLOCK).hex()
                step = _ID_BYTES * 2
                _random_ids.extend("wb_" + block[i:i + step] for i in range(0, len(block), step))
            return _random_ids.pop()


def body_hash(raw: bytes) -> str:
    """SHA-256 of the body bytes as received (hex)."""
    return hashlib.sha256(raw).hexdigest()


def same_content(first: bytes, second: bytes) -> bool:
    """Whether two bodies hold the same JSON (key order and formatting aside): a resend whose bytes
    differ only in formatting is a duplicate, not a conflict."""
    try:
        return _canonical(json.loads(first)) == _canonical(json.loads(second))
    except ValueError:
        return False


def _canonical(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Incoming:
    """One validated write-back to store."""

    receiver_id: str
    sense_id: str
    type: str
    version: float
    created_date: str  # ISO 8601, normalised to UTC
    received_at: str  # ISO 8601 UTC
    auth_mode: str
    raw: bytes
    body_sha256: str  # SHA-256 of raw (hex)
    unknown_type: bool
    newer_version: bool
    references: Tuple[Reference, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """The answer for one submitted write-back once its transaction has committed."""

    status: str  # STORED, DUPLICATE or CONFLICT
    receiver_id: str  # the id stored for this Sense id (the first one on a resend)
    seq: int


@dataclass(frozen=True)
class StoredWriteBack:
    """One row of ``writebacks`` with its entity references."""

    seq: int
    receiver_id: str
    sense_id: str
    type: str
    version: float
    created_date: str
    received_at: str
    auth_mode: str
    raw: bytes
    body_sha256: str  # SHA-256 of raw (hex)
    unknown_type: bool
    newer_version: bool
    entities: Tuple[Reference, ...] = ()

    def document(self) -> Dict[str, Any]:
        """The write-back as Sense sent it (parsed from the stored raw bytes)."""
        return json.loads(self.raw)


@dataclass(frozen=True)
class Conflict:
    """A resend of a stored Sense id with a different body (kept, never applied)."""

    sense_id: str
    receiver_id: str
    first_received_at: str
    last_received_at: str
    attempts: int
    auth_mode: str
    raw: bytes
    body_sha256: str  # SHA-256 of raw (hex)
    id: Optional[int] = None
