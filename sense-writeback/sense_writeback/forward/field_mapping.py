"""Sense field changes → Bullhorn fields: the inverse of destination-sense's ``bullhorn`` preset.

The preset (``destination_sense.mapping.load_preset("bullhorn")``) is the one source of truth of
the field correspondence: for each collection it says which Bullhorn path fills each Sense field
and how the value was converted. Inverting it: a Sense field maps back to its Bullhorn path, and
the conversion is undone (``epoch_ms``: an ISO date-time → epoch milliseconds; ``date``: a date →
midnight UTC in epoch milliseconds; ``split``: a list → comma-separated text). Writable paths are a
top-level field, ``address.<part>`` (Bullhorn's composite address) and ``<association>.id`` (a
to-one association); a ``coalesce`` of several paths writes the first; any other path (e.g. ``primaryDepartment.name``) is not writable. A change
that cannot be mapped raises ``Unmappable`` naming the field and the reason: the write-back is
parked, never partly applied.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any, Dict, List, Tuple


class Unmappable(ValueError):
    """A Sense field change that has no Bullhorn field (the message names it)."""


@lru_cache(maxsize=1)
def inverse_preset() -> Dict[str, Dict[str, Tuple[str, Tuple[str, ...]]]]:
    """``{collection: {sense_field: (bullhorn_path, conversions)}}`` from the bullhorn preset."""
    from destination_sense.mapping import load_preset

    preset = load_preset("bullhorn")
    inverse: Dict[str, Dict[str, Tuple[str, Tuple[str, ...]]]] = {}
    for stream in preset["streams"].values():
        fields = inverse.setdefault(stream["entity"], {})
        for sense_field, spec in stream["fields"].items():
            if isinstance(spec, str):
                fields[sense_field] = (spec, ())
            elif "coalesce" in spec:  # the first present of several paths: written back to the first
                fields[sense_field] = (spec["coalesce"][0], ())
            else:
                convert = spec.get("convert") or ()
                fields[sense_field] = (spec["path"], tuple([convert] if isinstance(convert, str) else convert))
    return inverse


def _epoch_ms(value: Any, field: str, conversions: Tuple[str, ...]) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if not isinstance(value, str):
        raise Unmappable(f"field {field}: expected a date, got {type(value).__name__}")
    try:
        if "date" in conversions and len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=timezone.utc)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
    except ValueError:
        raise Unmappable(f"field {field}: {value[:40]!r} is not an ISO 8601 date") from None
    return int(moment.timestamp() * 1000)


def _value(value: Any, field: str, conversions: Tuple[str, ...]) -> Any:
    if value is None:
        return None
    if "epoch_ms" in conversions:
        return _epoch_ms(value, field, conversions)
    if "split" in conversions:
        return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return value


def bullhorn_changes(collection: str, changes: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The ``POST entity/{Entity}/{id}`` body for Sense ``FieldObject``s of a ``collection``."""
    mapping = inverse_preset().get(collection)
    if mapping is None:
        raise Unmappable(f"the bullhorn preset has no collection {collection}")
    body: Dict[str, Any] = {}
    for change in changes:
        name = change.get("name") if isinstance(change, dict) else None
        if not isinstance(name, str):
            raise Unmappable("a field change without a name")
        if name not in mapping:
            raise Unmappable(f"field {name}: the bullhorn preset maps no Bullhorn field to {collection}.{name}")
        path, conversions = mapping[name]
        if name == "id" or path == "id":
            raise Unmappable(f"field {name}: the record id cannot be changed")
        value = _value(change.get("value"), name, conversions)
        parts = path.split(".")
        if len(parts) == 1:
            body[path] = value
        elif len(parts) == 2 and parts[0] == "address":
            body.setdefault("address", {})[parts[1]] = value
        elif len(parts) == 2 and parts[1] == "id":
            if value is not None and not str(value).isdigit():
                raise Unmappable(f"field {name}: {str(value)[:40]!r} is not a Bullhorn id")
            body[parts[0]] = None if value is None else {"id": int(value)}
        else:
            raise Unmappable(f"field {name}: its Bullhorn path {path} is not writable")
    return body
