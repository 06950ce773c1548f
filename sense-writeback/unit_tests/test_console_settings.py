"""sense_writeback.console.settings through the receiver's config: admin tokens, path, refusals."""
import pytest

from sense_writeback.config import ConfigError, build_config

SENSE, READER, ADMIN = "sense-token-0123456789", "reader-token-0123456789", "admin-token-0123456789"
BASE = {"SENSE_WRITEBACK_TOKENS": SENSE}


def test_console_on_with_admin_tokens_from_env_or_file(tmp_path):
    config = build_config({}, {**BASE, "SENSE_WRITEBACK_ADMIN_TOKENS": ADMIN}, {})
    assert config.console.enabled and config.console.path == "/console"
    assert config.console.admin_tokens.matches(ADMIN) and not config.console.admin_tokens.matches(SENSE)
    assert ADMIN not in repr(config) and ADMIN not in str(config.describe())
    (tmp_path / "admin").write_text(ADMIN + "\n")
    config = build_config({"console": {"admin_tokens_file": str(tmp_path / "admin"), "path": "/ops/"}}, BASE, {})
    assert config.console.enabled and config.console.path == "/ops"


def test_console_off_without_tokens_or_when_turned_off():
    assert not build_config({}, BASE, {}).console.enabled
    off = build_config({}, {**BASE, "SENSE_WRITEBACK_ADMIN_TOKENS": ADMIN, "SENSE_WRITEBACK_CONSOLE_PATH": "off"}, {})
    assert not off.console.enabled and off.console.describe()["path"] is None


@pytest.mark.parametrize("values, env, message", [
    ({}, {"SENSE_WRITEBACK_ADMIN_TOKENS": SENSE}, "also one of Sense's or the feed's tokens"),
    ({}, {"SENSE_WRITEBACK_ADMIN_TOKENS": READER, "SENSE_WRITEBACK_READ_TOKENS": READER}, "the console needs its own"),
    ({}, {"SENSE_WRITEBACK_ADMIN_TOKENS": "short"}, "shorter than 16"),
    ({"console": {"path": "/metrics"}}, {}, "console path"),
    ({"console": {"path": "console"}}, {}, "console path"),
    ({"console": {"colour": "blue"}}, {}, "unknown console config key"),
    ({"console": {"replay": {"bullhorn_password": "x"}}}, {}, "unknown console.replay key"),
    ({"console": {"admin_tokens": [ADMIN]}}, {}, "not in the config file"),
    ({"console": {"session_hours": 0}}, {}, "session_hours"),
])
def test_refused_console_settings(values, env, message):
    with pytest.raises(ConfigError, match=message):
        build_config(values, {**BASE, **env}, {})
