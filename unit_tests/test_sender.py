"""The sender alone: batches against answers the emulator never gives (it validates exactly as we do):
a 400 naming some records, and a 400 naming none. Request-level fake server (pytest-httpserver)."""
import gzip
import io

import orjson
import pytest
from werkzeug import Response

from destination_sense.errors import InvalidRecordError
from destination_sense.ledger import LedgerObserver, SyncLedger
from destination_sense.output import ProtocolOutput
from destination_sense.records.item import Item
from destination_sense.schedule.gzip_batch import GzipBatch
from destination_sense.schedule.scheduler import StateMarker
from destination_sense.send.auth import TokenProvider
from destination_sense.send.http_client import SenseClient
from destination_sense.send.sender import Sender

STREAM = (None, "candidates")


def _batch(ids):
    batch = GzipBatch("candidates", 500, 256_000)
    for pos, i in enumerate(ids, start=1):
        assert batch.add(Item(orjson.dumps({"id": i}), i, STREAM, pos))
    return batch


class _Recorder(LedgerObserver):
    def __init__(self):
        self.rejected, self.sent = [], []

    def record_rejected(self, rejection):
        self.rejected.append(rejection)

    def records_sent(self, delivered):
        self.sent.append(delivered)


def _sender(httpserver, policy="skip"):
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_json({"access_token": "tok", "expires_in": 300})
    tokens = TokenProvider(httpserver.url_for("/oauth2/token"), "id", "secret")
    client = SenseClient(httpserver.url_for("/v1"), tokens)
    buffer = io.BytesIO()
    ledger = SyncLedger(policy)
    ledger.open_stream(STREAM, "candidates")
    for _ in range(32):
        ledger.receive(STREAM)
    return Sender(client, ProtocolOutput(buffer), ledger, 256_000).start(), ledger, buffer


def _handler(bad_ids, name_records=True):
    seen = []

    def handle(request):
        items = orjson.loads(gzip.decompress(request.get_data()))
        seen.append([item["id"] for item in items])
        errors = [
            {"entity_id": item["id"] if name_records else None, "message": "status not allowed", "path": [str(i), "status"] if name_records else []}
            for i, item in enumerate(items)
            if item["id"] in bad_ids
        ]
        if errors:
            return Response(orjson.dumps({"errors": errors, "warnings": []}), status=400, content_type="application/json")
        return Response(orjson.dumps({"message": "ok", "request_id": "r"}), status=201, content_type="application/json")

    return handle, seen


def test_400_rejects_exactly_the_named_records_and_resends_the_rest(httpserver):
    handle, seen = _handler({"3", "7"})
    httpserver.expect_request("/v1/candidates", method="POST").respond_with_handler(handle)
    sender, ledger, buffer = _sender(httpserver)
    recorder = _Recorder()
    ledger.add_observer(recorder)
    batch = _batch([str(i) for i in range(10)])
    for item in batch.items:
        item.line = b"line %d" % item.position
    sender.submit(batch)
    sender.submit(StateMarker({"type": "STREAM", "stream": {"stream_descriptor": {"name": "candidates"}}}, STREAM, {STREAM: 10}))
    sender.close()
    assert seen == [[str(i) for i in range(10)], ["0", "1", "2", "4", "5", "6", "8", "9"]]
    assert ledger["candidates"].sent == 8 and ledger["candidates"].rejected == 2
    state = [orjson.loads(line) for line in buffer.getvalue().splitlines() if b'"STATE"' in line][0]["state"]
    assert state["destinationStats"] == {"recordCount": 8.0, "rejectedRecordCount": 2.0}
    # the observer point: each rejection with its input line and reasons, each accepted request with its request_id
    assert [(r.position, r.entity_id, r.line, r.problems, r.sent) for r in recorder.rejected] == [
        (4, "3", b"line 4", (("status", "status not allowed"),), b'{"id":"3"}'),
        (8, "7", b"line 8", (("status", "status not allowed"),), b'{"id":"7"}')]
    (delivered,) = recorder.sent
    assert delivered.request_id == "r" and delivered.outcome == "sent"
    assert [item.position for item in delivered.records] == [1, 2, 3, 5, 6, 7, 9, 10]


def test_400_without_record_names_is_bisected(httpserver):
    handle, seen = _handler({"5"}, name_records=False)
    httpserver.expect_request("/v1/candidates", method="POST").respond_with_handler(handle)
    sender, ledger, _ = _sender(httpserver)
    sender.submit(_batch([str(i) for i in range(8)]))
    sender.close()
    assert ledger["candidates"].sent == 7 and ledger["candidates"].rejected == 1
    assert ["5"] in seen  # isolated by bisection
    assert len(seen) <= 1 + 2 * 3  # log2(8) levels


def test_400_in_fail_mode_stops_delivery(httpserver):
    handle, _ = _handler({"1"})
    httpserver.expect_request("/v1/candidates", method="POST").respond_with_handler(handle)
    sender, *_ = _sender(httpserver, policy="fail")
    sender.submit(_batch(["0", "1"]))
    with pytest.raises(InvalidRecordError, match="record #2 \\(id '1'\\): field 'status' status not allowed"):
        sender.close()


def test_a_413_lowers_the_limit_and_a_batch_built_before_is_split_before_it_is_sent(httpserver):
    sizes = []

    def handle(request):
        body = request.get_data()
        sizes.append(len(body))
        items = orjson.loads(gzip.decompress(body))
        return Response("{}", status=413 if len(items) > 4 else 201)

    sender, ledger, _ = _sender(httpserver)
    httpserver.expect_request("/v1/candidates", method="POST").respond_with_handler(handle)
    import random

    rng = random.Random(3)

    def big_batch(ids):
        batch = GzipBatch("candidates", 500, 256_000)
        for pos, i in enumerate(ids, start=1):
            assert batch.add(Item(orjson.dumps({"id": i, "first_name": "%x" % rng.getrandbits(2000)}), i, STREAM, pos))
        return batch

    first, second = big_batch([str(i) for i in range(16)]), big_batch([str(i) for i in range(16, 32)])
    sender.submit(first)
    sender.submit(second)
    sender.close()
    assert ledger["candidates"].sent == 32
    refused = sizes[:2]  # 16 records, then 8: both refused; 4 records fit
    assert sender.fill_limit("candidates") < refused[1]
    after_lessons = sizes[3:]
    assert max(after_lessons) < refused[1], "the second batch was split before sending, below what was refused"
