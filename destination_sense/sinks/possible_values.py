"""Possible values (dropdown options) of Sense fields: ``PUT /v1/{collection}/possible-values/{field}``.

A stream is a possible-values stream when its ``destination_object_name`` (or, without one, its
name) is ``possible_values`` (any case, ``-``/``_``/spaces ignored), or when the ``source_preset``
names it in its ``possible_values`` section (``bullhorn``: source-ats's ``picklist_options``).
Each record is ``{entity, field_name, values: [{label, value}, …]}``; with a preset, ``entity`` and
``field_name`` are the source's names and are translated through the preset's own stream mapping
(the Sense field whose expression reads that source field), so options land on the fields records
are written to.

A PUT replaces the whole list, so the values of every record of one field in a sync are merged
(first position of a value kept, its last label wins) and sent in one PUT: before the first record
of that entity is batched, before a STATE is passed on, or at the end (the sink says when it is due;
the scheduler decides). If more values of
an already sent field arrive later in the sync, the merged list is sent again. Before each PUT the
current list is read (GET) and an unchanged list is not sent. A record naming an unknown entity or
field, with an empty label or a value that is not a string, number or boolean, is rejected with the
reason; the rest goes on.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import quote

import orjson

from destination_sense.catalog import StreamKey, stream_label
from destination_sense.errors import SenseError
from destination_sense.ledger import RecordRef
from destination_sense.normalize import INT64_MAX, INT64_MIN
from destination_sense.send.http_client import parse_entity_errors, request_id_of
from sense_api.entities import Entity, entity_for_name, squash_name

#: ``destination_object_name`` of a possible-values stream.
OBJECT_NAME = "possible_values"
#: The row of the sync summary.
STATS_KEY = "possible-values"

Problem = Tuple[Optional[str], str]
Contributor = RecordRef  # a record merged into a list: stream, position, record id


def is_possible_values_name(name: Optional[str]) -> bool:
    return bool(name) and squash_name(name) == squash_name(OBJECT_NAME)


class PresetTranslator:
    """(source entity, source field) → Sense (entity, field), from a preset's stream mappings.

    The preset's ``possible_values.entities`` names, per source entity, the preset stream that reads
    it; the Sense fields are those whose mapping expression reads the source field (``"status"`` or
    ``{"path": "status", …}``).
    """

    def __init__(self, preset: str, entities: Mapping[str, str], table: Mapping[str, Any]):
        self.preset = preset
        self.targets: Dict[Tuple[str, str], List[Tuple[Entity, str]]] = {}
        self.entities = set(entities)
        for source_entity, stream in entities.items():
            mapping = table.get(stream)
            if mapping is None:
                continue
            for sense_field, expression in mapping.expressions.items():
                path = expression if isinstance(expression, str) else expression.get("path") if isinstance(expression, dict) else None
                if isinstance(path, str):
                    self.targets.setdefault((source_entity, path), []).append((mapping.entity, sense_field))

    def __call__(self, entity: Any, field_name: Any) -> Tuple[List[Tuple[Entity, str]], Optional[str]]:
        if entity not in self.entities:
            return [], f"entity '{entity}' is not one the {self.preset} preset reads"
        found = self.targets.get((entity, field_name))
        if not found:
            return [], f"field '{entity}.{field_name}' is not mapped onto a Sense field by the {self.preset} preset"
        return found, None


@dataclass(frozen=True)
class PossibleValuesRoute:
    key: StreamKey
    translate: Optional[PresetTranslator] = None

    @property
    def label(self) -> str:
        return stream_label(self.key)


def routes_from_catalog(catalog: Mapping[str, Any], preset_name: str, preset: Mapping[str, Any], table: Mapping[str, Any]) -> Dict[StreamKey, PossibleValuesRoute]:
    """The possible-values streams of a configured catalog (see the module docstring)."""
    section = preset.get("possible_values") or {}
    preset_stream = section.get("stream")
    translator = PresetTranslator(preset_name, section.get("entities") or {}, table) if preset_stream else None
    out: Dict[StreamKey, PossibleValuesRoute] = {}
    for configured in catalog.get("streams") or []:
        stream = configured.get("stream") or {}
        key: StreamKey = (stream.get("namespace") or None, stream.get("name") or "")
        object_name = configured.get("destination_object_name")
        if object_name:
            if is_possible_values_name(object_name):
                out[key] = PossibleValuesRoute(key)
        elif preset_stream and squash_name(key[1]) == squash_name(preset_stream):
            out[key] = PossibleValuesRoute(key, translator)
        elif is_possible_values_name(key[1]):
            out[key] = PossibleValuesRoute(key)
    return out


def _is_scalar(value: Any) -> bool:
    cls = value.__class__
    return cls is str or cls is bool or cls is int or (cls is float and math.isfinite(value))


def check_values(values: Any) -> Tuple[List[Tuple[str, Any]], List[Problem]]:
    """``[(label, value)]`` of a record's ``values``, or the problems that reject the record."""
    if values.__class__ is not list:
        return [], [("values", "must be an array of {label, value} objects")]
    out: List[Tuple[str, Any]] = []
    problems: List[Problem] = []
    for i, item in enumerate(values):
        if item.__class__ is not dict:
            problems.append(("values", f"item {i} is not an object with label and value"))
            continue
        label, value = item.get("label"), item.get("value")
        if label.__class__ is not str or not label.strip():
            problems.append(("values", f"item {i} has an empty or missing label"))
        if not _is_scalar(value):
            problems.append(("values", f"item {i} (label {label!r}) has a value that is not a string, number or boolean: {value!r}"[:300]))
        elif value.__class__ is int and not INT64_MIN <= value <= INT64_MAX:
            problems.append(("values", f"item {i} (label {label!r}) has an integer value beyond the 64-bit range Sense stores"))
        if not problems:
            out.append((label.strip(), value))
    return out, problems


@dataclass
class FieldList:
    """The merged values of one Sense field in this sync."""

    collection: str
    field_name: str
    values: Dict[Tuple[str, Any], Tuple[str, Any]] = field(default_factory=dict)  # (type, value) → (label, value)
    contributors: List[Contributor] = field(default_factory=list)  # records not yet delivered

    def merge(self, pairs: List[Tuple[str, Any]], contributor: Contributor) -> None:
        for label, value in pairs:
            self.values[(value.__class__.__name__, value)] = (label, value)
        self.contributors.append(contributor)

    def body(self) -> List[Dict[str, Any]]:
        return [{"label": label, "value": value} for label, value in self.values.values()]


class PossibleValuesSink:
    """Validates possible-values records, merges them per field and hands out one PUT per changed field."""

    precedes_records = True  # the lists go before the records of their entity that follow them
    full = False  # never due on size: one PUT per field

    def __init__(self, routes: Dict[StreamKey, PossibleValuesRoute], ledger, info: Callable[[str], None] = lambda message: None):
        self.routes = routes
        self.streams = tuple(routes)
        self.ledger = ledger
        self.info = info
        for key in routes:
            ledger.open_stream(key, STATS_KEY)
        self.fields: Dict[Tuple[str, str], FieldList] = {}
        self.dirty: Dict[Tuple[str, str], FieldList] = {}
        #: collections with values not yet handed out (checked before every run of entity records)
        self.pending: set = set()

    def add(self, key: StreamKey, position: int, record: Mapping[str, Any], line: Optional[bytes] = None) -> None:
        route = self.routes[key]
        data = record.get("data")
        if data.__class__ is not dict:
            self.ledger.reject(key, position, None, [(None, "the record has no data object")], line)
            return
        entity, field_name = data.get("entity"), data.get("field_name")
        record_id = f"{entity}.{field_name}"
        if route.translate is not None:
            targets, problem = route.translate(entity, field_name)
        else:
            target = entity_for_name(entity) if entity.__class__ is str else None
            targets, problem = [], None
            if target is None:
                problem = f"entity {entity!r} is not a Sense entity"
            elif field_name.__class__ is not str or field_name not in target.fields:
                problem = f"field {field_name!r} is not a field of Sense {target.name}"
            else:
                targets = [(target, field_name)]
        pairs, problems = check_values(data.get("values"))
        if problem:
            problems.insert(0, (None, problem))
        if problems:
            self.ledger.reject(key, position, record_id, problems, line)
            return
        for target, sense_field in targets:
            slot = (target.collection, sense_field)
            merged = self.fields.get(slot)
            if merged is None:
                merged = self.fields[slot] = FieldList(target.collection, sense_field)
            merged.merge(pairs, RecordRef(key, position, record_id))
            self.dirty[slot] = merged
            self.pending.add(target.collection)

    def due_before(self, collection: str) -> List["PossibleValuesPut"]:
        """The PUTs that must go before records of ``collection`` (its changed fields)."""
        return self.take(collection) if collection in self.pending else []

    def take(self, collection: Optional[str] = None) -> List["PossibleValuesPut"]:
        """PUT items for the fields changed since the last take (of one collection, or all)."""
        items = []
        for slot, merged in list(self.dirty.items()):
            if collection is None or slot[0] == collection:
                del self.dirty[slot]
                items.append(PossibleValuesPut(merged.collection, merged.field_name, merged.body(), merged.contributors, self.ledger, self.info))
                merged.contributors = []
        if collection is None:
            self.pending.clear()
        else:
            self.pending.discard(collection)
        return items


@dataclass
class PossibleValuesPut:
    collection: str
    field_name: str
    values: List[Dict[str, Any]]
    contributors: List[Contributor]
    ledger: Any = None
    info: Callable[[str], None] = lambda message: None

    @property
    def path(self) -> str:
        return f"/{self.collection}/possible-values/{quote(self.field_name, safe='')}"

    def deliver(self, sender) -> None:
        ledger = self.ledger
        if sender.dry_run:
            ledger.sent(STATS_KEY, self.contributors, requests=0)
            return
        current, _ = sender.request("GET", self.path, {}, None, f"GET {self.path}")
        if current.status_code == 200 and _stored(current.content) == [(v["label"], v["value"]) for v in self.values]:
            ledger.sent(STATS_KEY, self.contributors, requests=0)
            self.info(f"Possible values of {self.collection}.{self.field_name} are unchanged ({len(self.values)} values); not sent.")
            return
        if current.status_code not in (200, 400, 404):  # 400/404: no list to compare with; the PUT decides
            raise SenseError(f"GET {self.path} answered unexpected HTTP {current.status_code}: {current.text[:300]}")
        body = orjson.dumps(self.values)
        response, retries = sender.request("PUT", self.path, {"Content-Type": "application/json"}, body, f"PUT {self.path}")
        ledger.retried(STATS_KEY, retries)
        if 200 <= response.status_code < 300:
            ledger.sent(STATS_KEY, self.contributors, "sent", request_id_of(response.content), raw=len(body))
            return
        if response.status_code == 400:
            reasons = [e.message for e in parse_entity_errors(response.content)] or [response.text[:300]]
            problems = [(None, f"Sense refused the possible values of {self.collection}.{self.field_name}: {r}") for r in reasons]
            for contributor in self.contributors:
                ledger.reject(contributor.stream, contributor.position, contributor.entity_id, problems)
            return
        raise SenseError(f"PUT {self.path} answered unexpected HTTP {response.status_code}: {response.text[:300]}")


def _stored(content: bytes) -> Optional[List[Tuple[str, Any]]]:
    try:
        data = orjson.loads(content).get("data") or {}
    except (orjson.JSONDecodeError, AttributeError):
        return None
    values = data.get("values") if isinstance(data, dict) else None
    if not isinstance(values, list):
        return None
    return [(v.get("label"), v.get("value")) for v in values if isinstance(v, dict)]


#: The operation ``discover`` offers (data activation): records of this shape, one per field.
OPERATION: Dict[str, Any] = {
    "object_name": OBJECT_NAME,
    "sync_mode": "append",
    "json_schema": {
        "type": "object",
        "additionalProperties": False,
        "required": ["entity", "field_name", "values"],
        "properties": {
            "entity": {"type": "string", "description": "Sense entity (collection or name), e.g. candidates"},
            "field_name": {"type": "string", "description": "Sense field of that entity, e.g. status"},
            "values": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["label", "value"],
                    "properties": {"label": {"type": "string"}, "value": {"type": ["string", "number", "boolean"]}},
                },
            },
        },
    },
    "matching_keys": [["entity", "field_name"]],
}
