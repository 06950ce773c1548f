"""``Store``: the interface both backends implement (submit through group commit; read in order)."""
from __future__ import annotations

import asyncio
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Iterator, List, Optional

from sense_writeback.store import sql
from sense_writeback.store.group_commit import GroupCommitter
from sense_writeback.store.records import Conflict, Incoming, Outcome, StoredWriteBack


class Store:
    """Durable, idempotent storage of write-backs.

    Writing: ``submit(incoming)`` → ``Future[Outcome]`` resolved after the commit; ``put(incoming)``
    waits for it. Reading (any thread, any process): ``iter_writebacks(after_seq)`` in ``seq``
    order, ``get(sense_id)``, ``conflicts()``, ``count()``. ``close()`` commits what was submitted.
    """

    kind = "store"

    def __init__(self, max_batch: int = 512, writer: bool = True):
        self.create_schema()
        self._committer: Optional[GroupCommitter] = None
        if writer:
            self._committer = GroupCommitter(self, max_batch=max_batch, name=f"sense-writeback-{self.kind}-writer")

    # -- backend hooks -------------------------------------------------------------------------
    def connect(self):  # a writer connection (in the writer thread)
        raise NotImplementedError

    def disconnect(self, conn) -> None:
        conn.close()

    def recover(self, conn):
        conn.rollback()
        return conn

    def create_schema(self) -> None:
        raise NotImplementedError

    @contextmanager
    def reader(self):  # a read-only connection
        raise NotImplementedError

    def convert(self, statement: str) -> str:
        return statement

    def write(self, conn, items) -> List[Outcome]:
        cursor = conn.cursor()
        try:
            self.begin(cursor)
            outcomes = sql.write_batch(cursor, items, self.convert)
            conn.commit()
        finally:
            cursor.close()
        return outcomes

    def begin(self, cursor) -> None:
        pass

    # -- writing -------------------------------------------------------------------------------
    def submit(self, item: Incoming) -> "Future[Outcome]":
        if self._committer is None:
            raise RuntimeError("this store was opened for reading only (writer=False)")
        return self._committer.submit(item)

    def submit_async(self, item: Incoming) -> "asyncio.Future[Outcome]":
        """From a coroutine: an ``asyncio.Future`` resolved after the commit (cheaper than ``submit``)."""
        if self._committer is None:
            raise RuntimeError("this store was opened for reading only (writer=False)")
        return self._committer.submit_async(item)

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
        with self.reader() as conn:
            cursor = conn.cursor()
            cursor.execute(self.convert(sql.SELECT_ROWS), (after_seq, limit))
            rows = cursor.fetchall()
            if not rows:
                return []
            cursor.execute(self.convert(sql.SELECT_ENTITIES), (rows[0][0], rows[-1][0]))
            return sql.rows_to_writebacks(rows, cursor.fetchall())

    def get(self, sense_id: str) -> Optional[StoredWriteBack]:
        with self.reader() as conn:
            cursor = conn.cursor()
            cursor.execute(self.convert(sql.SELECT_BY_SENSE_ID), (sense_id,))
            rows = cursor.fetchall()
            if not rows:
                return None
            cursor.execute(self.convert(sql.SELECT_ENTITIES), (rows[0][0], rows[0][0]))
            return sql.rows_to_writebacks(rows, cursor.fetchall())[0]

    def conflicts(self) -> List[Conflict]:
        with self.reader() as conn:
            cursor = conn.cursor()
            cursor.execute(sql.SELECT_CONFLICTS)
            return sql.rows_to_conflicts(cursor.fetchall())

    def count(self) -> int:
        with self.reader() as conn:
            cursor = conn.cursor()
            cursor.execute(sql.COUNT_ROWS)
            return cursor.fetchone()[0]

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
