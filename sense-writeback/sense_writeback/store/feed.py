"""The feed's storage side: reading in ``seq`` order with a type filter, consumer cursors, retention.

Why ``seq > cursor`` never skips a row that commits later with a smaller ``seq``: every writer
assigns ``seq`` inside a transaction that is serialised with every other writer's (SQLite:
``BEGIN IMMEDIATE``, one writer at a time across processes; PostgreSQL: the batch's advisory
lock, see ``postgres.py``), so transactions commit in ``seq`` order and a reader that sees ``seq``
N already sees every committed ``seq`` below N. The *safe watermark* is therefore the largest
committed ``seq``; the feed never needs to hold rows back.

``writeback_consumers`` holds the cursor each registered consumer has processed up to (the
forwarder, feed readers that pass ``consumer=``). Retention deletes a write-back only when it was
received more than the retention ago **and** its ``seq`` is at or below every registered cursor.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional, Sequence

from sense_writeback.clock import utc_iso, utc_now
from sense_writeback.store import sql
from sense_writeback.store.records import StoredWriteBack

CONSUMERS_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS writeback_consumers (name TEXT PRIMARY KEY, cursor_seq BIGINT NOT NULL, "
    "updated_at TEXT NOT NULL)"
)
UPSERT_CURSOR = (
    "INSERT INTO writeback_consumers (name, cursor_seq, updated_at) VALUES (?, ?, ?) "
    "ON CONFLICT (name) DO UPDATE SET cursor_seq = excluded.cursor_seq, updated_at = excluded.updated_at "
    "WHERE writeback_consumers.cursor_seq < excluded.cursor_seq"
)
MAX_NAME = 100


def ensure_schema(store) -> None:
    """Create ``writeback_consumers`` if missing (on PostgreSQL under the schema's advisory lock, as
    replicas starting together would otherwise race on ``CREATE TABLE``)."""
    with store.reader() as conn:
        if store.kind == "postgres":
            from sense_writeback.store.postgres import ADVISORY_LOCK_KEY

            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
                conn.execute(CONSUMERS_SCHEMA)
            return
        cursor = conn.cursor()
        cursor.execute(CONSUMERS_SCHEMA)
        conn.commit()


def read_feed(store, after: int, limit: int, types: Optional[Sequence[str]] = None) -> List[StoredWriteBack]:
    """Up to ``limit`` write-backs with ``seq > after`` (of ``types`` if given), in ``seq`` order."""
    if not types:
        return store.read_page(after, limit)
    marks = ", ".join("?" for _ in types)
    statement = (f"SELECT seq, {', '.join(sql.WRITEBACK_COLUMNS)} FROM writebacks WHERE seq > ? AND type IN ({marks}) "
                 "ORDER BY seq LIMIT ?")
    with store.reader() as conn:
        cursor = conn.cursor()
        cursor.execute(store.convert(statement), (after, *types, limit))
        rows = cursor.fetchall()
        if not rows:
            return []
        cursor.execute(store.convert(sql.SELECT_ENTITIES), (rows[0][0], rows[-1][0]))
        return sql.rows_to_writebacks(rows, cursor.fetchall())


def last_seq(store) -> int:
    """The safe watermark: the largest committed ``seq`` (0 when empty)."""
    with store.reader() as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM writebacks")
        return int(cursor.fetchone()[0])


def check_consumer_name(name: str) -> str:
    if not name or len(name) > MAX_NAME or not all(c.isalnum() or c in "-_." for c in name):
        raise ValueError(f"consumer name must be 1-{MAX_NAME} letters, digits, '-', '_' or '.'")
    return name


def set_cursor(store, name: str, cursor_seq: int) -> None:
    """Record that consumer ``name`` has processed every write-back up to ``cursor_seq`` (never moves back)."""
    check_consumer_name(name)
    with store.reader() as conn:
        cursor = conn.cursor()
        cursor.execute(store.convert(UPSERT_CURSOR), (name, int(cursor_seq), utc_iso()))
        conn.commit()


def cursors(store) -> Dict[str, int]:
    with store.reader() as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT name, cursor_seq FROM writeback_consumers ORDER BY name")
        return {name: int(seq) for name, seq in cursor.fetchall()}


def remove_consumer(store, name: str) -> bool:
    with store.reader() as conn:
        cursor = conn.cursor()
        cursor.execute(store.convert("DELETE FROM writeback_consumers WHERE name = ?"), (name,))
        removed = cursor.rowcount > 0
        conn.commit()
        return removed


def prune(store, retention: timedelta, now: Optional[datetime] = None) -> int:
    """Delete write-backs received before ``now - retention`` that every registered consumer is past;
    the number deleted. Entity rows go with them (``ON DELETE CASCADE``)."""
    cutoff = ((now or utc_now()) - retention).astimezone(timezone.utc)
    cutoff_text = cutoff.isoformat(timespec="microseconds")
    with store.reader() as conn:
        cursor = conn.cursor()
        if store.kind == "sqlite":
            cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("SELECT MIN(cursor_seq) FROM writeback_consumers")
        floor = cursor.fetchone()[0]
        if floor is None:
            cursor.execute(store.convert("DELETE FROM writebacks WHERE received_at < ?"), (cutoff_text,))
        else:
            cursor.execute(store.convert("DELETE FROM writebacks WHERE received_at < ? AND seq <= ?"),
                           (cutoff_text, int(floor)))
        deleted = cursor.rowcount
        conn.commit()
        return deleted
