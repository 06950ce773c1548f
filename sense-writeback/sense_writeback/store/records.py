"""What the store takes in (``Incoming``), answers (``Outcome``) and gives back (``StoredWriteBack``)."""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any, Optional, Tuple

from sense_writeback.references import Reference

STORED = "stored"
DUPLICATE = "duplicate"
CONFLICT = "conflict"


def new_receiver_id() -> str:
    """The receiver's own id for a write-back: ``wb_`` and 32 random hex digits."""
    return "wb_" + uuid.uuid4().hex


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
class WriteBackRow:
    """The columns of ``writebacks`` besides ``seq`` (``sql.WRITEBACK_COLUMNS`` is this list)."""

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


@dataclass(frozen=True)
class Incoming(WriteBackRow):
    """One validated write-back to store."""

    references: Tuple[Reference, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """The answer for one submitted write-back once its transaction has committed."""

    status: str  # STORED, DUPLICATE or CONFLICT
    receiver_id: str  # the id stored for this Sense id (the first one on a resend)
    seq: int


@dataclass(frozen=True, kw_only=True)
class StoredWriteBack(WriteBackRow):
    """One row of ``writebacks`` with its entity references."""

    seq: int
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
