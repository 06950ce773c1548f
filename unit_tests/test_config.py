import pytest

from destination_sense.config import CONNECTION_SPECIFICATION, DEFAULT_API_URL, DEFAULT_TOKEN_URL, SenseConfig
from destination_sense.errors import ConfigError
from sense_testing.spec_layout import layout_problems


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


def test_the_settings_are_grouped_as_in_airbyte_s_own_destinations():
    assert layout_problems(CONNECTION_SPECIFICATION) == []
    props = CONNECTION_SPECIFICATION["properties"]
    by_group = {g["id"]: sorted((p["order"], name) for name, p in props.items() if p["group"] == g["id"])
                for g in CONNECTION_SPECIFICATION["groups"]}
    assert {group: [name for _, name in members] for group, members in by_group.items()} == {
        "connection": ["client_id", "client_secret", "api_url", "token_url"],
        "mapping": ["source_preset", "mappings", "epoch_unit"],
        "data_handling": ["on_invalid_record", "non_finite_numbers", "on_unreadable_line"],
        "delivery": ["dry_run", "batch_size", "max_batch_bytes", "flush_interval_seconds", "state_delay_seconds",
                     "retry_max_seconds", "max_retries"],
        "outcomes": ["object_storage_config", "record_results", "max_rejected_percent"],
    }
    # the optional settings most users look at stay in view; the rarely changed ones collapse under "Optional fields"
    assert sorted(name for name, p in props.items() if p.get("always_show")) == [
        "dry_run", "max_rejected_percent", "object_storage_config", "on_invalid_record", "source_preset"]


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
