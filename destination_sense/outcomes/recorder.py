"""``SyncOutcomes``: what a sync leaves behind, told every outcome (through ``observer.OutcomesObserver``).

It is told, from any of the write path's threads:

- ``rejected(collection, stream, position, entity_id, problems, raw_line=…)`` for every rejected record,
  with its input line as received;
- ``sent(collection, records, request_id, outcome)`` when Sense accepted records (``records``:
  ``(stream, position, entity_id)``);
- ``before_state()`` just before a STATE is echoed: every rejected record so far is durably stored first
  (a storage failure raises, so no STATE is echoed past a rejected record that is not stored).

It counts nothing the write path counts: received, sent, rejected, per entity and the states committed are
read from it (``SyncCounts``); the recorder keeps the reasons (for the top reasons) and the files.

``rejected`` checks the ``max_rejected_percent`` guard (``guard``); ``check()`` checks it over every
stream at the end of the sync. ``start()`` writes a first ``report.json`` (status ``running``: the storage
is checked before any input is read), rewritten at a STATE at most once a minute while the sync runs;
``finish(status, failure)`` stores what is left and the final report, and gives the lines the end-of-sync
log shows. Without storage, it keeps the reasons and applies the guard, and stores nothing.

Each rejected line: ``stream``, ``namespace``, ``position`` (1-based, in the stream), ``id``, ``entity``,
``reasons`` (``[{"field", "problem"}]``), ``rejected_at``, and ``record`` (the Airbyte record as received:
``data``, ``emitted_at``, …), or ``raw_line`` (``raw_line_base64`` when not UTF-8) for a line that does
not read back exactly; neither for a side-stream record Sense refused (its line is not kept); and, for a
record Sense refused, ``record_sent`` (the JSON that was sent).
"""
from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Protocol, Sequence, Tuple

import orjson

from destination_sense.catalog import StreamKey, stream_label
from destination_sense.errors import SenseError
from destination_sense.records.lines import UnreadableLine, read_message
from destination_sense.outcomes.guard import RejectedShareGuard
from destination_sense.outcomes.parts import LineParts
from destination_sense.outcomes.report import REPORT_KEY, build_report, iso
from destination_sense.outcomes.settings import STORAGE_NONE, OutcomeSettings, StorageSettings

#: Distinct reasons counted per stream; further ones are counted under ``OTHER_REASONS``.
MAX_DISTINCT_REASONS = 1000
OTHER_REASONS = "(other reasons)"
_UNSAFE_IN_KEY = re.compile(r"[^A-Za-z0-9._-]")
#: While a sync runs, its report (status ``running``) is rewritten at a STATE at most this often.
REPORT_REFRESH_SECONDS = 60.0
#: Under ``<root>/<Airbyte job id>/`` (where the platform links a sync's rejected records): where the run is.
JOB_POINTER_KEY = "sync-outcomes.json"
Problem = Tuple[Optional[str], str]


def run_directory(connection_id: str, started_at: datetime, run_id: str) -> str:
    """``<connection_id>/<YYYYMMDDTHHMMSSZ>-<run_id>``: sorts by start time."""
    return f"{connection_id}/{started_at.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}-{run_id}"


def derived_connection_id(api_url: str, client_id: str, streams: Iterable[str]) -> str:
    """A stable id for a connection when the platform gives none: the Sense account and the streams synced."""
    digest = hashlib.sha256("\n".join([api_url, client_id, *sorted(streams)]).encode("utf-8")).hexdigest()
    return f"sense-{digest[:12]}"


def stream_folder(label: str) -> str:
    """A stream's folder name: its label when it holds only letters, digits and ``._-``; else those, the
    other characters as ``_``, and 8 hex digits of the label's hash (so two streams never share a folder)."""
    safe = _UNSAFE_IN_KEY.sub("_", label)
    if safe == label and label not in ("", ".", ".."):
        return label
    return f"{safe}-{hashlib.sha256(label.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def reason_text(field: Optional[str], problem: str) -> str:
    return f"field '{field}' {problem}" if field else problem


class SyncCounts(Protocol):
    """The write path's own counts, read by the recorder (``observer.LedgerCounts`` reads the sync ledger)."""

    def stream(self, key: StreamKey) -> Tuple[int, int, int]:
        """``(received, sent, rejected)`` of a stream so far; ``rejected`` does not hold a rejection while it is
        being reported (the sync ledger tells its observers first, then counts)."""

    def entities(self) -> Mapping[str, Mapping[str, int]]:
        """Per entity (summary row): received, sent, rejected, requests, retries."""

    def states_committed(self) -> int: ...


class _NoCounts:
    def stream(self, key: StreamKey) -> Tuple[int, int, int]:
        return 0, 0, 0

    def entities(self) -> Mapping[str, Mapping[str, int]]:
        return {}

    def states_committed(self) -> int:
        return 0


class _Stream:
    __slots__ = ("label", "namespace", "name", "reasons", "rejected_parts", "result_parts")

    def __init__(self, key: StreamKey, store, run_path_results: bool):
        self.label = stream_label(key)
        self.namespace, self.name = key
        self.reasons: Counter = Counter()
        folder = stream_folder(self.label)
        self.rejected_parts = LineParts(store, f"rejected/{folder}") if store is not None else None
        self.result_parts = LineParts(store, f"results/{folder}") if store is not None and run_path_results else None

    def count_reasons(self, problems: Sequence[Problem]) -> None:
        for field, problem in problems:
            text = reason_text(field, problem)
            if text not in self.reasons and len(self.reasons) >= MAX_DISTINCT_REASONS:
                text = OTHER_REASONS
            self.reasons[text] += 1


class SyncOutcomes:
    def __init__(
        self,
        settings: OutcomeSettings,
        store=None,
        connection_id: str = "",
        run_id: Optional[str] = None,
        started_at: Optional[datetime] = None,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        monotonic: Callable[[], float] = time.monotonic,
        redact: Callable[[str], str] = lambda text: text,
        job_id: Optional[str] = None,
    ):
        """``redact``: masks the secrets (``ProtocolOutput.redact``) in every line and report written.
        ``job_id``: the Airbyte job running this sync, when the platform says (``WORKER_JOB_ID``)."""
        self.settings = settings
        self.job_id = job_id if job_id and _UNSAFE_IN_KEY.search(job_id) is None and job_id not in (".", "..") else None
        self.redact = redact
        self.store = store
        self.now = now
        self.monotonic = monotonic
        self._report_put_at = monotonic()
        self.started_at = started_at or now()
        self.connection_id = connection_id
        self.run_id = run_id or secrets.token_hex(4)
        self.run_path = run_directory(connection_id, self.started_at, self.run_id)
        self.guard = RejectedShareGuard(settings.max_rejected_percent)
        self.all_results = settings.record_results == "all" and store is not None
        self._streams: Dict[StreamKey, _Stream] = {}
        self._counts: SyncCounts = _NoCounts()
        self._outcome_of: Mapping[StreamKey, str] = {}
        self._lock = threading.RLock()
        self._run_store = _Prefixed(store, self.run_path) if store is not None else None

    # wiring ------------------------------------------------------------------
    def attach(self, counts: SyncCounts, outcome_of: Mapping[StreamKey, str]) -> None:
        """What the recorder reads from the write path: its counts (the recorder counts nothing the write path
        counts), and the streams whose sent records have another outcome name (``deleted``: soft deletes)."""
        self._counts, self._outcome_of = counts, outcome_of

    @property
    def location(self) -> Optional[str]:
        return self.store.location(self.run_path) if self.store is not None else None

    # the pipeline's calls ----------------------------------------------------
    def rejected(
        self,
        collection: str,
        stream: StreamKey,
        position: int,
        entity_id: Optional[str],
        problems: Sequence[Problem],
        raw_line: Optional[bytes] = None,
        sent_json: Optional[bytes] = None,
    ) -> None:
        """``raw_line``: the input line as received; ``sent_json``: the JSON sent, when Sense refused the record."""
        with self._lock:
            entry = self._stream(stream)
            entry.count_reasons(problems)
            if entry.rejected_parts is not None:
                at = iso(self.now())
                line = {
                    "stream": entry.name, "namespace": entry.namespace, "position": position, "id": entity_id,
                    "entity": collection, "reasons": [{"field": f, "problem": p} for f, p in problems], "rejected_at": at,
                }
                line.update(_record_fields(raw_line))
                if sent_json is not None:
                    line["record_sent"] = orjson.Fragment(sent_json)
                entry.rejected_parts.write(self._json(line))
                if entry.result_parts is not None:
                    entry.result_parts.write(self._json({
                        "stream": entry.name, "namespace": entry.namespace, "position": position, "id": entity_id,
                        "entity": collection, "outcome": "rejected", "request_id": None, "at": at,
                        "reasons": line["reasons"],
                    }))
            self._check(stream, entry, reporting=1)

    def sent(
        self, collection: str, records: Iterable[Tuple[StreamKey, int, Optional[str]]], request_id: Optional[str] = None, outcome: str = "sent"
    ) -> None:
        """One result line per record with ``record_results: all`` (nothing else to do: the write path counts).
        ``outcome``: ``sent`` (POST, PUT) or ``updated`` (PATCH); a soft-delete stream's records are ``deleted``."""
        if not self.all_results:
            return
        with self._lock:
            at = iso(self.now())
            for stream, position, entity_id in records:
                entry = self._stream(stream)
                if entry.result_parts is not None:
                    entry.result_parts.write(self._json({
                        "stream": entry.name, "namespace": entry.namespace, "position": position, "id": entity_id,
                        "entity": collection, "outcome": self._outcome_of.get(stream, outcome), "request_id": request_id, "at": at,
                    }))

    def before_state(self) -> None:
        """Store every rejected record so far; raises when the storage fails, so the STATE is not echoed.

        The guard is not checked here: the counts may already hold records read after this STATE, whose
        own records were all handled (it is checked at every rejection and at the end of the sync)."""
        with self._lock:
            for entry in self._streams.values():
                if entry.rejected_parts is not None:
                    entry.rejected_parts.flush()
            if self._run_store is not None and self.monotonic() - self._report_put_at >= REPORT_REFRESH_SECONDS:
                self._put_report(self.report("running", None, ended=False))  # progress for whoever reads the run

    def check(self) -> None:
        """The ``max_rejected_percent`` guard over every stream (raises ``RejectedShareExceeded``)."""
        with self._lock:
            for key, entry in self._streams.items():
                self._check(key, entry)

    def _check(self, key: StreamKey, entry: _Stream, reporting: int = 0) -> None:
        """``reporting``: rejections being reported, not yet in the write path's counts."""
        received, _, rejected = self._counts.stream(key)
        self.guard.check(entry.label, received, rejected + reporting, entry.reasons.most_common(3))

    # the sync's start and end ------------------------------------------------
    def start(self) -> None:
        """Write the first report (status ``running``); raises ``StorageError`` when the storage is not writable."""
        if self._run_store is None:
            return
        self._put_report(self.report("running", None, ended=False))
        if self.job_id is not None:
            # Airbyte links a data-activation sync to <bucket_path>/<job id>/: a pointer to the run lands there
            pointer = {"airbyte_job_id": self.job_id, "run_path": self.run_path, "report": self._run_store.location(REPORT_KEY)}
            self.store.put(f"{self.job_id}/{JOB_POINTER_KEY}", self._json(pointer, orjson.OPT_INDENT_2), "application/json")

    def finish(self, status: str, failure: Optional[Mapping[str, str]] = None) -> List[str]:
        """Store what is left and the report; the lines for the end-of-sync log. Raises ``StorageError`` only
        when the sync had succeeded so far (a failed sync keeps its own error; the lines then say what was not stored)."""
        lines: List[str] = []
        if self._run_store is None:
            return lines
        with self._lock:
            problems = []
            if status != "succeeded" and getattr(self.store, "failed", False):  # no second wait on a failed store
                unstored = sum(p.pending for e in self._streams.values() for p in (e.rejected_parts, e.result_parts) if p is not None)
                return [f"Sync outcomes incomplete: the storage failed during this sync; {unstored:,} line(s) and the final "
                        f"report were not stored (the last stored report: {self._run_store.location(REPORT_KEY)})."]
            for entry in self._streams.values():
                for parts in (entry.rejected_parts, entry.result_parts):
                    if parts is None:
                        continue
                    try:
                        parts.flush()
                    except SenseError as exc:
                        if status == "succeeded":
                            raise
                        problems.append(f"{parts.pending:,} line(s) of {parts.prefix} were not stored: {exc}")
            report = self.report(status, failure)
            try:
                self._put_report(report)
            except SenseError as exc:
                if status == "succeeded":
                    raise
                problems.append(f"the report was not stored: {exc}")
        rejected = sum(self._counts.stream(key)[2] for key in self._streams)
        lines.append(f"Sync report: {self._run_store.location(REPORT_KEY)}")
        if rejected:
            lines.append(f"Rejected records ({rejected:,}): {self._run_store.location('rejected/')}")
        if self.all_results:
            lines.append(f"Per-record results: {self._run_store.location('results/')}")
        lines.extend(f"Sync outcomes incomplete: {p}" for p in problems)
        return lines

    def report(self, status: str, failure: Optional[Mapping[str, str]], ended: bool = True) -> Dict[str, Any]:
        with self._lock:
            streams = {}
            for key, entry in self._streams.items():
                received, sent, rejected = self._counts.stream(key)
                streams[entry.label] = {"received": received, "sent": sent, "rejected": rejected, "top_reasons": entry.reasons.most_common()}
            files: Dict[str, List[Dict[str, Any]]] = {"rejected": [], "results": []}
            for entry in self._streams.values():
                for kind, parts in (("rejected", entry.rejected_parts), ("results", entry.result_parts)):
                    if parts is not None:
                        files[kind].extend({"stream": entry.label, "key": p.key, "records": p.records} for p in parts.stored)
            return build_report(
                connection_id=self.connection_id, run_id=self.run_id, run_path=self.run_path,
                root=self.store.root if self.store is not None else "", started_at=self.started_at,
                ended_at=self.now() if ended else None, status=status, failure=failure, streams=streams,
                entities=self._counts.entities(), states_committed=self._counts.states_committed(),
                record_results=self.settings.record_results, max_rejected_percent=self.settings.max_rejected_percent,
                files=files, storage_retries=getattr(self.store, "retries", 0), airbyte_job_id=self.job_id,
            )

    # ------------------------------------------------------------------------
    def note_streams(self, keys: Iterable[StreamKey]) -> None:
        """Streams of the catalog: each appears in the report, records or not."""
        with self._lock:
            for key in keys:
                self._stream(key)

    def _stream(self, key: StreamKey) -> _Stream:
        entry = self._streams.get(key)
        if entry is None:
            entry = self._streams[key] = _Stream(key, self._run_store, self.all_results)
        return entry

    def _json(self, value: Any, option: int = 0) -> bytes:
        """``value`` as JSON with every secret masked (a record or a reason may hold one)."""
        text = orjson.dumps(value, option=option).decode("utf-8")
        masked = self.redact(text)
        return masked.encode("utf-8")

    def _put_report(self, report: Dict[str, Any]) -> None:
        self._run_store.put(REPORT_KEY, self._json(report, orjson.OPT_INDENT_2), "application/json")
        self._report_put_at = self.monotonic()


class _Prefixed:
    """A store seen from the run's directory: keys relative to ``<connection_id>/<start>-<run_id>``."""

    def __init__(self, store, prefix: str):
        self.store = store
        self.prefix = prefix

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.store.put(f"{self.prefix}/{key}", data, content_type)

    def location(self, key: str) -> str:
        return self.store.location(f"{self.prefix}/{key}")


def _record_fields(raw_line: Optional[bytes]) -> Dict[str, Any]:
    """The record of a rejected line: as received when it reads back exactly, else the line itself, losslessly."""
    if raw_line is None:
        return {}
    try:
        message, exact = read_message(raw_line)
    except UnreadableLine:
        message, exact = None, True
    record = message.get("record") if isinstance(message, dict) and not exact else None
    if isinstance(record, dict):
        return {"record": record}
    try:  # NaN, integers beyond 64 bits, text that is not Unicode, a line that is not JSON: kept as it came
        return {"raw_line": raw_line.decode("utf-8").rstrip("\r\n")}
    except UnicodeDecodeError:
        return {"raw_line_base64": base64.b64encode(raw_line).decode("ascii")}
