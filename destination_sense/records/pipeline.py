"""The record pipeline: one input line in, one outcome out — parse → route → map → normalise → serialise.

``RecordPipeline.process(line)`` returns exactly one of:

- ``Item``: a record of an entity stream, normalised, validated and serialised once (``records.item``);
- ``Rejected``: a record of a known stream that cannot be sent, with every reason;
- ``SideRecord``: a record of a side stream (possible values, resume files), passed on as read;
- ``State``: a usable STATE message;
- ``Unreadable``: a line that is no usable message and cannot be tied to a stream;
- ``None``: an empty line or a message type a destination ignores (LOG, TRACE, …).

It holds no state of the sync: no positions (the ledger numbers records), no buffers, no counts.
The one thing it remembers is which unknown fields it has already reported (each is logged once
per stream). Lines are parsed once with orjson (``records.lines`` falls back to an exact parser
for the lines orjson refuses or may read lossily), and no protocol objects are built per record.
A record for a stream that is not in the catalog raises ``ConfigError``.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Optional, Tuple

import orjson

from destination_sense.catalog import StreamKey, StreamRoute, stream_label
from destination_sense.errors import ConfigError
from destination_sense.normalize import INT64_MAX, INT64_MIN, RecordNormalizer
from destination_sense.records.envelopes import IGNORED_TYPES, message_problem, message_type, record_problem, state_problem
from destination_sense.records.item import DEFAULT_LEVEL, Item, RecordTooLarge, check_fits_alone
from destination_sense.records.lines import UnreadableLine, guess_stream, read_message, unstorable_values
from sense_api.entities import BY_COLLECTION

#: Unknown fields logged per stream; the rest are counted and summarised at the end.
MAX_UNKNOWN_FIELDS_LOGGED = 20


class Rejected:
    __slots__ = ("stream", "entity_id", "problems")

    def __init__(self, stream: StreamKey, entity_id: Optional[str], problems):
        self.stream = stream
        self.entity_id = entity_id
        self.problems = problems

    def __repr__(self) -> str:
        return f"Rejected({self.stream!r}, {self.entity_id!r}, {self.problems!r})"


class SideRecord:
    """A record of a side stream, for its sink; ``position`` is set when the ledger numbers it."""

    __slots__ = ("stream", "record", "position", "line")

    def __init__(self, stream: StreamKey, record: dict, line: Optional[bytes] = None):
        self.stream = stream
        self.record = record
        self.position = 0
        self.line = line


class State:
    __slots__ = ("state",)

    def __init__(self, state: dict):
        self.state = state


class Unreadable:
    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


def _beyond_int64(value: Any) -> bool:
    return value.__class__ is int and not INT64_MIN <= value <= INT64_MAX


def id_of(data: Any) -> Optional[str]:
    """The record's id for a report, when it is plainly one."""
    value = data.get("id") if data.__class__ is dict else None
    if value.__class__ is int:
        return str(value)
    return value if value.__class__ is str and value.strip() else None


class StreamRules:
    """Per configured entity stream: its route, normaliser, references and unknown-field notices."""

    __slots__ = ("route", "normalize", "key", "collection", "mapping", "is_update", "is_soft_delete", "backward_refs", "unknown_fields")

    def __init__(self, route: StreamRoute, warn: Callable[[str], None], epoch_unit: str = "reject"):
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
            warn(
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


class RecordPipeline:
    def __init__(
        self,
        routes: Mapping[StreamKey, StreamRoute],
        side_streams: Tuple[StreamKey, ...] = (),
        *,
        max_batch_bytes: int,
        epoch_unit: str = "reject",
        null_non_finite: bool = False,
        warn: Callable[[str], None] = lambda message: None,
        level: int = DEFAULT_LEVEL,
        keep_lines: bool = True,
    ):
        self.streams: Dict[StreamKey, StreamRules] = {key: StreamRules(route, warn, epoch_unit) for key, route in routes.items()}
        self.side_streams = frozenset(side_streams)
        self.max_batch_bytes = max_batch_bytes
        self.null_non_finite = null_non_finite
        self.level = level
        #: whether an Item keeps its input line (for reports of records Sense refuses): ~1× the raw
        #: records of the batches in flight in memory, so only when the ledger has observers
        self.keep_lines = keep_lines

    def process(self, line: bytes, number: int = 0):
        """The outcome of input line ``number`` (see the module docstring); the ``Item``'s position is left 0."""
        try:
            message, exact = read_message(line)
        except UnreadableLine as exc:
            if not line.strip():
                return None  # an empty line is no message
            return self._unreadable(number, f"{exc}", guess_stream(line))
        kind = message_type(message)
        if kind == "RECORD":
            record = message.get("record")
            problem = record_problem(record)
            if problem is not None:
                return Unreadable(problem)
            return self.record(record, exact, line if self.keep_lines else None)
        if kind == "STATE":
            state = message.get("state")
            problem = state_problem(state)
            if problem is not None:
                return Unreadable(problem)
            return State(state)
        if kind in IGNORED_TYPES:
            return None
        return Unreadable(message_problem(message))

    def _unreadable(self, number: int, reason: str, stream: Optional[StreamKey]):
        """A line no parser reads: a rejected record of its stream when the line names a known one."""
        if stream is not None and (stream in self.streams or stream in self.side_streams):
            return Rejected(stream, None, [(None, f"input line {number} {reason}")])
        return Unreadable(reason)

    def record(self, record: dict, exact: bool = False, line: Optional[bytes] = None):
        key = (record.get("namespace") or None, record["stream"])
        rules = self.streams.get(key)
        data = record.get("data")
        if rules is None:
            if key in self.side_streams:
                if exact and data.__class__ is dict:  # read by the exact parser: NaN, infinities, text that is not Unicode
                    bad = unstorable_values(data, self.null_non_finite)
                    if bad:
                        return Rejected(key, id_of(data), bad)
                return SideRecord(key, record, line)
            raise ConfigError(f"Received a record for stream '{stream_label(key)}', which is not in the configured catalog.")
        if data.__class__ is not dict:
            return Rejected(key, None, [(None, "the record has no data object")])
        if exact:  # read by the exact parser: it may hold NaN, infinities or text that is not Unicode
            bad = unstorable_values(data, self.null_non_finite)
            if bad:
                return Rejected(key, id_of(data), bad)
        if rules.mapping is not None:
            data = rules.mapping(data)
        if rules.is_soft_delete:
            data = {"id": data.get("id"), "is_deleted": True}
        normalized, problems = rules.normalize(data)  # also validates: see RecordNormalizer
        entity_id = normalized.get("id")
        if problems:
            return Rejected(key, entity_id if entity_id.__class__ is str else None, problems)
        if rules.is_update:
            del normalized["id"]  # in the URL, not the body
        try:
            serialized = orjson.dumps(normalized)
        except TypeError:  # an integer beyond 64 bits in a field that is not an id (only the exact parser reads those)
            fields = sorted(name for name, value in normalized.items() if _beyond_int64(value))
            problems = [(name, "is an integer beyond the 64-bit range Sense stores") for name in fields]
            return Rejected(key, entity_id, problems or [(None, "cannot be serialised as JSON")])
        if rules.is_update:
            return Item(serialized, entity_id, key, 0, (), rules.collection, True, line)
        try:
            check_fits_alone(serialized, self.max_batch_bytes, self.level)
        except RecordTooLarge as exc:
            return Rejected(key, entity_id, [(None, str(exc))])
        refs = ()
        if rules.backward_refs:
            refs = tuple((target, value) for field, target in rules.backward_refs if (value := normalized.get(field)))
        return Item(serialized, entity_id, key, 0, refs, rules.collection, False, line)

    def unknown_field_lines(self):
        """Summary lines for streams with more unknown fields than were logged."""
        for rules in self.streams.values():
            if rules.unknown_fields > MAX_UNKNOWN_FIELDS_LOGGED:
                yield (
                    f"Stream '{rules.route.label}': {rules.unknown_fields:,} fields that Sense does not define were dropped "
                    f"({rules.unknown_fields - MAX_UNKNOWN_FIELDS_LOGGED:,} of them not logged)."
                )
