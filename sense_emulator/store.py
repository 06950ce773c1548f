"""SQLite storage of the emulator: entities, possible values and resume uploads.

Entities are stored as their JSON text, one row per ``(collection, id)``, so a demo's result can
be inspected with any SQLite client (``json_extract(body, '$.first_name')``). The default database
is in memory; ``--db PATH`` keeps it in a file (WAL mode, no fsync: it is a sandbox, not a bank).
Rows keep the order in which an id was first received (an upsert updates the row in place).
"""
from __future__ import annotations

import queue
import sqlite3
import sys
import threading
import time
import traceback
from typing import Iterable, List, Optional, Sequence

import orjson

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entities (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    is_deleted INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    received_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (collection, id)
);
CREATE TABLE IF NOT EXISTS possible_values (
    collection TEXT NOT NULL,
    field TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (collection, field)
);
CREATE TABLE IF NOT EXISTS resumes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    candidate_id TEXT NOT NULL,
    resume_id TEXT NOT NULL,
    file_name TEXT,
    file_extension TEXT NOT NULL,
    content_type TEXT,
    date_created TEXT NOT NULL,
    date_updated TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    file BLOB NOT NULL,
    received_at REAL NOT NULL
);
"""

_UPSERT = (
    "INSERT INTO entities (collection, id, body, is_deleted, received_at, updated_at) "
    "VALUES (?, ?, CAST(? AS TEXT), ?, ?, ?) "
    "ON CONFLICT (collection, id) DO UPDATE SET body = excluded.body, is_deleted = excluded.is_deleted, "
    "version = version + 1, updated_at = excluded.updated_at"
)

class Store:
    """Thread-safe SQLite store (one connection, one lock).

    Entity batches are written by a background writer thread, so that SQLite's work (which
    releases the GIL) overlaps with the next request; every read first waits for the writes
    queued before it, so a client always reads its own writes.
    """

    def __init__(self, path: str = ":memory:", queue_size: int = 64):
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA page_size = 16384")  # fewer, larger pages for ~2 kB rows (new databases)
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.executescript(_SCHEMA)
        self._queue: "queue.Queue" = queue.Queue(maxsize=queue_size)
        self._writer = threading.Thread(target=self._write_loop, name="sense-emulator-store", daemon=True)
        self._writer.start()

    # -- writes -----------------------------------------------------------------------------
    def _write_loop(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                self._write(*job)
            except Exception:  # pragma: no cover - would be a bug; keep the writer alive
                traceback.print_exc(file=sys.stderr)
            finally:
                self._queue.task_done()

    def _write(self, collection: str, items: Sequence[dict]) -> None:
        now = time.time()
        dumps = orjson.dumps
        params = [(collection, item["id"], dumps(item), item.get("is_deleted") is True, now, now) for item in items]
        with self._lock:
            db = self._db
            db.execute("BEGIN")
            try:
                db.executemany(_UPSERT, params)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def upsert_many(self, collection: str, items: Sequence[dict]) -> None:
        """Queue entities (dicts with an ``id``; ``is_deleted: true`` marks a soft delete); the
        caller must not change them afterwards."""
        self._queue.put((collection, items))

    def flush(self) -> None:
        """Wait until every queued write is in the database."""
        self._queue.join()

    # -- entities ---------------------------------------------------------------------------
    def get(self, collection: str, id_: str) -> Optional[str]:
        self.flush()
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM entities WHERE collection = ? AND id = ?", (collection, id_)
            ).fetchone()
        return row[0] if row else None

    def bodies(self, collection: str, ids: Optional[Iterable[str]] = None) -> List[str]:
        """Stored JSON texts of a collection in first-received order (only ``ids`` if given)."""
        self.flush()
        with self._lock:
            if ids is None:
                cur = self._db.execute(
                    "SELECT body FROM entities WHERE collection = ? ORDER BY rowid", (collection,)
                )
                return [r[0] for r in cur]
            out = []
            for id_ in ids:
                row = self._db.execute(
                    "SELECT body FROM entities WHERE collection = ? AND id = ?", (collection, id_)
                ).fetchone()
                if row:
                    out.append(row[0])
            return out

    def ids(self, collection: str) -> List[str]:
        self.flush()
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT id FROM entities WHERE collection = ?", (collection,))]

    def counts(self) -> dict:
        """``{collection: (stored, soft_deleted)}`` for collections with at least one entity."""
        self.flush()
        with self._lock:
            cur = self._db.execute(
                "SELECT collection, COUNT(*), SUM(is_deleted) FROM entities GROUP BY collection"
            )
            return {c: (n, d or 0) for c, n, d in cur}

    # -- possible values --------------------------------------------------------------------
    def get_possible_values(self, collection: str, field: str) -> Optional[str]:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM possible_values WHERE collection = ? AND field = ?", (collection, field)
            ).fetchone()
        return row[0] if row else None

    def put_possible_values(self, collection: str, field: str, body: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO possible_values (collection, field, body, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (collection, field) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                (collection, field, body, time.time()),
            )

    # -- resumes ----------------------------------------------------------------------------
    def add_resume(self, **fields) -> int:
        fields.setdefault("received_at", time.time())
        names = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        with self._lock:
            cur = self._db.execute(f"INSERT INTO resumes ({names}) VALUES ({marks})", tuple(fields.values()))
            return cur.lastrowid

    def resumes(self, candidate_id: Optional[str] = None) -> List[dict]:
        """Resume uploads without their file content (size and sha256 instead)."""
        query = (
            "SELECT seq, candidate_id, resume_id, file_name, file_extension, content_type, date_created, "
            "date_updated, size, sha256, received_at FROM resumes"
        )
        args: tuple = ()
        if candidate_id is not None:
            query += " WHERE candidate_id = ?"
            args = (candidate_id,)
        with self._lock:
            cur = self._db.execute(query + " ORDER BY seq", args)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur]

    def resume_file(self, seq: int) -> Optional[bytes]:
        with self._lock:
            row = self._db.execute("SELECT file FROM resumes WHERE seq = ?", (seq,)).fetchone()
        return row[0] if row else None

    # -- lifecycle --------------------------------------------------------------------------
    def reset(self) -> None:
        self.flush()
        with self._lock:
            self._db.execute("DELETE FROM entities")
            self._db.execute("DELETE FROM possible_values")
            self._db.execute("DELETE FROM resumes")

    def close(self) -> None:
        self.flush()
        self._queue.put(None)
        self._writer.join(5)
        with self._lock:
            self._db.close()
