import pytest

from destination_sense.catalog import routes_from_catalog
from destination_sense.errors import ConfigError


def _stream(name, **extra):
    return {"stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh"]}, "sync_mode": "full_refresh", **extra}


def test_routes_by_name_and_destination_object_name():
    routes = routes_from_catalog(
        {"streams": [_stream("Candidate"), _stream("people", destination_object_name="internal_users", destination_sync_mode="append_dedup")]}
    )
    assert routes[(None, "Candidate")].entity.collection == "candidates"
    assert routes[(None, "people")].entity.collection == "internal-users"
    assert routes[(None, "people")].sync_mode == "append_dedup"


def test_unmapped_streams_list_the_valid_names():
    with pytest.raises(ConfigError) as info:
        routes_from_catalog({"streams": [_stream("notes"), _stream("candidates")]})
    message = str(info.value)
    assert "'notes'" in message and "internal-users" in message and "appointments" in message
    # PyAirbyte cannot set destination_object_name: the config's own ways are named too
    assert "source_preset" in message and "bullhorn" in message and "mappings" in message and "PyAirbyte" in message


def test_unsupported_mode():
    with pytest.raises(ConfigError, match="overwrite"):
        routes_from_catalog({"streams": [_stream("candidates", destination_sync_mode="overwrite")]})
