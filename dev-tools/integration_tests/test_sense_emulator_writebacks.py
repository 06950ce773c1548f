"""The Sense emulator's write-back dispatcher through real HTTP, against a scripted receiver and the
local OpenID provider: every type delivered, the three auth modes, re-delivery of everything that
did not get 200 + id, attempts recorded, secrets kept out of every output."""
from __future__ import annotations

import json
import socket

import jwt
import pytest
import requests

from integration_tests.writeback_receivers import ScriptedReceiver
from oidc_emulator.testing import start_oidc_emulator
from sense_emulator.writebacks.seed import TYPES

TOKEN = "pre-shared-token-7Hq+/=9xYz"
FAST = {"initial_delay": 0.02, "max_delay": 0.1, "max_attempts": 5}


@pytest.fixture
def receiver():
    scripted = ScriptedReceiver().start()
    yield scripted
    scripted.stop()


@pytest.fixture
def emu(sense_emulator):
    yield sense_emulator
    sense_emulator.admin.clear_writebacks()
    sense_emulator.admin.configure_writebacks(auth={"mode": "none"}, retry={"max_attempts": 10, "initial_delay": 1.0,
                                                                               "max_delay": 60.0, "multiplier": 2.0})


def _everything_said(emu) -> str:
    """Every admin answer about write-backs plus the emulator's log: where a secret must not be."""
    parts = [emu.admin.writeback_config(), emu.admin.writebacks(), emu.admin.writeback_stats()]
    parts += [emu.admin.writeback(w["id"]) for w in emu.admin.writebacks()[:20]]
    return json.dumps(parts) + emu.log()


def test_every_type_is_delivered_once_with_the_header_token(emu, receiver):
    emu.admin.configure_writebacks(url=receiver.url, auth={"mode": "header", "token": TOKEN}, retry=FAST)
    ids = emu.admin.enqueue_writebacks(20, sample_entities=True)
    result = emu.admin.wait_writebacks(60)
    assert result["done"] and result["stats"]["delivered"] == 20 and result["stats"]["attempts"] == 20
    assert sorted(receiver.ids()) == sorted(ids)
    assert {r["body"]["type"] for r in receiver.requests} == set(TYPES)
    assert all(r["authorization"] == f"Bearer {TOKEN}" and r["args"] == {} for r in receiver.requests)
    assert all(r["content_type"] == "application/json" for r in receiver.requests)
    one = emu.admin.writeback(ids[0])
    assert one["status"] == "delivered" and one["receiver_id"] == f"r-{ids[0]}"
    assert one["writeback"] == next(r["body"] for r in receiver.requests if r["body"]["id"] == ids[0])
    assert one["attempts"][0]["status"] == 200 and one["attempts"][0]["receiver_id"] == f"r-{ids[0]}"
    assert TOKEN not in _everything_said(emu)


def test_query_token_mode_puts_the_token_in_the_configured_parameter(emu, receiver):
    emu.admin.configure_writebacks(url=receiver.url, auth={"mode": "query", "token": TOKEN, "token_param": "key"}, retry=FAST)
    emu.admin.enqueue_writebacks(10, sample_entities=True)
    assert emu.admin.wait_writebacks(60)["stats"]["delivered"] == 10
    assert all(r["args"] == {"key": TOKEN} and r["authorization"] is None for r in receiver.requests)
    config = emu.admin.writeback_config()
    assert config["auth"] == {"mode": "query", "token_param": "key", "token_set": True}
    assert TOKEN not in _everything_said(emu)


def test_every_answer_but_200_with_an_id_is_redelivered_with_each_attempt_recorded(emu, receiver):
    emu.admin.configure_writebacks(url=receiver.url, auth={"mode": "none"}, retry={**FAST, "max_attempts": 9})
    emu.admin.pause_writebacks(True)
    [sense_id] = emu.admin.enqueue_writebacks(1, types=["MESSAGING_INCOMING_MESSAGE"], sample_entities=True)
    receiver.plan(sense_id,
                  (500, {"error": "unable to store, server issue disk"}),
                  (200, {"note": "stored, but no id"}),
                  (200, "not json"),
                  (200, [1, 2]),
                  (201, {"id": "created"}),
                  (401, {"error": "invalid token or session"}),
                  (429, {"error": "slow down"}, {"Retry-After": "0"}),
                  (307, {"id": "elsewhere"}, {"Location": "/event-moved"}))
    emu.admin.pause_writebacks(False)
    assert emu.admin.wait_writebacks(60)["done"]
    record = emu.admin.writeback(sense_id)
    assert record["status"] == "delivered" and record["receiver_id"] == f"r-{sense_id}"
    statuses = [a["status"] for a in record["attempts"]]
    assert statuses == [500, 200, 200, 200, 201, 401, 429, 307, 200]
    errors = [a["error"] for a in record["attempts"]]
    assert errors[0] == "status 500: unable to store, server issue disk"
    assert errors[1] == "200 without an id" and errors[2] == "200 whose body is not JSON"
    assert errors[3] == "200 whose body is not a JSON object"
    assert errors[4].startswith("status 201") and errors[5] == "status 401: invalid token or session"
    assert errors[7].startswith("status 307")  # not followed
    assert errors[8] is None and all("retry_in" in a for a in record["attempts"][:8])
    assert [r["body"]["id"] for r in receiver.requests] == [sense_id] * 9
    # the receiver got the same bytes every time
    assert len({json.dumps(r["body"], sort_keys=True) for r in receiver.requests}) == 1


def test_a_writeback_is_given_up_after_max_attempts_and_can_be_redelivered(emu, receiver):
    emu.admin.configure_writebacks(url=receiver.url, auth={"mode": "none"}, retry={**FAST, "max_attempts": 3})
    emu.admin.pause_writebacks(True)
    [sense_id] = emu.admin.enqueue_writebacks(1, types=["ENTITY_UPDATE"], sample_entities=True)
    receiver.plan(sense_id, *[(422, {"error": "unable to store because of field data.fields"})] * 3)
    emu.admin.pause_writebacks(False)
    result = emu.admin.wait_writebacks(60)
    assert result["done"] and result["stats"]["given_up"] == 1 and result["stats"]["delivered"] == 0
    record = emu.admin.writeback(sense_id)
    assert record["status"] == "given_up" and len(record["attempts"]) == 3
    assert record["last_error"] == "status 422: unable to store because of field data.fields"
    assert "retry_in" not in record["attempts"][-1]
    assert emu.admin.writebacks(status="given_up")[0]["id"] == sense_id
    emu.admin.redeliver_writeback(sense_id)
    assert emu.admin.wait_writebacks(60)["stats"]["delivered"] == 1
    assert emu.admin.writeback(sense_id)["attempts"][-1]["status"] == 200


def test_a_receiver_that_is_down_is_retried_and_the_url_can_change_meanwhile(emu, receiver):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/event"
    emu.admin.configure_writebacks(url=dead, auth={"mode": "query", "token": TOKEN},
                                   retry={"initial_delay": 0.05, "max_delay": 0.2, "max_attempts": 1000})
    ids = emu.admin.enqueue_writebacks(5, sample_entities=True)
    assert emu.admin.wait_writebacks(1.0)["done"] is False
    stuck = emu.admin.writeback(ids[0])
    assert stuck["status"] in ("pending", "sending") and stuck["attempts"][0]["status"] is None
    assert "ConnectionError" in stuck["attempts"][0]["error"]
    assert TOKEN not in _everything_said(emu)  # a connection error names the URL: its query is masked
    emu.admin.configure_writebacks(url=receiver.url)
    result = emu.admin.wait_writebacks(60)
    assert result["done"] and result["stats"]["delivered"] == 5
    assert sorted(receiver.ids()) == sorted(ids)


def test_oauth2_client_credentials_token_is_fetched_once_cached_and_renewed_after_401(emu, receiver):
    with start_oidc_emulator(clients=[("sense-dispatcher", "oauth-client-secret-XYZ")], audience="wb-receiver",
                             scopes=["writeback"], token_ttl=3600) as idp:
        emu.admin.configure_writebacks(url=receiver.url, retry=FAST, auth={
            "mode": "oauth2", "discovery_url": idp.discovery_url, "client_id": "sense-dispatcher",
            "client_secret": "oauth-client-secret-XYZ", "scope": "writeback"})
        emu.admin.enqueue_writebacks(20, sample_entities=True)
        assert emu.admin.wait_writebacks(60)["stats"]["delivered"] == 20
        counters = idp.admin.counters()
        assert counters["token_issued"] == 1 and counters["discovery"] == 1  # cached for its expires_in
        tokens = {r["authorization"] for r in receiver.requests}
        assert len(tokens) == 1
        token = tokens.pop().removeprefix("Bearer ")
        key = jwt.PyJWKClient(idp.jwks_url).get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], audience="wb-receiver", issuer=idp.issuer)
        assert claims["sub"] == "sense-dispatcher" and claims["scope"] == "writeback"
        # a 401 drops the cached token: the re-delivery carries a new one
        emu.admin.pause_writebacks(True)
        [sense_id] = emu.admin.enqueue_writebacks(1, types=["GENERIC_EVENT"])
        receiver.plan(sense_id, (401, {"error": "invalid token or session"}))
        emu.admin.pause_writebacks(False)
        assert emu.admin.wait_writebacks(60)["stats"]["delivered"] == 21
        assert idp.admin.counters()["token_issued"] == 2
        assert [a["status"] for a in emu.admin.writeback(sense_id)["attempts"]] == [401, 200]
        said = _everything_said(emu)
        assert "oauth-client-secret-XYZ" not in said and token not in said
        assert emu.admin.writeback_config()["auth"]["token_fetches"] == 2


def test_oauth2_token_expiry_and_token_endpoint_failures(emu, receiver):
    with start_oidc_emulator(clients=[("c", "oauth-secret-2")], token_ttl=1) as idp:
        emu.admin.configure_writebacks(url=receiver.url, retry={**FAST, "max_attempts": 10}, auth={
            "mode": "oauth2", "discovery_url": idp.discovery_url, "client_id": "c", "client_secret": "oauth-secret-2",
            "token_auth_method": "client_secret_post"})
        idp.admin.faults(token=2)
        [first] = emu.admin.enqueue_writebacks(1, types=["ENGAGE_SENT_EVENT"], sample_entities=True)
        assert emu.admin.wait_writebacks(60)["stats"]["delivered"] == 1
        attempts = emu.admin.writeback(first)["attempts"]
        assert [a["error"] for a in attempts[:2]] == ["credentials: token endpoint answered 503 temporarily_unavailable"] * 2
        assert [a["status"] for a in attempts] == [None, None, 200]
        assert len(receiver.requests) == 1  # no request without a token
        issued = idp.admin.counters()["token_issued"]
        # a 1-second token is renewed before it expires: a later write-back needs a new one
        import time

        time.sleep(1.1)
        emu.admin.enqueue_writebacks(1, types=["GENERIC_EVENT"])
        assert emu.admin.wait_writebacks(60)["stats"]["delivered"] == 2
        assert idp.admin.counters()["token_issued"] == issued + 1


def test_enqueue_needs_entities_and_refuses_bad_requests(emu, receiver):
    response = requests.post(f"{emu.base_url}/_admin/writebacks", json={"count": 3}, timeout=10)
    assert response.status_code == 409 and "candidates" in response.json()["error"]
    for body in ({"count": 0}, {"types": ["NOT_A_TYPE"]}, {"colour": "red"}, {"writebacks": [{"type": "X"}]}):
        assert requests.post(f"{emu.base_url}/_admin/writebacks", json=body, timeout=10).status_code == 400, body
    for spec in ({"url": "ftp://x"}, {"auth": {"mode": "header"}}, {"retry": {"max_attempts": 0}}, {"concurrency": 0}):
        assert requests.post(f"{emu.base_url}/_admin/writebacks/config", json=spec, timeout=10).status_code == 400, spec


def test_own_envelopes_are_sent_as_given_and_reset_clears_writebacks(emu, receiver):
    emu.admin.configure_writebacks(url=receiver.url, auth={"mode": "none"}, retry=FAST)
    envelope = {"id": "custom-1", "type": "FUTURE_TYPE", "version": 2.0, "created_date": "2026-01-01T00:00:00+00:00",
                "data": {"anything": [1, 2]}}
    emu.admin.enqueue_envelopes([envelope])
    assert emu.admin.wait_writebacks(60)["stats"]["delivered"] == 1
    assert receiver.requests[0]["body"] == envelope
    assert requests.post(f"{emu.base_url}/_admin/writebacks", json={"writebacks": [envelope]}, timeout=10).status_code == 400
    emu.admin.reset()
    assert emu.admin.writeback_stats()["total"] == 0


def test_cli_configures_the_dispatcher_and_queues_at_start(sense_emulator_factory, receiver, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    emulator = sense_emulator_factory(extra_args=[
        "--writeback-url", receiver.url, "--writeback-auth", "query", "--writeback-token-file", str(token_file),
        "--writeback-sample-entities", "--writeback-enqueue", "12", "--writeback-seed", "4",
        "--writeback-initial-delay", "0.05", "--writeback-max-attempts", "4", "--writeback-concurrency", "2"])
    result = emulator.admin.wait_writebacks(60)
    assert result["done"] and result["stats"]["delivered"] == 12
    assert all(r["args"] == {"token": TOKEN} for r in receiver.requests)
    config = emulator.admin.writeback_config()
    assert config["concurrency"] == 2 and config["retry"]["max_attempts"] == 4
    assert emulator.admin.counts()["candidates"] == 5  # the sample entities went through POST /v1
    assert TOKEN not in _everything_said(emulator)


def test_cli_refuses_incomplete_writeback_settings(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "sense_emulator", "--port", "0", "--writeback-url", "http://127.0.0.1:9/e",
                             "--writeback-auth", "oauth2"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--writeback-discovery-url" in result.stderr
