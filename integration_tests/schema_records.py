"""Source records generated from a stream's recorded JSON schema, edge cases included.

``generate(stream, schema, count, reads)`` makes ``count`` records valid against ``schema``:
texts in several scripts and with quotes and emoji, odd but valid timestamps (leap days, offsets
from -05:00 to +14:00, fractions, 1969/1970, naive times), epoch milliseconds for integer ``*At``
fields, nulls for every nullable field in some records, empty and longer arrays, nulls inside
arrays whose items may be null, nested objects. ``reads`` are the paths a preset reads, each with
a sample leaf value: in two records of three they are written into the record (lookups get an
element with the wanted key, ``[4]`` gets five elements), and kept only where the record stays
valid against the schema — so a path the schema contradicts (a text declared where the API sends
an object) is not exercised, and the caller can tell which paths were.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple

import jsonschema

from destination_sense.mapping_expressions import parse_path

TEXTS = ("Zoë Ångström-Núñez", "李小龍 Lee", "O'Brien \"Quote\" <b>&amp;</b>", "Ана Петрова 🚀", "x", "Ω" * 120)
DATE_TIMES = (
    "2024-02-29T23:59:59.999Z",
    "2023-03-12T02:30:00-05:00",
    "1969-07-20T20:17:40Z",
    "2024-12-31T23:59:59+14:00",
    "2038-01-19T03:14:08.5+00:00",
    "2024-06-01T08:00:00",
    "1970-01-01T00:00:00.000Z",
)
DATES = ("2024-02-29", "1970-01-01", "2031-12-31", "1999-07-04")
EPOCH_MS = (1_700_000_000_000, 0, -86_400_000, 951_782_400_000, 4_102_444_799_999, 1_709_251_199_999)
NUMBERS = (0, 120_000.75, 0.5, 99_999_999.99)
IDS = (7, 2**31, 123_456_789_012, 1)
COUNTS = (0, 7, 45, 120)


def _types(schema: Mapping[str, Any]) -> List[str]:
    kind = schema.get("type") if isinstance(schema, Mapping) else None
    if kind is None:
        variants = (schema.get("anyOf") or schema.get("oneOf")) if isinstance(schema, Mapping) else None
        if variants:
            return [t for v in variants for t in _types(v)]
        return ["object"] if isinstance(schema, Mapping) and "properties" in schema else ["string"]
    return kind if isinstance(kind, list) else [kind]


def _is_time_name(name: str) -> bool:
    return name.endswith(("_at", "At", "_on", "Date", "date", "Time", "_date", "activity")) or name == "time"


def _is_id_name(name: str) -> bool:
    return name.endswith(("id", "Id", "ID"))


class _Generator:
    def __init__(self, stream: str):
        self.stream = stream

    def value(self, schema: Mapping[str, Any], name: str, i: int, depth: int = 0) -> Any:
        types = _types(schema)
        nullable = "null" in types
        concrete = [t for t in types if t != "null"] or ["string"]
        if nullable and i % 7 == 3 and name != "id":
            return None
        kind = concrete[0]
        if kind == "object":
            return self.object(schema, i, depth + 1)
        if kind == "array":
            return self.array(schema, name, i, depth + 1)
        if kind == "string":
            fmt = schema.get("format")
            if fmt == "date-time" or (fmt is None and _is_time_name(name)):
                return DATE_TIMES[(i + depth) % len(DATE_TIMES)]
            if fmt == "date":
                return DATES[(i + depth) % len(DATES)]
            if fmt in ("uri", "url") or name.endswith(("url", "Url", "Link", "link")):
                return f"https://example.test/{self.stream}/{i}?q=é"
            if "email" in name.lower():
                return f"ana.{i}@exämple.test"
            return f"{TEXTS[(i + depth) % len(TEXTS)]} {name} {i}"
        if kind == "integer":
            if _is_time_name(name):
                return EPOCH_MS[(i + depth) % len(EPOCH_MS)]
            if _is_id_name(name):
                return IDS[(i + depth) % len(IDS)] + i
            return COUNTS[(i + depth) % len(COUNTS)]
        if kind == "number":
            return NUMBERS[(i + depth) % len(NUMBERS)]
        if kind == "boolean":
            return (i + depth) % 2 == 0
        return None

    def object(self, schema: Mapping[str, Any], i: int, depth: int) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        if depth > 6:
            return out
        for key, prop in (schema.get("properties") or {}).items():
            out[key] = self.value(prop, key, i, depth)
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping) and extra and i % 7 != 4:
            out[f"key_{i % 3}"] = self.value(extra, "value", i, depth)
        return out

    def array(self, schema: Mapping[str, Any], name: str, i: int, depth: int) -> List[Any]:
        items = schema.get("items")
        if not isinstance(items, Mapping) or not items or i % 7 == 4:
            return []
        length = i % 7
        out = [self.value(items, name, i + n, depth) for n in range(length)]
        if "null" in _types(items) and i % 7 == 5:
            out.append(None)
        return out


def _set(target: Any, steps: List[Tuple[str, Any]], leaf: Any) -> Any:
    """``target`` with ``leaf`` written at the path ``steps`` (creating what is missing)."""
    if not steps:
        return leaf
    kind, arg = steps[0]
    rest = steps[1:]
    if kind == "key":
        node = target if isinstance(target, dict) else {}
        node[arg] = _set(node.get(arg), rest, leaf)
        return node
    node = [item for item in target if item is not None] if isinstance(target, list) else []
    if kind == "index":
        size = arg + 1 if arg >= 0 else -arg
        while len(node) < size:
            node.append({} if rest else None)
        node[arg] = _set(node[arg], rest, leaf)
    elif kind == "match":
        key, wanted = arg
        wanted_value: Any = {"true": True, "false": False}.get(wanted.lower(), wanted)
        found = next((item for item in node if isinstance(item, dict) and str(item.get(key)).lower() == wanted.lower()), None)
        if found is None:
            found = {key: wanted_value}
            node.append(found)
        _set(found, rest, leaf)
    else:  # each
        while len(node) < 2:
            node.append({} if rest else None)
        for n in range(len(node)):
            node[n] = _set(node[n], rest, leaf)
    return node


def generate(stream: str, schema: Mapping[str, Any], count: int, reads: Iterable[Tuple[str, Any]]
             ) -> Tuple[List[Dict[str, Any]], Set[str]]:
    """(records, the read paths written into at least one record)."""
    validator = jsonschema.Draft7Validator(schema)
    generator = _Generator(stream)
    id_types = _types((schema.get("properties") or {}).get("id", {"type": "string"}))
    reads = [(path, parse_path(path), leaf) for path, leaf in reads]
    records, exercised = [], set()
    for i in range(count):
        record = generator.object(schema, i, 0)
        if i % 3:
            for path, steps, leaf in reads:
                if path == "id":
                    continue
                candidate = _set(copy.deepcopy(record), steps, leaf if i % 9 != 4 else None)
                if validator.is_valid(candidate):
                    record = candidate
                    exercised.add(path)
        record["id"] = 1000 + i if "integer" in id_types else f"{stream}-{i}"
        errors = sorted(validator.iter_errors(record), key=str)
        assert not errors, f"generated {stream} record #{i} is not valid against its schema: {errors[0].message}"
        records.append(record)
    return records, exercised


def sample_leaf(sense_field: Mapping[str, Any], conversions: Tuple[str, ...], leaf_schema: Optional[Mapping[str, Any]],
                name: str, i: int = 1) -> Any:
    """A value for the end of a read path: from its declared schema, else what its conversions expect."""
    if leaf_schema is not None:
        types = [t for t in _types(leaf_schema) if t != "null"]
        if types and types[0] not in ("object", "array"):
            return _Generator("leaf").value({"type": types[0], **({"format": leaf_schema["format"]} if "format" in leaf_schema else {})}, name, i)
    first = conversions[0] if conversions else None
    if first in ("epoch_ms", "sum"):
        return EPOCH_MS[i % len(EPOCH_MS)] if first == "epoch_ms" else 45
    if first == "epoch_s":
        return 1_700_000_000
    if first in ("date_string", "iso"):
        return DATE_TIMES[i % len(DATE_TIMES)]
    if first == "date":
        return DATES[i % len(DATES)]
    if first in ("not",):
        return True
    if first in ("first_word", "rest_words"):
        return "Ana María Núñez-Ölz"
    if first == "split":
        return "Java, SQL,  Rust"
    kinds = [t for t in _types(sense_field) if t != "null"]
    kind = kinds[0] if kinds else "string"
    fmt = sense_field.get("format")
    if kind == "string" and fmt in ("date-time", "date-or-date-time"):
        return DATE_TIMES[i % len(DATE_TIMES)]
    if kind == "string" and fmt == "date":
        return DATES[i % len(DATES)]
    return {"string": f"{TEXTS[i % len(TEXTS)]} {name}", "integer": 42, "number": 1234.5, "boolean": True,
            "array": ["α", "β"]}.get(kind, "x")
