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


def test_every_form_of_a_secret_is_masked():
    import base64
    import json
    from urllib.parse import quote, quote_plus

    for token in ("tok-AbC/123+xyz==\n", "tok-AbC/123+xyz==\r\n", "sec ret&=/?#é"):
        buffer = io.BytesIO()
        out = ProtocolOutput(buffer)
        out.add_secret(token)
        core = token.strip()
        forms = [token, core, repr(token), repr(core), ascii(token), json.dumps(token), quote(token, safe=""), quote_plus(token),
                 quote(core), base64.b64encode(token.encode()).decode()]
        for prefix in ("", "u", "us", "user:"):  # HTTP Basic style: the secret at every base64 alignment
            forms.append(base64.b64encode((prefix + core).encode()).decode())
            forms.append(base64.urlsafe_b64encode((prefix + core + "tail").encode()).decode())
        for form in forms:
            out.warn(f"header {form} sent")
        try:
            raise ValueError(f"Invalid header value b'Bearer {token}'  {token!r}")
        except ValueError as exc:
            out.trace_error(f"failed: {exc}", "system_error", exc)
        text = buffer.getvalue().decode()
        decoded = json.loads("[" + ",".join(text.splitlines()) + "]")
        flat = json.dumps(decoded, ensure_ascii=False)
        for needle in ("AbC/123", "AbC%2F123", "sec ret", "sec+ret", "sec%20ret"):
            assert needle not in flat, (token, needle)
        for prefix in ("", "u", "us", "user:"):
            encoded = base64.b64encode((prefix + core).encode()).decode()
            assert encoded[len(prefix) * 4 // 3 + 4:-4] not in flat or len(encoded) < 20


def test_a_short_or_empty_secret_masks_nothing():
    buffer = io.BytesIO()
    out = ProtocolOutput(buffer)
    out.add_secret("")
    out.add_secret(None)
    out.add_secret("ab")
    out.info("about ab")
    assert b"about ab" in buffer.getvalue()
