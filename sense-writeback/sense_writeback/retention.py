"""Retention inside ``sense-writeback serve``: every ``interval`` seconds, prune what is older than
``retention_days`` and past every registered consumer (see ``store/feed_queries.py``). Off when 0."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sense_writeback.store.feed_queries import prune

log = logging.getLogger("sense_writeback.retention")


class RetentionWorker:
    def __init__(self, store, retention_days: float, interval: float):
        self.store = store
        self.retention = timedelta(days=retention_days) if retention_days > 0 else None
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sense-writeback-retention", daemon=True)

    def start(self) -> None:
        if self.retention is not None:
            self._thread.start()

    def run_once(self) -> int:
        deleted = prune(self.store, self.retention)
        if deleted:
            log.info("retention: pruned %d write-back(s) older than %s and past every registered consumer",
                     deleted, self.retention)
        return deleted

    def _run(self) -> None:
        while True:
            try:
                self.run_once()
            except Exception as exc:  # retried at the next interval; nothing is lost by waiting
                log.warning("retention pass failed: %s: %s", type(exc).__name__, exc)
            if self._stop.wait(self.interval):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
