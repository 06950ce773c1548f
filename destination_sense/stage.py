"""``Stage``: one thread working a bounded FIFO queue, in order (the scheduler and the sender are stages).

``start`` starts it (a stage is also a context manager: ``with stage:`` starts it and closes it).
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
