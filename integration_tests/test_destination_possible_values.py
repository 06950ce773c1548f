"""destination-sense possible values, through the real console script into the Sense emulator."""
from __future__ import annotations

import pytest
import requests

from sense_testing.destination_harness import catalog, config_for, configured_stream, record, run_write, stream_state

pytestmark = [pytest.mark.timeout(240)]


def _stored(sense, collection, field):
    response = requests.get(f"{sense.api_url}/{collection}/possible-values/{field}", headers=sense.auth_headers(), timeout=10)
    assert response.status_code == 200, response.text
    values = response.json()["data"]["values"]
    return None if values is None else [{"label": v["label"], "value": v["value"]} for v in values]


def _value_requests(sense):
    return [(r["method"], r["path"]) for r in sense.admin.requests()
            if r["operation"] in ("possible_values_put", "possible_values_get", "upsert")]


def _pv(entity, field, *pairs):
    return record("possible_values", {"entity": entity, "field_name": field, "values": [{"label": l, "value": v} for l, v in pairs]})


def test_values_of_one_field_are_merged_into_one_put_before_the_entity_records(sense_emulator, tmp_path):
    messages = [
        _pv("candidates", "status", ("New", "new"), ("Active", "active")),
        _pv("JobOrder", "employment_type", ("Contract", "contract"), ("Permanent", 2)),
        _pv("Candidate", "status", ("Active (renamed)", "active"), ("Placed", "placed")),
        record("candidates", {"id": 1, "first_name": "A", "status": "active"}),
        stream_state("possible_values", 1),
        stream_state("candidates", 1),
    ]
    result = run_write(tmp_path, config_for(sense_emulator), catalog("possible_values", "candidates"), messages)
    assert result.returncode == 0, result.stderr + "\n".join(result.logs[-10:])
    assert _stored(sense_emulator, "candidates", "status") == [
        {"label": "New", "value": "new"}, {"label": "Active (renamed)", "value": "active"}, {"label": "Placed", "value": "placed"},
    ]
    assert _stored(sense_emulator, "job-orders", "employment_type") == [
        {"label": "Contract", "value": "contract"}, {"label": "Permanent", "value": 2},
    ]
    calls = _value_requests(sense_emulator)
    puts = [c for c in calls if c[0] == "PUT"]
    assert sorted(puts) == [("PUT", "/v1/candidates/possible-values/status"), ("PUT", "/v1/job-orders/possible-values/employment_type")]
    assert calls.index(("PUT", "/v1/candidates/possible-values/status")) < calls.index(("POST", "/v1/candidates"))
    stats = [s["destinationStats"] for s in result.states]
    assert stats[0] == {"recordCount": 3.0, "rejectedRecordCount": 0.0}

    # the same lists again: read, found unchanged, not sent
    again = tmp_path / "again"
    again.mkdir()
    result = run_write(again, config_for(sense_emulator), catalog("possible_values", "candidates"), messages)
    assert result.returncode == 0
    assert [c for c in _value_requests(sense_emulator)[len(calls):] if c[0] == "PUT"] == []
    assert any("unchanged" in line for line in result.logs)


def test_bad_records_are_rejected_with_a_reason_and_the_rest_goes_on(sense_emulator, tmp_path):
    messages = [
        _pv("shoes", "size", ("Big", "big")),
        _pv("candidates", "shoe_size", ("Big", "big")),
        _pv("candidates", "status", ("", "blank")),
        record("possible_values", {"entity": "candidates", "field_name": "source", "values": [{"label": "Nested", "value": {"a": 1}}]}),
        record("possible_values", {"entity": "candidates", "field_name": "source", "values": "LinkedIn"}),
        _pv("candidates", "source", ("LinkedIn", "linkedin")),
        stream_state("possible_values", 1),
    ]
    result = run_write(tmp_path, config_for(sense_emulator), catalog("possible_values"), messages)
    assert result.returncode == 0, result.stderr
    assert result.states[0]["destinationStats"] == {"recordCount": 1.0, "rejectedRecordCount": 5.0}
    text = "\n".join(result.logs)
    assert "record #1 (id 'shoes.size'): entity 'shoes' is not a Sense entity" in text
    assert "record #2 (id 'candidates.shoe_size'): field 'shoe_size' is not a field of Sense Candidate" in text
    assert "record #3 (id 'candidates.status'): field 'values' item 0 has an empty or missing label" in text
    assert "record #4" in text and "not a string, number or boolean" in text
    assert "record #5" in text and "must be an array" in text
    assert _stored(sense_emulator, "candidates", "source") == [{"label": "LinkedIn", "value": "linkedin"}]
    assert _stored(sense_emulator, "candidates", "status") is None


def test_destination_object_name_routes_any_stream_to_possible_values(sense_emulator, tmp_path):
    stream = configured_stream("dropdowns", destination_object_name="possible_values", destination_sync_mode="append")
    messages = [record("dropdowns", {"entity": "placements", "field_name": "status", "values": [{"label": "Active", "value": True}]})]
    result = run_write(tmp_path, config_for(sense_emulator), catalog(stream), messages)
    assert result.returncode == 0, result.stderr
    assert _stored(sense_emulator, "placements", "status") == [{"label": "Active", "value": True}]


def test_a_failing_put_is_retried_as_batches_are(sense_emulator, tmp_path):
    messages = [_pv("candidates", "status", ("A", "a")), stream_state("possible_values", 1)]
    sense_emulator.admin.faults(server_error={"count": 2, "status": 503})
    result = run_write(tmp_path, config_for(sense_emulator), catalog("possible_values"), messages)
    assert result.returncode == 0, result.stderr
    assert any("retry" in line for line in result.logs)  # 503 retried as for batches
    assert _stored(sense_emulator, "candidates", "status") == [{"label": "A", "value": "a"}]
