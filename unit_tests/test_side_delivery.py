"""Delivery of possible values and resume uploads against answers the emulator never gives (it
validates as we do): a PUT answered 400, an upload answered 413. Request-level fake server."""
import io
from concurrent.futures import ThreadPoolExecutor

import orjson

from destination_sense.ledger import RecordRef, SyncLedger
from destination_sense.output import ProtocolOutput
from destination_sense.send.auth import TokenProvider
from destination_sense.send.http_client import SenseClient
from destination_sense.send.sender import Sender
from destination_sense.sinks.possible_values import STATS_KEY as VALUES
from destination_sense.sinks.possible_values import PossibleValuesPut
from destination_sense.sinks.resumes import STATS_KEY as RESUMES
from destination_sense.sinks.resumes import ResumeRoute, ResumeUploads, prepare

STREAM = (None, "side")


def _sender(httpserver, row):
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_json({"access_token": "tok", "expires_in": 300})
    client = SenseClient(httpserver.url_for("/v1"), TokenProvider(httpserver.url_for("/oauth2/token"), "id", "secret"))
    ledger = SyncLedger("skip")
    ledger.open_stream(STREAM, row)
    for _ in range(4):
        ledger.receive(STREAM)
    buffer = io.BytesIO()
    return Sender(client, ProtocolOutput(buffer), ledger, 256_000), ledger


def test_a_put_answered_400_rejects_the_records_merged_into_it(httpserver):
    sender, ledger = _sender(httpserver, VALUES)
    httpserver.expect_request("/v1/candidates/possible-values/status", method="GET").respond_with_json({"data": {"values": None}})
    httpserver.expect_request("/v1/candidates/possible-values/status", method="PUT").respond_with_json(
        {"errors": [{"message": "value 'x' is reserved"}]}, status=400)
    contributors = [RecordRef(STREAM, 1, "c.status"), RecordRef(STREAM, 4, "c.status")]
    item = PossibleValuesPut("candidates", "status", [{"label": "X", "value": "x"}], contributors, ledger)
    item.deliver(sender)
    assert ledger[VALUES].rejected == 2 and ledger[VALUES].sent == 0
    state = ledger.state_message({"type": "STREAM"}, STREAM, {STREAM: 4})
    assert state["destinationStats"] == {"recordCount": 2.0, "rejectedRecordCount": 2.0}, "records 2 and 3 were not in the PUT"
    put = [r for r, _ in httpserver.log if r.method == "PUT"][0]
    assert orjson.loads(put.data) == [{"label": "X", "value": "x"}]


def test_an_upload_answered_413_is_rejected_and_its_staged_file_kept(httpserver, tmp_path):
    sender, ledger = _sender(httpserver, RESUMES)
    httpserver.expect_request("/v1/candidates/9/resume", method="POST").respond_with_json({"message": "too large"}, status=413)
    staged = tmp_path / "cv.pdf"
    staged.write_bytes(b"%PDF-1.4 small enough for us")
    message = {"data": {"candidate_id": 9, "resume_id": "R", "date_created": "2024-01-01T00:00:00Z"}, "file_reference": {"staging_file_url": str(staged)}}
    upload, problems, _ = prepare(ResumeRoute(STREAM), 1, message)
    assert problems == []
    with ThreadPoolExecutor(2) as pool:
        ResumeUploads([upload], pool, ledger).deliver(sender)
    assert ledger[RESUMES].rejected == 1 and ledger[RESUMES].sent == 0
    assert staged.exists()
    (request, _), = [entry for entry in httpserver.log if entry[0].path.endswith("/resume")]
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert int(request.headers["Content-Length"]) == len(request.data) and b"%PDF-1.4 small enough for us" in request.data
