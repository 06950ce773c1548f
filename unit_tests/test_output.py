import io

import orjson

from destination_sense.output import ProtocolOutput


def test_secrets_are_masked_everywhere():
    buffer = io.BytesIO()
    out = ProtocolOutput(buffer)
    out.add_secret("tok-123456")
    out.info("sending with tok-123456")
    try:
        raise RuntimeError("boom tok-123456")
    except RuntimeError as exc:
        out.trace_error("failed tok-123456", "system_error", exc)
    text = buffer.getvalue().decode()
    assert "tok-123456" not in text and text.count("****") >= 3
    lines = [orjson.loads(line) for line in text.splitlines()]
    assert lines[1]["trace"]["error"]["failure_type"] == "system_error"


def test_state_is_echoed_verbatim():
    buffer = io.BytesIO()
    ProtocolOutput(buffer).state({"type": "STREAM", "id": 9, "unknown_field": {"x": [1]}})
    assert orjson.loads(buffer.getvalue()) == {"type": "STATE", "state": {"type": "STREAM", "id": 9, "unknown_field": {"x": [1]}}}
