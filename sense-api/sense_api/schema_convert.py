"""Translate the Sense OpenAPI 3.0 component schemas into JSON Schema (draft 7) entity schemas.

Rules:
- ``nullable: true`` becomes a ``["<type>", "null"]`` type union;
- ``format`` is kept (``date`` vs ``date-time``); the spec's ``anyOf: [{format: date-time}, {format: date}]``
  ("date or date-time") becomes the project's own format ``date-or-date-time``;
- ``id`` is a required non-empty string; ``maxLength``/``minLength`` and array ``items`` are kept;
- unknown fields are not allowed (``additionalProperties: false``), as Sense answers 400 to them.
"""
from __future__ import annotations

from typing import Any, Dict

from sense_api.entities import ENTITIES

DATE_OR_DATE_TIME = "date-or-date-time"
_KEPT_KEYWORDS = ("format", "maxLength", "minLength")


def convert_property(prop: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    base_type = prop.get("type", "string")
    out["type"] = [base_type, "null"] if prop.get("nullable") else base_type
    for key in _KEPT_KEYWORDS:
        if key in prop:
            out[key] = prop[key]
    if "anyOf" in prop:
        formats = sorted(alt.get("format") for alt in prop["anyOf"])
        if formats != ["date", "date-time"]:
            raise ValueError(f"unsupported anyOf {prop['anyOf']!r}")
        out["format"] = DATE_OR_DATE_TIME
    if base_type == "array":
        out["items"] = {"type": prop.get("items", {}).get("type", "string")}
    return out


def convert_component(name: str, component: Dict[str, Any]) -> Dict[str, Any]:
    properties = {field: convert_property(prop) for field, prop in sorted(component["properties"].items())}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": name,
        "type": "object",
        "required": list(component.get("required", ["id"])),
        "additionalProperties": False,
        "properties": properties,
    }


def convert_openapi(document: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """Return ``{collection: json_schema}`` for every entity of the registry."""
    components = document["components"]["schemas"]
    return {entity.collection: convert_component(entity.name, components[entity.name]) for entity in ENTITIES}
