"""Change events end to end: bullhorn-emulator → source-ats (change-event mode) → destination-sense → sense-emulator.

After a first sync (which subscribes and reads the whole window), every entity gets an insert, an update,
a hard delete and, where Bullhorn has `isDeleted`, a soft delete; one change-event sync later Sense holds
the new and updated records and has every deleted one flagged `is_deleted`.
"""
from __future__ import annotations

import json

import pytest
import requests

from destination_sense.mapping import build_mappings
from sense_demo.pipe import run_sync
from sense_testing.fixtures_bullhorn import STREAM_ENTITY, STREAM_ORDER, configured_catalog, start_bullhorn_emulator

SOFT_DELETABLE = {"CorporateUser", "ClientContact", "Candidate", "JobOrder", "JobSubmission", "Lead",
                  "CandidateCertification", "Appointment"}


def _ids(bullhorn, entity):
    answer = requests.get(f"{bullhorn.base_url}/_admin/records", params={"entity": entity}, timeout=30)
    return [r["id"] for r in answer.json()["records"]]


@pytest.fixture(scope="module")
def chain(tmp_path_factory, sense_emulator_server):
    sense = sense_emulator_server
    sense.admin.reset()
    bullhorn = start_bullhorn_emulator("--seed", "5", "--scale", "0.05", "--corporate-users", "5", "--client-corporations", "5")
    workdir = tmp_path_factory.mktemp("change-events")
    try:
        source_config = workdir / "source.json"
        source_config.write_text(json.dumps(bullhorn.config(
            num_workers=2, replication_method={"method": "change_events", "subscription_id": "chain"})))
        destination_config = workdir / "destination.json"
        destination_config.write_text(json.dumps({"client_id": sense.client_id, "client_secret": sense.client_secret,
                                                  "api_url": sense.api_url, "token_url": sense.token_url,
                                                  "source_preset": "bullhorn"}))
        first = run_sync(workdir / "first", source_config, destination_config, configured_catalog())
        assert first.ok, (first.source_errors, first.destination_errors)
        changes = {}
        for entity in STREAM_ENTITY.values():
            ids = _ids(bullhorn, entity)
            inserted = bullhorn.admin("insert", {"entity": entity, "count": 1})["ids"][0]
            bullhorn.admin("touch", {"entity": entity, "ids": [ids[0]]})
            bullhorn.admin("delete", {"entity": entity, "ids": [ids[1]], "hard": True})
            soft = None
            if entity in SOFT_DELETABLE:
                soft = ids[2]
                bullhorn.admin("delete", {"entity": entity, "ids": [soft]})
            changes[entity] = {"inserted": inserted, "updated": ids[0], "hard": ids[1], "soft": soft}
        bullhorn.admin("reset-stats")
        second = run_sync(workdir / "second", source_config, destination_config, configured_catalog(),
                          state=first.next_state())
        yield first, second, changes, sense, bullhorn.stats()
    finally:
        bullhorn.stop()


def test_inserts_updates_and_deletes_of_every_entity_reach_sense(chain):
    _, second, changes, sense, _ = chain
    assert second.ok, (second.source_errors, second.destination_errors)
    mappings = build_mappings("bullhorn")
    for stream in STREAM_ORDER:
        entity = STREAM_ENTITY[stream]
        change = changes[entity]
        stored = sense.admin.entities_by_id(mappings[stream].collection)
        assert str(change["inserted"]) in stored, (stream, "insert")
        updated = stored[str(change["updated"])]
        assert "touched" in (updated.get("custom_text1") or updated.get("subject") or ""), (stream, updated)
        assert stored[str(change["hard"])]["is_deleted"] is True, (stream, "hard delete")
        if change["soft"] is not None:
            assert stored[str(change["soft"])]["is_deleted"] is True, (stream, "soft delete")
        assert stored[str(change["inserted"])].get("is_deleted") in (None, False)
    stats = sense.admin.stats()["collections"]
    assert sum(c["rejected"] for c in stats.values()) == 0


def test_the_second_sync_reads_only_the_changes(chain):
    _, second, changes, _, calls = chain
    soft = sum(1 for c in changes.values() if c["soft"] is not None)
    # insert + update + hard delete per entity, plus the soft deletes: exactly one record each.
    assert second.records == 3 * len(changes) + soft
    # One subscription read (all events fit in one batch), one fetch per entity (the deleted ids are
    # known from their DELETED events and need no fetch): the documented formula.
    assert calls["rest_calls_by_route"] == {"event": 1, "query": len(changes)}
