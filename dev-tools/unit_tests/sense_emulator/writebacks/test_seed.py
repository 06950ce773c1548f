"""Seeded write-backs: every type, the guide's envelope and data structures, references into the store."""
from __future__ import annotations

import re

import orjson
import pytest

from sense_emulator.writebacks.seed import ENTITY_TYPES, SAMPLE_ENTITIES, TYPES, EntityPool, MissingEntities, Seeder

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")
SENSE_ENTITY_TYPES = set(ENTITY_TYPES.values())


class FakeStore:
    """The two read methods ``EntityPool`` uses, over plain dicts (the real store is tested elsewhere)."""

    def __init__(self, entities):
        self.entities = entities

    def ids(self, collection):
        return [e["id"] for e in self.entities.get(collection, [])]

    def bodies(self, collection, ids):
        return [orjson.dumps(e) for e in self.entities.get(collection, []) if e["id"] in ids]


def _writebacks(count=60, seed=3, entities=SAMPLE_ENTITIES):
    return Seeder(EntityPool(FakeStore(entities)), seed).build_many(count)


def _entity_objects(value):
    """Every EntityObject ({id, type} with a SenseEntityType) anywhere in a structure."""
    if isinstance(value, dict):
        if set(value) == {"id", "type"} and value["type"] in SENSE_ENTITY_TYPES:
            yield value
        for item in value.values():
            yield from _entity_objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _entity_objects(item)


def _check_actor(actor):
    assert set(actor) == {"entity", "email", "phone"}
    assert actor["entity"]["type"] in SENSE_ENTITY_TYPES and "@" in actor["email"] and actor["phone"].startswith("+")


def _check_sms(sms):
    assert {"to", "from", "body", "date", "direction", "mms_urls", "is_broadcast"} <= set(sms)
    assert sms["direction"] in ("incoming", "outgoing") and isinstance(sms["is_broadcast"], bool)
    assert ISO_WITH_OFFSET.match(sms["date"]) and sms["body"]
    for actor in sms["to"] + [sms["from"]]:
        _check_actor(actor)


def _check_email(email):
    assert {"to", "from", "reply-to", "bcc", "cc", "date", "direction", "is_alert_email", "subject", "body", "mms_urls"} <= set(email)
    assert email["direction"] in ("incoming", "outgoing")
    for actor in email["to"] + [email["from"], email["reply-to"]]:
        _check_actor(actor)


def test_every_type_is_built_in_order_with_the_guide_envelope():
    writebacks = _writebacks(20)
    assert [w["type"] for w in writebacks] == list(TYPES) * 2
    assert len({w["id"] for w in writebacks}) == 20
    for w in writebacks:
        assert set(w) == {"id", "type", "version", "created_date", "data"}
        assert ISO_WITH_OFFSET.match(w["created_date"])
        expected = 1.1 if w["type"] in ("MESSAGING_INCOMING_MESSAGE", "MESSAGING_OUTGOING_MESSAGE") else 1.0
        assert w["version"] == expected


@pytest.mark.parametrize("writeback_type", TYPES)
def test_data_follows_the_guide_structure(writeback_type):
    for w in (w for w in _writebacks() if w["type"] == writeback_type):
        data = w["data"]
        for sms in data.get("sms", []):
            _check_sms(sms)
        for email in data.get("email", []):
            _check_email(email)
        if writeback_type in ("ENGAGE_SENT_EVENT", "ENGAGE_EVENT_RESPONSE"):
            assert data["sms"] and data["email"] and data["sense_meta_data"]["journey"]["name"]
            assert data["sense_meta_data"]["touchpoint"]["type"]
            assert data["sense_meta_data"]["event"]["type"] == writeback_type.lower()
        if writeback_type == "ENGAGE_EVENT_RESPONSE":
            assert all(set(r) == {"question", "response"} for r in data["survey_responses"])
        if writeback_type.startswith("MESSAGING_"):
            assert data["sms"] and data["summary"]
        if writeback_type == "MESSAGING_OUTGOING_MESSAGE":
            assert isinstance(data["is_broadcast"], bool) and data["sms"][0]["direction"] == "outgoing"
        if writeback_type == "MESSAGING_INCOMING_MESSAGE":
            assert data["sms"][0]["direction"] == "incoming"
        if writeback_type == "CHATBOT_RESPONSE_SUMMARY":
            assert data["subject"]["type"] == "AE_CANDIDATE"
            for turn in data["conversation"]:
                assert set(turn) == {"sender", "is_bot", "message", "date"}
                assert (turn["sender"] is None) == turn["is_bot"]
        if writeback_type == "ENTITY_CREATE":
            assert data["entity_type"] in SENSE_ENTITY_TYPES
            assert all(set(f) == {"name", "value"} for f in data["fields"])
        if writeback_type == "ENTITY_UPDATE":
            assert data["entity"]["type"] in SENSE_ENTITY_TYPES and data["fields"]
        if writeback_type in ("ENTITY_DELETE", "ENTITY_UPDATE"):
            assert "fields" in data or writeback_type == "ENTITY_DELETE"
        if writeback_type == "GENERIC_EVENT":
            assert data["subject"]["type"] == "AE_CANDIDATE" and data["summary"]
        assert isinstance(data["user_defined_data"], dict)
        if writeback_type != "CHATBOT_RESPONSE_SUMMARY":
            assert isinstance(data["associated_entities"], list) and isinstance(data["sense_meta_data"], dict)


def test_every_referenced_entity_is_one_the_store_holds():
    by_type = {ENTITY_TYPES[c]: {e["id"] for e in SAMPLE_ENTITIES[c]} for c in ENTITY_TYPES if c in SAMPLE_ENTITIES}
    seen = set()
    for w in _writebacks(100):
        for obj in _entity_objects(w["data"]):
            assert obj["id"] in by_type[obj["type"]], (w["type"], obj)
            seen.add(obj["type"])
    assert {"AE_CANDIDATE", "AE_INTERNAL_USER", "AE_PLACEMENT", "AE_JOB_ORDER"} <= seen


def test_only_held_entities_are_used_when_the_store_is_small():
    entities = {"candidates": [{"id": "77", "first_name": "Zed"}], "internal-users": [{"id": "u9", "email": "u9@a.example"}]}
    for w in _writebacks(30, entities=entities):
        assert {(o["type"], o["id"]) for o in _entity_objects(w["data"])} <= {("AE_CANDIDATE", "77"), ("AE_INTERNAL_USER", "u9")}


def test_content_is_reproducible_from_the_seed_but_ids_are_not():
    first, second = _writebacks(10, seed=5), _writebacks(10, seed=5)
    assert [w["data"] for w in first] == [w["data"] for w in second]
    assert not {w["id"] for w in first} & {w["id"] for w in second}


@pytest.mark.parametrize("entities, missing", [({}, "candidates"), ({"candidates": [{"id": "1"}]}, "internal-users")])
def test_a_store_without_candidates_or_users_is_refused_naming_the_collection(entities, missing):
    with pytest.raises(MissingEntities, match=missing):
        EntityPool(FakeStore(entities))


def test_soft_deleted_entities_are_not_referenced():
    entities = {"candidates": [{"id": "1", "is_deleted": True}, {"id": "2"}], "internal-users": [{"id": "u"}]}
    for w in _writebacks(20, entities=entities):
        assert "1" not in {o["id"] for o in _entity_objects(w["data"]) if o["type"] == "AE_CANDIDATE"}
