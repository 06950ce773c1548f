"""The dangling-reference check: do records arrive in the published sync order?

A *dangling reference* is a reference field of a record of collection C whose value is the id of
an entity of collection D such that

- D comes before C in the published sync order (``sense_api.entities.ENTITIES``), and
- no entity of D with that id had been received (accepted by a POST) when the record arrived.

References to C itself or to collections after C (e.g. ``client-contacts.company_id`` →
``companies``) are allowed by the order and never counted; null and empty references are not
counted. Each dangling reference counts once per arrival (a record sent twice counts twice).
"""
from __future__ import annotations

import threading
from operator import itemgetter
from typing import Dict, Iterable, List, Tuple

from sense_api.entities import BY_COLLECTION, COLLECTIONS, ENTITIES

MAX_EXAMPLES = 20


def _checked_references(collection: str) -> Tuple[Tuple[str, str], ...]:
    order = BY_COLLECTION[collection].order
    refs = BY_COLLECTION[collection].references
    return tuple(
        (field, target) for field, target in sorted(refs.items()) if BY_COLLECTION[target].order < order
    )


class ReferenceTracker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checked = {e.collection: _checked_references(e.collection) for e in ENTITIES}
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.received: Dict[str, set] = {c: set() for c in COLLECTIONS}
            self.counts: Dict[str, int] = {c: 0 for c in COLLECTIONS}
            self.examples: Dict[str, List[dict]] = {c: [] for c in COLLECTIONS}

    def preload(self, collection: str, ids: Iterable[str]) -> None:
        """Mark ids as received (entities already in a database file at startup)."""
        with self._lock:
            self.received[collection].update(ids)

    def observe(self, collection: str, records: List[dict]) -> int:
        """Count the dangling references of accepted records, then mark their ids received."""
        checked = self._checked[collection]
        dangling = 0
        with self._lock:
            received = self.received
            examples = self.examples[collection]
            for field, target in checked:
                # Column first (cheap); record by record only when some value is unknown.
                values = {record.get(field) for record in records}
                values.discard(None)
                values.discard("")
                if not values or received[target].issuperset(values):
                    continue
                for record in records:
                    value = record.get(field)
                    if value and value not in received[target]:
                        dangling += 1
                        if len(examples) < MAX_EXAMPLES:
                            examples.append({"id": record.get("id"), "field": field, "target": target, "value": value})
            self.counts[collection] += dangling
            received[collection].update(map(itemgetter("id"), records))  # validated: every record has one
        return dangling

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "counts": dict(self.counts),
                "total": sum(self.counts.values()),
                "examples": {c: list(e) for c, e in self.examples.items() if e},
            }
