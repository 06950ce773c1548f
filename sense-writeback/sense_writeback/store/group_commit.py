"""Group commit: one writer thread turns concurrent submissions into shared transactions.

``submit`` enqueues a write-back and returns a ``concurrent.futures.Future``; ``submit_async``
returns an ``asyncio.Future`` of the calling event loop instead, and all the loop's futures of a
batch are resolved with one ``call_soon_threadsafe`` (one wake-up of the loop per commit, not one
per write-back). The writer thread takes
the first waiting item, then everything else already waiting (up to ``max_batch``), writes them in
one transaction and commits (one fsync for SQLite, one WAL flush for PostgreSQL); only then does
each future get its ``Outcome``. If the transaction fails, every future of the batch gets the
exception and nothing of the batch is stored: the HTTP layer answers 5xx without an id, and Sense
re-delivers. ``close`` writes what was submitted before it, then stops the thread.
"""
from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from sense_writeback.store.records import Incoming, Outcome

log = logging.getLogger("sense_writeback.store")

_STOP = object()


class StoreClosed(RuntimeError):
    """Submitted after ``close``."""


class GroupCommitter:
    """The writer thread, handed the backend's operations as callables: ``connect()`` (a
    connection), ``write(conn, items)`` (commits; one ``Outcome`` per item), ``recover(conn)``
    (after a failure: the connection to use next, possibly a new one, or ``None`` to reconnect on
    the next batch) and ``disconnect(conn)``."""

    def __init__(self, *, connect: Callable[[], Any], write: Callable[[Any, Sequence[Incoming]], List[Outcome]],
                 recover: Callable[[Any], Any], disconnect: Callable[[Any], None], max_batch: int = 512,
                 name: str = "sense-writeback-writer"):
        self._connect = connect
        self._write = write
        self._recover_connection = recover
        self._disconnect = disconnect
        self._max_batch = max_batch
        self._queue: "queue.SimpleQueue" = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self.batches = 0
        self.last_error: Optional[str] = None
        self.observer = None  # called with (batch size, seconds) after each commit
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: Incoming) -> "Future[Outcome]":
        future: "Future[Outcome]" = Future()
        self._put(item, future)
        return future

    def submit_async(self, item: Incoming) -> "asyncio.Future[Outcome]":
        """From a coroutine: an ``asyncio.Future`` of the running loop."""
        future = asyncio.get_running_loop().create_future()
        self._put(item, future)
        return future

    def _put(self, item: Incoming, future: Any) -> None:
        with self._lock:
            if self._closed:
                raise StoreClosed("the store is closed")
            self._queue.put((item, future))

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def close(self, timeout: Optional[float] = None) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join(timeout)

    def _next_batch(self) -> Tuple[List[Tuple[Incoming, Future]], bool]:
        first = self._queue.get()
        if first is _STOP:
            return [], True
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                entry = self._queue.get_nowait()
            except queue.Empty:
                break
            if entry is _STOP:
                return batch, True
            batch.append(entry)
        return batch, False

    def _run(self) -> None:
        conn = None
        stop = False
        while not stop:
            batch, stop = self._next_batch()
            # a request that gave up waiting (timeout) cancelled its future: it was answered 5xx, skip it
            batch = [(item, future) for item, future in batch if _claim(future)]
            if not batch:
                continue
            items: Sequence[Incoming] = [item for item, _ in batch]
            started = time.perf_counter()
            try:
                if conn is None:
                    conn = self._connect()
                outcomes = self._write(conn, items)
            except Exception as exc:  # every future of the batch fails; nothing of it was committed
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.error("storage failure, %d write-back(s) not stored: %s", len(batch), self.last_error)
                conn = self._recover(conn)
                _deliver([(future, None, exc) for _, future in batch])
                continue
            self.batches += 1
            self.last_error = None
            if self.observer is not None:
                self.observer(len(batch), time.perf_counter() - started)
            _deliver([(future, outcome, None) for (_, future), outcome in zip(batch, outcomes)])
        if conn is not None:
            self._disconnect(conn)

    def _recover(self, conn):
        if conn is None:
            return None
        try:
            return self._recover_connection(conn)
        except Exception as exc:  # a broken connection: start a new one with the next batch
            log.error("storage connection reset after failure: %s: %s", type(exc).__name__, exc)
            return None


def _claim(future: Any) -> bool:
    """False if the waiter already gave up (its write-back is then not written)."""
    if isinstance(future, Future):
        return future.set_running_or_notify_cancel()
    return not future.cancelled()


def _deliver(results: List[Tuple[Any, Optional[Outcome], Optional[BaseException]]]) -> None:
    """Resolve thread futures directly and each event loop's futures in one loop callback."""
    by_loop: Dict[Any, list] = {}
    for future, outcome, error in results:
        if isinstance(future, Future):
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(outcome)
        else:
            by_loop.setdefault(future.get_loop(), []).append((future, outcome, error))
    for loop, entries in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve_in_loop, entries)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass


def _resolve_in_loop(entries) -> None:
    for future, outcome, error in entries:
        if future.done():  # cancelled meanwhile (timeout)
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(outcome)
