"""source-sense-writebacks read end to end: the real console script against a running receiver."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from integration_tests.writeback_source_data import READ_TOKEN, sample_pool, seeded_receiver
from sense_emulator.writebacks.seed import Seeder

SCRIPT = str(Path(sys.executable).parent / "source-sense-writebacks")
STREAMS = ("writebacks", "messages", "field_changes", "survey_responses")


def _run(tmp_path, *args):
    out = subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=120)
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")], out


def _catalog(tmp_path):
    streams = [{"stream": {"name": n, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                "sync_mode": "incremental", "cursor_field": ["seq"], "destination_sync_mode": "append_dedup",
                "primary_key": [["id"]] if n == "writebacks" else [["id"], ["position"]]} for n in STREAMS]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"streams": streams}))
    return str(path)


@pytest.fixture
def receiver(tmp_path):
    with seeded_receiver(tmp_path / "wb.db", count=30) as pair:
        yield pair


def _records(messages):
    rows = {n: [] for n in STREAMS}
    for m in messages:
        if m["type"] == "RECORD":
            rows[m["record"]["stream"]].append(m["record"]["data"])
    return rows


def test_every_stream_flattens_what_sense_sent_and_resumes_from_state(receiver, tmp_path):
    proc, docs = receiver
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"receiver_url": proc.base_url, "read_token": READ_TOKEN, "page_size": 7}))
    messages, out = _run(tmp_path, "read", "--config", str(config), "--catalog", _catalog(tmp_path))
    rows = _records(messages)
    assert sorted(r["id"] for r in rows["writebacks"]) == sorted(d["id"] for d in docs)
    expected_messages = [(d["id"], m["body"]) for d in docs
                         if d["type"].startswith(("ENGAGE_", "MESSAGING_")) for c in ("sms", "email")
                         for m in d["data"].get(c, [])]
    assert sorted((r["id"], r["body"]) for r in rows["messages"]) == sorted(expected_messages)
    expected_fields = [(d["id"], f["name"], f["value"]) for d in docs if d["type"] in ("ENTITY_CREATE", "ENTITY_UPDATE")
                       for f in d["data"]["fields"]]
    assert sorted((r["id"], r["name"], r["value"]) for r in rows["field_changes"]) == sorted(expected_fields)
    expected_answers = [(d["id"], a["question"], a["response"]) for d in docs
                        for a in d["data"].get("survey_responses", [])]
    assert sorted((r["id"], r["question"], r["response"]) for r in rows["survey_responses"]) == sorted(expected_answers)
    incoming = next(r for r in rows["messages"] if r["direction"] == "incoming" and r["channel"] == "sms")
    assert incoming["from_entity_type"] == "AE_CANDIDATE" and incoming["to_entities"][0]["type"] == "AE_INTERNAL_USER"
    assert READ_TOKEN not in out.stdout + out.stderr
    # incremental: the last state of each stream, then three new write-backs
    states = {}
    for m in messages:
        if m["type"] == "STATE":
            states[m["state"]["stream"]["stream_descriptor"]["name"]] = m["state"]
    state = tmp_path / "state.json"
    state.write_text(json.dumps(list(states.values())))
    new = Seeder(sample_pool(), seed=11).build_many(3, types=("ENGAGE_EVENT_RESPONSE",))
    for doc in new:
        assert proc.post(doc).status_code == 200
    messages, _ = _run(tmp_path, "read", "--config", str(config), "--catalog", _catalog(tmp_path), "--state", str(state))
    rows = _records(messages)
    assert sorted(r["id"] for r in rows["writebacks"]) == sorted(d["id"] for d in new)
    assert {r["id"] for r in rows["messages"]} == {d["id"] for d in new}
    assert len(rows["survey_responses"]) == sum(len(d["data"]["survey_responses"]) for d in new)
    assert rows["field_changes"] == []


def test_check_refuses_senses_token(receiver, tmp_path):
    proc, _ = receiver
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"receiver_url": proc.base_url, "read_token": proc.tokens[0]}))
    messages, _ = _run(tmp_path, "check", "--config", str(config))
    status = [m["connectionStatus"] for m in messages if m["type"] == "CONNECTION_STATUS"][0]
    assert status["status"] == "FAILED"


def test_spec_marks_the_read_token_secret(tmp_path):
    messages, _ = _run(tmp_path, "spec")
    spec = [m["spec"] for m in messages if m["type"] == "SPEC"][0]["connectionSpecification"]
    assert spec["properties"]["read_token"]["airbyte_secret"] is True
    assert set(spec["required"]) == {"receiver_url", "read_token"}
