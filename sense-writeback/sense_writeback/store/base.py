"""``Store``: what both backends share (opening, group commit, reading, the probe); each backend
supplies its connections, its transactions and its dialect (``sqlite.py``, ``postgres.py``).

Every statement is written once with ``?`` placeholders; a backend's ``cursor_for`` accepts them.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Iterator, List, Optional

from sense_writeback.store import schema, sql
from sense_writeback.store.errors import StorageUnavailable
from sense_writeback.store.group_commit import GroupCommitter
from sense_writeback.store.records import Conflict, Incoming, Outcome, StoredWriteBack


class _ProbeDone(Exception):
    """Rolls the probe's transaction back."""


class Store:
    """Durable, idempotent storage of write-backs.

    Writing: ``submit(incoming)`` → ``Future[Outcome]`` resolved after the commit; ``put(incoming)``
    waits for it. Reading (any thread, any process): ``iter_writebacks(after_seq)`` in ``seq``
    order, ``get(sense_id)``, ``conflicts()``, ``count()``. ``probe()`` says whether the storage can
    serve. ``close()`` commits what was submitted.

    Opening migrates the database to ``schema.LATEST`` (or raises ``SchemaTooNew``); storage that
    cannot be reached raises ``StorageUnavailable``.
    """

    kind = "store"  # a label for pages and messages ("sqlite", "postgres")
    dialect = "sqlite"  # which DDL of ``schema.TYPES`` the backend speaks

    def __init__(self, max_batch: int = 512, writer: bool = True):
        try:
            self.prepare()
            self.schema_upgrade = schema.migrate(self)
            self.after_migration()
        except StorageUnavailable:
            raise
        except Exception as exc:
            raise StorageUnavailable(f"cannot open the {self.kind} store: {self.reason(exc)}") from exc
        self._committer: Optional[GroupCommitter] = None
        if writer:
            self._committer = GroupCommitter(connect=self.connect, write=self.write, recover=self.recover,
                                             disconnect=self.disconnect, max_batch=max_batch,
                                             name=f"sense-writeback-{self.kind}-writer")

    # -- backend hooks -------------------------------------------------------------------------
    def prepare(self) -> None:
        """Before the migration (e.g. create the SQLite file's directory)."""

    def after_migration(self) -> None:
        """After the migration (e.g. switch SQLite to WAL; from now on never create the file)."""

    def open_connection(self):
        """A new autocommit connection; transactions are explicit (``transaction``)."""
        raise NotImplementedError

    def connect(self):
        """The writer thread's connection."""
        return self.open_connection()

    def disconnect(self, conn) -> None:
        conn.close()

    def recover(self, conn):
        """After a failed batch: the connection to use next (``None`` opens a new one)."""
        return conn

    @contextmanager
    def transaction(self, conn, serialise: bool = False):
        """A cursor (``?`` placeholders) inside one transaction on ``conn``, committed at the end and
        rolled back on an exception. ``serialise``: one such transaction at a time across every
        process writing to the database (write-back batches, migrations)."""
        raise NotImplementedError
        yield

    def cursor_for(self, conn):
        """A cursor of ``conn`` that takes ``?`` placeholders."""
        return conn.cursor()

    def table_exists(self, cursor, name: str) -> bool:
        raise NotImplementedError

    def json_text(self, blob: str, *keys: str) -> str:
        """An SQL expression: the text at ``keys`` in the JSON document that column ``blob`` holds
        (``keys`` are the caller's constants, never input)."""
        raise NotImplementedError

    def reason(self, exc: BaseException) -> str:
        """A short description of ``exc`` without secrets (for ``StorageUnavailable``)."""
        first_line = (str(exc).strip().splitlines() or [""])[0]
        return f"{type(exc).__name__}: {first_line[:300]}"

    # -- connections ---------------------------------------------------------------------------
    @contextmanager
    def connection(self):
        """A new autocommit connection, closed at the end."""
        conn = self.open_connection()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def cursor(self):
        """A ``?``-placeholder cursor on a new autocommit connection."""
        with self.connection() as conn:
            yield self.cursor_for(conn)

    def write(self, conn, items) -> List[Outcome]:
        """One group-commit batch (the writer thread calls it)."""
        with self.transaction(conn, serialise=True) as cursor:
            return sql.write_batch(cursor, items)

    def probe(self) -> None:
        """Return when the storage is reachable, at ``schema.LATEST`` and writable; else raise
        ``StorageUnavailable`` with a short reason. Writes nothing (its transaction is rolled back)."""
        try:
            with self.connection() as conn:
                try:
                    with self.transaction(conn) as cursor:
                        version = schema.installed_version(self, cursor)
                        if version != schema.LATEST:
                            raise StorageUnavailable(f"the {self.kind} database is at schema version {version}, "
                                                     f"this release needs {schema.LATEST}")
                        cursor.execute("UPDATE schema_migrations SET applied_at = applied_at WHERE version = ?",
                                       (version,))
                        raise _ProbeDone
                except _ProbeDone:
                    return
        except StorageUnavailable:
            raise
        except Exception as exc:
            raise StorageUnavailable(f"the {self.kind} store cannot serve: {self.reason(exc)}") from exc

    # -- writing -------------------------------------------------------------------------------
    def submit(self, item: Incoming) -> "Future[Outcome]":
        return self._writer().submit(item)

    def submit_async(self, item: Incoming) -> "asyncio.Future[Outcome]":
        """From a coroutine: an ``asyncio.Future`` resolved after the commit (cheaper than ``submit``)."""
        return self._writer().submit_async(item)

    def _writer(self) -> GroupCommitter:
        if self._committer is None:
            raise RuntimeError("this store was opened for reading only (writer=False)")
        return self._committer

    def put(self, item: Incoming, timeout: Optional[float] = None) -> Outcome:
        return self.submit(item).result(timeout)

    def observe_commits(self, observer) -> None:
        """Call ``observer(batch_size, seconds)`` after every commit (metrics)."""
        if self._committer is not None:
            self._committer.observer = observer

    @property
    def writer_alive(self) -> bool:
        """The writer thread runs (it survives storage errors; only a bug ends it)."""
        return self._committer is not None and self._committer.alive

    @property
    def healthy(self) -> bool:
        return self._committer is not None and self._committer.alive and self._committer.last_error is None

    @property
    def last_error(self) -> Optional[str]:
        return self._committer.last_error if self._committer is not None else None

    def close(self, timeout: Optional[float] = None) -> None:
        if self._committer is not None:
            self._committer.close(timeout)

    # -- reading -------------------------------------------------------------------------------
    def iter_writebacks(self, after_seq: int = 0, batch: int = 500) -> Iterator[StoredWriteBack]:
        """Every stored write-back with ``seq > after_seq``, in ``seq`` order (a consumer keeps the
        last ``seq`` it processed and resumes from there)."""
        while True:
            page = self.read_page(after_seq, batch)
            if not page:
                return
            yield from page
            after_seq = page[-1].seq

    def read_page(self, after_seq: int = 0, limit: int = 500) -> List[StoredWriteBack]:
        return self.read_rows(sql.SELECT_ROWS, (after_seq, limit))

    def read_rows(self, statement: str, params) -> List[StoredWriteBack]:
        """The write-backs that ``statement`` (columns of ``sql.SELECT_ROWS``, in ``seq`` order)
        selects, with their entity references."""
        with self.cursor() as cursor:
            cursor.execute(statement, params)
            rows = cursor.fetchall()
            if not rows:
                return []
            cursor.execute(sql.SELECT_ENTITIES, (rows[0][0], rows[-1][0]))
            return sql.rows_to_writebacks(rows, cursor.fetchall())

    def get(self, sense_id: str) -> Optional[StoredWriteBack]:
        rows = self.read_rows(sql.SELECT_BY_SENSE_ID, (sense_id,))
        return rows[0] if rows else None

    def conflicts(self) -> List[Conflict]:
        with self.cursor() as cursor:
            cursor.execute(sql.SELECT_CONFLICTS)
            return sql.rows_to_conflicts(cursor.fetchall())

    def count(self) -> int:
        with self.cursor() as cursor:
            cursor.execute(sql.COUNT_ROWS)
            return cursor.fetchone()[0]

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
