"""Airbyte data activation: the DESTINATION_CATALOG that ``destination-sense discover`` prints.

For each Sense entity, four operations the platform can map streams onto:
- ``append`` and ``append_dedup``: upsert (POST /v1/{collection}), the entity's full schema (Sense
  matches records by ``id`` in both: there is no insert-only call);
- ``update``: partial update (PATCH /v1/{collection}/{id}) of the fields present, the same schema;
- ``soft_delete``: mark the entity deleted, a schema with only ``id``.
Plus ``possible_values`` (a field's dropdown options) and ``resumes`` (candidates' resume files).
``id`` is the matching key of every operation and is kept out of ``required`` (the platform asks for
it through ``matching_keys``; records without one are rejected with a clear reason).
Fields whose Sense type is "date or date-time" are offered in standard JSON Schema, as an ``anyOf`` of
``format: date`` and ``format: date-time`` (the entity schemas' own ``date-or-date-time`` format is a
name only this destination's validation knows).
"""
from __future__ import annotations

import copy
from typing import Any, Dict, List

from destination_sense.sinks import possible_values, resumes
from destination_sense.catalog import SOFT_DELETE_MODE, UPDATE_MODE
from sense_api.entities import ENTITIES

MATCHING_KEYS = [["id"]]
OPERATION_MODES = ("append", "append_dedup", UPDATE_MODE, SOFT_DELETE_MODE)
DATE_OR_DATE_TIME = "date-or-date-time"


def standard_formats(schema: Any) -> Any:
    """``schema`` with every ``format: date-or-date-time`` replaced by an ``anyOf`` of ``date`` and ``date-time``."""
    if isinstance(schema, list):
        return [standard_formats(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: standard_formats(value) for key, value in schema.items()}
    if out.get("format") == DATE_OR_DATE_TIME:
        del out["format"]
        out["anyOf"] = [{"format": "date"}, {"format": "date-time"}]
    return out


def _operation_schema(schema: Dict[str, Any], mode: str) -> Dict[str, Any]:
    if mode == SOFT_DELETE_MODE:
        return {"type": "object", "additionalProperties": False, "properties": {"id": copy.deepcopy(schema["properties"]["id"])}}
    out = standard_formats(schema)
    out.pop("$schema", None)
    out["required"] = [name for name in out.get("required", []) if name != "id"]
    if not out["required"]:
        del out["required"]
    return out


def destination_catalog() -> Dict[str, Any]:
    operations: List[Dict[str, Any]] = []
    for entity in ENTITIES:
        for mode in OPERATION_MODES:
            operations.append(
                {
                    "object_name": entity.collection,
                    "sync_mode": mode,
                    "json_schema": _operation_schema(entity.schema, mode),
                    "matching_keys": MATCHING_KEYS,
                }
            )
    # not entities: a field's dropdown options and candidates' resume files
    operations += [copy.deepcopy(possible_values.OPERATION), copy.deepcopy(resumes.OPERATION)]
    return {"type": "DESTINATION_CATALOG", "destination_catalog": {"operations": operations}}
