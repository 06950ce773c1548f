"""Validation of a write-back: the envelope strictly, then ``data`` against its type's JSON Schema.

The envelope is ``{id, type, version, created_date, data}``: ``id`` a non-empty string of at most
``MAX_ID_LENGTH`` characters, ``type`` a non-empty string, ``version`` a number (not a boolean),
``created_date`` an ISO 8601 date-time with a UTC offset, ``data`` an object. Members the guide does
not name are kept untouched (forward compatibility).

A ``type`` the receiver does not know, or a ``version`` whose major number is above
``SUPPORTED_MAJOR``, is stored with a flag by default (its ``data`` cannot be checked against a
schema written for another definition); ``Policy`` can make either a rejection instead.

The schemas live in ``schemas/`` (one file per write-back type and ``objects.json`` for the shared
building blocks); every problem found is reported by its field path, e.g. ``data.sms[0].direction``.

Two validators over the same schema files: fastjsonschema compiles each type's schema to Python
code (~15 µs per write-back) and decides valid/invalid; only for an invalid ``data`` does jsonschema
(~0.6 ms, reference implementation) list every failing field for the 4xx answer.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any, Dict, List, Optional, Tuple

import fastjsonschema
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from sense_api.writebacks import WRITEBACK_TYPES

SUPPORTED_MAJOR = 1
MAX_ID_LENGTH = 255

STORE = "store"
REJECT = "reject"

# ISO 8601 calendar date, 'T' or space, time with optional fraction, then Z or ±hh:mm / ±hhmm.
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}:?\d{2})"
)


@dataclass(frozen=True)
class Policy:
    """What to do with write-backs newer than this receiver: ``store`` (flagged) or ``reject``."""

    unknown_type: str = STORE
    newer_version: str = STORE


@dataclass
class Verdict:
    """The outcome for one write-back: ``errors`` (field paths) empty means it may be stored."""

    errors: List[str] = field(default_factory=list)
    unknown_type: bool = False
    newer_version: bool = False
    reason: Optional[str] = None  # metric label of a rejection

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def flags(self) -> List[str]:
        return [name for name, on in (("unknown_type", self.unknown_type), ("newer_version", self.newer_version)) if on]


OBJECTS_ID = "urn:sense-writeback:objects"


def _local_refs(node: Any) -> Any:
    """A copy of a schema whose references into ``objects.json`` point at its own ``$defs``."""
    if isinstance(node, dict):
        return {key: (value.replace(OBJECTS_ID + "#", "#") if key == "$ref" and isinstance(value, str) else _local_refs(value))
                for key, value in node.items()}
    if isinstance(node, list):
        return [_local_refs(value) for value in node]
    return node


def _compiled(schema: Dict[str, Any], objects: Dict[str, Any]):
    """fastjsonschema's compiled check of one type: the type's schema with the shared objects bundled in
    (only keywords draft 7 has the same meaning for are used in the files)."""
    bundled = _local_refs(schema)
    bundled.pop("$id", None)
    bundled["$schema"] = "http://json-schema.org/draft-07/schema#"
    bundled["$defs"] = _local_refs(objects["$defs"])
    return fastjsonschema.compile(bundled)


def _load_schemas() -> Tuple[Dict[str, Draft202012Validator], Dict[str, Any]]:
    folder = resources.files("sense_writeback") / "schemas"
    documents = {entry.name: json.loads(entry.read_text(encoding="utf-8")) for entry in folder.iterdir()
                 if entry.name.endswith(".json")}
    registry = Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc)) for doc in documents.values()
    )
    validators, compiled = {}, {}
    for writeback_type in WRITEBACK_TYPES:
        schema = documents[f"{writeback_type.lower()}.json"]
        Draft202012Validator.check_schema(schema)
        validators[writeback_type] = Draft202012Validator(schema, registry=registry)
        compiled[writeback_type] = _compiled(schema, documents["objects.json"])
    return validators, compiled


_VALIDATORS, _COMPILED = _load_schemas()


def parse_created_date(value: Any) -> Optional[datetime]:
    """An aware ``datetime`` for an ISO 8601 date-time with offset, else ``None``."""
    if not isinstance(value, str) or not _DATE_TIME.fullmatch(value):
        return None
    text = value[:-1] + "+00:00" if value[-1] in "Zz" else value
    if re.search(r"[+-]\d{4}$", text):
        text = f"{text[:-2]}:{text[-2:]}"
    # fractions of any length as microseconds (Python 3.10's fromisoformat takes only 3 or 6 digits)
    text = re.sub(r"\.(\d+)", lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def major_version(version: float) -> int:
    return int(math.floor(version))


def check_envelope(doc: Dict[str, Any]) -> List[str]:
    """Field names of the envelope that are missing or malformed (in envelope order)."""
    bad = []
    sense_id = doc.get("id")
    if not isinstance(sense_id, str) or not sense_id.strip() or len(sense_id) > MAX_ID_LENGTH:
        bad.append("id")
    if not isinstance(doc.get("type"), str) or not doc.get("type"):
        bad.append("type")
    version = doc.get("version")
    if not _is_number(version) or version < 0:
        bad.append("version")
    if parse_created_date(doc.get("created_date")) is None:
        bad.append("created_date")
    if not isinstance(doc.get("data"), dict):
        bad.append("data")
    return bad


def _path(parts) -> str:
    text = "data"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _error_fields(error) -> List[str]:
    """Field paths one schema error names (a missing property names the property itself)."""
    if error.validator == "required" and isinstance(error.instance, dict):
        return [_path(list(error.absolute_path) + [name]) for name in error.validator_value if name not in error.instance]
    if error.validator in ("anyOf", "oneOf") and error.context:
        # a choice of required members ("sms or email"): name every alternative at this level
        names = []
        for sub in error.context:
            if sub.validator == "required" and list(sub.absolute_path) == list(error.absolute_path):
                names.extend(_error_fields(sub))
        if names:
            return [" or ".join(dict.fromkeys(names))]
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        return _error_fields(deepest)
    return [_path(error.absolute_path)]


def check_data(writeback_type: str, data: Dict[str, Any]) -> List[str]:
    """Field paths of ``data`` that do not match the schema of ``writeback_type`` (sorted, unique)."""
    try:
        _COMPILED[writeback_type](data)
        return []
    except fastjsonschema.JsonSchemaException:
        pass
    fields: List[str] = []
    for error in _VALIDATORS[writeback_type].iter_errors(data):
        fields.extend(_error_fields(error))
    return sorted(dict.fromkeys(fields))


def validate(doc: Dict[str, Any], policy: Policy = Policy()) -> Verdict:
    """Check a parsed write-back; never raises on bad input."""
    envelope_errors = check_envelope(doc)
    if envelope_errors:
        return Verdict(errors=envelope_errors, reason="invalid_envelope")
    verdict = Verdict()
    writeback_type = doc["type"]
    if writeback_type not in _VALIDATORS:
        verdict.unknown_type = True
        if policy.unknown_type == REJECT:
            verdict.errors = ["type"]
            verdict.reason = "unknown_type"
        return verdict
    if major_version(doc["version"]) > SUPPORTED_MAJOR:
        verdict.newer_version = True
        if policy.newer_version == REJECT:
            verdict.errors = ["version"]
            verdict.reason = "newer_version"
        return verdict
    verdict.errors = check_data(writeback_type, doc["data"])
    if verdict.errors:
        verdict.reason = "invalid_data"
    return verdict
