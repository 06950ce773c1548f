"""Custom components of source-sense-writebacks: one record extractor that turns the feed's pages
into the rows of each stream.

``writebacks``: one row per write-back (the feed item as is: envelope, parsed columns, entity
references, ``data``). ``messages``: one row per SMS or email (direction, from, to, subject, body,
date). ``field_changes``: one row per FieldObject of ENTITY_* write-backs. ``survey_responses``:
one row per answer. Every row carries the write-back's ``id`` (the Sense id), ``seq`` (the feed
cursor, the incremental cursor field) and ``type``; a flattened row's key is ``(id, position)``.

Self-contained (only the CDK, requests and the standard library), so the CDK's
``source-declarative-manifest`` can load it as a standalone ``components`` module.
"""
import json
from dataclasses import InitVar, dataclass
from typing import Any, Iterable, List, Mapping, MutableMapping

import requests

from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor

ROWS = ("writebacks", "messages", "field_changes", "survey_responses")


def _actor(actor: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(actor, dict):
        return {"address": None, "entity_type": None, "entity_id": None}
    entity = actor.get("entity") if isinstance(actor.get("entity"), dict) else {}
    return {"address": actor.get(key) or actor.get("email") or actor.get("phone"),
            "entity_type": entity.get("type"), "entity_id": None if entity.get("id") is None else str(entity.get("id"))}


def _actors(value: Any, key: str) -> List[Mapping[str, Any]]:
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    return [_actor(a, key) for a in items]


def _base(item: Mapping[str, Any], position: int) -> MutableMapping[str, Any]:
    return {"id": item.get("id"), "position": position, "seq": item.get("seq"), "type": item.get("type"),
            "created_date": item.get("created_date")}


def messages(item: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    data = item.get("data") if isinstance(item.get("data"), dict) else {}
    position = 0
    for channel, key in (("sms", "phone"), ("email", "email")):
        for message in data.get(channel) or []:
            if not isinstance(message, dict):
                continue
            sender = _actor(message.get("from"), key)
            row = _base(item, position)
            row.update({"channel": channel, "direction": message.get("direction"), "date": message.get("date"),
                        "from": sender["address"], "from_entity_type": sender["entity_type"],
                        "from_entity_id": sender["entity_id"],
                        "to": [a["address"] for a in _actors(message.get("to"), key)],
                        "to_entities": [{"type": a["entity_type"], "id": a["entity_id"]}
                                        for a in _actors(message.get("to"), key)],
                        "subject": message.get("subject"), "body": message.get("body"),
                        "is_broadcast": message.get("is_broadcast")})
            position += 1
            yield row


def field_changes(item: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    data = item.get("data") if isinstance(item.get("data"), dict) else {}
    entity = data.get("entity") if isinstance(data.get("entity"), dict) else {}
    for position, change in enumerate(data.get("fields") or []):
        if not isinstance(change, dict):
            continue
        value = change.get("value")
        row = _base(item, position)
        row.update({"entity_type": entity.get("type") or data.get("entity_type"),
                    "entity_id": None if entity.get("id") is None else str(entity.get("id")),
                    "name": change.get("name"),
                    "value": value if isinstance(value, str) or value is None else json.dumps(value)})
        yield row


def survey_responses(item: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    data = item.get("data") if isinstance(item.get("data"), dict) else {}
    candidate = next((e for e in item.get("entities") or [] if e.get("type") == "AE_CANDIDATE"), {})
    for position, answer in enumerate(data.get("survey_responses") or []):
        if not isinstance(answer, dict):
            continue
        row = _base(item, position)
        row.update({"question": answer.get("question"), "response": answer.get("response"),
                    "candidate_id": candidate.get("id")})
        yield row


FLATTEN = {"messages": messages, "field_changes": field_changes, "survey_responses": survey_responses}


@dataclass
class WriteBackRowExtractor(RecordExtractor):
    """The rows of stream ``rows`` (one of ``ROWS``) from a ``GET /writebacks`` page."""

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    rows: str = "writebacks"

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        if self.rows not in ROWS:
            raise ValueError(f"rows must be one of {', '.join(ROWS)}")

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        items = response.json().get("writebacks") or []
        for item in items:
            if self.rows == "writebacks":
                yield dict(item)
            else:
                yield from (dict(row) for row in FLATTEN[self.rows](item))
