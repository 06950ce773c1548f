"""The reading stage: read Airbyte messages, route, normalise, validate, serialise, hand over.

Lines are parsed once with orjson (``input_lines`` falls back to an exact parser for the lines
orjson refuses or may read lossily); no protocol objects are built per record. Every input line
ends as one of: a message processed, a record rejected with a reason (counted in the next STATE's
``rejectedRecordCount``), an unreadable line counted and summarised (``on_unreadable_line: skip``)
or a failed sync. Each record is
normalised and validated for its entity in one pass and serialised once. Records are handed to the batching
stage in runs per entity; the stages run on their own threads:

    reader (this) → batching (compress, fill batches) → delivery (POST, echo states)

Batches are closed when full, when the oldest record not yet flushed is older than
``flush_interval_seconds``, when the oldest STATE not yet echoed is older than
``state_delay_seconds``, and at the end; several entities flushed together are closed in the
published entity order. A STATE does not close batches by itself: the batching stage holds it
until every batch holding a record before it has gone to delivery, which echoes it only after
those were accepted. So a source that checkpoints after every record still fills batches.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Dict, Iterable, List, Optional

import orjson

from destination_sense import side_streams
from destination_sense.catalog import StreamKey, StreamRoute, stream_label
from destination_sense.config import SenseConfig
from destination_sense.envelopes import IGNORED_TYPES, message_problem, message_type, record_problem, state_problem
from destination_sense.errors import ConfigError, InputError
from destination_sense.gzip_batch import DEFAULT_LEVEL, Item, RecordTooLarge, check_fits_alone
from destination_sense.input_lines import UnreadableLine, guess_stream, read_message, unstorable_values
from destination_sense.normalize import INT64_MAX, INT64_MIN, RecordNormalizer
from destination_sense.output import ProtocolOutput
from destination_sense.pipeline import Flush, Records, Stage, Updates
from destination_sense.possible_values import STATS_KEY as VALUES_KEY
from destination_sense.resume_upload import STATS_KEY as RESUMES_KEY
from destination_sense.rejections import Rejections
from destination_sense.state_counts import ReadCounts
from destination_sense.sync_stats import SyncStats
from sense_api.entities import BY_COLLECTION, ENTITIES

#: Raw bytes of serialised records collected per entity before they are handed to batching.
HANDOFF_BYTES = 128 * 1024
AGE_CHECK_EVERY = 1000  # records between checks of the clock on the reading thread
#: Partial updates collected per entity before they are handed over.
UPDATE_HANDOFF = 200
#: Unknown fields logged per stream; the rest are counted and summarised at the end.
MAX_UNKNOWN_FIELDS_LOGGED = 20
#: Unreadable lines logged (with ``on_unreadable_line: skip``); the rest are counted.
MAX_UNREADABLE_LOGGED = 20

def _beyond_int64(value: Any) -> bool:
    return value.__class__ is int and not INT64_MIN <= value <= INT64_MAX


class StreamReader:
    """Per configured stream: its route, normaliser, validator and position counter."""

    __slots__ = (
        "route", "normalize", "position", "key", "collection", "mapping", "is_update", "is_soft_delete", "backward_refs", "unknown_fields",
    )

    def __init__(self, route: StreamRoute, output: ProtocolOutput, epoch_unit: str = "reject"):
        self.route = route
        self.key = route.key
        self.collection = route.entity.collection
        label = route.label
        entity = route.entity
        self.unknown_fields = 0

        def warn_unknown(field: str) -> None:
            self.unknown_fields += 1
            if self.unknown_fields > MAX_UNKNOWN_FIELDS_LOGGED:
                return
            output.warn(
                f"Stream '{label}': field '{field[:200]}' is not a field of Sense {entity.name}; it is dropped "
                f"from every record (Sense rejects unknown fields). This is logged once per stream and field"
                f" (the first {MAX_UNKNOWN_FIELDS_LOGGED} fields; the rest are counted at the end)."
            )

        self.normalize = RecordNormalizer(entity, warn_unknown, epoch_unit)
        self.mapping = route.mapping
        self.is_update = route.is_update
        self.is_soft_delete = route.is_soft_delete
        # references to entities earlier in the sync order (those must reach Sense first)
        self.backward_refs = tuple(
            (field, target) for field, target in entity.references.items() if BY_COLLECTION[target].order < entity.order
        )
        self.position = 0


class Reader:
    """The reading stage: runs on the calling thread and hands its output to the batching stage.

    Its collaborators are built by the composition root (``destination_sense.sync``) and passed in.
    """

    def __init__(
        self,
        config: SenseConfig,
        routes: Dict[StreamKey, StreamRoute],
        output: ProtocolOutput,
        batcher: Stage,
        stats: SyncStats,
        rejections: Rejections,
        clock=time.monotonic,
        level: int = DEFAULT_LEVEL,
        side_routes=None,
    ):
        self.config = config
        self.output = output
        self.clock = clock
        self.level = level
        self.stats = stats
        self.rejections = rejections
        self.read_counts = ReadCounts()
        self.batcher = batcher
        self.streams: Dict[StreamKey, StreamReader] = {key: StreamReader(route, output, config.epoch_unit) for key, route in routes.items()}
        self.null_non_finite = config.non_finite_numbers == "null"
        self.line_number = 0
        self.current_line = b""  # the input line being read: a rejected record is stored as received
        self.unreadable_lines: List[int] = []  # line numbers of lines counted as unreadable (skip policy)
        self.state_waiting_since: Optional[float] = None
        self.pending: Dict[str, List[Item]] = {e.collection: [] for e in ENTITIES}
        self.pending_bytes: Dict[str, int] = {e.collection: 0 for e in ENTITIES}
        self.pending_updates: Dict[str, List[Item]] = {e.collection: [] for e in ENTITIES}
        self.oldest: Dict[str, Optional[float]] = {e.collection: None for e in ENTITIES}
        # Streams that are not entity records (destination_sense.side_streams): possible values, resumes.
        self.possible_values, self.resumes, self.side_positions = side_streams.collectors(side_routes, self.stats, self._reject_side)
        self._lock = threading.Lock()
        self._stop_timer = threading.Event()
        self._timer = threading.Thread(target=self._tick, name="sense-flush-timer", daemon=True)

    # ------------------------------------------------------------------
    def run(self, lines: Iterable[bytes]) -> None:
        """Read every line and hand everything over (the last ``Flush`` included).

        On a failure, what was read before it is handed over all the same (so the states before it
        can still be echoed) and the failure is raised.
        """
        self._timer.start()
        try:
            self._consume(lines)
            with self._lock:
                self._flush_all()
        except BaseException:
            self._flush_after_failure()
            raise
        finally:
            self._stop_timer.set()

    def received(self, stream: StreamKey) -> int:
        """Records received so far in ``stream`` (its last position)."""
        reader = self.streams.get(stream)
        return reader.position if reader is not None else self.side_positions.get(stream, 0)

    def summary_lines(self) -> List[str]:
        """The statistics table, then what was counted but not delivered."""
        lines = self.stats.summary_lines()
        for reader in self.streams.values():
            if reader.unknown_fields > MAX_UNKNOWN_FIELDS_LOGGED:
                lines.append(
                    f"Stream '{reader.route.label}': {reader.unknown_fields:,} fields that Sense does not define were dropped "
                    f"({reader.unknown_fields - MAX_UNKNOWN_FIELDS_LOGGED:,} of them not logged)."
                )
        if self.unreadable_lines:
            shown = ", ".join(str(n) for n in self.unreadable_lines[:MAX_UNREADABLE_LOGGED])
            more = ", …" if len(self.unreadable_lines) > MAX_UNREADABLE_LOGGED else ""
            lines.append(
                f"{len(self.unreadable_lines):,} input line(s) were not Airbyte messages that could be tied to a stream and were "
                f"skipped (on_unreadable_line: skip): line(s) {shown}{more}."
            )
        return lines

    def _flush_after_failure(self) -> None:
        """Hand over what was read before a failure; swallow errors.

        Everything the reader holds came before the line that failed; when the failure came from a
        stage itself, the flush fails again at once and is ignored.
        """
        self._stop_timer.set()
        try:
            with self._lock:
                self._flush_all()
        except BaseException:  # noqa: BLE001 - the original error is the one reported
            pass

    def _consume(self, lines: Iterable[bytes]) -> None:
        since_check = 0
        lock = self._lock
        number = 0
        for line in lines:
            number += 1
            self.line_number = number
            self.current_line = line
            try:
                message, exact = read_message(line)
            except UnreadableLine as exc:
                if not line.strip():
                    continue  # an empty line is no message
                with lock:
                    self._unreadable(line, f"{exc}", guess_stream(line))
                continue
            kind = message_type(message)
            with lock:
                if kind == "RECORD":
                    record = message.get("record")
                    problem = record_problem(record)
                    if problem is not None:
                        self._unreadable(line, problem, None)
                        continue
                    self._record(record, exact)
                    since_check += 1
                    if since_check >= AGE_CHECK_EVERY:
                        since_check = 0
                        self._flush_aged()
                elif kind == "STATE":
                    state = message.get("state")
                    problem = state_problem(state)
                    if problem is not None:
                        self._unreadable(line, problem, None)
                        continue
                    self._state(state)
                elif kind not in IGNORED_TYPES:
                    self._unreadable(line, message_problem(message), None)

    def _unreadable(self, line: bytes, reason: str, stream: Optional[StreamKey]) -> None:
        """A line that is no usable message: a rejected record of ``stream`` when known, else by ``on_unreadable_line``."""
        number = self.line_number
        reader = self.streams.get(stream) if stream is not None else None
        if reader is None and stream in self.side_positions:  # a possible-values or resume stream
            self.side_positions[stream] += 1
            self.read_counts.received[stream] += 1
            collection = self._side_collection(stream)
            self.stats[collection].received += 1
            self._reject_side(collection, stream, self.side_positions[stream], None, [(None, f"input line {number} {reason}")])
            return
        if reader is not None:
            reader.position += 1
            self.read_counts.received[reader.key] += 1
            self.stats[reader.collection].received += 1
            self._reject(reader, None, [(None, f"input line {number} {reason}")])
            return
        message = f"Input line {number} {reason}: {line[:120]!r}"
        if self.config.on_unreadable_line == "fail":
            raise InputError(message + " (on_unreadable_line is 'fail').")
        self.unreadable_lines.append(number)
        if len(self.unreadable_lines) <= MAX_UNREADABLE_LOGGED:
            self.output.warn(message + "; skipped and counted (on_unreadable_line: skip).")

    def _tick(self) -> None:
        """Background: flush what got too old while the input was idle; log progress."""
        interval = min(1.0, self.config.flush_interval_seconds / 4, (self.config.state_delay_seconds or 4) / 4)
        while not self._stop_timer.wait(interval):
            try:
                with self._lock:
                    self._flush_aged()
                if self.stats.progress_due():
                    self.output.info(self.stats.progress_line())
            except BaseException:  # noqa: BLE001 - the reading thread reports stage errors
                return

    # ------------------------------------------------------------------
    def _record(self, record: dict, exact: bool = False) -> None:
        key = (record.get("namespace") or None, record["stream"])
        reader = self.streams.get(key)
        if reader is None:
            if key in self.side_positions:
                self._side_record(key, record, exact)
                return
            raise ConfigError(f"Received a record for stream '{stream_label(key)}', which is not in the configured catalog.")
        reader.position += 1
        collection = reader.collection
        if self.possible_values is not None and collection in self.possible_values.pending:
            self._submit_direct(self.possible_values.take(collection))  # possible values before the records
        self.read_counts.received[key] += 1
        self.stats[collection].received += 1
        data = record.get("data")
        if data.__class__ is not dict:
            self._reject(reader, None, [(None, "the record has no data object")])
            return
        if exact:  # read by the exact parser: it may hold NaN, infinities or text that is not Unicode
            bad = unstorable_values(data, self.null_non_finite)
            if bad:
                self._reject(reader, _id_of(data), bad)
                return
        if reader.mapping is not None:
            data = reader.mapping(data)
        if reader.is_soft_delete:
            data = {"id": data.get("id"), "is_deleted": True}
        normalized, problems = reader.normalize(data)  # also validates: see RecordNormalizer
        entity_id = normalized.get("id")
        if problems:
            self._reject(reader, entity_id if entity_id.__class__ is str else None, problems)
            return
        if reader.is_update:
            del normalized["id"]  # in the URL, not the body
        try:
            serialized = orjson.dumps(normalized)
        except TypeError:  # an integer beyond 64 bits in a field that is not an id (only the exact parser reads those)
            fields = sorted(name for name, value in normalized.items() if _beyond_int64(value))
            problems = [(name, "is an integer beyond the 64-bit range Sense stores") for name in fields]
            self._reject(reader, entity_id, problems or [(None, "cannot be serialised as JSON")])
            return
        if reader.is_update:
            self._add_update(collection, Item(serialized, entity_id, key, reader.position))
            return
        try:
            check_fits_alone(serialized, self.config.max_batch_bytes, self.level)
        except RecordTooLarge as exc:
            self._reject(reader, entity_id, [(None, str(exc))])
            return
        if self.pending_updates[collection]:
            self._handoff_updates(collection)
        pending = self.pending[collection]
        if not pending and self.oldest[collection] is None:
            self.oldest[collection] = self.clock()
        refs = ()
        if reader.backward_refs:
            refs = tuple((target, value) for field, target in reader.backward_refs if (value := normalized.get(field)))
        pending.append(Item(serialized, entity_id, key, reader.position, refs))
        size = self.pending_bytes[collection] + len(serialized)
        self.pending_bytes[collection] = size
        if size >= HANDOFF_BYTES or len(pending) >= self.config.batch_size:
            self._handoff(collection)

    def _add_update(self, collection: str, item: Item) -> None:
        if self.pending[collection]:
            self._handoff_records(collection)
        updates = self.pending_updates[collection]
        if not updates and self.oldest[collection] is None:
            self.oldest[collection] = self.clock()
        updates.append(item)
        if len(updates) >= UPDATE_HANDOFF:
            self._handoff(collection)

    def _reject(self, reader: StreamReader, entity_id, problems) -> None:
        self.read_counts.rejected[reader.key] += 1
        self.rejections.reject(reader.collection, reader.key, reader.position, entity_id, problems, raw_line=self.current_line)

    def _side_record(self, key: StreamKey, record: dict, exact: bool = False) -> None:
        self.side_positions[key] += 1
        position = self.side_positions[key]
        self.read_counts.received[key] += 1
        data = record.get("data")
        if exact and data.__class__ is dict:  # read by the exact parser: NaN, infinities, text that is not Unicode
            bad = unstorable_values(data, self.null_non_finite)
            if bad:
                collection = self._side_collection(key)
                self.stats[collection].received += 1
                self._reject_side(collection, key, position, _id_of(data), bad)
                return
        if self.possible_values is not None and key in self.possible_values.routes:
            self.possible_values.add(key, position, record.get("data"))
        elif self.resumes.add(key, position, record):
            self._handoff("candidates")  # the candidates received before (upserts or updates) go first
            if self.resumes.full:
                self._submit_direct(self.resumes.take())

    def _side_collection(self, key: StreamKey) -> str:
        """The statistics row (and rejection key) of a side stream."""
        if self.possible_values is not None and key in self.possible_values.routes:
            return VALUES_KEY
        return RESUMES_KEY

    def _reject_side(self, collection: str, key: StreamKey, position: int, record_id, problems) -> None:
        self.read_counts.rejected[key] += 1
        self.rejections.reject(collection, key, position, record_id, problems, raw_line=self.current_line)

    def _submit_direct(self, items) -> None:
        for item in items:
            self.batcher.submit(item)

    def _state(self, state: dict) -> None:
        """Hand over what came before the state, then the state; batches stay open (see the module doc).

        Everything the reader holds goes first, side streams included: the possible-values PUTs and
        resume uploads waiting here are delivered before the state is echoed. The marker carries the
        position of every stream, side streams too, so that a rejection found while delivering is
        counted in the first state after its record (see ``state.DeliveryCounts``).
        """
        if self.config.state_delay_seconds <= 0:
            self._flush_all()
        else:
            self._hand_over_all()
            if self.state_waiting_since is None:
                self.state_waiting_since = self.clock()
        positions = {key: reader.position for key, reader in self.streams.items()}
        positions.update(self.side_positions)
        self.batcher.submit(self.read_counts.marker(state, positions))

    # ------------------------------------------------------------------
    def _handoff(self, collection: str) -> None:
        # Upserts and updates of one entity keep their input order: at most one of the two lists
        # is non-empty, as each is handed over before the other one starts (see _record).
        self._handoff_records(collection)
        self._handoff_updates(collection)

    def _handoff_records(self, collection: str) -> None:
        items = self.pending[collection]
        if items:
            # what was received before, for entities earlier in the order, is handed over first
            for entity in ENTITIES:
                if entity.collection == collection:
                    break
                if self.pending[entity.collection]:
                    self._handoff_records(entity.collection)
            self.pending[collection] = []
            self.pending_bytes[collection] = 0
            self.batcher.submit(Records(collection, items))

    def _handoff_updates(self, collection: str) -> None:
        updates = self.pending_updates[collection]
        if updates:
            self.pending_updates[collection] = []
            self.batcher.submit(Updates(collection, updates))

    def _hand_over_all(self) -> None:
        """Hand everything the reader holds to batching: possible values (before the records of
        their entity), each entity's records in the published order, then the resume uploads (after
        the candidates they belong to)."""
        if self.possible_values is not None:
            self._submit_direct(self.possible_values.take())
        for entity in ENTITIES:  # the published order
            self._handoff(entity.collection)
        if self.resumes is not None:
            self._submit_direct(self.resumes.take())

    def _flush_all(self) -> None:
        self._hand_over_all()
        for entity in ENTITIES:
            self.oldest[entity.collection] = None
        self.state_waiting_since = None
        self.batcher.submit(Flush(None))

    def _flush_aged(self) -> None:
        limit = self.config.flush_interval_seconds
        now = self.clock()
        waiting = self.state_waiting_since
        if waiting is not None and now - waiting >= self.config.state_delay_seconds:
            self._flush_all()
            return
        for entity in ENTITIES:
            started = self.oldest[entity.collection]
            if started is not None and now - started >= limit:
                self._handoff(entity.collection)
                self.oldest[entity.collection] = None
                self.batcher.submit(Flush(entity.collection))


def _id_of(data: Any) -> Optional[str]:
    """The record's id for a report, when it is plainly one."""
    value = data.get("id") if data.__class__ is dict else None
    if value.__class__ is int:
        return str(value)
    return value if value.__class__ is str and value.strip() else None
