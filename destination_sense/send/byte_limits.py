"""The compressed-size limit per entity, lowered when Sense answers 413 to a batch.

The configured ``max_batch_bytes`` is what Sense documents; a 413 shows that this deployment (or a
proxy in front of it) accepts less. After a 413 for a batch of S compressed bytes, the entity's
later batches are filled to at most ``LEARN_FACTOR`` × S, so the sync does not keep sending
batches that are split again. Each further 413 lowers the limit again; it never goes below
``MIN_BYTES``. The delivery thread writes it, the batching thread reads it (one int per entity).
"""
from __future__ import annotations

import threading
from typing import Dict

LEARN_FACTOR = 0.75
MIN_BYTES = 1024


class ByteLimits:
    def __init__(self, configured: int):
        self.configured = configured
        self._learned: Dict[str, int] = {}
        self._lock = threading.Lock()

    def for_entity(self, collection: str) -> int:
        return self._learned.get(collection, self.configured)

    def too_large(self, collection: str, size: int) -> int:
        """Record that ``size`` compressed bytes were refused for ``collection``; the new limit."""
        with self._lock:
            limit = max(MIN_BYTES, min(self.for_entity(collection), int(size * LEARN_FACTOR)))
            self._learned[collection] = limit
            return limit
