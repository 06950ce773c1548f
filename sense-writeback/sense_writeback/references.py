"""The ATS entity references a write-back carries, for the ``writeback_entities`` child table.

Each reference is ``(role, entity_type, entity_id)``. Roles: ``associated`` (``associated_entities``),
``subject`` (the note's record), ``entity`` (the record an ENTITY_UPDATE/DELETE changes),
``sender`` and ``recipient`` (message actors and chatbot turns). Only well-formed references
(an object with a string or integer ``id`` and a string ``type``) are collected; the rest stays in
the raw body. Duplicates are listed once.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Tuple

Reference = Tuple[str, str, str]

_ACTOR_ROLES = (("from", "sender"), ("to", "recipient"), ("cc", "recipient"), ("bcc", "recipient"),
                ("reply-to", "sender"))


def _entity(value: Any):
    if isinstance(value, dict):
        entity_id, entity_type = value.get("id"), value.get("type")
        if isinstance(entity_id, (str, int)) and not isinstance(entity_id, bool) and isinstance(entity_type, str) \
                and str(entity_id) != "":
            return entity_type, str(entity_id)
    return None


def _as_list(value: Any) -> Iterable[Any]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []


def entity_references(data: Dict[str, Any]) -> List[Reference]:
    """Every entity ``data`` points at, in document order, each ``(role, type, id)`` once."""
    found: List[Reference] = []

    def add(role: str, value: Any) -> None:
        entity = _entity(value)
        if entity is not None:
            found.append((role, *entity))

    for item in _as_list(data.get("associated_entities")):
        add("associated", item)
    add("subject", data.get("subject"))
    add("entity", data.get("entity"))
    for channel in ("sms", "email"):
        for message in _as_list(data.get(channel)):
            if not isinstance(message, dict):
                continue
            for key, role in _ACTOR_ROLES:
                for actor in _as_list(message.get(key)):
                    if isinstance(actor, dict):
                        add(role, actor.get("entity"))
    for turn in _as_list(data.get("conversation")):
        if isinstance(turn, dict):
            add("sender", turn.get("sender"))
    return list(dict.fromkeys(found))
