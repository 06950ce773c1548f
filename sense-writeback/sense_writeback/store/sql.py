"""The SQL both backends share: how a batch of write-backs is written, and how rows are read.

Written with ``?`` placeholders (each backend's ``cursor_for`` takes them). A batch runs in one
transaction that the caller commits: per write-back one ``INSERT ... ON CONFLICT (sense_id) DO
NOTHING RETURNING seq``; when the Sense id is already stored, its first receiver id is answered and
a body with other content (not merely other formatting) is recorded in ``writeback_conflicts``
(one row per distinct body, with a count).
"""
from __future__ import annotations

from dataclasses import fields
from typing import Iterable, List, Sequence

from sense_writeback.store.records import (CONFLICT, DUPLICATE, STORED, Conflict, Incoming, Outcome, StoredWriteBack,
                                           WriteBackRow, same_content)

WRITEBACK_COLUMNS = tuple(column.name for column in fields(WriteBackRow))

INSERT_WRITEBACK = (
    f"INSERT INTO writebacks ({', '.join(WRITEBACK_COLUMNS)}) VALUES ({', '.join('?' for _ in WRITEBACK_COLUMNS)}) "
    "ON CONFLICT (sense_id) DO NOTHING RETURNING seq"
)
SELECT_EXISTING = "SELECT seq, receiver_id, body_sha256, raw FROM writebacks WHERE sense_id = ?"
INSERT_ENTITY = ("INSERT INTO writeback_entities (seq, role, entity_type, entity_id) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT DO NOTHING")
UPSERT_CONFLICT = (
    "INSERT INTO writeback_conflicts (sense_id, receiver_id, first_received_at, last_received_at, attempts, "
    "auth_mode, raw, body_sha256) VALUES (?, ?, ?, ?, 1, ?, ?, ?) "
    "ON CONFLICT (sense_id, body_sha256) DO UPDATE SET attempts = writeback_conflicts.attempts + 1, "
    "last_received_at = excluded.last_received_at"
)
SELECT_ROWS = (
    f"SELECT seq, {', '.join(WRITEBACK_COLUMNS)} FROM writebacks WHERE seq > ? ORDER BY seq LIMIT ?"
)
SELECT_ENTITIES = "SELECT seq, role, entity_type, entity_id FROM writeback_entities WHERE seq >= ? AND seq <= ?"
SELECT_BY_SENSE_ID = f"SELECT seq, {', '.join(WRITEBACK_COLUMNS)} FROM writebacks WHERE sense_id = ?"
SELECT_CONFLICTS = ("SELECT id, sense_id, receiver_id, first_received_at, last_received_at, attempts, auth_mode, raw, "
                    "body_sha256 FROM writeback_conflicts ORDER BY id")
COUNT_ROWS = "SELECT COUNT(*) FROM writebacks"


def write_batch(cursor, items: Sequence[Incoming]) -> List[Outcome]:
    """Write ``items`` through ``cursor`` (inside the caller's transaction); one ``Outcome`` each."""
    outcomes: List[Outcome] = []
    entity_rows = []
    for item in items:
        cursor.execute(INSERT_WRITEBACK, tuple(getattr(item, name) for name in WRITEBACK_COLUMNS))
        row = cursor.fetchone()
        if row is not None:
            seq = row[0]
            entity_rows.extend((seq, *reference) for reference in item.references)
            outcomes.append(Outcome(STORED, item.receiver_id, seq))
            continue
        cursor.execute(SELECT_EXISTING, (item.sense_id,))
        seq, receiver_id, body_sha256, raw = cursor.fetchone()
        if body_sha256 == item.body_sha256 or same_content(bytes(raw), item.raw):
            outcomes.append(Outcome(DUPLICATE, receiver_id, seq))
            continue
        cursor.execute(UPSERT_CONFLICT, (item.sense_id, receiver_id, item.received_at, item.received_at,
                                         item.auth_mode, item.raw, item.body_sha256))
        outcomes.append(Outcome(CONFLICT, receiver_id, seq))
    if entity_rows:
        cursor.executemany(INSERT_ENTITY, entity_rows)
    return outcomes


def rows_to_writebacks(rows: Iterable[Sequence], entity_rows: Iterable[Sequence]) -> List[StoredWriteBack]:
    """``StoredWriteBack``s from ``SELECT_ROWS`` rows and their ``SELECT_ENTITIES`` rows."""
    entities = {}
    for seq, role, entity_type, entity_id in entity_rows:
        entities.setdefault(seq, []).append((role, entity_type, entity_id))
    result = []
    for row in rows:
        seq, *values = row
        fields = dict(zip(WRITEBACK_COLUMNS, values))
        fields["raw"] = bytes(fields["raw"])
        fields["unknown_type"] = bool(fields["unknown_type"])
        fields["newer_version"] = bool(fields["newer_version"])
        result.append(StoredWriteBack(seq=seq, entities=tuple(sorted(entities.get(seq, ()))), **fields))
    return result


def rows_to_conflicts(rows: Iterable[Sequence]) -> List[Conflict]:
    return [Conflict(id=row[0], sense_id=row[1], receiver_id=row[2], first_received_at=row[3], last_received_at=row[4],
                     attempts=row[5], auth_mode=row[6], raw=bytes(row[7]), body_sha256=row[8]) for row in rows]
