"""The registry of Sense entities: collection paths, names, sync order, reference fields, schemas.

This module is the one place that knows the ten entities and their published sync order.
Everything else (destination routing, batching order, the emulator's validation and its
dangling-reference check) asks it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Dict, Mapping, Optional, Tuple

# (collection path, component name in the spec, display name), in the published sync order.
_ENTITY_TABLE = (
    ("internal-users", "InternalUser", "Internal user"),
    ("candidates", "Candidate", "Candidate"),
    ("client-contacts", "ClientContact", "Client contact"),
    ("companies", "Company", "Company"),
    ("job-orders", "JobOrder", "Job order"),
    ("submissions", "Submission", "Submission"),
    ("placements", "Placement", "Placement"),
    ("leads", "Lead", "Lead"),
    ("certifications", "Certification", "Certification"),
    ("appointments", "Appointment", "Appointment"),
)

# Reference field name patterns → the collection they point to. A trailing number
# (``internal_user_id2``) is a further reference of the same kind.
_REFERENCE_RULES = (
    (re.compile(r"^internal_user_id\d*$"), "internal-users"),
    (re.compile(r"^owner_id\d*$"), "internal-users"),
    (re.compile(r"^sending_user_id\d*$"), "internal-users"),
    (re.compile(r"^candidate_id\d*$"), "candidates"),
    (re.compile(r"^client_contact_id\d*$"), "client-contacts"),
    (re.compile(r"^company_id\d*$"), "companies"),
    (re.compile(r"^job_order_id\d*$"), "job-orders"),
    (re.compile(r"^(submission_id|application_id)\d*$"), "submissions"),
    (re.compile(r"^placement_id\d*$"), "placements"),
)


def reference_target(field_name: str) -> Optional[str]:
    """The collection a reference field points to, or None for a plain field."""
    for pattern, target in _REFERENCE_RULES:
        if pattern.match(field_name):
            return target
    return None


@dataclass(frozen=True)
class Entity:
    collection: str
    name: str
    display_name: str
    order: int
    references: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def schema(self) -> dict:
        return load_schema(self.collection)

    @property
    def fields(self) -> Tuple[str, ...]:
        return tuple(self.schema["properties"])

    @property
    def path(self) -> str:
        return "/" + self.collection


def _references_for(collection: str) -> Dict[str, str]:
    props = load_schema(collection)["properties"]
    return {name: target for name in props if (target := reference_target(name))}


@lru_cache(maxsize=None)
def load_schema(collection: str) -> dict:
    text = resources.files("sense_api").joinpath("schemas", f"{collection}.json").read_text()
    return json.loads(text)


def _build() -> Tuple[Entity, ...]:
    entities = []
    for order, (collection, name, display) in enumerate(_ENTITY_TABLE):
        try:
            refs = _references_for(collection)
        except FileNotFoundError:  # while the schema files are being generated
            refs = {}
        entities.append(Entity(collection, name, display, order, refs))
    return tuple(entities)


ENTITIES: Tuple[Entity, ...] = _build()
BY_COLLECTION: Dict[str, Entity] = {e.collection: e for e in ENTITIES}
COLLECTIONS: Tuple[str, ...] = tuple(e.collection for e in ENTITIES)


def squash_name(name: str) -> str:
    """A stream or entity name compared case-insensitively, ignoring spaces, ``_``, ``-`` and ``.``."""
    return re.sub(r"[\s_\-.]+", "", name).lower()


def _singular(squashed: str) -> str:
    if squashed.endswith("ies"):
        return squashed[:-3] + "y"
    if squashed.endswith("s"):
        return squashed[:-1]
    return squashed


_BY_SQUASHED: Dict[str, Entity] = {}
for _e in ENTITIES:
    for _key in (squash_name(_e.collection), squash_name(_e.name)):
        _BY_SQUASHED[_key] = _e
        _BY_SQUASHED[_singular(_key)] = _e


def entity_for_name(name: str) -> Optional[Entity]:
    """Find the entity a stream or object name designates.

    Case-insensitive; ``-``, ``_`` and spaces are ignored; singular and plural both match:
    ``candidates``, ``Candidate``, ``client_contacts``, ``ClientContact``, ``job-orders``.
    """
    if not name:
        return None
    key = squash_name(name)
    return _BY_SQUASHED.get(key) or _BY_SQUASHED.get(_singular(key))


def valid_names() -> str:
    return ", ".join(COLLECTIONS)
