"""The mapping layer: turn source records into Sense-shaped records, per stream, before validation.

A mapping says, for each source stream, which Sense entity it feeds and how each Sense field is
computed from the record (see ``mapping_expressions`` for the expression language). Mappings come
from a preset (``destination_sense/presets/{name}.json``, selected with ``source_preset``) and the
user's overrides (``mappings``), and are compiled once per stream; applying one to a record is a
loop over precompiled closures.

Fields a mapping does not produce are not sent. Sense replaces a whole entity on every POST, so a
field not sent is cleared in Sense: whatever should be kept must be mapped (docs/mapping.md).
"""
from __future__ import annotations

import json
from importlib import resources
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from destination_sense.errors import ConfigError
from destination_sense.normalize import CDC_DELETED_FIELD  # carried over, so CDC deletes still become is_deleted
from destination_sense.mapping_expressions import MISSING, ExpressionError, Getter, compile_expression, describe
from sense_api.entities import Entity, entity_for_name, squash_name, valid_names

#: The presets ``source_preset`` accepts; ``none`` means records already have Sense's shape.
PRESETS: Tuple[str, ...] = ("none", "bullhorn", "greenhouse", "lever", "ashby", "workable")
DEFAULT_PRESET = "none"


class StreamMapping:
    """The compiled mapping of one source stream onto one Sense entity.

    ``mapping(record)`` returns a new dict with the mapped Sense fields (fields whose expression
    finds nothing are left out) plus ``_ab_cdc_deleted_at`` when the record carries it.
    """

    __slots__ = ("stream", "entity", "expressions", "_table")

    def __init__(self, stream: str, entity: Entity, expressions: Mapping[str, Any], getters: Mapping[str, Getter]):
        self.stream = stream
        self.entity = entity
        self.expressions: Dict[str, Any] = dict(expressions)
        self._table: Tuple[Tuple[str, Getter], ...] = tuple(getters.items())

    @property
    def collection(self) -> str:
        return self.entity.collection

    @property
    def fields(self) -> Tuple[str, ...]:
        return tuple(name for name, _ in self._table)

    def __call__(self, record: Mapping[str, Any]) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for name, getter in self._table:
            value = getter(record)
            if value is not MISSING:
                out[name] = value
        deleted = record.get(CDC_DELETED_FIELD)
        if deleted is not None:
            out[CDC_DELETED_FIELD] = deleted
        return out

    def __repr__(self) -> str:
        return f"StreamMapping({self.stream!r} → {self.entity.collection}, {len(self._table)} fields)"


class MappingTable(Dict[str, StreamMapping]):
    """``{source stream name: StreamMapping}`` with a forgiving ``lookup``."""

    def lookup(self, stream: str) -> Optional[StreamMapping]:
        """The mapping for a stream: exact name first, then ignoring case, ``_``, ``-``, ``.`` and spaces."""
        found = self.get(stream)
        if found is not None:
            return found
        key = squash_name(stream)
        for name, mapping in self.items():
            if squash_name(name) == key:
                return mapping
        return None


# ---------------------------------------------------------------- presets


def load_preset(name: str) -> dict:
    """The preset document ``presets/{name}.json`` (``{"streams": {stream: {"entity", "fields"}}}``)."""
    if name not in PRESETS:
        raise ConfigError(f"Unknown source_preset {name!r}; valid presets: {', '.join(PRESETS)}.")
    if name == "none":
        return {"name": "none", "streams": {}}
    if name == "bullhorn":  # built from the Bullhorn correspondence's one home, which the forwarder reads too
        from sense_api.bullhorn import preset

        return preset()
    try:
        text = resources.files("destination_sense").joinpath("presets", f"{name}.json").read_text(encoding="utf-8")
    except FileNotFoundError as exc:  # a packaging fault, not the user's
        raise ConfigError(f"The {name!r} preset file is missing from the installed package.") from exc
    return json.loads(text)


def _parse_overrides(overrides: Any) -> Dict[str, Any]:
    if overrides is None or overrides == "" or overrides == {}:
        return {}
    if isinstance(overrides, str):
        try:
            overrides = json.loads(overrides)
        except ValueError as exc:
            raise ConfigError(f"mappings: not valid JSON ({exc}).") from None
    if not isinstance(overrides, dict):
        raise ConfigError(f"mappings: expected an object keyed by stream name, got {type(overrides).__name__}.")
    return overrides


def _match_stream(streams: Iterable[str], name: str) -> Optional[str]:
    streams = list(streams)
    if name in streams:
        return name
    key = squash_name(name)
    return next((s for s in streams if squash_name(s) == key), None)


def _merge(preset_name: str, preset: dict, overrides: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """Preset streams with the overrides applied: ``{stream: {"entity": name, "fields": {...}, "origin": str}}``."""
    merged: Dict[str, Dict[str, Any]] = {}
    preset_streams = list(preset.get("streams") or {})
    for stream, spec in (preset.get("streams") or {}).items():
        merged[stream] = {"entity": spec.get("entity"), "fields": dict(spec.get("fields") or {}), "origin": f"preset {preset_name!r}"}
    for stream, spec in overrides.items():
        where = f"mappings[{stream!r}]"
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: expected an object with 'entity', 'fields' and 'replace', got {type(spec).__name__}.")
        unknown = set(spec) - {"entity", "fields", "replace"}
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: entity, fields, replace.")
        fields = spec.get("fields", {})
        if not isinstance(fields, dict):
            raise ConfigError(f"{where}.fields: expected an object {{sense_field: expression}}.")
        replace = spec.get("replace", False)
        if not isinstance(replace, bool):
            raise ConfigError(f"{where}.replace: expected true or false.")
        # Exact name first; otherwise a preset stream named the same but for case and separators.
        target = stream if stream in merged else _match_stream(preset_streams, stream)
        if target is None:
            entity = spec.get("entity") or (stream if entity_for_name(stream) else None)
            if entity is None:
                raise ConfigError(
                    f"{where}: the stream is not in preset {preset_name!r}, so 'entity' is required "
                    f"(one of: {valid_names()})."
                )
            merged[stream] = {"entity": entity, "fields": {}, "origin": "mappings"}
            target = stream
        else:
            merged[target]["origin"] += " + mappings"
        entry = merged[target]
        if spec.get("entity"):
            entry["entity"] = spec["entity"]
        if replace:
            entry["fields"] = {}
        for field, expression in fields.items():
            if expression is None:
                entry["fields"].pop(field, None)  # null removes a preset field
            else:
                entry["fields"][field] = expression
    return merged


def _compile_stream(origin: str, stream: str, entity_name: Any, fields: Dict[str, Any]) -> StreamMapping:
    where = f"{origin}, stream {stream!r}"
    entity = entity_for_name(entity_name) if isinstance(entity_name, str) else None
    if entity is None:
        raise ConfigError(f"{where}: unknown Sense entity {entity_name!r}; valid entities: {valid_names()}.")
    allowed = set(entity.fields)
    if "id" not in fields:
        raise ConfigError(f"{where} → {entity.collection}: no mapping for 'id'; every stream mapping must map the Sense id.")
    getters: Dict[str, Getter] = {}
    problems: List[str] = []
    for field, expression in fields.items():
        if field not in allowed:
            problems.append(f"{field!r} is not a field of {entity.collection}")
            continue
        try:
            getters[field] = compile_expression(expression)
        except ExpressionError as exc:
            problems.append(f"field {field!r}: {exc}")
    if problems:
        raise ConfigError(f"{where} → {entity.collection}: " + "; ".join(problems) + ".")
    return StreamMapping(stream, entity, fields, getters)


def build_mappings(preset: Optional[str] = DEFAULT_PRESET, overrides: Any = None) -> MappingTable:
    """Compile the preset plus the user's overrides into ``{source stream: StreamMapping}``.

    ``overrides`` is ``{stream: {"entity": ..., "fields": {sense_field: expression | null}, "replace": bool}}``
    (or the same as a JSON string). With preset ``none`` and no overrides the table is empty: records
    are sent as they are. Raises ``ConfigError`` naming preset, stream and field for anything wrong.
    """
    name = DEFAULT_PRESET if preset in (None, "") else preset
    document = load_preset(name)  # raises for an unknown preset
    merged = _merge(name, document, _parse_overrides(overrides))
    table = MappingTable()
    for stream, entry in merged.items():
        table[stream] = _compile_stream(entry["origin"], stream, entry["entity"], entry["fields"])
    return table


def mappings_from_config(config: Mapping[str, Any]) -> MappingTable:
    """``build_mappings(config["source_preset"], config["mappings"])`` with the defaults applied."""
    return build_mappings(config.get("source_preset") or DEFAULT_PRESET, config.get("mappings"))


def preset_table(name: str) -> List[Tuple[str, str, List[Tuple[str, str]]]]:
    """For docs: ``[(stream, collection, [(sense_field, description), ...]), ...]`` of one preset."""
    rows = []
    for stream, mapping in build_mappings(name).items():
        rows.append((stream, mapping.collection, [(f, describe(e)) for f, e in mapping.expressions.items()]))
    return rows
