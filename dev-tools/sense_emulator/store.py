"""Storage of the emulator: entities, possible values and resume uploads.

Entities are kept as their JSON text (orjson bytes), one per ``(collection, id)``, in the order in
which each id was first received (an upsert replaces the body in place).

- Default (``:memory:``): entities live in per-collection dicts of bytes (cheap to write and,
  holding no Python containers per entity, invisible to the garbage collector); possible values and
  resumes in an in-memory SQLite database.
- ``--db PATH``: everything in a SQLite file, so a demo's result can be inspected with any SQLite
  client (``json_extract(body, '$.first_name')``). WAL mode, no fsync (a sandbox, not a bank).
  Entity batches are written by a background thread, so that SQLite's work (which releases the
  GIL) overlaps with the next request; every read first waits for the writes queued before it,
  so a client always reads its own writes.
"""
from __future__ import annotations

import queue
import sqlite3
import sys
import threading
import time
import traceback
from operator import itemgetter
from typing import Dict, Iterable, List, Optional, Sequence

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

_SLOT = 1000  # > MAX_BATCH_RECORDS: a lazy entity's value is batch_key * _SLOT + index


class _MemoryEntities:
    """Entities in dicts, ``{collection: {id: value}}``, plus ``{collection: {deleted ids}}``.

    A value is the entity's JSON (bytes) or, for an entity of a POSTed batch not read since, an
    int ``batch_key * _SLOT + index`` pointing into ``_batches[batch_key] = [json_array, live,
    ids]``: the request body is kept as received and its entities' JSON is only produced (and
    kept) when one of them is first read. This saves serialising every entity of every batch on
    the request path. A batch's text is dropped when none of its entities points to it any more.
    Neither bytes nor ints are tracked by the garbage collector.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def write(self, collection: str, items: Sequence[dict], raw: Optional[bytes] = None) -> None:
        ids = list(map(itemgetter("id"), items))
        deleted = {item["id"] for item in items if item.get("is_deleted") is True}
        with self._lock:
            table = self._bodies.setdefault(collection, {})
            if raw is None:
                dumps = orjson.dumps
                values = dict(zip(ids, map(dumps, items)))
            else:
                key = self._next_key
                self._next_key += 1
                values = dict(zip(ids, range(key * _SLOT, key * _SLOT + len(ids))))
                self._batches[key] = [raw, len(values), ids]
            self._release([table.get(i) for i in values])
            table.update(values)
            gone = self._deleted.setdefault(collection, set())
            if gone:
                gone.difference_update(values.keys() - deleted if deleted else values.keys())
            gone.update(deleted)

    def _release(self, old_values: Iterable) -> None:
        """Forget batch references being replaced; drop batches nothing points to any more."""
        for value in old_values:
            if value.__class__ is int:
                batch = self._batches[value // _SLOT]
                batch[1] -= 1
                if batch[1] == 0:
                    del self._batches[value // _SLOT]

    def _materialise(self, table: Dict[str, object], keys: Iterable[int]) -> None:
        """Give every entity still pointing into these batches its own JSON; drop the batches."""
        dumps = orjson.dumps
        for key in set(keys):
            raw, _, ids = self._batches.pop(key)
            records = orjson.loads(raw)
            for id_ in ids:
                value = table.get(id_)
                if value.__class__ is int and value // _SLOT == key:
                    table[id_] = dumps(records[value % _SLOT])

    def get(self, collection: str, id_: str) -> Optional[bytes]:
        with self._lock:
            table = self._bodies.get(collection, {})
            value = table.get(id_)
            if value.__class__ is int:
                self._materialise(table, [value // _SLOT])
            return table.get(id_)

    def bodies(self, collection: str, ids: Optional[Iterable[str]]) -> List[bytes]:
        with self._lock:
            table = self._bodies.get(collection, {})
            wanted = list(table) if ids is None else [i for i in ids if i in table]
            self._materialise(table, [v // _SLOT for v in map(table.get, wanted) if v.__class__ is int])
            return [table[i] for i in wanted]

    def ids(self, collection: str) -> List[str]:
        with self._lock:
            return list(self._bodies.get(collection, {}))

    def counts(self) -> dict:
        with self._lock:
            return {c: (len(t), len(self._deleted.get(c, ()))) for c, t in self._bodies.items() if t}

    def reset(self) -> None:
        with self._lock:
            self._bodies: Dict[str, Dict[str, object]] = {}
            self._deleted: Dict[str, set] = {}
            self._batches: Dict[int, list] = {}
            self._next_key = 0


class _SqliteEntities:
    """Entities in the ``entities`` table (one SQLite connection shared with the store)."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self._db, self._lock = db, lock

    def write(self, collection: str, items: Sequence[dict], raw: Optional[bytes] = None) -> None:
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

    def get(self, collection: str, id_: str) -> Optional[bytes]:
        with self._lock:
            row = self._db.execute(
                "SELECT CAST(body AS BLOB) FROM entities WHERE collection = ? AND id = ?", (collection, id_)
            ).fetchone()
        return row[0] if row else None

    def bodies(self, collection: str, ids: Optional[Iterable[str]]) -> List[bytes]:
        with self._lock:
            if ids is None:
                cur = self._db.execute(
                    "SELECT CAST(body AS BLOB) FROM entities WHERE collection = ? ORDER BY rowid", (collection,)
                )
                return [r[0] for r in cur]
            out = []
            for id_ in ids:
                row = self._db.execute(
                    "SELECT CAST(body AS BLOB) FROM entities WHERE collection = ? AND id = ?", (collection, id_)
                ).fetchone()
                if row:
                    out.append(row[0])
            return out

    def ids(self, collection: str) -> List[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT id FROM entities WHERE collection = ?", (collection,))]

    def counts(self) -> dict:
        with self._lock:
            cur = self._db.execute("SELECT collection, COUNT(*), SUM(is_deleted) FROM entities GROUP BY collection")
            return {c: (n, d or 0) for c, n, d in cur}

    def reset(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM entities")


class Store:
    """Thread-safe store (see the module's docstring)."""

    def __init__(self, path: str = ":memory:", queue_size: int = 64):
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA page_size = 16384")  # fewer, larger pages for ~2 kB rows (new databases)
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.executescript(_SCHEMA)
        self._queue: Optional[queue.Queue] = None
        if path == ":memory:":
            self._entities = _MemoryEntities()
        else:
            self._entities = _SqliteEntities(self._db, self._lock)
            self._queue = queue.Queue(maxsize=queue_size)
            self._writer = threading.Thread(target=self._write_loop, name="sense-emulator-store", daemon=True)
            self._writer.start()

    # -- writes -----------------------------------------------------------------------------
    def _write_loop(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                self._entities.write(*job)
            except Exception:  # pragma: no cover - would be a bug; keep the writer alive
                traceback.print_exc(file=sys.stderr)
            finally:
                self._queue.task_done()

    def upsert_many(self, collection: str, items: Sequence[dict], raw: Optional[bytes] = None) -> None:
        """Store entities (dicts with an ``id``; ``is_deleted: true`` marks a soft delete); the
        caller must not change them afterwards (with a file, they are written a moment later).
        ``raw``, if given, is the JSON array text ``items`` was parsed from (exactly)."""
        if self._queue is None:
            self._entities.write(collection, items, raw)
        else:
            self._queue.put((collection, items))

    def flush(self) -> None:
        """Wait until every queued write is in the database."""
        if self._queue is not None:
            self._queue.join()

    # -- entities ---------------------------------------------------------------------------
    def get(self, collection: str, id_: str) -> Optional[bytes]:
        """An entity's JSON (UTF-8 bytes), or None."""
        self.flush()
        return self._entities.get(collection, id_)

    def bodies(self, collection: str, ids: Optional[Iterable[str]] = None) -> List[bytes]:
        """Stored JSON of a collection in first-received order (only ``ids``, in that order, if given)."""
        self.flush()
        return self._entities.bodies(collection, ids)

    def ids(self, collection: str) -> List[str]:
        self.flush()
        return self._entities.ids(collection)

    def counts(self) -> dict:
        """``{collection: (stored, soft_deleted)}`` for collections with at least one entity."""
        self.flush()
        return self._entities.counts()

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
        self._entities.reset()
        with self._lock:
            self._db.execute("DELETE FROM possible_values")
            self._db.execute("DELETE FROM resumes")

    def close(self) -> None:
        self.flush()
        if self._queue is not None:
            self._queue.put(None)
            self._writer.join(5)
        with self._lock:
            self._db.close()
