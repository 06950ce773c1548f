"""The write pipeline's parts: ``Stage`` and the messages that flow between the stages.

    reader → batching (``Records``, ``Updates``, ``Flush``, ``StateMarker``, ``DirectItem``)
           → delivery (``GzipBatch``, ``Updates``, ``StateMarker``, ``DirectItem``)

A stage is one thread that handles the items of a bounded FIFO queue, in order; ``start`` starts
it (a stage is also a context manager: ``with stage:`` starts it and closes it).
``submit`` blocks while the queue is full (this is what bounds memory) and re-raises the stage's
error once it has failed; after a failure the thread keeps draining its queue without acting, so
nothing queued after the failure is delivered or echoed. ``close`` queues the end, waits, and
re-raises the error if there was one.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional

from destination_sense.catalog import StreamKey
from destination_sense.gzip_batch import Item

STOP = object()


@dataclass
class Records:
    collection: str
    items: List[Item]


@dataclass
class Updates:
    """Partial updates (PATCH) of one entity; each item's data is the JSON body without the id."""

    collection: str
    items: List[Item]


@dataclass
class Flush:
    collection: Optional[str] = None  # None: every entity, in the published order


@dataclass
class StateMarker:
    """A STATE waiting in the delivery queue behind the batches holding its records."""

    state: Dict[str, Any]
    scope: Optional[StreamKey]
    received: int
    rejected_while_reading: int
    sequence: int
    #: last position read per stream when the state arrived; None: every rejection so far belongs here
    positions: Optional[Mapping[StreamKey, int]] = None


class DirectItem:
    """Pipeline items that are not batches of records: possible-values lists and resume uploads.

    The batching stage closes the open batch of the item's ``collection`` (so what was received
    before reaches Sense first) and passes the item on; the delivery stage calls
    ``item.deliver(delivery)`` in queue order, so a STATE queued after the item is echoed only once
    the item was delivered.
    """

    collection: str

    def deliver(self, delivery) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class Stage:
    name = "stage"

    def __init__(self, depth: int):
        self.error: Optional[BaseException] = None
        self._queue: "queue.Queue" = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._run, name=f"sense-{self.name}", daemon=True)

    def start(self) -> "Stage":
        """Start the stage's thread; returns the stage."""
        self._thread.start()
        return self

    def __enter__(self) -> "Stage":
        return self.start()

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.close()
            return
        try:  # the error already raised is the one reported
            self.close()
        except BaseException:  # noqa: BLE001
            pass

    def handle(self, item: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def finish(self) -> None:
        """Called on the stage's thread after the last item, when there was no error."""

    def submit(self, item: Any) -> None:
        if self._thread.ident is None:
            raise RuntimeError(f"the {self.name} stage was not started")
        while True:
            if self.error is not None:
                raise self.error
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(STOP)  # the thread drains the queue even after a failure
            self._thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is STOP:
                if self.error is None:
                    try:
                        self.finish()
                    except BaseException as exc:  # noqa: BLE001 - re-raised by close()
                        self.error = exc
                return
            if self.error is not None:
                continue
            try:
                self.handle(item)
            except BaseException as exc:  # noqa: BLE001 - re-raised by submit()/close()
                self.error = exc
