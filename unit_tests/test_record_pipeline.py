"""The record pipeline alone: one line in, one outcome out, nothing remembered between lines."""
import orjson
import pytest

from destination_sense.catalog import routes_from_catalog
from destination_sense.errors import ConfigError
from destination_sense.records.item import Item
from destination_sense.records.pipeline import RecordPipeline, Rejected, SideRecord, State, Unreadable


def _catalog(*streams, mode="append"):
    return {"streams": [{"stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                         "sync_mode": "full_refresh", "destination_sync_mode": mode} for name in streams]}


def _pipeline(*streams, mode="append", side=(), max_batch_bytes=256_000):
    return RecordPipeline(routes_from_catalog(_catalog(*streams, mode=mode)), side, max_batch_bytes=max_batch_bytes)


def _line(stream, data):
    return orjson.dumps({"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 1}})


def test_a_valid_record_becomes_an_item_serialised_once_with_its_line():
    pipeline = _pipeline("candidates")
    line = _line("candidates", {"id": 7, "first_name": "Ada", "_airbyte_meta": {}})
    item = pipeline.process(line, 1)
    assert isinstance(item, Item) and not item.update
    assert (item.collection, item.entity_id, item.stream, item.line) == ("candidates", "7", (None, "candidates"), line)
    assert orjson.loads(item.data) == {"id": "7", "first_name": "Ada"}


def test_the_same_line_gives_the_same_outcome_every_time():
    pipeline = _pipeline("candidates")
    line = _line("candidates", {"id": 7, "first_name": "Ada"})
    assert pipeline.process(line, 1).data == pipeline.process(line, 2).data


def test_an_invalid_record_is_rejected_with_every_reason():
    outcome = _pipeline("candidates").process(_line("candidates", {"id": 2, "custom_date1": "not a date", "email": 5}), 1)
    assert isinstance(outcome, Rejected) and outcome.stream == (None, "candidates") and outcome.entity_id == "2"
    assert [field for field, _ in outcome.problems] == ["custom_date1"]


def test_a_reference_to_an_earlier_entity_is_named_for_the_scheduler():
    item = _pipeline("placements").process(_line("placements", {"id": 1, "candidate_id": 5, "job_order_id": 6}), 1)
    assert set(item.refs) >= {("candidates", "5"), ("job-orders", "6")}


def test_partial_updates_are_items_without_the_id_in_the_body():
    item = _pipeline("candidates", mode="update").process(_line("candidates", {"id": 1, "first_name": "A"}), 1)
    assert item.update and item.entity_id == "1" and orjson.loads(item.data) == {"first_name": "A"}


def test_a_record_larger_than_a_request_is_rejected():
    import random

    compressible = _pipeline("candidates", max_batch_bytes=2_000).process(_line("candidates", {"id": 1, "first_name": "x" * 3_000}), 1)
    assert isinstance(compressible, Item), "3,000 bytes of JSON that compress below the limit fit"

    noise = "%x" % random.Random(1).getrandbits(8 * 4_000)
    outcome = _pipeline("candidates", max_batch_bytes=2_000).process(_line("candidates", {"id": 1, "first_name": noise}), 1)
    assert isinstance(outcome, Rejected) and "more than a whole request may hold" in outcome.problems[0][1]


def test_side_records_states_unreadable_lines_and_ignored_messages():
    pipeline = _pipeline("candidates", side=((None, "resumes"),))
    side = pipeline.process(_line("resumes", {"candidate_id": 1}), 1)
    assert isinstance(side, SideRecord) and side.stream == (None, "resumes") and side.record["data"] == {"candidate_id": 1}
    state = pipeline.process(b'{"type":"STATE","state":{"type":"GLOBAL","global":{}}}', 2)
    assert isinstance(state, State) and state.state["type"] == "GLOBAL"
    assert isinstance(pipeline.process(b"not json", 3), Unreadable)
    assert pipeline.process(b'{"type":"LOG","log":{"level":"INFO","message":"x"}}', 4) is None
    assert pipeline.process(b"   ", 5) is None
    deep = b'{"type":"RECORD","record":{"stream":"candidates","data":{"x":' + b"[" * 3000 + b"]" * 3000 + b"}}}"
    rejected = pipeline.process(deep, 6)
    assert isinstance(rejected, Rejected) and rejected.problems[0][1].startswith("input line 6 ")


def test_a_record_of_a_stream_outside_the_catalog_is_a_config_error():
    with pytest.raises(ConfigError, match="'leads', which is not in the configured catalog"):
        _pipeline("candidates").process(_line("leads", {"id": 1}), 1)
