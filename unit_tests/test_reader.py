"""The reading loop: every input line is processed, counted as a rejected record, or fails the sync.

These run ``write_lines`` in dry-run mode (the whole pipeline, nothing sent); the same classes are
proven through the console script against the emulator in integration_tests/test_destination_input.py.
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


# Side streams (possible values, resume uploads) under batches that fill across states --------------

from destination_sense.catalog import routes_from_catalog  # noqa: E402
from destination_sense.config import SenseConfig  # noqa: E402
from destination_sense.delivery import Delivery  # noqa: E402
from destination_sense.possible_values import PossibleValuesPut  # noqa: E402
from destination_sense.resume_upload import STATS_KEY as RESUMES, ResumeUploads  # noqa: E402
from destination_sense.side_streams import split_catalog  # noqa: E402
from destination_sense.batcher import Batcher  # noqa: E402
from destination_sense.byte_limits import ByteLimits  # noqa: E402
from destination_sense.pipeline import StateMarker  # noqa: E402
from destination_sense.reader import Reader  # noqa: E402
from destination_sense.rejections import Rejections  # noqa: E402
from destination_sense.state_counts import DeliveryCounts  # noqa: E402
from destination_sense.sync_stats import SyncStats  # noqa: E402

SIDE_CATALOG = {"streams": [{"stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                             "sync_mode": "full_refresh", "destination_sync_mode": "append"}
                            for name in ("candidates", "resumes", "possible_values")]}


def _stream_state(name: str, cursor) -> bytes:
    return orjson.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {
        "stream_descriptor": {"name": name}, "stream_state": {"cursor": cursor}}}})


def _global_state(cursor) -> bytes:
    return orjson.dumps({"type": "STATE", "state": {"type": "GLOBAL", "global": {"shared_state": {"cursor": cursor}}}})


def _resume(candidate_id, resume_id) -> bytes:
    data = {"candidate_id": candidate_id, "resume_id": resume_id, "file_extension": "txt",
            "date_created": "2024-01-02T03:04:05Z", "file_base64": "aGVsbG8="}
    return orjson.dumps({"type": "RECORD", "record": {"stream": "resumes", "data": data, "emitted_at": 1}})


def _values(field: str) -> bytes:
    data = {"entity": "candidates", "field_name": field, "values": [{"label": "A", "value": "a"}]}
    return orjson.dumps({"type": "RECORD", "record": {"stream": "possible_values", "data": data, "emitted_at": 1}})


def _run_side(lines, refused=(), **options):
    """The reader with the real pipeline in dry run; delivery records the order of what it handles
    and answers the uploads of ``refused`` resume ids as Sense answers an unknown candidate (404)."""
    events = []
    buffer = io.BytesIO()
    output = ProtocolOutput(buffer)
    config = SenseConfig.from_mapping({"client_id": "id", "client_secret": "secret-xyz", "dry_run": True, **options})
    table = config.mapping_table()
    catalog, side_routes = split_catalog(SIDE_CATALOG, config.source_preset, table, config.epoch_unit)

    class RecordingDelivery(Delivery):
        def handle(self, item):
            if isinstance(item, ResumeUploads):
                for upload in item.uploads:
                    events.append(("upload", upload.resume_id))
                    if upload.resume_id in refused:
                        self.rejections.reject(RESUMES, upload.stream, upload.position, upload.record_id,
                                               [(None, "Sense knows no candidate (404)")], self.counts)
                    else:
                        item._accepted(self, upload)
                return
            if isinstance(item, PossibleValuesPut):
                events.append(("put", item.field_name))
            elif isinstance(item, StateMarker):
                scoped = item.state.get("stream") or {}
                events.append(("state", (scoped.get("stream_state") or item.state.get("global", {}).get("shared_state"))["cursor"]))
            super().handle(item)

    stats = SyncStats()
    rejections = Rejections(config.on_invalid_record, stats, output.warn)
    counts = DeliveryCounts()
    limits = ByteLimits(config.max_batch_bytes)
    delivery = RecordingDelivery(None, output, stats, rejections, counts, dry_run=True, limits=limits)
    batcher = Batcher(delivery, rejections, counts, config.batch_size, config.max_batch_bytes, limits=limits)
    reader = Reader(config, routes_from_catalog(catalog, table), output, batcher, stats, rejections, side_routes=side_routes)
    with delivery, batcher:
        reader.run(iter(lines))
    states = [orjson.loads(line)["state"] for line in buffer.getvalue().splitlines() if orjson.loads(line)["type"] == "STATE"]
    return events, states


def test_a_state_after_resume_records_is_echoed_only_after_their_uploads():
    # batches fill across states (state_delay_seconds > 0): the uploads the reader holds must still go first
    lines = [_record('{"id":1}'), _stream_state("candidates", "c1"), _resume(1, "F1"), _resume(1, "F2"),
             _stream_state("resumes", "after-F2"), _resume(1, "F3"), _stream_state("resumes", "after-F3")]
    events, states = _run_side(lines)
    assert events == [("state", "c1"), ("upload", "F1"), ("upload", "F2"), ("state", "after-F2"),
                      ("upload", "F3"), ("state", "after-F3")]
    assert [_counts(s) for s in states] == [(1, 0), (2, 0), (1, 0)]


def test_a_state_after_possible_values_is_echoed_only_after_their_put():
    lines = [_values("status"), _stream_state("possible_values", "v1"), _record('{"id":1}'), _stream_state("candidates", "c1")]
    events, states = _run_side(lines)
    assert events == [("put", "status"), ("state", "v1"), ("state", "c1")]
    assert [_counts(s) for s in states] == [(1, 0), (1, 0)]


@pytest.mark.parametrize("state,counts", [(_stream_state("resumes", "s"), (2, 1)), (_global_state("s"), (3, 1))], ids=["stream", "global"])
def test_an_upload_rejected_while_delivering_is_counted_in_the_state_after_it(state, counts):
    lines = [_record('{"id":1}'), _resume(1, "GOOD"), _resume(404, "ORPHAN"), _resume(1, "ALSO"), state]
    _, states = _run_side(lines, refused={"ORPHAN"})
    assert _counts(states[-1]) == counts, "recordCount + rejectedRecordCount = what the source sent"


def test_upload_rejections_go_to_the_state_after_their_record_not_an_earlier_one():
    lines = [_resume(1, "A"), _stream_state("resumes", 1), _resume(404, "B"), _stream_state("resumes", 2)]
    _, states = _run_side(lines, refused={"B"})
    assert [_counts(s) for s in states] == [(1, 0), (0, 1)]


def test_an_unreadable_line_of_a_side_stream_is_a_rejected_record_of_that_stream():
    broken = _resume(1, "X").replace(b'"resume_id":"X"', b'"resume_id":NaN-ish')
    lines = [_resume(1, "A"), broken, _stream_state("resumes", 1)]
    events, states = _run_side(lines, on_unreadable_line="skip")
    assert _counts(states[0]) == (1, 1)


def test_a_side_record_only_the_exact_parser_reads_is_rejected_while_reading():
    bad = _resume(1, "S").replace(b'"resume_id":"S"', b'"resume_id":"S","file_name":"cv\\udc00.txt"')
    events, states = _run_side([bad, _resume(1, "T"), _stream_state("resumes", 1)])
    assert events == [("upload", "T"), ("state", 1)]
    assert _counts(states[0]) == (1, 1)


# ---------------------------------------------------------------- the reader alone, with a fake batching stage
from destination_sense.errors import InvalidRecordError  # noqa: E402
from destination_sense.pipeline import Flush, Records, Updates  # noqa: E402


class _Batching:
    """Stands in for the batching stage: keeps what it is handed, in order."""

    def __init__(self, fail_on=None):
        self.items = []
        self.fail_on = fail_on

    def submit(self, item):
        if self.fail_on is not None and isinstance(item, self.fail_on):
            raise RuntimeError("the batching stage failed")
        self.items.append(item)


def _reader(catalog=CATALOG, policy="skip", **options):
    config = SenseConfig.from_mapping({"client_id": "id", "client_secret": "s", "dry_run": True, "on_invalid_record": policy, **options})
    stats = SyncStats()
    batching = _Batching()
    warnings = []
    reader = Reader(config, routes_from_catalog(catalog, config.mapping_table()), ProtocolOutput(io.BytesIO()), batching, stats,
                    Rejections(policy, stats, warnings.append))
    return reader, batching, stats, warnings


def _kinds(items):
    return [(type(item).__name__, getattr(item, "collection", None)) for item in items]


def test_the_reader_hands_over_earlier_entities_first_then_the_state():
    reader, batching, _, _ = _reader()
    reader.run(iter([_record('{"id":9}', "leads"), _record('{"id":1}'), _record('{"id":2}'), STATE]))
    kinds = _kinds(batching.items)
    assert kinds[:3] == [("Records", "candidates"), ("Records", "leads"), ("StateMarker", None)], "published order: candidates before leads"
    assert kinds[-1] == ("Flush", None) and batching.items[-1] == Flush(None), "the end flushes every entity"
    assert [item.entity_id for item in batching.items[0].items] == ["1", "2"]


def test_a_rejected_record_is_not_handed_over_and_counts_in_the_next_marker():
    reader, batching, stats, warnings = _reader()
    reader.run(iter([_record('{"id":1}'), _record('{"id":2,"custom_date1":"not a date"}'), _record('{"id":3}'), STATE]))
    records = [item for item in batching.items if isinstance(item, Records)]
    assert [i.entity_id for r in records for i in r.items] == ["1", "3"]
    marker = next(item for item in batching.items if isinstance(item, StateMarker))
    assert (marker.received, marker.rejected_while_reading) == (3, 1)
    assert stats["candidates"].received == 3 and stats["candidates"].rejected == 1
    assert any("record #2" in w and "id '2'" in w for w in warnings), warnings


def test_partial_updates_are_handed_over_as_updates_without_the_id_in_the_body():
    catalog = {"streams": [{"stream": {"name": "candidates", "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                            "sync_mode": "full_refresh", "destination_sync_mode": "update"}]}
    reader, batching, _, _ = _reader(catalog)
    reader.run(iter([_record('{"id":1,"first_name":"A"}'), STATE]))
    update = batching.items[0]
    assert isinstance(update, Updates) and update.collection == "candidates"
    assert [orjson.loads(i.data) for i in update.items] == [{"first_name": "A"}] and update.items[0].entity_id == "1"


def test_with_on_invalid_record_fail_the_first_rejection_stops_the_reader():
    reader, batching, _, _ = _reader(policy="fail")
    with pytest.raises(InvalidRecordError, match="record #2"):
        reader.run(iter([_record('{"id":1}'), _record('{"id":2,"custom_date1":"not a date"}'), _record('{"id":3}')]))
    assert [i.entity_id for r in batching.items if isinstance(r, Records) for i in r.items] == ["1"], \
        "what was read before the failure is still handed over"


def test_a_failing_stage_fails_the_reader_with_its_error():
    reader, _, _, _ = _reader()
    reader.batcher = _Batching(fail_on=StateMarker)
    with pytest.raises(RuntimeError, match="batching stage failed"):
        reader.run(iter([_record('{"id":1}'), STATE, _record('{"id":2}')]))
