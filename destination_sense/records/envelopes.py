"""The shape of the Airbyte messages the destination acts on: what makes a RECORD or STATE usable.

A message that fails these checks is not processed; the writer reports it with its line number
(``Input line 12 has a record whose 'namespace' is an array, not a string``) and applies
``on_unreadable_line``. The rules, per the Airbyte protocol:

- RECORD: ``record`` is an object, ``stream`` a non-empty string, ``namespace`` a string or absent/null
  (``data`` not being an object is a rejected record of that stream: the stream is known);
- STATE: ``state`` is an object whose ``type`` is STREAM, GLOBAL or LEGACY, or that has no ``type``
  but the legacy ``data``; a STREAM state names its stream (``stream.stream_descriptor.name``);
- LOG, TRACE, CONTROL and the other protocol types are ignored; any other ``type`` (one that is not a
  string included) is not a message, and neither is a line that is JSON but no object (``[1, 2]``,
  ``42``, ``"text"``, ``null``).
"""
from __future__ import annotations

from typing import Any, Optional

#: Airbyte message types a destination may receive and has nothing to do with.
IGNORED_TYPES = frozenset({"LOG", "TRACE", "CONTROL", "SPEC", "CONNECTION_STATUS", "CATALOG", "DESTINATION_CATALOG"})
STATE_TYPES = frozenset({"STREAM", "GLOBAL", "LEGACY"})


#: JSON's names for the types a parsed line holds.
_JSON_KINDS = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def _kind(value: Any) -> str:
    return "null" if value is None else _JSON_KINDS.get(value.__class__, type(value).__name__)


def message_type(message: Any) -> Optional[str]:
    """The ``type`` of a parsed line when it is an object with a string ``type``, else None."""
    kind = message.get("type") if message.__class__ is dict else None
    return kind if kind.__class__ is str else None


def record_problem(record: Any) -> Optional[str]:
    """Why the ``record`` of a RECORD message cannot be routed, or None."""
    if record.__class__ is not dict:
        return f"has a 'record' that is {_kind(record)}, not an object"
    stream, namespace = record.get("stream"), record.get("namespace")
    if stream.__class__ is not str or not stream:
        return f"has a record whose 'stream' is {_kind(stream)}, not a stream name"
    if namespace is not None and namespace.__class__ is not str:
        return f"has a record whose 'namespace' is {_kind(namespace)}, not a string"
    return None


def state_problem(state: Any) -> Optional[str]:
    """Why the ``state`` of a STATE message cannot be echoed, or None."""
    if state.__class__ is not dict:
        return f"has a 'state' that is {_kind(state)}, not an object"
    kind = state.get("type")
    if kind is None:
        return None if "data" in state else "has a state without 'type' (nor the legacy 'data')"
    if kind not in STATE_TYPES:
        return f"has a state of unknown type {kind!r}"
    if kind == "STREAM":
        stream = state.get("stream")
        descriptor = stream.get("stream_descriptor") if stream.__class__ is dict else None
        if descriptor.__class__ is not dict or descriptor.get("name").__class__ is not str:
            return "has a STREAM state without stream.stream_descriptor.name"
        namespace = descriptor.get("namespace")
        if namespace is not None and namespace.__class__ is not str:
            return "has a STREAM state whose namespace is not a string"
    return None


def message_problem(message: Any) -> str:
    """What a parsed line that is neither RECORD, STATE nor an ignored type is."""
    if message.__class__ is dict:
        return f"is not an Airbyte message (of unknown type {message.get('type')!r})"
    return f"is not an Airbyte message (it is {_kind(message)}, not a JSON object)"
