"""source-ats's Bullhorn session and sense-writeback's forwarder session behave the same, against the emulator.

Two implementations exist because source-ats's image is manifest-only (``components.py`` cannot import the
receiver) and the receiver must not install a connector. These tests hold them together: where the rotated
refresh token goes and in which form, that every refresh rotates it and a spent one is refused without a
retry, a 401 re-login, and how a ``Retry-After`` (seconds or an HTTP date) becomes a wait.
"""
from __future__ import annotations

import json
import os
import stat
import time
from email.utils import formatdate

import pytest
import requests

from sense_testing.fixtures_bullhorn import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET
from sense_writeback.forward import bullhorn_session as forwarder
from sense_writeback.forward.bullhorn_client import BullhornClient
from sense_writeback.forward.retry_policy import RetryPolicy, retry_after_seconds
from source_ats import components as connector

CREDENTIALS = {"client_id": EMULATOR_CLIENT_ID, "client_secret": EMULATOR_CLIENT_SECRET}


def _connector_session(emulator, refresh_token):
    config = dict(CREDENTIALS, refresh_token=refresh_token)
    return config, connector.BullhornSession(config, emulator.auth_base_url, emulator.rest_login_url)


def _emitted_refresh_tokens(captured: str):
    """The refresh tokens of the CONNECTOR_CONFIG control messages the connector printed."""
    messages = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    return [m["control"]["connectorConfig"]["config"]["refresh_token"] for m in messages if m.get("type") == "CONTROL"]


def test_both_rotate_the_refresh_token_and_each_reads_what_the_other_kept(bullhorn_emulator, tmp_path, capsys):
    first = bullhorn_emulator.new_refresh_token()
    token_file = tmp_path / "bullhorn-token.json"

    # the forwarder: the rotated token goes to its token file, {"refresh_token": …}, mode 0600
    ours = forwarder.BullhornSession(dict(CREDENTIALS, refresh_token=first), bullhorn_emulator.auth_base_url,
                                     bullhorn_emulator.rest_login_url, str(token_file))
    ours.current()
    kept = json.loads(token_file.read_text())
    assert set(kept) == {"refresh_token"} and kept["refresh_token"] not in ("", first)
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600

    # the connector starts from the forwarder's file (the same key as its config's) and rotates it again,
    # keeping the new one under the same key in the config it emits
    config, theirs = _connector_session(bullhorn_emulator, None)
    config.update(kept)
    theirs = connector.BullhornSession(config, bullhorn_emulator.auth_base_url, bullhorn_emulator.rest_login_url)
    theirs.current()
    emitted = _emitted_refresh_tokens(capsys.readouterr().out)
    assert len(emitted) == 1 and emitted[0] not in (first, kept["refresh_token"]) and config["refresh_token"] == emitted[0]

    # the forwarder reads a token file holding what the connector kept, and rotates again
    token_file.write_text(json.dumps({"refresh_token": emitted[0]}))
    again = forwarder.BullhornSession(dict(CREDENTIALS, refresh_token=first), bullhorn_emulator.auth_base_url,
                                      bullhorn_emulator.rest_login_url, str(token_file))
    again.current()  # the configured (spent) token is not sent: the file's is newer
    assert json.loads(token_file.read_text())["refresh_token"] not in (first, kept["refresh_token"], emitted[0])


def test_both_refuse_a_spent_refresh_token_once_as_a_configuration_problem(bullhorn_emulator, tmp_path):
    spent = bullhorn_emulator.new_refresh_token()
    forwarder.BullhornSession(dict(CREDENTIALS, refresh_token=spent), bullhorn_emulator.auth_base_url,
                              bullhorn_emulator.rest_login_url, str(tmp_path / "a.json")).current()
    before = bullhorn_emulator.stats()
    ours = forwarder.BullhornSession(dict(CREDENTIALS, refresh_token=spent), bullhorn_emulator.auth_base_url,
                                     bullhorn_emulator.rest_login_url, str(tmp_path / "b.json"))
    _, theirs = _connector_session(bullhorn_emulator, spent)
    for _ in range(2):  # the second time: refused again without a request
        with pytest.raises(forwarder.AuthFailed, match="refresh token"):
            ours.current()
        with pytest.raises(connector.AirbyteTracedException, match="refresh token") as refused:
            theirs.current()
        assert refused.value.failure_type == connector.FailureType.config_error
    after = bullhorn_emulator.stats()
    # one refused grant each: neither retried it, nor sent it again the second time
    assert after["token_refresh"] - before["token_refresh"] == 2
    assert after["refresh_token_reuse_rejected"] - before["refresh_token_reuse_rejected"] == 2
    assert not (tmp_path / "b.json").exists()


def test_both_log_in_again_after_a_401(bullhorn_emulator, tmp_path):
    ours = forwarder.BullhornSession(dict(CREDENTIALS, refresh_token=bullhorn_emulator.new_refresh_token()),
                                     bullhorn_emulator.auth_base_url, bullhorn_emulator.rest_login_url, str(tmp_path / "t.json"))
    _, theirs = _connector_session(bullhorn_emulator, bullhorn_emulator.new_refresh_token())
    old = {"ours": ours.current()[0], "theirs": theirs.current()[0]}
    bullhorn_emulator.admin("expire-sessions")
    for name, session in (("ours", ours), ("theirs", theirs)):
        token, url = session.current()
        assert requests.get(url + "ping", headers={"BhRestToken": token}, timeout=10).status_code == 401
        session.renew(token)
        token, url = session.current()
        assert token != old[name] and requests.get(url + "ping", headers={"BhRestToken": token}, timeout=10).status_code == 200


def _throttled_response(emulator, session):
    token, url = session.current()
    for _ in range(4):
        response = requests.get(url + "ping", headers={"BhRestToken": token}, timeout=10)
        if response.status_code == 429:
            return response
    raise AssertionError("the emulator did not throttle")


@pytest.mark.parametrize("http_date", [0, 1], ids=["seconds", "http-date"])
def test_both_wait_what_retry_after_names(bullhorn_emulator, tmp_path, http_date):
    ours = forwarder.BullhornSession(dict(CREDENTIALS, refresh_token=bullhorn_emulator.new_refresh_token()),
                                     bullhorn_emulator.auth_base_url, bullhorn_emulator.rest_login_url, str(tmp_path / "t.json"))
    bullhorn_emulator.admin("config", {"throttle_every": 2, "retry_after": 7, "retry_after_http_date": http_date})
    try:
        response = _throttled_response(bullhorn_emulator, ours)
        header = response.headers["Retry-After"]
        assert (header == "7") != bool(http_date)
        strategy = connector.BullhornBackoffStrategy(config={}, parameters={})
        theirs_wait = strategy.backoff_time(response, 1)
        ours_wait = RetryPolicy().delay(1, header)
        assert 5.0 <= ours_wait <= 7.0 and abs(ours_wait - theirs_wait) < 1.0

        # and the forwarder's client really sleeps that long before trying again
        slept = []
        client = BullhornClient(dict(CREDENTIALS, refresh_token=bullhorn_emulator.new_refresh_token()),
                                bullhorn_emulator.auth_base_url, bullhorn_emulator.rest_login_url,
                                str(tmp_path / "c.json"), sleep=slept.append)
        for _ in range(3):
            client.call("GET", "ping")
        assert client.retries["429"] >= 1 and slept and all(5.0 <= s <= 7.0 for s in slept)
    finally:
        bullhorn_emulator.admin("config", {"throttle_every": 0, "retry_after": 0, "retry_after_http_date": 0})


@pytest.mark.parametrize("header", ["3", " 3 ", formatdate(time.time() + 3, usegmt=True), "soon", "", "-1", "1.5"])
def test_both_read_retry_after_values_alike(header):
    response = requests.Response()
    response.status_code = 429
    response.headers["Retry-After"] = header
    ours = retry_after_seconds(header)
    theirs = connector.BullhornBackoffStrategy(config={}, parameters={}).backoff_time(response, 1)
    if ours is None:
        assert theirs == 1.0  # the connector's default wait for a 429 that names none
    else:
        assert abs(max(ours, 0.01) - theirs) < 1.0
