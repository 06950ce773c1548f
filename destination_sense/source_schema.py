"""What a source stream's JSON schema declares at the places a mapping reads, and whether it fits.

A preset is written for a source's streams; this module checks it against the stream schemas the
source publishes (its ``discover`` catalog). For each path an expression reads it finds the schema
the path ends at — following object ``properties``, array ``items`` and, for ``[key=value]``
lookups, the key compared — and then asks whether the declared type, after the expression's
conversions, is one the Sense field accepts (with the normaliser's coercions: numbers to text,
epoch numbers to dates, ids to strings).

A path the schema does not declare (a key missing from ``properties``, an object or array whose
contents are not declared, a key under a non-object) is reported as undeclared: Airbyte's field
selection and the platform's data-activation mapping cannot offer it, even where the source passes
the value on. A preset may still read it, but only with a documented reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Tuple

from destination_sense.mapping_expressions import expression_reads, parse_path

ANY = frozenset({"any"})
_SCALARS = frozenset({"string", "integer", "number", "boolean"})

# conversion → (input types it handles, output types). ``None`` outputs: the input types pass on.
_CONVERSIONS: Dict[str, Tuple[FrozenSet[str], Optional[FrozenSet[str]]]] = {
    "epoch_ms": (frozenset({"integer", "number", "string"}), frozenset({"string"})),
    "epoch_s": (frozenset({"integer", "number", "string"}), frozenset({"string"})),
    "date_string": (frozenset({"string"}), frozenset({"string"})),
    "iso": (frozenset({"string"}), frozenset({"string"})),
    "date": (frozenset({"string", "integer", "number"}), frozenset({"string"})),
    "string": (_SCALARS, frozenset({"string"})),
    "round": (frozenset({"integer", "number", "string"}), frozenset({"integer"})),
    "not": (frozenset({"boolean"}), frozenset({"boolean"})),
    "exists": (ANY, frozenset({"boolean"})),
    "first": (frozenset({"array"}), ANY),
    "join": (frozenset({"array"}), frozenset({"string"})),
    "split": (frozenset({"string"}), frozenset({"array"})),
    "first_word": (frozenset({"string"}), frozenset({"string"})),
    "rest_words": (frozenset({"string"}), frozenset({"string"})),
    "concat": (_SCALARS, frozenset({"string"})),
    "sum": (frozenset({"integer", "number"}), frozenset({"number"})),
    "map": (ANY, ANY),
}


@dataclass(frozen=True)
class PathCheck:
    """The outcome for one path of one expression: ``problem`` is None when it fits."""

    path: str
    declared: bool
    types: FrozenSet[str]
    problem: Optional[str]


def _types(schema: Mapping[str, Any]) -> FrozenSet[str]:
    """The non-null JSON types a schema allows (``any`` when it says nothing or combines schemas)."""
    if not isinstance(schema, Mapping):
        return ANY
    kind = schema.get("type")
    if kind is None:
        variants = schema.get("anyOf") or schema.get("oneOf")
        if variants:
            found = frozenset().union(*(_types(v) for v in variants))
            return found or ANY
        if "properties" in schema:
            return frozenset({"object"})
        return ANY
    kinds = kind if isinstance(kind, list) else [kind]
    return frozenset(k for k in kinds if k != "null") or frozenset({"null"})


def _variants(schema: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    variants = schema.get("anyOf") or schema.get("oneOf") if isinstance(schema, Mapping) else None
    return list(variants) if variants else [schema]


def _child(schema: Mapping[str, Any], key: str) -> Tuple[Optional[Mapping[str, Any]], Optional[str]]:
    """The schema of ``key`` under an object schema, or (None, why it is not declared)."""
    for variant in _variants(schema):
        props = variant.get("properties") if isinstance(variant, Mapping) else None
        if isinstance(props, Mapping) and key in props:
            return props[key], None
    for variant in _variants(schema):
        extra = variant.get("additionalProperties") if isinstance(variant, Mapping) else None
        if isinstance(extra, Mapping) and extra:
            return extra, None  # a map whose values all have this schema (e.g. custom fields by key)
    types = _types(schema)
    if "object" not in types and types != ANY:
        return None, f"{key!r} is read under a value declared as {'/'.join(sorted(types))}, not an object"
    if not any(isinstance(v, Mapping) and v.get("properties") for v in _variants(schema)):
        return None, f"{key!r} is read under an object whose properties are not declared"
    return None, f"{key!r} is not a declared property"


def _items(schema: Mapping[str, Any]) -> Tuple[Optional[Mapping[str, Any]], Optional[str]]:
    types = _types(schema)
    if "array" not in types and types != ANY:
        return None, f"a list step is applied to a value declared as {'/'.join(sorted(types))}"
    for variant in _variants(schema):
        items = variant.get("items") if isinstance(variant, Mapping) else None
        if isinstance(items, Mapping) and items:
            return items, None
    return None, "a list step is applied to an array whose items are not declared"


def resolve(schema: Mapping[str, Any], path: str) -> Tuple[Optional[Mapping[str, Any]], Optional[str], List[str]]:
    """Follow ``path`` through a stream schema: (schema at its end or None, why not, lookup keys' problems)."""
    current: Optional[Mapping[str, Any]] = schema
    lookup_problems: List[str] = []
    for kind, arg in parse_path(path):
        if kind == "key":
            current, why = _child(current, arg)
        else:
            current, why = _items(current)
            if current is not None and kind == "match":
                key = arg[0]
                matched, key_why = _child(current, key)
                if matched is None:
                    lookup_problems.append(f"the lookup key {key}: {key_why}")
        if current is None:
            return None, why, lookup_problems
    return current, None, lookup_problems


def _after(types: FrozenSet[str], conversions: Iterable[str]) -> Tuple[FrozenSet[str], Optional[str]]:
    for name in conversions:
        accepts, gives = _CONVERSIONS.get(name, (ANY, ANY))
        if types != ANY and accepts != ANY and not types & accepts:
            return types, f"conversion {name!r} expects {'/'.join(sorted(accepts))}, the source declares {'/'.join(sorted(types))}"
        types = types if gives is None else gives
    return types, None


def _accepts(sense: Mapping[str, Any], source_type: str) -> bool:
    """Whether the Sense field takes a value of that JSON type (after the normaliser's coercions)."""
    wanted = _types(sense)
    if source_type in wanted or "any" in wanted:
        return True
    if "number" in wanted and source_type == "integer":
        return True
    if "string" in wanted:
        if sense.get("format") in ("date-time", "date", "date-or-date-time"):
            return source_type in ("integer", "number")  # epochs
        return source_type in ("integer", "number", "boolean")
    if "integer" in wanted and source_type == "number":
        return True  # integral numbers pass; others are rejected per record with a message
    return False


def check_expression(expr: Any, sense_field: Mapping[str, Any], schema: Mapping[str, Any]) -> List[PathCheck]:
    """Check every path ``expr`` reads against the stream ``schema`` for the Sense field's schema."""
    results = []
    for path, conversions in expression_reads(expr):
        target, why, lookup_problems = resolve(schema, path)
        if target is None:
            results.append(PathCheck(path, False, ANY, why))
            continue
        if lookup_problems:
            results.append(PathCheck(path, False, _types(target), "; ".join(lookup_problems)))
            continue
        declared = _types(target)
        problem = None
        if any(kind == "each" for kind, _ in parse_path(path)):
            if declared != ANY and not declared <= _SCALARS:
                problem = f"[*] collects elements declared as {'/'.join(sorted(declared))}, not plain values"
            declared = frozenset({"array"})  # [*] collects a list of the element values
        types, conversion_problem = _after(declared, conversions)
        problem = problem or conversion_problem
        if problem is None and types != ANY and types != frozenset({"null"}):
            wrong = sorted(t for t in types if not _accepts(sense_field, t))
            if wrong and len(wrong) == len(types):
                problem = (f"declared {'/'.join(sorted(declared))}"
                           f"{' (after ' + ', '.join(conversions) + ')' if conversions else ''}, "
                           f"but the Sense field takes {'/'.join(sorted(_types(sense_field)))}")
        results.append(PathCheck(path, True, declared, problem))
    return results
