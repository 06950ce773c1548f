"""Airbyte state bookkeeping: counting records per state scope and decorating the echoed STATE.

A STATE message is echoed with every field it arrived with, plus
``destinationStats.recordCount`` (records accepted by Sense) and
``destinationStats.rejectedRecordCount`` (records rejected), counted over the records of the
state's scope since the previous state of that scope: one stream for a STREAM state, every stream
for a GLOBAL (or LEGACY) state. Counting is split in two halves because rejections happen in two
places: while reading (invalid records) and while delivering (Sense answered 400). A batch may
hold records from before and after a state (batches fill across states), so a rejection found
while delivering is counted by the record's position in its stream: it belongs to the first
state whose marker was taken at or after that position.
"""
from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from destination_sense.catalog import StreamKey
from destination_sense.pipeline import StateMarker


def state_scope(state: Dict[str, Any]) -> Optional[StreamKey]:
    """The stream a STREAM state covers, or None for GLOBAL/LEGACY states (every stream)."""
    if state.get("type") == "STREAM":
        descriptor = (state.get("stream") or {}).get("stream_descriptor") or {}
        return (descriptor.get("namespace") or None, descriptor.get("name") or "")
    return None


@dataclass
class ReadCounts:
    """Counts kept by the reading thread."""

    received: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    sequence: int = 0

    def marker(self, state: Dict[str, Any], positions: Optional[Mapping[StreamKey, int]] = None) -> StateMarker:
        scope = state_scope(state)
        self.sequence += 1
        if scope is None:
            received, rejected = sum(self.received.values()), sum(self.rejected.values())
            self.received.clear()
            self.rejected.clear()
        else:
            received, rejected = self.received.pop(scope, 0), self.rejected.pop(scope, 0)
        if scope is not None and positions is not None:
            positions = {scope: positions.get(scope, 0)}
        return StateMarker(state, scope, received, rejected, self.sequence, positions)


class DeliveryCounts:
    """Rejections found while delivering (HTTP 400), kept by position until the marker they belong to."""

    def __init__(self) -> None:
        self._rejected: Dict[StreamKey, List[int]] = {}
        self._lock = threading.Lock()

    def reject(self, stream: StreamKey, position: int) -> None:
        with self._lock:
            self._rejected.setdefault(stream, []).append(position)

    def _take(self, stream: StreamKey, up_to: int) -> int:
        positions = self._rejected.get(stream)
        if not positions:
            return 0
        kept = [p for p in positions if p > up_to]
        self._rejected[stream] = kept
        return len(positions) - len(kept)

    def decorate(self, marker: StateMarker) -> Dict[str, Any]:
        """The STATE to echo for ``marker``: the original fields plus destinationStats."""
        with self._lock:
            streams = [marker.scope] if marker.scope is not None else list(self._rejected)
            limits = marker.positions
            rejected_late = sum(self._take(stream, limits.get(stream, 0) if limits is not None else math.inf) for stream in streams)
        rejected = marker.rejected_while_reading + rejected_late
        accepted = marker.received - rejected
        state = dict(marker.state)
        stats = dict(state.get("destinationStats") or {})
        stats["recordCount"] = float(accepted)
        stats["rejectedRecordCount"] = float(rejected)
        state["destinationStats"] = stats
        return state
