"""sense-writeback through real HTTP against the running console script (SQLite store).

Every write-back type valid and invalid, both pre-shared token modes good and bad, idempotent and
conflicting resends, malformed and oversize bodies, forward compatibility, metrics and SIGTERM drain.
"""
from __future__ import annotations

import json
import socket
import time

import pytest
import requests

from sense_testing.writeback_samples import BROKEN, DATA, REFERENCES, writeback
from sense_writeback.store import open_store
from sense_testing.writeback_receiver import start_receiver
from sense_writeback.validation import WRITEBACK_TYPES

TOKEN = "tok-A-0123456789abcdefghij"
TOKEN_B = "tok-B-9876543210zyxwvutsrq"
UNAUTHORIZED = {"error": "invalid token or session"}


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return str(tmp_path_factory.mktemp("writeback") / "receiver.db")


@pytest.fixture(scope="module")
def receiver(db_path):
    with start_receiver(db=db_path, tokens=[TOKEN, TOKEN_B], extra_args=["--max-body-bytes", "4096"]) as proc:
        yield proc


def stored(db_path, sense_id):
    with open_store(db_path, writer=False) as store:
        return store.get(sense_id)


def stored_count(db_path):
    with open_store(db_path, writer=False) as store:
        return store.count()


@pytest.mark.parametrize("writeback_type", WRITEBACK_TYPES)
def test_every_type_is_stored_with_its_columns_and_raw_bytes(receiver, db_path, writeback_type):
    doc = writeback(writeback_type, f"valid-{writeback_type}")
    raw = json.dumps(doc, indent=1).encode()
    response = receiver.post(raw, headers={"Content-Type": "application/json", **receiver.bearer()})
    assert response.status_code == 200, response.text
    receiver_id = response.json()["id"]
    assert receiver_id.startswith("wb_") and set(response.json()) == {"id"}
    row = stored(db_path, doc["id"])
    assert row.receiver_id == receiver_id
    assert row.type == writeback_type and row.version == 1.0 and row.auth_mode == "header_token"
    assert row.raw == raw  # the bytes as sent
    assert row.created_date == "2024-05-01T08:05:00.000000+00:00"  # normalised to UTC
    assert not row.unknown_type and not row.newer_version
    if writeback_type in REFERENCES:
        assert set(row.entities) == REFERENCES[writeback_type]


@pytest.mark.parametrize("writeback_type", WRITEBACK_TYPES)
def test_every_type_invalid_is_refused_naming_the_field(receiver, db_path, writeback_type):
    data, fields = BROKEN[writeback_type]
    doc = writeback(writeback_type, f"broken-{writeback_type}", data=data)
    response = receiver.post(doc)
    assert response.status_code == 422
    assert response.json() == {"error": "unable to store because of field " + ",".join(fields)}
    assert stored(db_path, doc["id"]) is None


def test_envelope_fields_are_checked_strictly_and_all_named(receiver, db_path):
    doc = {"id": "", "type": 7, "version": "1.0", "created_date": "2024-05-01T10:00:00", "data": []}
    response = receiver.post(doc)
    assert response.status_code == 422
    assert response.json() == {"error": "unable to store because of field id,type,version,created_date,data"}
    too_long = writeback("GENERIC_EVENT", "x" * 256)
    assert receiver.post(too_long).json() == {"error": "unable to store because of field id"}
    boolean_version = writeback("GENERIC_EVENT", "bool-version")
    boolean_version["version"] = True
    assert receiver.post(boolean_version).json() == {"error": "unable to store because of field version"}
    assert stored(db_path, "bool-version") is None


def test_unknown_extra_fields_are_kept(receiver, db_path):
    doc = writeback("GENERIC_EVENT", "extra-fields")
    doc["trace"] = {"hop": 1}
    doc["data"]["new_member"] = [1, 2, 3]
    assert receiver.post(doc).status_code == 200
    assert stored(db_path, "extra-fields").document() == doc


def test_unknown_type_and_newer_major_version_are_stored_flagged(receiver, db_path):
    before = receiver.metric("sense_writeback_flagged_total", flag="unknown_type")
    new_type = {"id": "future-type", "type": "CALENDAR_INVITE", "version": 1.0,
                "created_date": "2024-05-01T10:00:00Z", "data": {"anything": True}}
    assert receiver.post(new_type).status_code == 200
    newer = writeback("GENERIC_EVENT", "future-version", data={"totally": "different"}, version=2.0)
    assert receiver.post(newer).status_code == 200
    minor = writeback("MESSAGING_INCOMING_MESSAGE", "minor-version", version=1.1)
    assert receiver.post(minor).status_code == 200
    assert stored(db_path, "future-type").unknown_type
    assert stored(db_path, "future-version").newer_version
    assert not stored(db_path, "minor-version").newer_version
    assert receiver.metric("sense_writeback_flagged_total", flag="unknown_type") == before + 1
    assert receiver.metric("sense_writeback_stored_total", type="other") >= 1


def test_resend_returns_the_same_id_and_stores_nothing_new(receiver, db_path):
    doc = writeback("MESSAGING_INCOMING_MESSAGE", "resent-1")
    first = receiver.post(doc).json()["id"]
    count = stored_count(db_path)
    duplicates = receiver.metric("sense_writeback_duplicates_total")
    reformatted = json.dumps(doc, indent=4, sort_keys=True).encode()  # same content, other bytes
    assert receiver.post(reformatted).json() == {"id": first}
    assert receiver.post(doc, query=True).json() == {"id": first}
    assert stored_count(db_path) == count
    assert receiver.metric("sense_writeback_duplicates_total") == duplicates + 2


def test_resend_with_another_body_keeps_the_first_and_records_the_conflict(receiver, db_path):
    doc = writeback("GENERIC_EVENT", "conflicting-1")
    first = receiver.post(doc).json()["id"]
    changed = writeback("GENERIC_EVENT", "conflicting-1")
    changed["data"]["summary"] = "a different summary"
    conflicts = receiver.metric("sense_writeback_conflicts_total")
    assert receiver.post(changed).json() == {"id": first}
    assert receiver.post(changed).json() == {"id": first}
    assert stored(db_path, "conflicting-1").document() == doc
    with open_store(db_path, writer=False) as store:
        recorded = [c for c in store.conflicts() if c.sense_id == "conflicting-1"]
    assert len(recorded) == 1 and recorded[0].attempts == 2 and recorded[0].receiver_id == first
    assert json.loads(recorded[0].raw) == changed
    assert receiver.metric("sense_writeback_conflicts_total") == conflicts + 2


def test_query_token_header_token_and_rotation(receiver, db_path):
    assert receiver.post(writeback("GENERIC_EVENT", "auth-query"), token=TOKEN, query=True).status_code == 200
    assert receiver.post(writeback("GENERIC_EVENT", "auth-header-b"), token=TOKEN_B).status_code == 200
    assert stored(db_path, "auth-query").auth_mode == "query_token"
    assert stored(db_path, "auth-header-b").auth_mode == "header_token"


@pytest.mark.parametrize("how", ["no credential", "wrong query token", "wrong bearer", "basic scheme", "token prefix"])
def test_bad_credentials_get_401_before_the_body_is_read(receiver, db_path, how):
    mode = {"no credential": "missing", "wrong query token": "query_token", "wrong bearer": "header_token",
            "basic scheme": "header_token", "token prefix": "header_token"}[how]
    before = receiver.metric("sense_writeback_auth_failures_total", mode=mode)
    url = receiver.event_url
    headers = {}
    if how == "wrong query token":
        url += "?token=" + TOKEN[:-1] + "X"
    elif how == "wrong bearer":
        headers["Authorization"] = "Bearer " + TOKEN_B + "x"
    elif how == "basic scheme":
        headers["Authorization"] = "Basic " + TOKEN
    elif how == "token prefix":
        headers["Authorization"] = "Bearer " + TOKEN[:10]
    # the body is not even JSON: a 401 (not a 400) shows the body was never parsed
    response = requests.post(url, data=b"\xff not json", headers=headers, timeout=30)
    assert response.status_code == 401 and response.json() == UNAUTHORIZED
    assert receiver.metric("sense_writeback_auth_failures_total", mode=mode) == before + 1


def test_401_without_reading_a_huge_body(receiver):
    with socket.create_connection(("127.0.0.1", int(receiver.base_url.rsplit(":", 1)[1])), timeout=30) as sock:
        sock.sendall(b"POST /event HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000000\r\n\r\n{")
        answer = b""
        while not answer.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401") and json.loads(body) == UNAUTHORIZED


@pytest.mark.parametrize("body, headers, status, reason, message", [
    (b"{not json", {}, 400, "not_json", "body is not JSON"),
    (b"", {}, 400, "not_json", "empty body"),
    (b"[1, 2]", {}, 400, "not_object", "body is a JSON array, expected an object"),
    (b'"text"', {}, 400, "not_object", "body is a JSON string, expected an object"),
    (b'{"id": NaN}', {}, 400, "not_json", "NaN is not valid JSON"),
    (b'{"id": "\xe9t\xe9"}', {}, 415, "encoding", "not valid UTF-8"),
    (b"{}", {"Content-Type": "application/json; charset=iso-8859-1"}, 415, "encoding", "charset 'iso-8859-1'"),
    (b"{}", {"Content-Encoding": "gzip"}, 415, "encoding", "Content-Encoding 'gzip'"),
    (b"[" * 2000 + b"]" * 2000, {}, 400, "not_json", "nested too deeply"),
])
def test_malformed_bodies_get_a_clear_reason(receiver, body, headers, status, reason, message):
    before = receiver.metric("sense_writeback_rejected_total", reason=reason)
    response = receiver.post(body, headers={**receiver.bearer(), **headers})
    assert response.status_code == status
    assert message in response.json()["error"]
    assert "id" not in response.json()
    assert receiver.metric("sense_writeback_rejected_total", reason=reason) == before + 1


def test_oversize_bodies_get_413_declared_or_streamed(receiver, db_path):
    doc = writeback("GENERIC_EVENT", "oversize")
    doc["data"]["summary"] = "x" * 5000  # over the 4096-byte limit of this receiver
    response = receiver.post(doc)
    assert response.status_code == 413 and "over the limit of 4096 bytes" in response.json()["error"]

    def chunks():  # chunked transfer: no Content-Length, the limit applies while reading
        body = json.dumps(doc).encode()
        for i in range(0, len(body), 1000):
            yield body[i:i + 1000]

    streamed = requests.post(receiver.event_url, data=chunks(), headers=receiver.bearer(), timeout=30)
    assert streamed.status_code == 413
    assert stored(db_path, "oversize") is None


def test_other_methods_and_paths(receiver):
    assert requests.get(receiver.event_url, timeout=30).status_code == 405
    assert requests.post(receiver.base_url + "/event/123", data=b"{}", headers=receiver.bearer(), timeout=30).status_code == 404
    health = requests.get(receiver.base_url + "/healthz", timeout=30)
    assert health.status_code == 200 and health.json() == {"ok": True, "storage": "sqlite"}


def test_metrics_count_what_happened(receiver):
    before = receiver.metrics()

    def delta(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return receiver.metrics().get(key, 0.0) - before.get(key, 0.0)

    receiver.post(writeback("ENTITY_UPDATE", "metrics-1"))
    receiver.post(writeback("ENTITY_UPDATE", "metrics-1"))
    receiver.post(b"[]")
    requests.post(receiver.event_url, data=b"{}", timeout=30)
    assert delta("sense_writeback_received_total") == 4
    assert delta("sense_writeback_stored_total", type="ENTITY_UPDATE") == 1
    assert delta("sense_writeback_duplicates_total") == 1
    assert delta("sense_writeback_rejected_total", reason="not_object") == 1
    assert delta("sense_writeback_auth_failures_total", mode="missing") == 1
    assert delta("sense_writeback_request_duration_seconds_count", outcome="stored") == 1
    assert delta("sense_writeback_request_duration_seconds_count", outcome="duplicate") == 1
    assert delta("sense_writeback_commit_batch_size_sum") == 2  # the stored one and the duplicate went through a commit
    assert delta("sense_writeback_commit_duration_seconds_count") >= 1


def test_tokens_never_reach_the_log(receiver):
    receiver.post(writeback("GENERIC_EVENT", "log-check"), token=TOKEN, query=True)
    requests.post(receiver.event_url + "?token=" + TOKEN + "zz", data=b"{}", timeout=30)
    time.sleep(0.6)  # access log lines are written within 0.2 s
    log = receiver.log()
    assert '"POST /event" 200' in log and '"POST /event" 401' in log
    for secret in (TOKEN, TOKEN_B, TOKEN[:12]):
        assert secret not in log


def test_reject_policy_for_unknown_types_and_newer_versions(tmp_path):
    with start_receiver(db=str(tmp_path / "r.db"), tokens=[TOKEN],
                        extra_args=["--unknown-type", "reject", "--newer-version", "reject"]) as proc:
        unknown = {"id": "u1", "type": "CALENDAR_INVITE", "version": 1, "created_date": "2024-05-01T10:00:00Z", "data": {}}
        assert proc.post(unknown).json() == {"error": "unable to store because of field type"}
        newer = writeback("GENERIC_EVENT", "n1", version=2.0)
        assert proc.post(newer).json() == {"error": "unable to store because of field version"}
        assert proc.metric("sense_writeback_rejected_total", reason="unknown_type") == 1
        assert proc.metric("sense_writeback_rejected_total", reason="newer_version") == 1


def test_token_modes_and_parameter_name_are_configurable(tmp_path):
    with start_receiver(db=str(tmp_path / "r.db"), tokens=[TOKEN],
                        extra_args=["--token-modes", "query", "--token-param", "key"]) as proc:
        assert proc.post(writeback("GENERIC_EVENT", "m1")).status_code == 401  # header mode disabled
        ok = requests.post(proc.event_url, params={"key": TOKEN}, json=writeback("GENERIC_EVENT", "m2"), timeout=30)
        assert ok.status_code == 200
        wrong_name = requests.post(proc.event_url, params={"token": TOKEN}, json=writeback("GENERIC_EVENT", "m3"), timeout=30)
        assert wrong_name.status_code == 401


def test_start_refuses_without_authentication_or_with_short_tokens(tmp_path):
    with pytest.raises(RuntimeError, match="no authentication configured"):
        start_receiver(db=str(tmp_path / "a.db"), tokens=[])
    with pytest.raises(RuntimeError, match="shorter than 16 characters") as refused:
        start_receiver(db=str(tmp_path / "b.db"), tokens=["short-secret"])
    assert "short-secret" not in str(refused.value)


def test_config_file_and_tokens_file(tmp_path):
    tokens_file = tmp_path / "tokens"
    tokens_file.write_text(TOKEN + "\n" + TOKEN_B + "\n")
    config = tmp_path / "receiver.yaml"
    config.write_text(f"event_path: /sense/event\ntokens_file: {tokens_file}\nmax_body_bytes: 2048\n")
    with start_receiver(db=str(tmp_path / "c.db"), tokens=[], extra_args=["--config", str(config)],
                        event_path="/sense/event") as proc:
        assert proc.post(writeback("GENERIC_EVENT", "cfg-1"), token=TOKEN_B).status_code == 200
        assert requests.post(proc.base_url + "/event", json={}, timeout=30).status_code == 404
    config.write_text("tokens: [abc]\n")
    with pytest.raises(RuntimeError, match="not in the config file itself"):
        start_receiver(db=str(tmp_path / "d.db"), tokens=[], extra_args=["--config", str(config)])


def test_sigterm_drains_in_flight_requests_and_exits_0(tmp_path):
    db = str(tmp_path / "drain.db")
    proc = start_receiver(db=db, tokens=[TOKEN])
    port = int(proc.base_url.rsplit(":", 1)[1])
    body = json.dumps(writeback("ENTITY_DELETE", "in-flight")).encode()
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(b"POST /event HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
                     b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() +
                     b"\r\n\r\n" + body[:20])
        time.sleep(0.5)  # the request is in flight: headers read, body incomplete
        proc.terminate()
        time.sleep(0.5)
        assert proc.running(), "the receiver must wait for the in-flight request"
        sock.sendall(body[20:])
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        sock.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer
        receiver_id = json.loads(answer.split(b"\r\n\r\n", 1)[1])["id"]
        assert proc.proc.wait(30) == 0
    finally:
        proc.stop()
    assert stored(db, "in-flight").receiver_id == receiver_id


def test_access_lines_keep_their_place_among_log_lines_up_to_shutdown(tmp_path):
    """Two refused write-backs (each logs a warning), then SIGTERM at once: each access line comes
    after its own request's warning, before the next one's, and before uvicorn's "Shutting down"."""
    proc = start_receiver(db=str(tmp_path / "order.db"), tokens=[TOKEN])
    try:
        for sense_id in ("order-1", "order-2"):
            assert proc.post(writeback("GENERIC_EVENT", sense_id, version="x")).status_code == 422
        proc.terminate()
        assert proc.proc.wait(30) == 0
    finally:
        proc.stop()
    events = []
    for line in proc.log().splitlines():
        if " access " in line and '"POST /event" 422' in line:
            events.append("access")
        elif "refused: fields" in line:
            events.append("warning")
        elif "Shutting down" in line:
            events.append("shutdown")
    assert events == ["warning", "access", "warning", "access", "shutdown"], proc.log()
