"""End to end: the real destination-sense console script against the real Sense emulator."""
from __future__ import annotations

import pytest

from sense_testing.destination_harness import (
    catalog,
    config_for,
    configured_stream,
    global_state,
    record,
    run_write,
    stream_state,
)
from integration_tests.sample_records import SAMPLES, STREAM_TO_COLLECTION

COLLECTION_ORDER = [
    "internal-users", "candidates", "client-contacts", "companies", "job-orders",
    "submissions", "placements", "leads", "certifications", "appointments",
]


def _posts(emulator):
    return [r for r in emulator.admin.requests() if r["method"] == "POST" and r.get("collection")]


@pytest.fixture
def all_entities_run(sense_emulator, tmp_path):
    """One sync of every sample, streams interleaved, states with fields the CDK does not know."""
    messages = []
    streams = list(SAMPLES)
    # interleave: the second half of the streams first, one record of each at a time
    order = streams[5:] + streams[:5]
    for i in range(2):
        for name in order:
            if i < len(SAMPLES[name]):
                messages.append(record(name, SAMPLES[name][i]))
    messages.append(stream_state("Candidate", 1, id=101, sourceStats={"recordCount": 2.0}, extra_platform_field={"k": [1, 2]}))
    messages.append(global_state("end", id=102))
    result = run_write(tmp_path, config_for(sense_emulator, epoch_unit="milliseconds"), catalog(*SAMPLES), messages)
    return sense_emulator, result


def test_all_ten_entities_are_stored_normalised(all_entities_run):
    emulator, result = all_entities_run
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for stream, records in SAMPLES.items():
        stored = emulator.admin.entities_by_id(STREAM_TO_COLLECTION[stream])
        assert sorted(stored) == sorted(str(r["id"]) for r in records), stream
    candidate = emulator.admin.entities_by_id("candidates")["10"]
    assert candidate["internal_user_id"] == "1"
    assert candidate["date_added"] == "2024-02-01T09:00:00+00:00"
    assert candidate["custom_float1"] == 2.5 and candidate["custom_boolean1"] is True
    assert candidate["custom_date1"] == "2024-02-01"
    assert candidate["skills"] == ["python", "sql"]
    assert emulator.admin.entities_by_id("candidates")["11"]["internal_user_id2"] == "2"
    assert emulator.admin.entities_by_id("appointments")["90"]["date_start"] == "2024-04-01T19:33:20+00:00"
    assert emulator.admin.entities_by_id("job-orders")["40"]["date_start"] == "2024-03-01"
    assert emulator.admin.entities_by_id("leads")["70"]["no_of_employees"] == 250


def test_posts_follow_the_entity_order_and_nothing_dangles(all_entities_run):
    emulator, result = all_entities_run
    collections = [r["collection"] for r in _posts(emulator)]
    assert collections == COLLECTION_ORDER  # one gzip POST per entity, in the published order
    assert all(r["content_encoding"] == "gzip" for r in _posts(emulator))
    dangling = emulator.admin.dangling()
    assert dangling["total"] == 0, dangling


def test_records_flushed_by_state_in_input_order_can_dangle(sense_emulator, tmp_path):
    """The emulator's dangling check sees a placement sent before its candidate (the check can fail)."""
    messages = [
        record("placements", {"id": 1, "candidate_id": 5}),
        stream_state("placements", 1),
        record("candidates", {"id": 5}),
        stream_state("candidates", 1),
    ]
    config = config_for(sense_emulator, state_delay_seconds=0)  # each state flushes, in input order
    result = run_write(tmp_path, config, catalog("placements", "candidates"), messages)
    assert result.returncode == 0
    assert [r["collection"] for r in _posts(sense_emulator)] == ["placements", "candidates"]
    assert sense_emulator.admin.dangling()["counts"]["placements"] == 1


def test_states_are_echoed_with_every_field_and_counts(all_entities_run):
    _, result = all_entities_run
    first, second = result.states
    assert first["id"] == 101 and first["extra_platform_field"] == {"k": [1, 2]}
    assert first["sourceStats"] == {"recordCount": 2.0}
    assert first["stream"]["stream_state"] == {"cursor": 1}
    assert first["destinationStats"] == {"recordCount": 2.0, "rejectedRecordCount": 0.0}
    assert second["id"] == 102
    total = sum(len(v) for v in SAMPLES.values())
    assert second["destinationStats"] == {"recordCount": float(total - 2), "rejectedRecordCount": 0.0}
    summary = "\n".join(result.logs)
    assert "token request(s)" in summary and "candidates" in summary


def test_cdc_deletes_and_meta_fields(sense_emulator, tmp_path):
    messages = [
        record("candidates", {"id": 1, "first_name": "Gone", "_ab_cdc_deleted_at": "2024-05-01T00:00:00Z", "_ab_cdc_lsn": 5,
                              "_airbyte_extracted_at": 1, "favourite_colour": "blue"}),
        record("candidates", {"id": 2, "first_name": "Here", "_ab_cdc_deleted_at": None, "favourite_colour": "red"}),
        global_state(1),
    ]
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates"), messages)
    assert result.returncode == 0, result.stdout[-2000:]
    stored = sense_emulator.admin.entities_by_id("candidates")
    assert stored["1"]["is_deleted"] is True
    assert "is_deleted" not in stored["2"]
    assert "favourite_colour" not in stored["2"] and "_ab_cdc_lsn" not in stored["1"]
    warnings = [line for line in result.logs if "favourite_colour" in line]
    assert len(warnings) == 1 and "candidates" in warnings[0]


def test_invalid_records_are_skipped_and_reported(sense_emulator, tmp_path):
    messages = [
        record("candidates", {"id": 1, "first_name": "Ok"}),
        record("candidates", {"first_name": "No id"}),
        record("candidates", {"id": 3, "date_added": "next tuesday"}),
        record("job_orders", {"id": 4, "description": "x" * 1_500_001}),
        record("candidates", {"id": 5, "first_name": "Ok too"}),
        stream_state("candidates", "c"),
        stream_state("job_orders", "j"),
    ]
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates", "job_orders"), messages)
    assert result.returncode == 0
    assert sorted(sense_emulator.admin.entities_by_id("candidates")) == ["1", "5"]
    assert sense_emulator.admin.entities_by_id("job-orders") == {}
    text = "\n".join(result.logs)
    assert "stream 'candidates' record #2" in text and "field 'id' is required" in text
    assert "record #3 (id '3')" in text and "'date_added'" in text and "next tuesday" in text
    assert "stream 'job_orders' record #1 (id '4')" in text and "1,500,000" in text
    cand_state, job_state = result.states
    assert cand_state["destinationStats"] == {"recordCount": 2.0, "rejectedRecordCount": 2.0}
    assert job_state["destinationStats"] == {"recordCount": 0.0, "rejectedRecordCount": 1.0}


def test_fail_mode_stops_with_a_config_error_and_no_later_state(sense_emulator, tmp_path):
    messages = [
        record("candidates", {"id": 1}),
        stream_state("candidates", "before"),
        record("candidates", {"id": 2, "custom_integer1": "many"}),
        stream_state("candidates", "after"),
    ]
    result = run_write(tmp_path, config_for(sense_emulator, on_invalid_record="fail"), catalog("candidates"), messages)
    assert result.returncode != 0
    (error,) = result.errors
    assert error["failure_type"] == "config_error"
    assert "record #2" in error["message"] and "custom_integer1" in error["message"]
    assert [s["stream"]["stream_state"]["cursor"] for s in result.states] == ["before"]
    assert sorted(sense_emulator.admin.entities_by_id("candidates")) == ["1"]


def test_unmapped_stream_fails_at_start(sense_emulator, tmp_path):
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates", "notes"), [record("candidates", {"id": 1})])
    assert result.returncode != 0
    (error,) = result.errors
    assert error["failure_type"] == "config_error"
    assert "'notes'" in error["message"] and "internal-users" in error["message"]
    assert _posts(sense_emulator) == []


def test_destination_object_name_and_namespaces(sense_emulator, tmp_path):
    messages = [
        record("people", {"id": "u1", "first_name": "Ann"}, namespace="ats"),
        record("people", {"id": "c1", "first_name": "Cat"}, namespace="crm"),
        {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "people", "namespace": "ats"}, "stream_state": {}}}},
    ]
    cat = catalog(
        configured_stream("people", namespace="ats", destination_object_name="internal-users"),
        configured_stream("people", namespace="crm", destination_object_name="Candidate"),
    )
    result = run_write(tmp_path, config_for(sense_emulator), cat, messages)
    assert result.returncode == 0, result.stdout[-2000:]
    assert list(sense_emulator.admin.entities_by_id("internal-users")) == ["u1"]
    assert list(sense_emulator.admin.entities_by_id("candidates")) == ["c1"]
    (state,) = result.states
    assert state["destinationStats"]["recordCount"] == 1.0  # only the ats.people record


def test_duplicate_ids_in_a_batch_keep_the_last_version(sense_emulator, tmp_path):
    messages = [record("candidates", {"id": i % 3, "first_name": f"v{i}"}) for i in range(9)] + [global_state(1)]
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates"), messages)
    assert result.returncode == 0
    (post,) = _posts(sense_emulator)
    assert post["records"] == 3
    stored = sense_emulator.admin.entities_by_id("candidates")
    assert {k: v["first_name"] for k, v in stored.items()} == {"0": "v6", "1": "v7", "2": "v8"}
    assert result.states[0]["destinationStats"] == {"recordCount": 9.0, "rejectedRecordCount": 0.0}


def test_dry_run_sends_nothing(sense_emulator, tmp_path):
    messages = [record("candidates", {"id": i}) for i in range(20)] + [record("candidates", {"id": ""}), global_state(1)]
    result = run_write(tmp_path, config_for(sense_emulator, dry_run=True), catalog("candidates"), messages)
    assert result.returncode == 0
    assert _posts(sense_emulator) == []
    assert result.states[0]["destinationStats"] == {"recordCount": 20.0, "rejectedRecordCount": 1.0}
    assert any("DRY RUN" in line for line in result.logs)


def test_referenced_entities_are_sent_before_a_full_batch_that_points_to_them(sense_emulator, tmp_path):
    """Interleaved streams: a full placements batch first sends the open submissions batch it references."""
    messages = [record("submissions", {"id": f"s{i}"}) for i in range(10)]
    messages += [record("placements", {"id": f"p{i}", "submission_id": f"s{i % 10}"}) for i in range(500)]
    messages += [record("submissions", {"id": "s-late"}), global_state(1)]
    result = run_write(tmp_path, config_for(sense_emulator), catalog("submissions", "placements"), messages)
    assert result.returncode == 0, result.stdout[-2000:]
    posts = [(r["collection"], r["records"]) for r in _posts(sense_emulator)]
    assert posts == [("submissions", 10), ("placements", 500), ("submissions", 1)]
    assert sense_emulator.admin.dangling()["total"] == 0
