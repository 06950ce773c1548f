"""Airbyte state bookkeeping: counting records per state scope and decorating the echoed STATE.

A STATE message is echoed with every field it arrived with, plus
``destinationStats.recordCount`` (records accepted by Sense) and
``destinationStats.rejectedRecordCount`` (records rejected), counted over the records of the
state's scope since the previous state of that scope: one stream for a STREAM state, every stream
for a GLOBAL (or LEGACY) state. Counting is split in two halves because rejections happen in two
places: while reading (invalid records) and while delivering (Sense answered 400).
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from destination_sense.catalog import StreamKey


def state_scope(state: Dict[str, Any]) -> Optional[StreamKey]:
    """The stream a STREAM state covers, or None for GLOBAL/LEGACY states (every stream)."""
    if state.get("type") == "STREAM":
        descriptor = (state.get("stream") or {}).get("stream_descriptor") or {}
        return (descriptor.get("namespace") or None, descriptor.get("name") or "")
    return None


@dataclass
class StateMarker:
    """A STATE waiting in the delivery queue behind the batches holding its records."""

    state: Dict[str, Any]
    scope: Optional[StreamKey]
    received: int
    rejected_while_reading: int
    sequence: int


@dataclass
class ReadCounts:
    """Counts kept by the reading thread."""

    received: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    sequence: int = 0

    def marker(self, state: Dict[str, Any]) -> StateMarker:
        scope = state_scope(state)
        self.sequence += 1
        if scope is None:
            received, rejected = sum(self.received.values()), sum(self.rejected.values())
            self.received.clear()
            self.rejected.clear()
        else:
            received, rejected = self.received.pop(scope, 0), self.rejected.pop(scope, 0)
        return StateMarker(state, scope, received, rejected, self.sequence)


class DeliveryCounts:
    """Rejections found while delivering (HTTP 400), counted until the next marker of their scope."""

    def __init__(self) -> None:
        self._rejected: Counter = Counter()
        self._lock = threading.Lock()

    def reject(self, stream: StreamKey, count: int = 1) -> None:
        with self._lock:
            self._rejected[stream] += count

    def decorate(self, marker: StateMarker) -> Dict[str, Any]:
        """The STATE to echo for ``marker``: the original fields plus destinationStats."""
        with self._lock:
            if marker.scope is None:
                rejected_late = sum(self._rejected.values())
                self._rejected.clear()
            else:
                rejected_late = self._rejected.pop(marker.scope, 0)
        rejected = marker.rejected_while_reading + rejected_late
        accepted = marker.received - rejected
        state = dict(marker.state)
        stats = dict(state.get("destinationStats") or {})
        stats["recordCount"] = float(accepted)
        stats["rejectedRecordCount"] = float(rejected)
        state["destinationStats"] = stats
        return state
