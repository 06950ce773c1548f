"""SQLite backend (the embedded default): WAL journal, ``synchronous=FULL``, one writer thread.

With ``synchronous=FULL`` in WAL mode every commit fsyncs the WAL, so a write-back answered 200 is
on disk even if the machine loses power right after; group commit makes concurrent requests share
that fsync. Readers use their own connections and never block the writer (WAL).

Checkpoints (copying the WAL back into the database file, with an fsync of its own) run in a
separate thread every ``checkpoint_interval`` seconds instead of inside whichever commit crosses
SQLite's automatic threshold: a commit never waits for one, which keeps the latency tail short.
``close`` truncates the WAL.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
from contextlib import contextmanager

from sense_writeback.store.base import Store

log = logging.getLogger("sense_writeback.store")

SCHEMA = """
CREATE TABLE IF NOT EXISTS writebacks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    receiver_id TEXT NOT NULL UNIQUE,
    sense_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    version REAL NOT NULL,
    created_date TEXT NOT NULL,
    received_at TEXT NOT NULL,
    auth_mode TEXT NOT NULL,
    raw BLOB NOT NULL,
    body_sha256 TEXT NOT NULL,
    unknown_type INTEGER NOT NULL DEFAULT 0,
    newer_version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS writeback_entities (
    seq INTEGER NOT NULL REFERENCES writebacks(seq) ON DELETE CASCADE,
    role TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (seq, role, entity_type, entity_id)
);
CREATE INDEX IF NOT EXISTS writeback_entities_by_entity ON writeback_entities (entity_type, entity_id);
CREATE TABLE IF NOT EXISTS writeback_conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sense_id TEXT NOT NULL,
    receiver_id TEXT NOT NULL,
    first_received_at TEXT NOT NULL,
    last_received_at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    auth_mode TEXT NOT NULL,
    raw BLOB NOT NULL,
    body_sha256 TEXT NOT NULL,
    UNIQUE (sense_id, body_sha256)
);
"""


class SQLiteStore(Store):
    kind = "sqlite"

    def __init__(self, path: str, max_batch: int = 512, writer: bool = True, busy_timeout_ms: int = 10_000,
                 checkpoint_interval: float = 0.5):
        if path == ":memory:" or not path:
            raise ValueError("the SQLite store needs a file (an in-memory database would lose write-backs)")
        self.path = os.path.abspath(path)
        self.busy_timeout_ms = busy_timeout_ms
        self.checkpoint_interval = checkpoint_interval
        self._stop_checkpoints = threading.Event()
        self._checkpointer = None
        super().__init__(max_batch=max_batch, writer=writer)
        if writer:
            self._checkpointer = threading.Thread(target=self._checkpoints, name="sense-writeback-checkpoint",
                                                  daemon=True)
            self._checkpointer.start()

    def _checkpoints(self) -> None:
        conn = self._open()
        try:
            while not self._stop_checkpoints.wait(self.checkpoint_interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:
                    log.warning("WAL checkpoint failed (retried): %s", exc)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:
            log.warning("final WAL checkpoint failed: %s", exc)
        finally:
            conn.close()

    def close(self, timeout=None) -> None:
        super().close(timeout)
        if self._checkpointer is not None:
            self._stop_checkpoints.set()
            self._checkpointer.join(timeout)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=self.busy_timeout_ms / 1000)
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def create_schema(self) -> None:
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        conn = self._open()
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise RuntimeError(f"SQLite refused WAL mode for {self.path} (journal_mode={mode})")
            conn.executescript(SCHEMA)
        finally:
            conn.close()

    def connect(self) -> sqlite3.Connection:
        conn = self._open()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")  # the checkpoint thread does it
        return conn

    def write(self, conn, items):
        conn.execute("BEGIN IMMEDIATE")
        try:
            return super().write(conn, items)
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise

    def recover(self, conn):
        if conn.in_transaction:
            conn.rollback()
        return conn

    @contextmanager
    def reader(self):
        conn = self._open()
        try:
            yield conn
        finally:
            conn.close()
