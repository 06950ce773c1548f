"""Sync statistics per entity, the periodic progress line and the closing summary."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List

from sense_api.entities import ENTITIES

PROGRESS_INTERVAL_SECONDS = 30.0


@dataclass
class EntityStats:
    received: int = 0
    sent: int = 0
    rejected: int = 0
    superseded: int = 0
    batches: int = 0
    bytes_compressed: int = 0
    bytes_raw: int = 0
    retries: int = 0
    splits: int = 0


class SyncStats:
    def __init__(self, clock: Callable[[], float] = time.monotonic, token_counter: Callable[[], int] = lambda: 0):
        self.by_entity: Dict[str, EntityStats] = {e.collection: EntityStats() for e in ENTITIES}
        self.lock = threading.Lock()
        self.clock = clock
        self.started = clock()
        self._last_progress = self.started
        self._last_sent = 0
        self.token_counter = token_counter

    @property
    def token_requests(self) -> int:
        return self.token_counter()

    def __getitem__(self, collection: str) -> EntityStats:
        return self.by_entity[collection]

    def total(self, attribute: str) -> int:
        return sum(getattr(s, attribute) for s in self.by_entity.values())

    def progress_due(self) -> bool:
        return self.clock() - self._last_progress >= PROGRESS_INTERVAL_SECONDS

    def progress_line(self) -> str:
        now = self.clock()
        sent = self.total("sent")
        window = max(now - self._last_progress, 1e-9)
        rate = (sent - self._last_sent) / window
        self._last_progress, self._last_sent = now, sent
        return (
            f"Progress: {self.total('received'):,} records received, {sent:,} accepted by Sense, "
            f"{self.total('rejected'):,} rejected, {self.total('batches'):,} requests; "
            f"{rate:,.0f} records/s over the last {window:.0f} s."
        )

    def summary_lines(self) -> List[str]:
        elapsed = max(self.clock() - self.started, 1e-9)
        header = f"{'entity':<16}{'received':>10}{'sent':>10}{'rejected':>10}{'batches':>9}{'rec/batch':>10}{'kB/batch':>10}{'retries':>9}"
        lines = [header]
        for collection, s in self._rows():
            per = s.sent / s.batches if s.batches else 0
            kb = s.bytes_compressed / s.batches / 1000 if s.batches else 0
            lines.append(
                f"{collection:<16}{s.received:>10,}{s.sent:>10,}{s.rejected:>10,}{s.batches:>9,}{per:>10.1f}{kb:>10.1f}{s.retries:>9,}"
            )
        sent = self.total("sent")
        lines.append(
            f"total: {self.total('received'):,} received, {sent:,} sent, {self.total('rejected'):,} rejected, "
            f"{self.total('batches'):,} requests, {self.token_requests} token request(s), "
            f"{elapsed:.1f} s, {sent / elapsed:,.0f} records/s"
        )
        return lines

    def _rows(self) -> Iterable:
        return [(c, s) for c, s in self.by_entity.items() if s.received or s.batches or s.rejected]
