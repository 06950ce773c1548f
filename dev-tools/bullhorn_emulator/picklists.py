"""Field metadata (``GET meta/{Entity}``) with the options of the emulator's picklist fields.

A field is a picklist when its generator kind draws from a fixed list of choices (``data.CHOICES``)
and that list is one Bullhorn configures as a SELECT (statuses, types, sources …). Its options are
exactly the values the seeded records use, so every record's value is one of its field's options.
Labels equal values, as in Bullhorn's text picklists, except where the stored value is a code
(``gender``: ``M`` → ``Male``).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from .data import CHOICES, ENTITY_FIELDS

#: Generator kinds that are SELECT fields in Bullhorn (the others in CHOICES are free text).
PICKLIST_KINDS = frozenset({
    "user_status", "corp_status", "contact_status", "contact_type", "division", "pref_contact", "source",
    "cand_status", "employment_type", "employee_type", "gender", "job_status", "salary_unit", "onsite",
    "sub_status", "placement_status", "lead_status", "lead_type", "lead_source", "priority", "cert_status",
    "license_type", "appt_type", "comm_method",
})
#: Display labels of coded values.
LABELS: Dict[str, Dict[Any, str]] = {"gender": {"M": "Male", "F": "Female", "U": "Unknown"}}

_DATA_TYPES = {"id": "Integer", "added": "Timestamp", "modified": "Timestamp", "deleted": "Boolean"}


def options(kind: str) -> List[Dict[str, Any]]:
    """The ``{value, label}`` options of a picklist kind, in first-use order, without duplicates."""
    seen: List[Any] = []
    for value in CHOICES[kind]:
        if value is not None and value not in seen:
            seen.append(value)
    labels = LABELS.get(kind, {})
    return [{"value": value, "label": labels.get(value, str(value))} for value in seen]


def field_meta(name: str, kind: str) -> Dict[str, Any]:
    if kind.startswith(("ref:", "ref_opt:", "obj:")):
        return {"name": name, "type": "TO_ONE", "associatedEntity": {"entity": kind.split(":", 1)[1]}}
    if kind == "address":
        return {"name": name, "type": "COMPOSITE", "dataType": "Address"}
    meta: Dict[str, Any] = {"name": name, "type": "ID" if kind == "id" else "SCALAR",
                            "dataType": _DATA_TYPES.get(kind, "String"), "label": name}
    if kind in PICKLIST_KINDS:
        meta.update(inputType="SELECT", multiValue=False, options=options(kind))
    return meta


def entity_meta(entity: str, fields: Optional[str], base_url: str) -> Dict[str, Any]:
    """The answer to ``meta/{entity}?fields=…``; unknown entity or field → ``LookupError`` (404)."""
    if entity not in ENTITY_FIELDS:
        raise LookupError(f"Unknown entity: {entity}")
    kinds = dict(ENTITY_FIELDS[entity])
    wanted = [f.strip() for f in (fields or "*").split(",") if f.strip()]
    if "*" in wanted:
        wanted = list(kinds)
    unknown = [name for name in wanted if name not in kinds]
    if unknown:
        raise LookupError(f"Unknown field(s) of {entity}: {', '.join(unknown)}")
    return {
        "entity": entity,
        "entityMetaUrl": f"{base_url}meta/{entity}?fields=*",
        "label": entity,
        "fields": [field_meta(name, kinds[name]) for name in wanted],
    }
