"""The reading loop (``destination_sense.writer``): every input line is processed, counted as a
rejected record, or fails the sync.

Most of these run ``write_lines`` in dry-run mode (the whole pipeline, nothing sent); the same classes
are proven through the console script against the emulator in
integration_tests/test_destination_input.py. The last ones run the writer alone, with a fake scheduler.
"""
import io

import orjson
import pytest

from destination_sense.output import ProtocolOutput
from destination_sense.sync import write_lines

CATALOG = {"streams": [{"stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                        "sync_mode": "full_refresh", "destination_sync_mode": "append"} for name in ("candidates", "leads")]}
STATE = b'{"type":"STATE","state":{"type":"GLOBAL","global":{"shared_state":{"c":1}}}}'


def _record(data: str, stream: str = "candidates") -> bytes:
    return ('{"type":"RECORD","record":{"stream":"' + stream + '","data":' + data + ',"emitted_at":1}}').encode()


def _run(lines, **options):
    buffer = io.BytesIO()
    config = {"client_id": "id", "client_secret": "secret-xyz", "dry_run": True, **options}
    code = write_lines(config, CATALOG, iter(lines), ProtocolOutput(buffer))
    messages = [orjson.loads(line) for line in buffer.getvalue().splitlines()]
    states = [m["state"] for m in messages if m["type"] == "STATE"]
    logs = [m["log"]["message"] for m in messages if m["type"] == "LOG"]
    errors = [m["trace"]["error"] for m in messages if m["type"] == "TRACE"]
    return code, states, logs, errors


def _counts(state):
    stats = state["destinationStats"]
    return int(stats["recordCount"]), int(stats["rejectedRecordCount"])


@pytest.mark.parametrize(
    "data,field",
    [('{"id":2,"custom_float1":NaN}', "custom_float1"), ('{"id":2,"custom_float1":Infinity}', "custom_float1"),
     ('{"id":2,"custom_float1":1e400}', "custom_float1"), ('{"id":2,"first_name":"\\udc00x"}', "first_name")],
)
def test_a_value_orjson_refuses_rejects_its_record_naming_the_field(data, field):
    code, states, logs, _ = _run([_record('{"id":1}'), _record(data), _record('{"id":3}'), STATE])
    assert code == 0
    assert _counts(states[0]) == (2, 1), "recordCount + rejectedRecordCount = the 3 records sent"
    assert any("record #2" in line and f"field '{field}'" in line for line in logs), logs


def test_non_finite_numbers_can_be_sent_as_null():
    code, states, _, _ = _run([_record('{"id":1,"custom_float1":NaN}'), STATE], non_finite_numbers="null")
    assert code == 0 and _counts(states[0]) == (1, 0)


def test_invalid_utf8_and_a_bom_are_read():
    lines = [_record('{"id":1,"first_name":"ab"}').replace(b"ab", b"a\xffb"), b"\xef\xbb\xbf" + _record('{"id":2}'), STATE]
    code, states, logs, _ = _run(lines)
    assert code == 0 and _counts(states[0]) == (1, 1)
    assert any("record #1" in line and "first_name" in line and "Unicode" in line for line in logs)


def test_under_fail_a_record_orjson_refuses_fails_the_sync():
    code, states, _, errors = _run([_record('{"id":1,"custom_float1":NaN}'), STATE], on_invalid_record="fail")
    assert code == 1 and states == []
    assert errors[0]["failure_type"] == "config_error" and "custom_float1" in errors[0]["message"]


def test_a_record_nested_deeper_than_the_parser_is_a_rejected_record_of_its_stream():
    deep = _record('{"id":9,"x":' + "[" * 3000 + "]" * 3000 + "}", stream="leads")
    code, states, logs, _ = _run([_record('{"id":1}', stream="leads"), deep, STATE])
    assert code == 0 and _counts(states[0]) == (1, 1)
    assert any("input line 2" in line and "nested deeper" in line for line in logs)


@pytest.mark.parametrize(
    "line,what",
    [
        (b"this is not json", "not JSON"),
        (b'{"type":"RECORD","record":"candidates"}', "'record' that is a string, not an object"),
        (b'{"type":"RECORD","record":[1]}', "'record' that is an array"),
        (b'{"type":"RECORD","record":{"stream":{"name":"candidates"},"data":{"id":1}}}', "'stream' is an object"),
        (b'{"type":"RECORD","record":{"stream":"candidates","namespace":["a"],"data":{"id":1}}}', "'namespace' is an array"),
        (b'{"type":"STATE","state":"cursor"}', "'state' that is a string"),
        (b'{"type":"STATE","state":{"stream":{"stream_descriptor":{"name":"candidates"}}}}', "without 'type'"),
        (b'{"type":"STATE","state":{"type":"STREAM","stream":{}}}', "without stream.stream_descriptor.name"),
        (b'{"type":"STATE"}', "'state' that is null"),
        (b'{"type":"NEWS"}', "unknown type 'NEWS'"),
        (b"[1,2]", "(it is an array, not a JSON object)"),
        (b"42", "(it is a number, not a JSON object)"),
        (b'"text"', "(it is a string, not a JSON object)"),
        (b"null", "(it is null, not a JSON object)"),
        (b'{"type":["RECORD"]}', "unknown type ['RECORD']"),
        (b'{"type":{"RECORD":1}}', "unknown type {'RECORD': 1}"),
        (b'{"type":null,"record":{}}', "unknown type None"),
    ],
)
def test_a_line_that_is_no_usable_message_fails_by_default_naming_the_line(line, what):
    code, states, _, errors = _run([_record('{"id":1}'), line, _record('{"id":2}'), STATE])
    assert code == 1 and states == []
    assert errors[0]["failure_type"] == "system_error"
    assert "Input line 2" in errors[0]["message"] and what in errors[0]["message"], errors[0]["message"]
    assert "AttributeError" not in errors[0]["message"] and "TypeError" not in errors[0]["message"]


def test_with_skip_unreadable_lines_are_counted_summarised_and_the_counts_stay_right():
    lines = [_record('{"id":1}'), b"garbage", b'{"type":"RECORD","record":"x"}', _record('{"id":2}'), b"", STATE]
    code, states, logs, _ = _run(lines, on_unreadable_line="skip")
    assert code == 0 and _counts(states[0]) == (2, 0)
    assert any("2 input line(s)" in line and "line(s) 2, 3" in line for line in logs), logs


def test_a_malformed_state_is_not_echoed_and_the_next_state_counts_everything_since_the_last_one():
    lines = [_record('{"id":1}'), b'{"type":"STATE","state":"x"}', _record('{"id":2}'), STATE]
    code, states, _, _ = _run(lines, on_unreadable_line="skip")
    assert code == 0 and len(states) == 1 and _counts(states[0]) == (2, 0)


def test_a_legacy_state_without_type_is_accepted():
    code, states, _, _ = _run([_record('{"id":1}'), b'{"type":"STATE","state":{"data":{"c":1}}}'])
    assert code == 0 and states[0]["data"] == {"c": 1} and _counts(states[0]) == (1, 0)


def test_an_integer_beyond_64_bits_in_a_number_field_rejects_the_record():
    code, states, logs, _ = _run([_record('{"id":1,"custom_float1":123456789012345678901234567891}'), STATE])
    assert code == 0 and _counts(states[0]) == (0, 1)
    assert any("custom_float1" in line and "64-bit" in line for line in logs)


def test_blank_ids_are_no_ids():
    code, states, logs, _ = _run([_record('{"id":"   "}'), _record('{"id":""}'), STATE])
    assert _counts(states[0]) == (0, 2)
    assert sum("field 'id'" in line for line in logs) == 2


def test_unknown_field_warnings_are_bounded_per_stream_and_summarised():
    data = "{" + ",".join(f'"unknown_{i}":{i}' for i in range(5000)) + ',"id":1}'
    code, states, logs, _ = _run([_record(data), STATE])
    assert code == 0
    assert sum("is not a field of Sense" in line for line in logs) == 20
    assert any("5,000 fields that Sense does not define" in line for line in logs)


def test_epoch_unit_comes_from_the_config_or_the_preset():
    lines = [_record('{"id":1,"date_added":31536000000}'), STATE]
    assert _counts(_run(lines)[1][0]) == (0, 1), "no preset, no epoch_unit: numbers are not dates"
    assert _counts(_run(lines, epoch_unit="milliseconds")[1][0]) == (1, 0)


def test_a_state_after_every_record_does_not_mean_a_request_per_record():
    lines = []
    for i in range(300):
        lines += [_record('{"id":%d}' % i), b'{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"candidates"},"stream_state":{"c":%d}}}}' % i]
    code, states, logs, _ = _run(lines)
    assert code == 0 and len(states) == 300
    assert all(_counts(state) == (1, 0) for state in states)
    assert [s["stream"]["stream_state"]["c"] for s in states] == list(range(300)), "states are echoed in order"
    total = next(line for line in logs if line.startswith("total:"))
    assert " 1 requests" in total, total


def test_state_delay_zero_flushes_at_every_state():
    lines = []
    for i in range(3):
        lines += [_record('{"id":%d}' % i), STATE]
    code, states, logs, _ = _run(lines, state_delay_seconds=0)
    total = next(line for line in logs if line.startswith("total:"))
    assert code == 0 and " 3 requests" in total, total


# ---------------------------------------------------------------- the writer alone, with a fake scheduler
from destination_sense.catalog import routes_from_catalog  # noqa: E402
from destination_sense.config import SenseConfig  # noqa: E402
from destination_sense.errors import InvalidRecordError  # noqa: E402
from destination_sense.ledger import SyncLedger  # noqa: E402
from destination_sense.records.item import Item  # noqa: E402
from destination_sense.records.pipeline import RecordPipeline  # noqa: E402
from destination_sense.schedule.scheduler import END, TICK, StateMarker  # noqa: E402
from destination_sense.writer import Writer  # noqa: E402


class _Scheduler:
    """Stands in for the scheduler: keeps what it is handed, in order."""

    def __init__(self, fail_on=None):
        self.items = []
        self.fail_on = fail_on

    def submit(self, chunk):
        if self.fail_on is not None and any(isinstance(item, self.fail_on) for item in chunk):
            raise RuntimeError("the scheduler failed")
        self.items.extend(item for item in chunk if item is not TICK)


def _writer(catalog=CATALOG, policy="skip", scheduler=None, **options):
    config = SenseConfig.from_mapping({"client_id": "id", "client_secret": "s", "dry_run": True, "on_invalid_record": policy, **options})
    routes = routes_from_catalog(catalog, config.mapping_table())
    warnings = []
    ledger = SyncLedger(policy, warnings.append)
    for key, route in routes.items():
        ledger.open_stream(key, route.entity.collection)
    pipeline = RecordPipeline(routes, max_batch_bytes=config.max_batch_bytes, warn=warnings.append)
    scheduler = scheduler or _Scheduler()
    writer = Writer(pipeline, ledger, scheduler, ProtocolOutput(io.BytesIO()), config.on_unreadable_line)
    return writer, scheduler, ledger, warnings


def test_the_writer_passes_records_and_states_on_in_input_order_then_the_end():
    writer, scheduler, _, _ = _writer()
    writer.run(iter([_record('{"id":9}', "leads"), _record('{"id":1}'), STATE, _record('{"id":2}')]))
    kinds = [type(item).__name__ if item is not END else "END" for item in scheduler.items]
    assert kinds == ["Item", "Item", "StateMarker", "Item", "END"]
    assert [(i.collection, i.entity_id, i.position) for i in scheduler.items if isinstance(i, Item)] == [
        ("leads", "9", 1), ("candidates", "1", 1), ("candidates", "2", 2)]
    marker = scheduler.items[2]
    assert marker.scope is None and marker.positions == {(None, "candidates"): 1, (None, "leads"): 1}


def test_a_rejected_record_is_not_passed_on_and_counts_in_the_window_of_the_next_state():
    writer, scheduler, ledger, warnings = _writer()
    writer.run(iter([_record('{"id":1}'), _record('{"id":2,"custom_date1":"not a date"}'), _record('{"id":3}'), STATE]))
    assert [i.entity_id for i in scheduler.items if isinstance(i, Item)] == ["1", "3"]
    marker = next(item for item in scheduler.items if isinstance(item, StateMarker))
    assert ledger.close_window(marker.scope, marker.positions) == (3, 1)
    assert ledger["candidates"].rejected == 1
    assert any("record #2" in w and "id '2'" in w for w in warnings), warnings


def test_with_on_invalid_record_fail_the_first_rejection_stops_the_writer():
    writer, scheduler, _, _ = _writer(policy="fail")
    with pytest.raises(InvalidRecordError, match="record #2"):
        writer.run(iter([_record('{"id":1}'), _record('{"id":2,"custom_date1":"not a date"}'), _record('{"id":3}')]))
    assert [i.entity_id for i in scheduler.items if isinstance(i, Item)] == ["1"], "what was read before the failure is still passed on"
    assert scheduler.items[-1] is END


def test_a_failing_scheduler_fails_the_writer_with_its_error():
    writer, _, _, _ = _writer(scheduler=_Scheduler(fail_on=StateMarker))
    with pytest.raises(RuntimeError, match="scheduler failed"):
        writer.run(iter([_record('{"id":1}'), STATE, _record('{"id":2}')] * 2000))
