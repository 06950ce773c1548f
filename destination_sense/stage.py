"""A pipeline stage: one thread that handles the items of a bounded FIFO queue, in order.

``submit`` blocks while the queue is full (this is what bounds memory) and re-raises the stage's
error once it has failed; after a failure the thread keeps draining its queue without acting, so
nothing queued after the failure is delivered or echoed. ``close`` queues the end, waits, and
re-raises the error if there was one.
"""
from __future__ import annotations

import queue
import threading
from typing import Any, Optional

STOP = object()


class Stage:
    name = "stage"

    def __init__(self, depth: int):
        self.error: Optional[BaseException] = None
        self._queue: "queue.Queue" = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._run, name=f"sense-{self.name}", daemon=True)
        self._thread.start()

    def handle(self, item: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def finish(self) -> None:
        """Called on the stage's thread after the last item, when there was no error."""

    def submit(self, item: Any) -> None:
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
