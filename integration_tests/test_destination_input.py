"""End to end, through the real console script and the emulator: no input line is lost or bent.

Raw input lines (bytes) are sent as a source could write them: Python's ``json.dumps`` writes NaN
and Infinity, a file may carry a BOM or invalid UTF-8, numbers beyond 64 bits, envelopes of the
wrong shape. Every line must end as a record stored, a record rejected and counted, or a failed sync.
"""
from __future__ import annotations

import json

from sense_testing.destination_harness import catalog, config_for, global_state, record, run_write

STATE = json.dumps(global_state("end")).encode()


def _raw(data: str, stream: str = "candidates") -> bytes:
    return ('{"type":"RECORD","record":{"stream":"' + stream + '","data":' + data + ',"emitted_at":1}}').encode()


def _counts(state):
    stats = state["destinationStats"]
    return int(stats["recordCount"]), int(stats["rejectedRecordCount"])


def test_every_line_orjson_refuses_is_read_stored_or_rejected_and_counted(sense_emulator, tmp_path):
    lines = [
        _raw('{"id":"1","first_name":"Ann"}'),
        json.dumps({"type": "RECORD", "record": {"stream": "candidates", "data": {"id": "2", "custom_float1": float("nan")}}}).encode(),
        json.dumps({"type": "RECORD", "record": {"stream": "candidates", "data": {"id": "3", "custom_float1": float("inf")}}}).encode(),
        _raw('{"id":"4","custom_float1":1e400}'),
        _raw('{"id":"5","first_name":"Bo"}').replace(b"Bo", b"B\xffo"),  # invalid UTF-8
        _raw('{"id":"6","first_name":"\\ud800"}'),  # a lone surrogate
        b"\xef\xbb\xbf" + _raw('{"id":"7","first_name":"Bom"}'),  # a BOM before the line
        _raw('{"id":"8","x":' + "[" * 3000 + "]" * 3000 + "}"),  # deeper than any parser goes
        _raw('{"id":"9","custom_float1":2.5}'),
        STATE,
    ]
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates"), lines)
    assert result.returncode == 0, result.stdout[-3000:]
    (state,) = result.states
    assert _counts(state) == (3, 6), "recordCount + rejectedRecordCount = the 9 records sent"
    stored = sense_emulator.admin.entities_by_id("candidates")
    assert sorted(stored) == ["1", "7", "9"]
    logs = "\n".join(result.logs)
    for position, field in ((2, "custom_float1"), (3, "custom_float1"), (4, "custom_float1"), (5, "first_name"), (6, "first_name")):
        assert f"record #{position} (id '{position}'): field '{field}'" in logs, (position, logs[-3000:])
    assert "record #8" in logs and "input line 8 is nested deeper" in logs


def test_nan_can_be_sent_as_null_when_configured(sense_emulator, tmp_path):
    lines = [_raw('{"id":"1","custom_float1":NaN,"custom_float2":1.5}'), STATE]
    result = run_write(tmp_path, config_for(sense_emulator, non_finite_numbers="null"), catalog("candidates"), lines)
    assert result.returncode == 0 and _counts(result.states[0]) == (1, 0)
    stored = sense_emulator.admin.entities_by_id("candidates")["1"]
    assert stored.get("custom_float1") is None and stored["custom_float2"] == 1.5


def test_under_fail_a_nan_record_fails_the_sync_and_no_later_state_is_echoed(sense_emulator, tmp_path):
    lines = [_raw('{"id":"1"}'), json.dumps(global_state("before")).encode(), _raw('{"id":"2","custom_float1":NaN}'), STATE]
    result = run_write(tmp_path, config_for(sense_emulator, on_invalid_record="fail"), catalog("candidates"), lines)
    assert result.returncode != 0
    assert result.errors[0]["failure_type"] == "config_error" and "custom_float1" in result.errors[0]["message"]
    assert [s["global"]["shared_state"]["cursor"] for s in result.states] == ["before"]


def test_a_line_that_is_not_json_fails_the_sync_by_default_naming_the_line(sense_emulator, tmp_path):
    lines = [_raw('{"id":"1"}'), b"Traceback (most recent call last):", STATE]
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates"), lines)
    assert result.returncode != 0 and result.states == []
    (error,) = result.errors
    assert error["failure_type"] == "system_error" and "Input line 2 is not JSON" in error["message"]


def test_malformed_envelopes_are_counted_and_summarised_with_skip(sense_emulator, tmp_path):
    lines = [
        _raw('{"id":"1"}'),
        b'{"type":"RECORD","record":"candidates"}',
        b'{"type":"RECORD","record":["candidates"]}',
        b'{"type":"RECORD","record":{"stream":{"name":"candidates"},"data":{"id":"x"}}}',
        b'{"type":"RECORD","record":{"stream":"candidates","namespace":["n"],"data":{"id":"y"}}}',
        b'{"type":"STATE","state":"cursor=5"}',
        b'{"type":"STATE","state":{"global":{"shared_state":{}}}}',
        b"not json at all",
        b"[1, 2]", b"42", b'"text"', b"null",  # JSON, but no object
        b'{"type":["RECORD"],"record":{"stream":"candidates","data":{"id":"z"}}}',  # a type that is no string
        _raw('{"id":"2"}'),
        STATE,
    ]
    result = run_write(tmp_path, config_for(sense_emulator, on_unreadable_line="skip"), catalog("candidates"), lines)
    assert result.returncode == 0, result.stdout[-3000:]
    (state,) = result.states
    assert _counts(state) == (2, 0), "the malformed lines are not records of the stream, and the counts stay right"
    logs = "\n".join(result.logs)
    assert "12 input line(s) were not Airbyte messages" in logs and "line(s) 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13" in logs
    assert "Input line 11 is not an Airbyte message (it is a string, not a JSON object): b'\"text\"" in logs
    assert "AttributeError" not in result.stdout and "TypeError" not in result.stdout
    assert sorted(sense_emulator.admin.entities_by_id("candidates")) == ["1", "2"]


def test_json_that_is_no_object_fails_the_sync_by_default_naming_the_line_and_its_start(sense_emulator, tmp_path):
    for line, what in ((b"[1, 2]", "it is an array"), (b'{"type":{"RECORD":true}}', "of unknown type {'RECORD': True}")):
        result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates"), [_raw('{"id":"1"}'), line, STATE])
        assert result.returncode == 1 and result.states == []
        (error,) = result.errors
        assert error["failure_type"] == "system_error"
        assert error["message"].startswith(f"Input line 2 is not an Airbyte message ({what}") and repr(line)[:-1] in error["message"], error


def test_a_malformed_envelope_fails_the_sync_by_default_with_its_line_number(sense_emulator, tmp_path):
    lines = [_raw('{"id":"1"}'), b'{"type":"RECORD","record":{"stream":"candidates","namespace":[1],"data":{}}}', STATE]
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates"), lines)
    assert result.returncode != 0 and result.states == []
    assert "Input line 2" in result.errors[0]["message"] and "namespace" in result.errors[0]["message"]


def test_ids_beyond_64_bits_keep_every_digit_and_stay_two_entities(sense_emulator, tmp_path):
    lines = [
        _raw('{"id":123456789012345678901234567891,"first_name":"A"}'),
        _raw('{"id":123456789012345678901234567892,"first_name":"B"}'),
        _raw('{"id":42.0,"first_name":"C"}'),
        _raw('{"id":1.2345678901234568e+29,"first_name":"D"}'),  # a float that may have lost digits
        _raw('{"id":9007199254740993.0,"first_name":"G"}'),  # reads as 2**53: it would reach Sense as ...992
        _raw('{"id":"   ","first_name":"E"}'),  # a blank id is no id
        _raw('{"id":"7","first_name":"F","internal_user_id":99999999999999999999999}'),
        STATE,
    ]
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates"), lines)
    assert result.returncode == 0, result.stdout[-3000:]
    stored = sense_emulator.admin.entities_by_id("candidates")
    assert sorted(stored) == sorted(["123456789012345678901234567891", "123456789012345678901234567892", "42", "7"])
    assert stored["7"]["internal_user_id"] == "99999999999999999999999"
    assert _counts(result.states[0]) == (4, 3)
    assert any("record #5" in line and "9007199254740992.0, at or beyond 2**53" in line for line in result.logs), result.logs


def test_dates_use_the_configured_epoch_unit_and_iso_basic_forms(sense_emulator, tmp_path):
    messages = [
        record("candidates", {"id": "1", "date_added": 31536000000}),  # 1971-01-01 in epoch milliseconds
        record("candidates", {"id": "2", "date_added": "20200101T103000Z", "date_of_birth": "20200101"}),
        record("candidates", {"id": "3", "date_added": "2020"}),  # a bare year: rejected
        global_state(1),
    ]
    result = run_write(tmp_path, config_for(sense_emulator, epoch_unit="milliseconds"), catalog("candidates"), messages)
    assert result.returncode == 0, result.stdout[-3000:]
    stored = sense_emulator.admin.entities_by_id("candidates")
    assert stored["1"]["date_added"] == "1971-01-01T00:00:00+00:00"
    assert stored["2"]["date_added"] == "2020-01-01T10:30:00+00:00" and stored["2"]["date_of_birth"] == "2020-01-01"
    assert "3" not in stored and _counts(result.states[0]) == (2, 1)
    # without a unit (no preset, no epoch_unit) a number in a date field is rejected, never guessed
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates"), [record("candidates", {"id": "4", "date_added": 31536000000}), global_state(2)])
    assert _counts(result.states[0]) == (0, 1) and "epoch_unit" in "\n".join(result.logs)


def test_the_bullhorn_preset_reads_epoch_milliseconds(sense_emulator, tmp_path):
    messages = [record("candidates", {"id": 5, "firstName": "Old", "lastName": "Timer", "dateAdded": 31536000000}), global_state(1)]
    result = run_write(tmp_path, config_for(sense_emulator, source_preset="bullhorn"), catalog("candidates"), messages)
    assert result.returncode == 0, result.stdout[-3000:]
    assert sense_emulator.admin.entities_by_id("candidates")["5"]["date_added"] == "1971-01-01T00:00:00+00:00"


def test_unknown_field_warnings_are_bounded(sense_emulator, tmp_path):
    data = {f"unknown_{i}": i for i in range(3000)}
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates"), [record("candidates", {"id": "1", **data}), global_state(1)])
    assert result.returncode == 0
    assert sum("is not a field of Sense" in line for line in result.logs) == 20
    assert any("3,000 fields that Sense does not define were dropped" in line for line in result.logs)
    assert len(result.logs) < 60
