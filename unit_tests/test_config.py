import pytest

from destination_sense.config import CONNECTION_SPECIFICATION, DEFAULT_API_URL, DEFAULT_TOKEN_URL, SenseConfig
from destination_sense.errors import ConfigError


def test_defaults():
    config = SenseConfig.from_mapping({"client_id": "id", "client_secret": "zz-secret-zz"})
    assert config.api_url == DEFAULT_API_URL == "https://partner-api.sensehq.com/v1"
    assert config.token_url == DEFAULT_TOKEN_URL == "https://partner-auth.sensehq.com/oauth2/token"
    assert (config.batch_size, config.max_batch_bytes, config.flush_interval_seconds) == (500, 256_000, 300)
    assert config.on_invalid_record == "skip" and config.dry_run is False
    assert "zz-secret-zz" not in repr(config)


def test_spec_contract():
    props = CONNECTION_SPECIFICATION["properties"]
    assert props["client_secret"]["airbyte_secret"] is True
    assert {"client_id", "client_secret", "api_url", "token_url"} <= set(props)
    assert props["batch_size"]["maximum"] == 500 and props["max_batch_bytes"]["maximum"] == 256_000
    assert sorted(p["order"] for p in props.values()) == list(range(len(props)))


@pytest.mark.parametrize(
    "override,fragment",
    [
        ({"batch_size": 501}, "batch_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"max_batch_bytes": 300_000}, "max_batch_bytes"),
        ({"on_invalid_record": "ignore"}, "on_invalid_record"),
        ({"api_url": "partner-api.sensehq.com"}, "api_url"),
        ({"client_id": ""}, "client_id"),
        ({"dry_run": "yes"}, "dry_run"),
    ],
)
def test_bad_values_are_named(override, fragment):
    with pytest.raises(ConfigError, match=fragment):
        SenseConfig.from_mapping({"client_id": "id", "client_secret": "s", **override})
