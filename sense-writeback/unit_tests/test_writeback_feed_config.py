"""The feed's settings: read tokens of their own, retention values, the feed's path kept free."""
from __future__ import annotations

import pytest

from sense_writeback.receiver_settings import ConfigError, build_config, load_file

SENSE = "sense-token-0123456789abcdef"
READER = "reader-token-0123456789abcdef"


def test_read_tokens_come_from_the_environment_and_retention_from_anywhere():
    config = build_config({"retention_days": 30}, {"SENSE_WRITEBACK_TOKENS": SENSE,
                                                   "SENSE_WRITEBACK_READ_TOKENS": READER}, {})
    assert config.read_tokens.matches(READER) and not config.read_tokens.matches(SENSE)
    assert config.retention_days == 30.0 and config.describe()["feed"] is True
    assert READER not in repr(config) and READER not in str(config.describe())


def test_a_read_token_that_is_also_senses_is_refused():
    with pytest.raises(ConfigError, match="their own"):
        build_config({}, {"SENSE_WRITEBACK_TOKENS": SENSE, "SENSE_WRITEBACK_READ_TOKENS": SENSE}, {})


def test_read_tokens_are_refused_in_a_config_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"read_tokens": ["%s"]}' % READER)
    with pytest.raises(ConfigError, match="secrets"):
        load_file(str(path))


@pytest.mark.parametrize("values, match", [({"retention_days": -1}, "retention"),
                                           ({"retention_interval": 0}, "retention"),
                                           ({"event_path": "/writebacks"}, "event_path")])
def test_bad_feed_settings_are_refused(values, match):
    with pytest.raises(ConfigError, match=match):
        build_config(values, {"SENSE_WRITEBACK_TOKENS": SENSE}, {})
