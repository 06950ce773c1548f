"""The JSON types of one field of an entity schema.

Every field of the generated schemas has ``type``: one JSON type name, or ``[name, "null"]`` for a
nullable field. ``field_types`` gives the list, ``base_type`` the one type that is not null.
"""
from __future__ import annotations

from typing import List


def field_types(prop: dict) -> List[str]:
    """The type names of ``prop``, as a list."""
    kind = prop["type"]
    return kind if isinstance(kind, list) else [kind]


def base_type(prop: dict) -> str:
    """The type of ``prop`` other than null."""
    return next(t for t in field_types(prop) if t != "null")
