"""The whole chain: bullhorn-emulator → source-ats → destination-sense (preset bullhorn) → sense-emulator."""
from __future__ import annotations

import json

import pytest
import requests

from sense_api.entities import BY_COLLECTION
from destination_sense.mapping import build_mappings
from destination_sense.normalize import RecordNormalizer
from sense_testing.fixtures_bullhorn import STREAM_ENTITY, STREAM_ORDER, start_bullhorn_emulator
from sense_demo.pipe import run_sync

SAMPLES_PER_STREAM = 25


def _catalog():
    return {"streams": [{"stream": {"name": s, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                         "sync_mode": "incremental", "cursor_field": ["dateLastModified"], "destination_sync_mode": "append_dedup",
                         "primary_key": [["id"]]} for s in STREAM_ORDER]}


@pytest.fixture(scope="module")
def chain(tmp_path_factory, sense_emulator_server):
    sense = sense_emulator_server
    sense.admin.reset()
    bullhorn = start_bullhorn_emulator("--seed", "3")
    workdir = tmp_path_factory.mktemp("chain")
    try:
        source_config = workdir / "source.json"
        source_config.write_text(json.dumps(bullhorn.config(num_workers=1)))
        destination_config = workdir / "destination.json"
        destination_config.write_text(json.dumps({"client_id": sense.client_id, "client_secret": sense.client_secret,
                                                  "api_url": sense.api_url, "token_url": sense.token_url, "source_preset": "bullhorn"}))
        result = run_sync(workdir / "sync", source_config, destination_config, _catalog(), keep_samples=SAMPLES_PER_STREAM)
        truth = {s: requests.get(f"{bullhorn.base_url}/_admin/records", params={"entity": e}, timeout=30).json() for s, e in STREAM_ENTITY.items()}
        yield result, sense, truth, json.loads(source_config.read_text())
    finally:
        bullhorn.stop()


def test_every_record_arrives_in_order_without_rejections(chain):
    result, sense, truth, _ = chain
    assert result.ok, (result.source_errors, result.destination_errors, result.destination_logs[-5:])
    mappings = build_mappings("bullhorn")
    counts = sense.admin.counts()
    counts = counts.get("counts", counts)
    for stream in STREAM_ORDER:
        records = truth[stream].get("records", truth[stream].get("ids"))
        assert counts[mappings[stream].collection] == len(records), stream
    stats = sense.admin.stats()["collections"]
    assert sum(c["rejected"] for c in stats.values()) == 0
    assert sense.admin.dangling()["total"] == 0
    assert result.config_updates >= 1  # the rotated refresh token was saved for the next sync


def test_every_mapped_field_of_sample_records(chain):
    result, sense, _, _ = chain
    mappings = build_mappings("bullhorn")
    checked_fields = set()
    for stream in STREAM_ORDER:
        mapping = mappings[stream]
        normalize = RecordNormalizer(BY_COLLECTION[mapping.collection])
        stored = sense.admin.entities_by_id(mapping.collection)
        assert result.samples.get(stream), f"no sample of {stream}"
        for raw in result.samples[stream]:
            expected, problems = normalize(mapping(raw))
            assert problems == []
            actual = stored[str(raw["id"])]
            for field, value in expected.items():
                assert actual.get(field) == value, (stream, raw["id"], field)
                checked_fields.add((stream, field))
            # fields a mapping does not produce are not sent
            assert set(actual) <= set(mapping.fields) | {"is_deleted"}
    # most mapped fields were populated in some sample
    total = sum(len(mappings[s].fields) for s in STREAM_ORDER)
    assert len(checked_fields) >= total * 0.5, (len(checked_fields), total)


def test_hand_checked_values(chain):
    result, sense, _, _ = chain
    raw = result.samples["candidates"][0]
    stored = sense.admin.entities_by_id("candidates")[str(raw["id"])]
    assert stored["first_name"] == raw["firstName"] and stored["last_name"] == raw["lastName"]
    if raw.get("owner"):
        assert stored["internal_user_id"] == str(raw["owner"]["id"])
    assert stored["date_added"].startswith("20") and "T" in stored["date_added"]
    placement = result.samples["placements"][0]
    stored_placement = sense.admin.entities_by_id("placements")[str(placement["id"])]
    assert stored_placement["candidate_id"] == str(placement["candidate"]["id"])
    assert stored_placement["job_order_id"] == str(placement["jobOrder"]["id"])
