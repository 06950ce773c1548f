"""The Bullhorn ↔ Sense correspondence, read from its one home: ``sense_api/bullhorn.json``.

The data file holds, once:

- ``streams``: each source-ats stream, the Bullhorn REST entity it reads, the Sense collection it feeds,
  and its field pairs (Sense field ← Bullhorn path, with a named conversion); ``custom_fields`` numbers
  the custom-field families (``customText1..N`` ↔ ``custom_text1..N``) a stream pairs;
- ``conversions``: each conversion's Bullhorn → Sense form (an expression fragment of destination-sense's
  mapping language) and its inverse, Sense → Bullhorn (a function of this module, or a value map);
- ``files``: candidates' file attachments → the resume upload's fields; ``picklist_stream``.

Readers: destination-sense's ``bullhorn`` preset (:func:`preset`), sense-writeback's forwarder
(:func:`to_bullhorn`, :func:`bullhorn_entity_for_type`), the Bullhorn fixtures, the demo and the benches
(:data:`STREAM_ENTITY`). Standard library only, like the rest of the contract.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from importlib import resources
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from sense_api.writebacks import COLLECTION_BY_ENTITY_TYPE


@dataclass(frozen=True)
class FieldPair:
    """One Sense field and the Bullhorn path(s) it corresponds to (several: the first present fills it)."""

    sense: str
    bullhorn: Tuple[str, ...]
    conversion: Optional[str] = None

    @property
    def path(self) -> str:
        """The Bullhorn path a change of the Sense field is written back to (the first of several)."""
        return self.bullhorn[0]


@dataclass(frozen=True)
class StreamPair:
    """A source-ats stream, the Bullhorn entity it reads and the Sense collection it feeds."""

    stream: str
    bullhorn_entity: str
    collection: str
    fields: Mapping[str, FieldPair]


@lru_cache(maxsize=1)
def document() -> dict:
    """The data file as written (``sense_api/bullhorn.json``)."""
    return json.loads(resources.files("sense_api").joinpath("bullhorn.json").read_text(encoding="utf-8"))


def _pair(sense: str, spec: Any, conversions: Mapping[str, Any]) -> FieldPair:
    if isinstance(spec, str):
        return FieldPair(sense, (spec,))
    paths = spec["bullhorn"]
    paths = (paths,) if isinstance(paths, str) else tuple(paths)
    conversion = spec.get("conversion")
    if conversion is not None and conversion not in conversions:
        raise ValueError(f"bullhorn.json: {sense} names an unknown conversion {conversion!r}")
    if conversion is not None and len(paths) > 1:
        raise ValueError(f"bullhorn.json: {sense} converts several paths; one path per converted field")
    return FieldPair(sense, paths, conversion)


def _stream_fields(spec: Mapping[str, Any], doc: Mapping[str, Any]) -> Dict[str, FieldPair]:
    conversions = doc["conversions"]
    fields = {name: _pair(name, value, conversions) for name, value in spec["fields"].items()}
    for family, count in spec.get("custom_fields", {}).items():
        sense_prefix = doc["custom_families"][family]["sense"]
        conversion = doc["custom_families"][family].get("conversion")
        for i in range(1, count + 1):
            fields[f"{sense_prefix}{i}"] = FieldPair(f"{sense_prefix}{i}", (f"{family}{i}",), conversion)
    return fields


@lru_cache(maxsize=1)
def streams() -> Tuple[StreamPair, ...]:
    """The entity streams, in source-ats's (and Sense's dependency) order."""
    doc = document()
    return tuple(StreamPair(s["stream"], s["bullhorn_entity"], s["sense_collection"], _stream_fields(s, doc))
                 for s in doc["streams"])


def file_fields() -> Dict[str, FieldPair]:
    """Candidates' file attachments → the resume upload's fields."""
    doc = document()
    return {name: _pair(name, value, doc["conversions"]) for name, value in doc["files"]["fields"].items()}


#: source-ats entity stream → Bullhorn entity, in order.
STREAM_ENTITY: Dict[str, str] = {s.stream: s.bullhorn_entity for s in streams()}
#: source-ats entity stream → Sense collection.
STREAM_COLLECTION: Dict[str, str] = {s.stream: s.collection for s in streams()}
STREAM_ORDER: Tuple[str, ...] = tuple(STREAM_ENTITY)
PICKLIST_STREAM: str = document()["picklist_stream"]
FILES_STREAM: str = document()["files"]["stream"]


def stream_for_collection(collection: str) -> Optional[StreamPair]:
    return next((s for s in streams() if s.collection == collection), None)


def stream_for_type(sense_entity_type: str) -> Optional[StreamPair]:
    """The stream pair of a write-back's ``SenseEntityType`` (``AE_CANDIDATE`` → candidates ↔ ``Candidate``)."""
    return stream_for_collection(COLLECTION_BY_ENTITY_TYPE.get(sense_entity_type, ""))


def bullhorn_entity_for_type(sense_entity_type: str) -> Optional[str]:
    """The Bullhorn entity of a write-back's ``SenseEntityType`` (``AE_CANDIDATE`` → ``Candidate``)."""
    pair = stream_for_type(sense_entity_type)
    return pair.bullhorn_entity if pair else None


# ---------------------------------------------------------------- Bullhorn → Sense (destination-sense)


def to_sense_expression(pair: FieldPair) -> Any:
    """The pair as an expression of destination-sense's mapping language (docs/mapping.md)."""
    if len(pair.bullhorn) > 1:
        return {"coalesce": list(pair.bullhorn)}
    if pair.conversion is None:
        return pair.path
    return {"path": pair.path, **document()["conversions"][pair.conversion]["to_sense"]}


def preset() -> dict:
    """destination-sense's ``bullhorn`` preset document, built from the table (no file to drift)."""
    doc = document()
    return {
        "name": "bullhorn",
        "description": "The streams of source-ats (Bullhorn REST entities, Bullhorn field names, epoch-millisecond dates).",
        "epoch_unit": doc["epoch_unit"],
        "streams": {s.stream: {"entity": s.collection, "fields": {n: to_sense_expression(p) for n, p in s.fields.items()}}
                    for s in streams()},
        "possible_values": {"stream": PICKLIST_STREAM, "entities": {s.bullhorn_entity: s.stream for s in streams()}},
        "resumes": {"stream": FILES_STREAM, "fields": {n: to_sense_expression(p) for n, p in file_fields().items()}},
    }


# ---------------------------------------------------------------- Sense → Bullhorn (the forwarder)


def _epoch_ms(value: Any) -> int:
    """An ISO 8601 date or date-time (UTC when it names no offset) → epoch milliseconds; a number as is."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a date, got {type(value).__name__}")
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=timezone.utc)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not an ISO 8601 date") from None
    return int(moment.timestamp() * 1000)


def _join_comma(value: Any) -> str:
    return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)


#: The inverse functions the data file may name in ``to_bullhorn``.
INVERSES: Dict[str, Callable[[Any], Any]] = {"epoch_ms": _epoch_ms, "join_comma": _join_comma, "same": lambda v: v}


@lru_cache(maxsize=None)
def _inverse(conversion: str) -> Callable[[Any], Any]:
    inverse = document()["conversions"][conversion]["to_bullhorn"]
    if isinstance(inverse, str):
        return INVERSES[inverse]
    table = inverse["map"]

    def mapped(value: Any) -> Any:
        key = json.dumps(value)
        if key not in table:
            raise ValueError(f"{key[:40]} is not one of {', '.join(table)}")
        return table[key]

    return mapped


def to_bullhorn(pair: FieldPair, value: Any) -> Any:
    """A Sense value of ``pair.sense`` as Bullhorn stores it (``None`` stays ``None``); ``ValueError`` when
    the value cannot be converted back (the message names the problem, not the field)."""
    if value is None or pair.conversion is None:
        return value
    return _inverse(pair.conversion)(value)
