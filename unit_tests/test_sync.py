"""write_lines end to end against a request-level fake server, for answers the emulator never gives."""
import io

import orjson

from destination_sense.output import ProtocolOutput
from destination_sense.sync import write_lines

CATALOG = {"streams": [{"stream": {"name": "candidates", "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                        "sync_mode": "full_refresh", "destination_sync_mode": "append"}]}


def _lines(n):
    for i in range(n):
        yield orjson.dumps({"type": "RECORD", "record": {"stream": "candidates", "data": {"id": i}, "emitted_at": 1}})
    yield orjson.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "candidates"}}}})


def test_an_unexpected_answer_is_a_system_error_and_no_state_is_echoed(httpserver):
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_json({"access_token": "tok-abcdef", "expires_in": 300})
    httpserver.expect_request("/v1/candidates", method="POST").respond_with_data("I'm a teapot", status=418)
    buffer = io.BytesIO()
    config = {"client_id": "id", "client_secret": "secret-xyz", "api_url": httpserver.url_for("/v1"), "token_url": httpserver.url_for("/oauth2/token")}
    assert write_lines(config, CATALOG, _lines(3), ProtocolOutput(buffer)) == 1
    messages = [orjson.loads(line) for line in buffer.getvalue().splitlines()]
    errors = [m["trace"]["error"] for m in messages if m["type"] == "TRACE"]
    assert [e["failure_type"] for e in errors] == ["system_error"]
    assert "418" in errors[0]["message"]
    assert not [m for m in messages if m["type"] == "STATE"]
    assert b"tok-abcdef" not in buffer.getvalue() and b"secret-xyz" not in buffer.getvalue()


def test_a_400_in_a_batch_spanning_states_is_counted_in_the_state_after_its_record(httpserver):
    """Batches fill across states; Sense (here a request-level fake: the emulator never refuses what
    the destination validated) rejects record 2, which came after the first state."""
    import gzip
    import json

    from werkzeug import Response

    def answer(request):
        items = json.loads(gzip.decompress(request.get_data()))
        bad = [i for i, item in enumerate(items) if item["id"] == "2"]
        if bad:
            errors = [{"entity_id": "2", "message": "refused", "path": [str(bad[0]), "first_name"]}]
            return Response(json.dumps({"errors": errors}), status=400, content_type="application/json")
        return Response(json.dumps({"message": "ok"}), status=201, content_type="application/json")

    httpserver.expect_request("/oauth2/token", method="POST").respond_with_json({"access_token": "tok-abcdef", "expires_in": 300})
    httpserver.expect_request("/v1/candidates", method="POST").respond_with_handler(answer)
    lines = []
    for i in (1, 2, 3):
        lines.append(orjson.dumps({"type": "RECORD", "record": {"stream": "candidates", "data": {"id": i, "first_name": "x"}}}))
        lines.append(orjson.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "candidates"}, "stream_state": {"c": i}}}}))
    buffer = io.BytesIO()
    config = {"client_id": "id", "client_secret": "secret-xyz", "api_url": httpserver.url_for("/v1"), "token_url": httpserver.url_for("/oauth2/token")}
    assert write_lines(config, CATALOG, iter(lines), ProtocolOutput(buffer)) == 0
    states = [orjson.loads(line)["state"] for line in buffer.getvalue().splitlines() if b'"STATE"' in line]
    counts = [(s["destinationStats"]["recordCount"], s["destinationStats"]["rejectedRecordCount"]) for s in states]
    assert counts == [(1.0, 0.0), (0.0, 1.0), (1.0, 0.0)]
