"""sense_writeback.console.replay: the forwarder's settings for a replay, refusal without credentials,
errors scrubbed of credentials (the replay itself runs against the Bullhorn emulator in
integration_tests/test_console_browser.py)."""
import pytest

from sense_writeback.config import build_config
from sense_writeback.console.replay import Replays, ReplayUnavailable, forward_settings, scrub
from sense_writeback.console.settings import ReplaySettings

BASE = {"SENSE_WRITEBACK_TOKENS": "sense-token-0123456789"}


def test_replay_settings_from_file_and_env():
    config = build_config({"console": {"replay": {"state_file": "a.json", "actions": {"GENERIC_EVENT": "Ev"},
                                                  "commenting_person": 3}}},
                          {**BASE, "SENSE_WRITEBACK_BULLHORN_LOGIN_URL": "http://bh/rest-services"}, {})
    replay = config.console.replay
    assert replay.state_file == "a.json" and replay.bullhorn_login_url == "http://bh/rest-services"
    settings = forward_settings(replay)
    assert settings.rest_login_url == "http://bh/rest-services" and settings.state_file == "a.json"
    assert settings.action("GENERIC_EVENT") == "Ev" and settings.default_commenting_person == 3
    assert settings.action("MESSAGING_INCOMING_MESSAGE") == "Text Received"  # defaults kept


def test_replay_errors_are_scrubbed_of_credentials():
    text = "AuthFailed: refresh token rt-0123456789 refused for client cid-1 (secret s3cr3t-value)"
    assert scrub(text, ["rt-0123456789", "s3cr3t-value", "", "cid-1"]) == \
        "AuthFailed: refresh token <redacted> refused for client <redacted> (secret <redacted>)"


def test_replay_refused_without_the_forwarders_credentials():
    replays = Replays(store=None, replay=ReplaySettings(), env={})
    assert "SENSE_WRITEBACK_BULLHORN_CLIENT_ID" in replays.unavailable_reason()
    with pytest.raises(ReplayUnavailable):
        replays.start([1], "one write-back")
    assert replays.jobs == {}
