"""Delivery of possible values and resume uploads against answers the emulator never gives (it
validates as we do): a PUT answered 400, an upload answered 413. Request-level fake server."""
import io
from concurrent.futures import ThreadPoolExecutor

import orjson

from destination_sense.auth import TokenProvider
from destination_sense.delivery import Delivery
from destination_sense.http_client import SenseClient
from destination_sense.output import ProtocolOutput
from destination_sense.pipeline import StateMarker
from destination_sense.possible_values import STATS_KEY as VALUES
from destination_sense.possible_values import PossibleValuesPut
from destination_sense.rejections import Rejections
from destination_sense.resume_upload import STATS_KEY as RESUMES
from destination_sense.resume_upload import ResumeRoute, ResumeUploads, prepare
from destination_sense.state_counts import DeliveryCounts
from destination_sense.sync_stats import EntityStats, SyncStats

STREAM = (None, "side")


def _delivery(httpserver):
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_json({"access_token": "tok", "expires_in": 300})
    client = SenseClient(httpserver.url_for("/v1"), TokenProvider(httpserver.url_for("/oauth2/token"), "id", "secret"))
    stats = SyncStats()
    stats.by_entity[VALUES] = EntityStats()
    stats.by_entity[RESUMES] = EntityStats()
    buffer = io.BytesIO()
    delivery = Delivery(client, ProtocolOutput(buffer), stats, Rejections("skip", stats, lambda message: None), DeliveryCounts()).start()
    return delivery, stats, buffer


def test_a_put_answered_400_rejects_the_records_merged_into_it(httpserver):
    delivery, stats, _ = _delivery(httpserver)
    httpserver.expect_request("/v1/candidates/possible-values/status", method="GET").respond_with_json({"data": {"values": None}})
    httpserver.expect_request("/v1/candidates/possible-values/status", method="PUT").respond_with_json(
        {"errors": [{"message": "value 'x' is reserved"}]}, status=400)
    item = PossibleValuesPut("candidates", "status", [{"label": "X", "value": "x"}], [(STREAM, 1, "c.status"), (STREAM, 4, "c.status")])
    item.deliver(delivery)
    assert stats[VALUES].rejected == 2 and stats[VALUES].sent == 0
    marker = StateMarker({"type": "STREAM"}, STREAM, received=2, rejected_while_reading=0, sequence=1)
    assert delivery.counts.decorate(marker)["destinationStats"] == {"recordCount": 0.0, "rejectedRecordCount": 2.0}
    put = [r for r, _ in httpserver.log if r.method == "PUT"][0]
    assert orjson.loads(put.data) == [{"label": "X", "value": "x"}]


def test_an_upload_answered_413_is_rejected_and_its_staged_file_kept(httpserver, tmp_path):
    delivery, stats, _ = _delivery(httpserver)
    httpserver.expect_request("/v1/candidates/9/resume", method="POST").respond_with_json({"message": "too large"}, status=413)
    staged = tmp_path / "cv.pdf"
    staged.write_bytes(b"%PDF-1.4 small enough for us")
    message = {"data": {"candidate_id": 9, "resume_id": "R", "date_created": "2024-01-01T00:00:00Z"}, "file_reference": {"staging_file_url": str(staged)}}
    upload, problems, _ = prepare(ResumeRoute(STREAM), 1, message)
    assert problems == []
    with ThreadPoolExecutor(2) as pool:
        ResumeUploads([upload], pool).deliver(delivery)
    assert stats[RESUMES].rejected == 1 and stats[RESUMES].sent == 0
    assert staged.exists()
    (request, _), = [entry for entry in httpserver.log if entry[0].path.endswith("/resume")]
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert int(request.headers["Content-Length"]) == len(request.data) and b"%PDF-1.4 small enough for us" in request.data
