"""Request validation of the emulator, with Sense's error shape.

An error is ``{"entity_id": str | None, "message": str, "path": [str, ...]}`` (the spec's
``400_response_schema`` items). For a batch, ``path`` is ``[index, field]`` (the item's position
in the array, as a string, then the field), ``entity_id`` the item's id when it has one. Entity
rules come from the project's schemas through ``sense_api.compiled_schema`` (one source of
truth with the destination); batch rules from ``sense_api.limits``.
"""
from __future__ import annotations

from typing import Any, List, Optional

from sense_api.compiled_schema import compiled
from sense_api.entities import BY_COLLECTION
from sense_api.limits import MAX_BATCH_RECORDS

Error = dict


def error(message: str, entity_id: Optional[str] = None, path: Optional[List[str]] = None) -> Error:
    return {"entity_id": entity_id, "message": message, "path": path if path is not None else []}


def _entity_id(item: Any) -> Optional[str]:
    if item.__class__ is dict:
        value = item.get("id")
        if value.__class__ is str and value:
            return value
    return None


def batch_errors(collection: str, items: Any) -> List[Error]:
    """Errors of a POST body; an empty list means every item is valid."""
    name = BY_COLLECTION[collection].name
    if items.__class__ is not list:
        return [error(f"request body must be a JSON array of {name} entities")]
    if not items:
        return [error(f"request body must contain at least 1 {name} entity")]
    if len(items) > MAX_BATCH_RECORDS:
        return [error(f"request body has {len(items)} entities; the maximum is {MAX_BATCH_RECORDS}")]
    not_objects = [i for i, item in enumerate(items) if item.__class__ is not dict]
    if not_objects:
        errors = [error(f"item {i} must be a {name} object", None, [str(i)]) for i in not_objects]
        objects = [(i, item) for i, item in enumerate(items) if item.__class__ is dict]
    else:
        errors, objects = [], None
    records = items if objects is None else [item for _, item in objects]
    for position, field, reason in compiled(collection).errors_many(records):
        index = position if objects is None else objects[position][0]
        errors.append(error(f"{field}: {reason}", _entity_id(items[index]), [str(index), field]))
    if not_objects:
        errors.sort(key=lambda e: int(e["path"][0]))
    return errors


def patch_errors(collection: str, resource_id: str, body: Any) -> List[Error]:
    """Errors of a PATCH body: an object of fields to change (``id`` optional, equal to the path's)."""
    name = BY_COLLECTION[collection].name
    if body.__class__ is not dict:
        return [error(f"request body must be a JSON object with {name} fields", resource_id)]
    checks = compiled(collection).checks
    errors: List[Error] = []
    for field, value in body.items():
        check = checks.get(field)
        if check is None:
            errors.append(error(f"{field}: is not a field of {name}", resource_id, [field]))
            continue
        reason = check(value)
        if reason is not None:
            errors.append(error(f"{field}: {reason}", resource_id, [field]))
        elif field == "id" and value != resource_id:
            errors.append(error(f"id: {value!r} differs from the id in the path", resource_id, [field]))
    return errors


def possible_values_errors(body: Any) -> List[Error]:
    """Errors of a PUT possible-values body: ``[{"label": str, "value": str | number | bool}, ...]``."""
    if body.__class__ is not list:
        return [error("request body must be a JSON array of {label, value} objects")]
    errors: List[Error] = []
    for index, item in enumerate(body):
        where = str(index)
        if item.__class__ is not dict:
            errors.append(error(f"item {index} must be an object with label and value", None, [where]))
            continue
        if "label" not in item:
            errors.append(error("label: is required", None, [where, "label"]))
        elif item["label"].__class__ is not str:
            errors.append(error("label: expected string", None, [where, "label"]))
        if "value" not in item:
            errors.append(error("value: is required", None, [where, "value"]))
        elif item["value"].__class__ not in (str, int, float, bool):
            errors.append(error("value: expected string, number or boolean", None, [where, "value"]))
    return errors
