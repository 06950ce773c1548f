"""Turn an incoming record into the shape Sense accepts, field by field.

Per entity, each schema field gets a coercion compiled once from its schema type and format:
- ``id`` and reference fields (``candidate_id``, ``internal_user_id2``, ``owner_id`` …) become strings
  (``123`` → ``"123"``) with every digit (integers beyond 64 bits too); a float is an id only when it
  is an integer a double holds exactly (below 2**53); a blank or whitespace-only id is no id (a
  record without one is rejected, a blank reference is sent as null);
- numbers and booleans are coerced where no information is lost (``"12"`` → 12 for an integer field,
  ``1.0`` → 1, ``"true"`` → True, ``42`` → ``"42"`` for a string field);
- ``date-time`` fields accept ISO 8601 strings in common shapes, the basic forms included
  (``20200101``, ``20200101T103000Z``), and numbers (or strings of digits) as epochs in the one
  ``epoch_unit`` configured for the source (seconds, milliseconds, or reject: the unit is never
  guessed from the magnitude); a bare year (``"2020"``) is rejected. They are sent as ISO 8601
  with an offset (naive times are taken as UTC); ``date`` fields are sent as ``YYYY-MM-DD``;
  "date or date-time" fields keep a date as a date;
- ``_ab_cdc_deleted_at`` set → ``is_deleted: true``; Airbyte meta fields (``_airbyte_*``, ``_ab_*``) are
  dropped silently; other fields Sense does not define are dropped and reported to ``on_unknown_field``
  once per field (the writer bounds how many of those it logs).
A value that cannot be coerced, a missing or empty ``id`` and a text over its ``maxLength`` are
reported as problems ``(field, reason)``. What comes out of a record without problems is valid for
the entity's schema, so records are validated in this one pass.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Tuple

from sense_api.entities import Entity
from sense_api.field_types import base_type
from sense_api.formats import is_iso_date, is_iso_date_time

#: The Airbyte CDC column holding the deletion time; set, the record becomes ``is_deleted``.
CDC_DELETED_FIELD = "_ab_cdc_deleted_at"
META_PREFIXES = ("_airbyte_", "_ab_")
EPOCH_UNITS = {"seconds": 1.0, "milliseconds": 1000.0}
#: The largest integer a float is known to hold as the source wrote it. Doubles hold every integer up to
#: 2**53, but 2**53 is also what ``9007199254740993.0`` reads as: from 2**53 on, a float id or integer may
#: have lost digits (it is rejected, never rounded).
MAX_EXACT_FLOAT_INTEGER = 2 ** 53 - 1
#: Sense stores integers as signed 64-bit values.
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1

_INT_RE = re.compile(r"[+-]?\d+\Z")
_YEAR_RE = re.compile(r"[+-]?\d{1,4}\Z")
# ISO 8601 basic format: 20200101, 20200101T1030, 20200101T103000(.123)(Z|+0100)
_BASIC_RE = re.compile(r"(\d{4})(\d\d)(\d\d)(?:T(\d\d)(\d\d)(\d\d)?(\.\d{1,6})?(Z|[+-]\d\d(?::?\d\d)?)?)?\Z", re.ASCII)
# The common shape of a date-time that is sent as it is: "T", seconds and an offset. The shape is
# matched here and ``datetime.fromisoformat`` (C) checks the calendar and the ranges.
_DATE_TIME_AS_IS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:?\d\d)\Z", re.ASCII)
_OFFSET_RE = re.compile(r"(Z|[+-]\d{2}(:?\d{2})?)\Z")
_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f"})


_fromisoformat = datetime.fromisoformat


class CoercionError(ValueError):
    pass


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), type(value).__name__
    )


def _epoch_to_datetime(value: float, epoch_unit: str) -> datetime:
    divisor = EPOCH_UNITS.get(epoch_unit)
    if divisor is None:
        raise CoercionError(
            f"is the number {value!r}, and numbers are not read as dates for this source "
            "(set epoch_unit to seconds or milliseconds if they are epochs)"
        )
    if value != value or value in (float("inf"), float("-inf")):
        raise CoercionError(f"epoch value {value!r} is not a number")
    try:
        return datetime.fromtimestamp(value / divisor, tz=timezone.utc)
    except (OverflowError, OSError, ValueError) as exc:
        raise CoercionError(f"epoch value {value!r} ({epoch_unit}) is out of range") from exc


def _basic_to_extended(text: str) -> Optional[str]:
    """``20200101T103000Z`` → ``2020-01-01T10:30:00Z`` (ISO 8601 basic → extended), or None."""
    m = _BASIC_RE.match(text)
    if m is None:
        return None
    y, mo, d, h, mi, sec, frac, offset = m.groups()
    out = f"{y}-{mo}-{d}"
    if h is not None:
        out += f"T{h}:{mi}:{sec or '00'}{frac or ''}"
        if offset:
            out += offset if offset == "Z" or len(offset) == 3 or ":" in offset else f"{offset[:3]}:{offset[3:]}"
    return out


def _digits_as_date(text: str, epoch_unit: str) -> datetime:
    """A string of digits in a date field: a basic ISO date (8 digits), else an epoch; a year is rejected."""
    if len(text) == 8:
        return _parse_iso(_basic_to_extended(text))
    if _YEAR_RE.match(text):
        raise CoercionError(f"{text!r} is not a date (a bare year or a short number is ambiguous)")
    return _epoch_to_datetime(int(text), epoch_unit)


def format_datetime(dt: datetime) -> str:
    """ISO 8601 with the offset (UTC when none), and only as many fraction digits as the value has."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    timespec = "seconds" if dt.microsecond == 0 else ("milliseconds" if dt.microsecond % 1000 == 0 else "microseconds")
    return dt.isoformat(timespec=timespec)


def to_datetime(value: Any, epoch_unit: str = "reject") -> Any:
    """ISO 8601 with offset, from an ISO-like string or an epoch number in ``epoch_unit``."""
    if value is None:
        return None
    cls = value.__class__
    if cls is str:
        if _DATE_TIME_AS_IS.match(value):
            try:
                _fromisoformat(value)
                return value
            except ValueError:
                pass  # e.g. 2021-02-30: reported below
        if is_iso_date_time(value):
            if _OFFSET_RE.search(value):
                return value if value[10] == "T" else value[:10] + "T" + value[11:]
            return format_datetime(_parse_iso(value))
        if is_iso_date(value):
            return value + "T00:00:00+00:00"
        stripped = value.strip()
        if _INT_RE.match(stripped):
            return format_datetime(_digits_as_date(stripped, epoch_unit))
        if not stripped:
            return None
        return format_datetime(_parse_iso(stripped))
    if cls is int or cls is float:
        return format_datetime(_epoch_to_datetime(value, epoch_unit))
    raise CoercionError(f"expected a date-time, got {_type_name(value)}")


def _parse_iso(text: str) -> datetime:
    candidate = _basic_to_extended(text) or text.replace("/", "-")
    if candidate.endswith(("z", "Z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        pass
    for fmt in ("%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%a, %d %b %Y %H:%M:%S %z"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise CoercionError(f"{text[:40]!r} is not a recognisable date-time (ISO 8601, or an epoch in the configured epoch_unit)")


def to_date(value: Any, epoch_unit: str = "reject") -> Any:
    """``YYYY-MM-DD`` from a date, an ISO date-time (its date part) or an epoch number in ``epoch_unit``."""
    if value is None:
        return None
    cls = value.__class__
    if cls is str:
        if is_iso_date(value):
            return value
        if len(value) > 10 and is_iso_date_time(value):
            return value[:10]
        stripped = value.strip()
        if not stripped:
            return None
        if _INT_RE.match(stripped):
            return _digits_as_date(stripped, epoch_unit).date().isoformat()
        parsed = _parse_iso(stripped)
        return parsed.date().isoformat()
    if cls is int or cls is float:
        return _epoch_to_datetime(value, epoch_unit).date().isoformat()
    raise CoercionError(f"expected a date, got {_type_name(value)}")


def to_date_or_datetime(value: Any, epoch_unit: str = "reject") -> Any:
    if value.__class__ is str:
        if is_iso_date(value):
            return value
        stripped = value.strip()
        if len(stripped) == 8 and stripped.isdigit():
            return _digits_as_date(stripped, epoch_unit).date().isoformat()
    return to_datetime(value, epoch_unit)


def _exact_float_integer(value: float) -> bool:
    return value.is_integer() and abs(value) <= MAX_EXACT_FLOAT_INTEGER


def to_identifier(value: Any) -> Any:
    """An id as a string, every digit kept; a blank string is no id (None)."""
    cls = value.__class__
    if cls is str:
        return value if value.strip() else None
    if value is None:
        return None
    if cls is int:
        return str(value)
    if cls is float and _exact_float_integer(value):
        return str(int(value))
    if cls is float and value.is_integer():
        raise CoercionError(f"is the float {value!r}, at or beyond 2**53: its digits may have been lost (send ids as strings or integers)")
    raise CoercionError(f"expected a string id, got {_type_name(value)} {value!r}")


def to_string(value: Any) -> Any:
    cls = value.__class__
    if cls is str or value is None:
        return value
    if cls is int or cls is float:
        return str(value)
    if cls is bool:
        return "true" if value else "false"
    raise CoercionError(f"expected a string, got {_type_name(value)}")


def _in_int64(number: int) -> int:
    if not INT64_MIN <= number <= INT64_MAX:
        raise CoercionError(f"{number} is beyond the 64-bit integer range Sense stores")
    return number


def to_integer(value: Any) -> Any:
    cls = value.__class__
    if value is None:
        return value
    if cls is int:
        return _in_int64(value)
    if cls is float and _exact_float_integer(value):
        return int(value)
    if cls is str:
        stripped = value.strip()
        if _INT_RE.match(stripped):
            return _in_int64(int(stripped))
        if not stripped:
            return None
    raise CoercionError(f"expected an integer, got {_type_name(value)} {str(value)[:40]!r}")


def to_number(value: Any) -> Any:
    cls = value.__class__
    if cls is int:
        return _in_int64(value)
    if cls is float or value is None:
        return value
    if cls is str:
        stripped = value.strip()
        if not stripped:
            return None
        try:
            number = float(stripped)
        except ValueError:
            pass
        else:
            if number == number and number not in (float("inf"), float("-inf")):
                return _in_int64(int(stripped)) if _INT_RE.match(stripped) else number
    raise CoercionError(f"expected a number, got {_type_name(value)} {str(value)[:40]!r}")


def to_boolean(value: Any) -> Any:
    cls = value.__class__
    if cls is bool or value is None:
        return value
    if cls is int and value in (0, 1):
        return bool(value)
    if cls is str and value.strip().lower() in _TRUE:
        return True
    if cls is str and value.strip().lower() in _FALSE:
        return False
    raise CoercionError(f"expected a boolean, got {_type_name(value)} {str(value)[:40]!r}")


def to_string_array(value: Any) -> Any:
    if value is None:
        return None
    if value.__class__ is list:
        for item in value:  # a plain loop: most lists are short and all strings
            if item.__class__ is not str:
                break
        else:
            return value
        if any(item is None for item in value):
            raise CoercionError("an array of strings may not contain null")
        return [to_string(item) for item in value]
    raise CoercionError(f"expected an array of strings, got {_type_name(value)}")


def _coercion_for(name: str, prop: dict, is_reference: bool, epoch_unit: str = "reject") -> Callable[[Any], Any]:
    base = base_type(prop)
    if name == "id" or is_reference:
        return to_identifier
    if base == "string":
        fmt = prop.get("format")
        dates = {"date-time": to_datetime, "date": to_date, "date-or-date-time": to_date_or_datetime}
        if fmt in dates:
            return partial(dates[fmt], epoch_unit=epoch_unit)
        return to_string
    return {"integer": to_integer, "number": to_number, "boolean": to_boolean, "array": to_string_array}[base]


def _passes_as_is(name: str, prop: dict, is_reference: bool = False) -> Optional[type]:
    """The value class that needs no coercion nor check for this field (besides None), if any."""
    base = base_type(prop)
    if name == "id" or is_reference or "maxLength" in prop or "minLength" in prop:
        return None
    if base == "string" and not prop.get("format"):
        return str
    return {"integer": int, "number": float, "boolean": bool}.get(base)


Problems = List[Tuple[str, str]]


class RecordNormalizer:
    """Normalise records of one stream into one entity's shape.

    The output of a record without problems is valid for the entity's schema: every coercion
    returns a value of the field's type and format (a differential test checks this against the
    schema validator), so records are not validated a second time.
    """

    def __init__(self, entity: Entity, on_unknown_field: Callable[[str], None] = lambda name: None, epoch_unit: str = "reject"):
        self.entity = entity
        props = entity.schema["properties"]
        refs = entity.references
        self.coercions: Dict[str, Callable[[Any], Any]] = {
            name: _coercion_for(name, prop, name in refs, epoch_unit) for name, prop in props.items()
        }
        self.as_is: Dict[str, type] = {name: cls for name, prop in props.items() if (cls := _passes_as_is(name, prop, name in refs))}
        self.max_lengths: Dict[str, int] = {name: prop["maxLength"] for name, prop in props.items() if "maxLength" in prop}
        self._on_unknown_field = on_unknown_field
        self._reported_unknown: set = set()
        self.has_is_deleted = "is_deleted" in props

    def __call__(self, data: Dict[str, Any]) -> Tuple[Dict[str, Any], Problems]:
        out: Dict[str, Any] = {}
        problems: Problems = []
        as_is = self.as_is
        coercions = self.coercions
        deleted = False
        for name, value in data.items():
            cls = as_is.get(name)
            if cls is not None and (value.__class__ is cls or value is None):
                out[name] = value
                continue
            coerce = coercions.get(name)
            if coerce is None:
                if name.startswith(META_PREFIXES):
                    if name == CDC_DELETED_FIELD and value not in (None, "", False):
                        deleted = True
                    continue
                if name not in self._reported_unknown:
                    self._reported_unknown.add(name)
                    self._on_unknown_field(name)
                continue
            try:
                out[name] = coerce(value)
            except CoercionError as exc:
                problems.append((name, str(exc)))
        if deleted and self.has_is_deleted:
            out["is_deleted"] = True
        entity_id = out.get("id")
        if "id" not in data:
            problems.append(("id", "is required"))
        elif "id" in out and not entity_id:  # (an id that could not be coerced is reported above)
            problems.append(("id", "must not be null" if data["id"] is None else "must not be empty or blank"))
        for name, limit in self.max_lengths.items():
            value = out.get(name)
            if value is not None and len(value) > limit:
                problems.append((name, f"longer than {limit:,} characters ({len(value):,})"))
        return out, problems

