"""Delivery of batches against answers the emulator never gives (it validates exactly as we do):
a 400 naming some records, and a 400 naming none. Request-level fake server (pytest-httpserver)."""
import gzip
import io

import orjson
import pytest
from werkzeug import Response

from destination_sense.auth import TokenProvider
from destination_sense.delivery import Delivery
from destination_sense.errors import InvalidRecordError
from destination_sense.gzip_batch import GzipBatch, Item
from destination_sense.http_client import SenseClient
from destination_sense.output import ProtocolOutput
from destination_sense.rejections import Rejections
from destination_sense.state_counts import DeliveryCounts, ReadCounts
from destination_sense.sync_stats import SyncStats

STREAM = (None, "candidates")


def _batch(ids):
    batch = GzipBatch("candidates", 500, 256_000)
    for pos, i in enumerate(ids, start=1):
        assert batch.add(Item(orjson.dumps({"id": i}), i, STREAM, pos))
    return batch


def _delivery(httpserver, policy="skip", outcomes=None):
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_json({"access_token": "tok", "expires_in": 300})
    tokens = TokenProvider(httpserver.url_for("/oauth2/token"), "id", "secret")
    client = SenseClient(httpserver.url_for("/v1"), tokens)
    buffer = io.BytesIO()
    stats = SyncStats()
    rejections = Rejections(policy, stats, lambda message: None, outcomes)
    counts = DeliveryCounts()
    delivery = Delivery(client, ProtocolOutput(buffer), stats, rejections, counts, outcomes=outcomes)
    return delivery.start(), stats, rejections, counts, buffer


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
    delivery, stats, rejections, counts, buffer = _delivery(httpserver)
    read = ReadCounts()
    read.received[STREAM] = 10
    delivery.submit(_batch([str(i) for i in range(10)]))
    delivery.submit(read.marker({"type": "STREAM", "stream": {"stream_descriptor": {"name": "candidates"}}}))
    delivery.close()
    assert seen == [[str(i) for i in range(10)], ["0", "1", "2", "4", "5", "6", "8", "9"]]
    assert stats["candidates"].sent == 8 and stats["candidates"].rejected == 2
    state = [orjson.loads(line) for line in buffer.getvalue().splitlines() if b'"STATE"' in line][0]["state"]
    assert state["destinationStats"] == {"recordCount": 8.0, "rejectedRecordCount": 2.0}


def test_400_without_record_names_is_bisected(httpserver):
    handle, seen = _handler({"5"}, name_records=False)
    httpserver.expect_request("/v1/candidates", method="POST").respond_with_handler(handle)
    delivery, stats, rejections, counts, _ = _delivery(httpserver)
    delivery.submit(_batch([str(i) for i in range(8)]))
    delivery.close()
    assert stats["candidates"].sent == 7 and stats["candidates"].rejected == 1
    assert ["5"] in seen  # isolated by bisection
    assert len(seen) <= 1 + 2 * 3  # log2(8) levels


def test_400_in_fail_mode_stops_delivery(httpserver):
    handle, _ = _handler({"1"})
    httpserver.expect_request("/v1/candidates", method="POST").respond_with_handler(handle)
    delivery, *_ = _delivery(httpserver, policy="fail")
    delivery.submit(_batch(["0", "1"]))
    with pytest.raises(InvalidRecordError, match="record #2 \\(id '1'\\): field 'status' status not allowed"):
        delivery.close()


def test_a_413_lowers_the_limit_and_a_batch_built_before_is_split_before_it_is_sent(httpserver):
    from destination_sense.byte_limits import ByteLimits

    sizes = []

    def handle(request):
        body = request.get_data()
        sizes.append(len(body))
        items = orjson.loads(gzip.decompress(body))
        return Response("{}", status=413 if len(items) > 4 else 201)

    delivery, stats, _, _, _ = _delivery(httpserver)
    delivery.limits = ByteLimits(256_000)
    httpserver.expect_request("/v1/candidates", method="POST").respond_with_handler(handle)
    import random

    rng = random.Random(3)

    def big_batch(ids):
        batch = GzipBatch("candidates", 500, 256_000)
        for pos, i in enumerate(ids, start=1):
            assert batch.add(Item(orjson.dumps({"id": i, "first_name": "%x" % rng.getrandbits(2000)}), i, STREAM, pos))
        return batch

    first, second = big_batch([str(i) for i in range(16)]), big_batch([str(i) for i in range(16, 32)])
    delivery.submit(first)
    delivery.submit(second)
    delivery.close()
    assert stats["candidates"].sent == 32
    refused = sizes[:2]  # 16 records, then 8: both refused; 4 records fit
    assert delivery.limits.for_entity("candidates") < refused[1]
    after_lessons = sizes[3:]
    assert max(after_lessons) < refused[1], "the second batch was split before sending, below what was refused"


class RecordingOutcomes:
    """What the sync-outcomes observer is told, in order (destination_sense.outcomes.SyncOutcomes' calls)."""

    def __init__(self):
        self.calls = []

    def rejected(self, collection, stream, position, entity_id, problems, raw_line=None, sent_json=None):
        self.calls.append(("rejected", position, entity_id, orjson.loads(sent_json)))

    def sent(self, collection, records, request_id=None):
        self.calls.append(("sent", [position for _, position, _ in records], request_id))

    def before_state(self):
        self.calls.append(("before_state",))

    def state_committed(self):
        self.calls.append(("state_committed",))


def test_the_outcomes_observer_sees_refused_records_as_sent_accepted_ones_with_their_request_id_then_the_state(httpserver):
    handle, _ = _handler({"3"})
    httpserver.expect_request("/v1/candidates", method="POST").respond_with_handler(handle)
    outcomes = RecordingOutcomes()
    delivery, *_ = _delivery(httpserver, outcomes=outcomes)
    read = ReadCounts()
    read.received[STREAM] = 5
    delivery.submit(_batch([str(i) for i in range(5)]))
    delivery.submit(read.marker({"type": "STREAM", "stream": {"stream_descriptor": {"name": "candidates"}}}))
    delivery.close()
    assert outcomes.calls == [
        ("rejected", 4, "3", {"id": "3"}),  # the record as it was sent (the batch's body was built: restored from it)
        ("sent", [1, 2, 3, 5], "r"),
        ("before_state",), ("state_committed",),
    ]

