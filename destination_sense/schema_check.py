"""A compiled validator for the Sense entity schemas.

``jsonschema`` validates ~1,300 fields far too slowly for hundreds of thousands of records per
minute, so each entity schema is compiled once into a ``{field: check}`` table. A check returns
None when the value is valid, else a short reason. The rules are exactly the schema's keywords:
``type`` (with ``null``), ``format`` (``date``, ``date-time``, ``date-or-date-time``),
``minLength``/``maxLength``, array ``items``, ``required`` and ``additionalProperties: false``.
A differential test compares this with ``jsonschema`` on the same schema files.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Callable, Dict, List, Optional, Tuple

Check = Callable[[object], Optional[str]]

_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z")
_DATE_TIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(Z|[+-](\d{2})(?::?(\d{2}))?)?\Z"
)


def is_iso_date(value: str) -> bool:
    m = _DATE_RE.match(value)
    if not m:
        return False
    try:
        date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return False
    return True


def is_iso_date_time(value: str) -> bool:
    m = _DATE_TIME_RE.match(value)
    if not m:
        return False
    y, mo, d, h, mi, s = m.group(1, 2, 3, 4, 5, 6)
    try:
        datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
    except ValueError:
        return False
    oh, om = m.group(9), m.group(10)
    if oh is not None and (int(oh) > 23 or (om is not None and int(om) > 59)):
        return False
    return True


_FORMATS = {
    "date": (is_iso_date, "is not an ISO 8601 date (YYYY-MM-DD)"),
    "date-time": (is_iso_date_time, "is not an ISO 8601 date-time"),
    "date-or-date-time": (
        lambda v: is_iso_date(v) or is_iso_date_time(v),
        "is not an ISO 8601 date or date-time",
    ),
}


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _compile_property(prop: dict) -> Check:
    types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    nullable = "null" in types
    base = next(t for t in types if t != "null")
    fmt = _FORMATS.get(prop.get("format", ""))
    max_len = prop.get("maxLength")
    min_len = prop.get("minLength")
    expected = f"expected {base}{' or null' if nullable else ''}"

    if base == "string":

        def check(value: object) -> Optional[str]:
            if value.__class__ is not str:
                if value is None and nullable:
                    return None
                return f"{expected}, got {_type_name(value)}"
            if min_len is not None and len(value) < min_len:
                return "must not be empty" if min_len == 1 else f"shorter than {min_len} characters"
            if max_len is not None and len(value) > max_len:
                return f"longer than {max_len:,} characters ({len(value):,})"
            if fmt is not None and not fmt[0](value):
                return f"{value[:40]!r} {fmt[1]}"
            return None

    elif base == "integer":

        def check(value: object) -> Optional[str]:
            if value.__class__ is int or (value is None and nullable):
                return None
            return f"{expected}, got {_type_name(value)}"

    elif base == "number":

        def check(value: object) -> Optional[str]:
            cls = value.__class__
            if cls is float or cls is int or (value is None and nullable):
                return None
            return f"{expected}, got {_type_name(value)}"

    elif base == "boolean":

        def check(value: object) -> Optional[str]:
            if value.__class__ is bool or (value is None and nullable):
                return None
            return f"{expected}, got {_type_name(value)}"

    elif base == "array":
        item_type = prop.get("items", {}).get("type", "string")
        item_cls = {"string": str, "integer": int, "number": float, "boolean": bool}[item_type]

        def check(value: object) -> Optional[str]:
            if value.__class__ is list:
                for i, item in enumerate(value):
                    if item.__class__ is not item_cls:
                        return f"item {i}: expected {item_type}, got {_type_name(item)}"
                return None
            if value is None and nullable:
                return None
            return f"{expected} of {item_type}, got {_type_name(value)}"

    else:  # pragma: no cover - the Sense spec has no other types
        raise ValueError(f"unsupported type {base!r}")
    return check


class CompiledSchema:
    """Validate records of one entity. ``errors(record)`` lists ``(field, reason)`` pairs."""

    __slots__ = ("title", "checks", "required")

    def __init__(self, schema: dict):
        self.title = schema.get("title", "")
        self.checks: Dict[str, Check] = {name: _compile_property(p) for name, p in schema["properties"].items()}
        self.required: Tuple[str, ...] = tuple(schema.get("required", ()))

    def errors(self, record: dict) -> List[Tuple[str, str]]:
        problems: List[Tuple[str, str]] = []
        checks = self.checks
        for name, value in record.items():
            check = checks.get(name)
            if check is None:
                problems.append((name, "is not a field of " + self.title))
                continue
            reason = check(value)
            if reason is not None:
                problems.append((name, reason))
        for name in self.required:
            if name not in record:
                problems.append((name, "is required"))
        return problems


_COMPILED: Dict[str, CompiledSchema] = {}


def compiled(collection: str) -> CompiledSchema:
    """The compiled validator of a collection (cached)."""
    schema = _COMPILED.get(collection)
    if schema is None:
        from destination_sense.entities import load_schema

        schema = _COMPILED[collection] = CompiledSchema(load_schema(collection))
    return schema
