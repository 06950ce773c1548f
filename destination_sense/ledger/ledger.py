"""The sync ledger: every count of one sync, the rejection policy, the counts each STATE carries, observers.

Positions: each stream's records are numbered 1, 2, … in input order (``receive``); a record is
named by ``(stream, position)`` everywhere (logs, STATE counts, observers). Only the reading thread
receives; any thread may reject or report a delivery (``sent``), under the ledger's lock.

State windows: an echoed STATE carries ``destinationStats.recordCount`` (accepted) and
``rejectedRecordCount`` over the records of its scope (one stream for a STREAM state, every stream for
GLOBAL/LEGACY) since the previous state of that scope. The scheduler takes the positions of the
streams when the STATE is read (``StateMarker.positions``); when it is echoed, ``state_message``
closes the window: received = the positions since the last window of the stream, rejected = the
rejections whose position lies in the window, wherever they were found (while reading, or a 400 from
Sense while delivering a batch that spans several states). Every record of a window is settled when
its STATE is echoed (the scheduler's rule), so the counts are final.

Rejections: ``reject`` applies ``on_invalid_record`` (``fail`` raises ``InvalidRecordError`` and counts
nothing), counts the record in its stream, its row and its window, and logs it (the first
``MAX_LOGGED_PER_STREAM`` per stream, then a count).

Observers (``LedgerObserver``): ``add_observer`` plugs in something that wants every outcome, e.g. a
writer of rejected records and per-record results to object storage. It is told, on the thread that
found it, and before the STATE that covers the record can be echoed:

- ``record_rejected(Rejection)``: its row, stream, position, record id (or None), every reason
  ``(field or None, problem)``, ``line`` (the input line as received; None only for side-stream
  records Sense refused, whose lines are not kept) and ``sent`` (the record's JSON as sent, for a
  record Sense refused). It is told before ``on_invalid_record: fail`` stops the sync, so a record
  that fails the sync is reported too;
- ``records_sent(Delivered)``: the row (entity collection, ``possible-values`` or ``resumes``), the
  records (objects with ``stream``, ``position``, ``entity_id``), the outcome (``sent`` for a POST or
  PUT, ``updated`` for a PATCH) and Sense's ``request_id`` of the request that carried them;
- ``before_state(state)`` just before a STATE is echoed (everything it covers has been reported: the
  place to make what was reported durable), and ``state_committed(state)`` once it was echoed.

An observer that raises fails the sync like any delivery error (nothing after it is echoed).
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from destination_sense.catalog import StreamKey, stream_label
from destination_sense.errors import InvalidRecordError
from sense_api.entities import ENTITIES

PROGRESS_INTERVAL_SECONDS = 30.0
MAX_LOGGED_PER_STREAM = 100

Problem = Tuple[Optional[str], str]


@dataclass
class EntityStats:
    """One row of the summary: an entity (or a side stream: possible values, resumes)."""

    received: int = 0
    sent: int = 0
    rejected: int = 0
    superseded: int = 0
    batches: int = 0
    bytes_compressed: int = 0
    bytes_raw: int = 0
    retries: int = 0
    splits: int = 0


@dataclass
class StreamStats:
    """One input stream: its row, what was sent and rejected (received is its position)."""

    row: str
    sent: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class Rejection:
    row: str
    stream: StreamKey
    position: int
    entity_id: Optional[str]
    problems: Tuple[Problem, ...]
    line: Optional[bytes] = None  # the input line as received
    sent: Optional[bytes] = None  # the JSON sent, when Sense refused it


@dataclass(frozen=True)
class RecordRef:
    """A record named in a ``Delivered`` when it is not an ``Item`` (side streams)."""

    stream: StreamKey
    position: int
    entity_id: Optional[str]


@dataclass(frozen=True)
class Delivered:
    row: str
    records: Sequence[Any]  # objects with stream, position, entity_id
    outcome: str  # "sent" (POST, PUT) or "updated" (PATCH)
    request_id: Optional[str] = None


class LedgerObserver:
    """What an observer may implement (every method is optional; see the module docstring)."""

    def record_rejected(self, rejection: Rejection) -> None:
        pass

    def records_sent(self, delivered: Delivered) -> None:
        pass

    def before_state(self, state: Dict[str, Any]) -> None:
        pass

    def state_committed(self, state: Dict[str, Any]) -> None:
        pass


def describe(stream: StreamKey, position: int, entity_id: Optional[str], problems: Iterable[Problem]) -> str:
    who = f"stream '{stream_label(stream)}' record #{position}"
    if entity_id:
        who += f" (id '{entity_id}')"
    reasons = "; ".join(f"field '{name}' {reason}" if name else reason for name, reason in problems)
    return f"Rejected {who}: {reasons}"


def state_scope(state: Dict[str, Any]) -> Optional[StreamKey]:
    """The stream a STREAM state covers, or None for GLOBAL/LEGACY states (every stream)."""
    if state.get("type") == "STREAM":
        descriptor = (state.get("stream") or {}).get("stream_descriptor") or {}
        return (descriptor.get("namespace") or None, descriptor.get("name") or "")
    return None


class SyncLedger:
    def __init__(
        self,
        policy: str = "skip",
        warn: Callable[[str], None] = lambda message: None,
        clock: Callable[[], float] = time.monotonic,
        token_counter: Callable[[], int] = lambda: 0,
    ):
        self.policy = policy
        self.warn = warn
        self.clock = clock
        self.token_counter = token_counter
        self.lock = threading.Lock()
        self.rows: Dict[str, EntityStats] = {e.collection: EntityStats() for e in ENTITIES}
        self.streams: Dict[StreamKey, StreamStats] = {}
        self._positions: Dict[StreamKey, int] = {}
        self._windows: Dict[StreamKey, int] = {}  # position where each stream's open window starts
        self._rejected_at: Dict[StreamKey, List[int]] = {}  # positions rejected, not yet in an echoed window
        self._logged: Counter = Counter()
        self.observers: List[LedgerObserver] = []
        self.states_committed = 0
        self.started = clock()
        self._last_progress = self.started
        self._last_sent = 0

    # streams and positions ---------------------------------------------------
    def open_stream(self, stream: StreamKey, row: str) -> None:
        """Count ``stream`` in summary row ``row`` (an entity collection or a side stream's row)."""
        self.rows.setdefault(row, EntityStats())
        self.streams[stream] = StreamStats(row)
        self._positions[stream] = 0
        self._windows[stream] = 0
        self._rejected_at[stream] = []

    def receive(self, stream: StreamKey) -> int:
        """The position of the next record of ``stream`` (reading thread only)."""
        position = self._positions[stream] + 1
        self._positions[stream] = position
        return position

    def positions(self, scope: Optional[StreamKey] = None) -> Dict[StreamKey, int]:
        """The last position read per stream (of ``scope`` only, when given)."""
        if scope is not None:
            return {scope: self._positions.get(scope, 0)}
        return dict(self._positions)

    def add_observer(self, observer: LedgerObserver) -> None:
        self.observers.append(observer)

    def __getitem__(self, row: str) -> EntityStats:
        return self.rows[row]

    # outcomes ----------------------------------------------------------------
    def reject(
        self,
        stream: StreamKey,
        position: int,
        entity_id: Optional[str],
        problems: Iterable[Problem],
        line: Optional[bytes] = None,
        sent: Optional[bytes] = None,
    ) -> None:
        problems = tuple(problems)
        counts = self.streams[stream]
        if self.observers:  # told first: a record that fails the sync is reported too
            rejection = Rejection(counts.row, stream, position, entity_id, problems, line, sent)
            for observer in self.observers:
                observer.record_rejected(rejection)
        message = describe(stream, position, entity_id, problems)
        if self.policy == "fail":
            raise InvalidRecordError(message + " (on_invalid_record is 'fail').")
        with self.lock:
            counts.rejected += 1
            self.rows[counts.row].rejected += 1
            self._rejected_at[stream].append(position)
            logged = self._logged[stream]
            if logged < MAX_LOGGED_PER_STREAM:
                self._logged[stream] = logged + 1
        if logged < MAX_LOGGED_PER_STREAM:
            self.warn(message)
            if logged + 1 == MAX_LOGGED_PER_STREAM:
                self.warn(f"Further rejections in stream '{stream_label(stream)}' are counted, not logged.")

    def sent(
        self,
        row: str,
        records: Sequence[Any],
        outcome: str = "sent",
        request_id: Optional[str] = None,
        *,
        requests: int = 1,
        compressed: int = 0,
        raw: int = 0,
        superseded: int = 0,
    ) -> None:
        """``records`` (with ``stream``, ``position``, ``entity_id``) were accepted by Sense in ``requests`` request(s)."""
        with self.lock:
            stats = self.rows[row]
            stats.sent += len(records)
            stats.superseded += superseded
            stats.batches += requests
            stats.bytes_compressed += compressed
            stats.bytes_raw += raw
            streams = self.streams
            last, counts = None, None
            for record in records:
                stream = record.stream
                if stream != last:
                    last, counts = stream, streams[stream]
                counts.sent += 1
        if self.observers and records:
            delivered = Delivered(row, records, outcome, request_id)
            for observer in self.observers:
                observer.records_sent(delivered)

    def retried(self, row: str, retries: int) -> None:
        if retries:
            with self.lock:
                self.rows[row].retries += retries

    def split(self, row: str) -> None:
        with self.lock:
            self.rows[row].splits += 1

    # STATE windows -------------------------------------------------------------
    def close_window(self, scope: Optional[StreamKey], positions: Dict[StreamKey, int]) -> Tuple[int, int]:
        """``(received, rejected)`` in the window of ``scope`` up to ``positions``; the next window starts there."""
        received = rejected = 0
        with self.lock:
            streams = [scope] if scope is not None else list(positions)
            for stream in streams:
                if stream not in self._windows:
                    continue
                start, end = self._windows[stream], positions.get(stream, 0)
                if end <= start:
                    continue
                received += end - start
                pending = self._rejected_at[stream]
                if pending:
                    kept = [p for p in pending if p > end]
                    rejected += len(pending) - len(kept)
                    self._rejected_at[stream] = kept
                self._windows[stream] = end
        return received, rejected

    def state_message(self, state: Dict[str, Any], scope: Optional[StreamKey], positions: Dict[StreamKey, int]) -> Dict[str, Any]:
        """The STATE to echo: its fields as received plus ``destinationStats`` of its window (which this closes)."""
        received, rejected = self.close_window(scope, positions)
        echoed = dict(state)
        stats = dict(echoed.get("destinationStats") or {})
        stats["recordCount"] = float(received - rejected)
        stats["rejectedRecordCount"] = float(rejected)
        echoed["destinationStats"] = stats
        return echoed

    def commit_state(
        self, state: Dict[str, Any], scope: Optional[StreamKey], positions: Dict[StreamKey, int], echo: Callable[[Dict[str, Any]], None]
    ) -> None:
        """Echo a STATE with its window's counts (``echo``), the observers told before and after."""
        echoed = self.state_message(state, scope, positions)
        for observer in self.observers:
            observer.before_state(echoed)
        echo(echoed)
        self.states_committed += 1
        for observer in self.observers:
            observer.state_committed(echoed)

    # totals and the log ---------------------------------------------------------
    def _refresh_received(self) -> None:
        for stats in self.rows.values():
            stats.received = 0
        for stream, counts in self.streams.items():
            self.rows[counts.row].received += self._positions[stream]

    def total(self, attribute: str) -> int:
        if attribute == "received":
            return sum(self._positions.values())
        return sum(getattr(s, attribute) for s in self.rows.values())

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
        self._refresh_received()
        elapsed = max(self.clock() - self.started, 1e-9)
        header = f"{'entity':<16}{'received':>10}{'sent':>10}{'rejected':>10}{'batches':>9}{'rec/batch':>10}{'kB/batch':>10}{'retries':>9}"
        lines = [header]
        for row, s in self.rows.items():
            if not (s.received or s.batches or s.rejected):
                continue
            per = s.sent / s.batches if s.batches else 0
            kb = s.bytes_compressed / s.batches / 1000 if s.batches else 0
            lines.append(f"{row:<16}{s.received:>10,}{s.sent:>10,}{s.rejected:>10,}{s.batches:>9,}{per:>10.1f}{kb:>10.1f}{s.retries:>9,}")
        sent = self.total("sent")
        lines.append(
            f"total: {self.total('received'):,} received, {sent:,} sent, {self.total('rejected'):,} rejected, "
            f"{self.total('batches'):,} requests, {self.token_counter()} token request(s), "
            f"{elapsed:.1f} s, {sent / elapsed:,.0f} records/s"
        )
        return lines
