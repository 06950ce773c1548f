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
import pathlib
import sqlite3
import threading
from contextlib import contextmanager

from sense_writeback.store.base import Store

log = logging.getLogger("sense_writeback.store")


class SQLiteStore(Store):
    kind = dialect = "sqlite"

    def __init__(self, path: str, max_batch: int = 512, writer: bool = True, busy_timeout_ms: int = 10_000,
                 checkpoint_interval: float = 0.5):
        if path == ":memory:" or not path:
            raise ValueError("the SQLite store needs a file (an in-memory database would lose write-backs)")
        self.path = os.path.abspath(path)
        self.busy_timeout_ms = busy_timeout_ms
        self.checkpoint_interval = checkpoint_interval
        self._stop_checkpoints = threading.Event()
        self._checkpointer = None
        self._mode = "rwc"
        super().__init__(max_batch=max_batch, writer=writer)
        if writer:
            self._checkpointer = threading.Thread(target=self._checkpoints, name="sense-writeback-checkpoint",
                                                  daemon=True)
            self._checkpointer.start()

    def _checkpoints(self) -> None:
        conn = self.open_connection()
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

    def open_connection(self) -> sqlite3.Connection:
        # "rwc" creates the file while the store is opened; after that "rw": a file deleted or moved
        # away under a running receiver is an error, not a new empty database
        conn = sqlite3.connect(f"{pathlib.Path(self.path).as_uri()}?mode={self._mode}", uri=True,
                               isolation_level=None, check_same_thread=False, timeout=self.busy_timeout_ms / 1000)
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys = ON")  # entity rows go with their write-back (retention)
        return conn

    def prepare(self) -> None:
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)

    def after_migration(self) -> None:
        with self.connection() as conn:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise RuntimeError(f"SQLite refused WAL mode for {self.path} (journal_mode={mode})")
        self._mode = "rw"

    def connect(self) -> sqlite3.Connection:
        conn = self.open_connection()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")  # the checkpoint thread does it
        return conn

    @contextmanager
    def transaction(self, conn, serialise: bool = False):
        # BEGIN IMMEDIATE takes the write lock up front: one writer at a time across processes, and
        # no deadlock from upgrading a read lock (so ``serialise`` holds for every transaction)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn.cursor()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise

    def recover(self, conn):
        if conn.in_transaction:
            conn.rollback()
        return conn

    def table_exists(self, cursor, name: str) -> bool:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return cursor.fetchone() is not None

    def json_text(self, blob: str, *keys: str) -> str:
        return f"json_extract(CAST({blob} AS TEXT), '$.{'.'.join(keys)}')"
