"""Turn an incoming record into the shape Sense accepts, field by field.

Per entity, each schema field gets a coercion compiled once from its schema type and format:
- ``id`` and reference fields (``candidate_id``, ``internal_user_id2``, ``owner_id`` …) become strings
  (``123`` → ``"123"``);
- numbers and booleans are coerced where no information is lost (``"12"`` → 12 for an integer field,
  ``1.0`` → 1, ``"true"`` → True, ``42`` → ``"42"`` for a string field);
- ``date-time`` fields accept ISO 8601 strings in common shapes and epoch seconds or milliseconds,
  and are sent as ISO 8601 with an offset (naive times are taken as UTC); ``date`` fields are sent
  as ``YYYY-MM-DD``; "date or date-time" fields keep a date as a date;
- ``_ab_cdc_deleted_at`` set → ``is_deleted: true``; Airbyte meta fields (``_airbyte_*``, ``_ab_*``) are
  dropped silently; other fields Sense does not define are dropped with one warning per stream and field.
A value that cannot be coerced, a missing or empty ``id`` and a text over its ``maxLength`` are
reported as problems ``(field, reason)``. What comes out of a record without problems is valid for
the entity's schema, so records are validated in this one pass.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Tuple

from destination_sense.entities import Entity
from destination_sense.schema_check import is_iso_date, is_iso_date_time

CDC_DELETED_FIELD = "_ab_cdc_deleted_at"
META_PREFIXES = ("_airbyte_", "_ab_")
EPOCH_MS_THRESHOLD = 100_000_000_000  # larger absolute values are epoch milliseconds

_INT_RE = re.compile(r"[+-]?\d+\Z")
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


def _epoch_to_datetime(value: float) -> datetime:
    seconds = value / 1000.0 if abs(value) >= EPOCH_MS_THRESHOLD else float(value)
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError) as exc:
        raise CoercionError(f"epoch value {value!r} is out of range") from exc


def _format_datetime(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    timespec = "seconds" if dt.microsecond == 0 else ("milliseconds" if dt.microsecond % 1000 == 0 else "microseconds")
    return dt.isoformat(timespec=timespec)


def to_datetime(value: Any) -> Any:
    """ISO 8601 with offset, from an ISO-like string or an epoch number."""
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
            return _format_datetime(_parse_iso(value))
        if is_iso_date(value):
            return value + "T00:00:00+00:00"
        stripped = value.strip()
        if _INT_RE.match(stripped):
            return _format_datetime(_epoch_to_datetime(int(stripped)))
        if not stripped:
            return None
        return _format_datetime(_parse_iso(stripped))
    if cls is int or cls is float:
        return _format_datetime(_epoch_to_datetime(value))
    raise CoercionError(f"expected a date-time, got {_type_name(value)}")


def _parse_iso(text: str) -> datetime:
    candidate = text.replace("/", "-")
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
    raise CoercionError(f"{text[:40]!r} is not a recognisable date-time (ISO 8601 or epoch seconds/milliseconds)")


def to_date(value: Any) -> Any:
    """``YYYY-MM-DD`` from a date, an ISO date-time (its date part) or an epoch number."""
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
            return _epoch_to_datetime(int(stripped)).date().isoformat()
        parsed = _parse_iso(stripped)
        return parsed.date().isoformat()
    if cls is int or cls is float:
        return _epoch_to_datetime(value).date().isoformat()
    raise CoercionError(f"expected a date, got {_type_name(value)}")


def to_date_or_datetime(value: Any) -> Any:
    if value.__class__ is str and is_iso_date(value):
        return value
    return to_datetime(value)


def to_identifier(value: Any) -> Any:
    cls = value.__class__
    if cls is str or value is None:
        return value
    if cls is int:
        return str(value)
    if cls is float and value.is_integer():
        return str(int(value))
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


def to_integer(value: Any) -> Any:
    cls = value.__class__
    if cls is int or value is None:
        return value
    if cls is float and value.is_integer():
        return int(value)
    if cls is str:
        stripped = value.strip()
        if _INT_RE.match(stripped):
            return int(stripped)
        if not stripped:
            return None
    raise CoercionError(f"expected an integer, got {_type_name(value)} {str(value)[:40]!r}")


def to_number(value: Any) -> Any:
    cls = value.__class__
    if cls is float or cls is int or value is None:
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
                return int(number) if _INT_RE.match(stripped) else number
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
        if all(item.__class__ is str for item in value):
            return value
        if any(item is None for item in value):
            raise CoercionError("an array of strings may not contain null")
        return [to_string(item) for item in value]
    raise CoercionError(f"expected an array of strings, got {_type_name(value)}")


def _base_type(prop: dict) -> str:
    types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    return next(t for t in types if t != "null")


def _coercion_for(name: str, prop: dict, is_reference: bool) -> Callable[[Any], Any]:
    base = _base_type(prop)
    if name == "id" or is_reference:
        return to_identifier
    if base == "string":
        fmt = prop.get("format")
        if fmt == "date-time":
            return to_datetime
        if fmt == "date":
            return to_date
        if fmt == "date-or-date-time":
            return to_date_or_datetime
        return to_string
    return {"integer": to_integer, "number": to_number, "boolean": to_boolean, "array": to_string_array}[base]


def _passes_as_is(name: str, prop: dict) -> Optional[type]:
    """The value class that needs no coercion nor check for this field (besides None), if any."""
    base = _base_type(prop)
    if name == "id" or "maxLength" in prop or "minLength" in prop:
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

    def __init__(self, entity: Entity, on_unknown_field: Callable[[str], None] = lambda name: None):
        self.entity = entity
        props = entity.schema["properties"]
        self.coercions: Dict[str, Callable[[Any], Any]] = {
            name: _coercion_for(name, prop, name in entity.references) for name, prop in props.items()
        }
        self.as_is: Dict[str, type] = {name: cls for name, prop in props.items() if (cls := _passes_as_is(name, prop))}
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
            problems.append(("id", "must not be null" if entity_id is None else "must not be empty"))
        for name, limit in self.max_lengths.items():
            value = out.get(name)
            if value is not None and len(value) > limit:
                problems.append((name, f"longer than {limit:,} characters ({len(value):,})"))
        return out, problems

