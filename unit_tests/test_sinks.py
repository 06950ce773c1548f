"""Side streams (possible values, resume uploads) in the order of the sync, under batches that fill
across states: the real pipeline, writer and scheduler in dry run, with a sender that records the
order of what it handles and answers the uploads of ``refused`` resume ids as Sense answers an
unknown candidate (404)."""
import io

import orjson
import pytest

from destination_sense.catalog import routes_from_catalog
from destination_sense.config import SenseConfig
from destination_sense.ledger import SyncLedger
from destination_sense.output import ProtocolOutput
from destination_sense.records.pipeline import RecordPipeline
from destination_sense.schedule.scheduler import EntityScheduler, StateMarker
from destination_sense.send.sender import Sender
from destination_sense.sinks import build_sinks, split_catalog
from destination_sense.sinks.possible_values import PossibleValuesPut
from destination_sense.sinks.resumes import ResumeUploads
from destination_sense.writer import Writer

SIDE_CATALOG = {"streams": [{"stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                             "sync_mode": "full_refresh", "destination_sync_mode": "append"}
                            for name in ("candidates", "resumes", "possible_values")]}


def _record(data: str, stream: str = "candidates") -> bytes:
    return ('{"type":"RECORD","record":{"stream":"' + stream + '","data":' + data + ',"emitted_at":1}}').encode()


def _counts(state):
    stats = state["destinationStats"]
    return int(stats["recordCount"]), int(stats["rejectedRecordCount"])


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
    events = []
    buffer = io.BytesIO()
    output = ProtocolOutput(buffer)
    config = SenseConfig.from_mapping({"client_id": "id", "client_secret": "secret-xyz", "dry_run": True, **options})
    table = config.mapping_table()
    catalog, side_routes = split_catalog(SIDE_CATALOG, config.source_preset, table, config.epoch_unit)
    routes = routes_from_catalog(catalog, table)
    ledger = SyncLedger(config.on_invalid_record, output.warn)
    for key, route in routes.items():
        ledger.open_stream(key, route.entity.collection)

    class RecordingSender(Sender):
        def handle(self, item):
            if isinstance(item, ResumeUploads):
                for upload in item.uploads:
                    events.append(("upload", upload.resume_id))
                    if upload.resume_id in refused:
                        ledger.reject(upload.stream, upload.position, upload.record_id, [(None, "Sense knows no candidate (404)")])
                    else:
                        item.accepted(upload)
                return
            if isinstance(item, PossibleValuesPut):
                events.append(("put", item.field_name))
            elif isinstance(item, StateMarker):
                scoped = item.state.get("stream") or {}
                events.append(("state", (scoped.get("stream_state") or item.state.get("global", {}).get("shared_state"))["cursor"]))
            super().handle(item)

    sinks = build_sinks(side_routes, ledger, output.info, output.warn)
    sender = RecordingSender(None, output, ledger, config.max_batch_bytes, dry_run=True)
    scheduler = EntityScheduler(sender, ledger, max_records=config.batch_size, max_bytes=config.max_batch_bytes, sinks=sinks)
    pipeline = RecordPipeline(routes, side_routes.streams, max_batch_bytes=config.max_batch_bytes)
    with sender, scheduler:
        Writer(pipeline, ledger, scheduler, output, config.on_unreadable_line).run(iter(lines))
    states = [orjson.loads(line)["state"] for line in buffer.getvalue().splitlines() if orjson.loads(line)["type"] == "STATE"]
    return events, states


def test_a_state_after_resume_records_is_echoed_only_after_their_uploads():
    # batches fill across states (state_delay_seconds > 0): the uploads the sink holds must still go first
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
