"""Sense field changes → the body of a Bullhorn update, by the Bullhorn correspondence (``sense_api.bullhorn``).

The correspondence is the one the destination's ``bullhorn`` preset is built from: a Sense field maps back
to its Bullhorn path, and its conversion is undone by the conversion's inverse written beside it
(epoch milliseconds ← an ISO date-time or date, comma-separated text ← a list, 1/0 ← true/false). Writable
paths are a top-level field, ``address.<part>`` (Bullhorn's composite address) and ``<association>.id`` (a
to-one association); a field filled from several paths is written to the first; any other path (e.g.
``primaryDepartment.name``) is not writable. A change that cannot be mapped raises ``Unmappable`` naming the
field and the reason: the write-back is parked, never partly applied.
"""
from __future__ import annotations

from typing import Any, Dict, List

from sense_api.bullhorn import stream_for_collection, to_bullhorn


class Unmappable(ValueError):
    """A Sense field change that has no Bullhorn field (the message names it)."""


def bullhorn_changes(collection: str, changes: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The ``POST entity/{Entity}/{id}`` body for Sense ``FieldObject``s of a ``collection``."""
    stream = stream_for_collection(collection)
    if stream is None:
        raise Unmappable(f"the Bullhorn correspondence has no collection {collection}")
    body: Dict[str, Any] = {}
    for change in changes:
        name = change.get("name") if isinstance(change, dict) else None
        if not isinstance(name, str):
            raise Unmappable("a field change without a name")
        pair = stream.fields.get(name)
        if pair is None:
            raise Unmappable(f"field {name}: the Bullhorn correspondence maps no Bullhorn field to {collection}.{name}")
        path = pair.path
        if name == "id" or path == "id":
            raise Unmappable(f"field {name}: the record id cannot be changed")
        try:
            value = to_bullhorn(pair, change.get("value"))
        except ValueError as exc:
            raise Unmappable(f"field {name}: {exc}") from None
        parts = path.split(".")
        if len(parts) == 1:
            body[path] = value
        elif len(parts) == 2 and parts[0] == "address":
            body.setdefault("address", {})[parts[1]] = value
        elif len(parts) == 2 and parts[1] == "id":
            if value is not None and not str(value).isdigit():
                raise Unmappable(f"field {name}: {str(value)[:40]!r} is not a Bullhorn id")
            body[parts[0]] = None if value is None else {"id": int(value)}
        else:
            raise Unmappable(f"field {name}: its Bullhorn path {path} is not writable")
    return body
