"""write_lines end to end against a request-level fake server, for answers the emulator never gives."""
import io

import orjson

from destination_sense.output import ProtocolOutput
from destination_sense.write import write_lines

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
