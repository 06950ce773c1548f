"""spec and check through the real console script."""
import socket

from sense_testing.destination_harness import config_for, run_command


def test_spec(tmp_path):
    result = run_command(tmp_path, "spec")
    assert result.returncode == 0
    (message,) = result.messages
    spec = message["spec"]
    props = spec["connectionSpecification"]["properties"]
    assert props["client_secret"]["airbyte_secret"] is True
    assert props["api_url"]["default"] == "https://partner-api.sensehq.com/v1"
    assert props["token_url"]["default"] == "https://partner-auth.sensehq.com/oauth2/token"
    assert (props["batch_size"]["default"], props["max_batch_bytes"]["default"]) == (500, 256000)
    assert sorted(spec["supported_destination_sync_modes"]) == ["append", "append_dedup", "soft_delete", "update"]
    assert props["source_preset"]["enum"][0] == "none" and "bullhorn" in props["source_preset"]["enum"]


def _status(result):
    assert result.returncode == 0, result.stderr[-2000:]
    (message,) = result.of_type("CONNECTION_STATUS")
    return message["connectionStatus"]


def test_check_succeeds(sense_emulator, tmp_path):
    assert _status(run_command(tmp_path, "check", config_for(sense_emulator)))["status"] == "SUCCEEDED"
    assert sense_emulator.admin.stats()["token_requests"] == 1


def test_check_wrong_credentials(sense_emulator, tmp_path):
    status = _status(run_command(tmp_path, "check", config_for(sense_emulator, client_secret="wrong-one")))
    assert status["status"] == "FAILED"
    assert "client_id and client_secret" in status["message"]


def test_check_unreachable_host(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    config = {"client_id": "a", "client_secret": "b", "api_url": f"http://127.0.0.1:{port}/v1", "token_url": f"http://127.0.0.1:{port}/oauth2/token"}
    status = _status(run_command(tmp_path, "check", config))
    assert status["status"] == "FAILED" and "could not be reached" in status["message"]


def test_check_bad_urls(sense_emulator, tmp_path):
    status = _status(run_command(tmp_path, "check", config_for(sense_emulator, api_url="not a url")))
    assert status["status"] == "FAILED" and "api_url" in status["message"]
    wrong_path = config_for(sense_emulator, api_url=sense_emulator.base_url + "/v9")
    status = _status(run_command(tmp_path, "check", wrong_path))
    assert status["status"] == "FAILED" and "api_url" in status["message"]
    wrong_token_path = config_for(sense_emulator, token_url=sense_emulator.base_url + "/token")
    status = _status(run_command(tmp_path, "check", wrong_token_path))
    assert status["status"] == "FAILED" and "token" in status["message"]


def test_check_rejects_a_bad_mapping_before_any_request(sense_emulator, tmp_path):
    config = config_for(sense_emulator, source_preset="bullhorn", mappings='{"candidates": {"fields": {"shoe_size": "shoeSize"}}}')
    status = _status(run_command(tmp_path, "check", config))
    assert status["status"] == "FAILED" and "shoe_size" in status["message"]
    assert sense_emulator.admin.stats()["token_requests"] == 0


def test_discover_prints_the_destination_catalog(tmp_path):
    from airbyte_cdk.models import Type
    from airbyte_protocol_dataclasses.models import DestinationCatalog
    from serpyco_rs import Serializer

    result = run_command(tmp_path, "discover", {"client_id": "a", "client_secret": "b"})
    assert result.returncode == 0, result.stderr
    (raw,) = result.messages
    assert raw["type"] == Type.DESTINATION_CATALOG.value
    # valid for the protocol models the CDK is built on (the CDK's own AirbyteMessage lacks this field)
    operations = Serializer(DestinationCatalog).load(raw["destination_catalog"]).operations
    assert len(operations) == 42  # ten entities × four operations, possible values, resumes
    by_key = {(op.object_name, op.sync_mode.value): op for op in operations}
    assert by_key[("candidates", "append")].json_schema == by_key[("candidates", "append_dedup")].json_schema
    upsert = by_key[("candidates", "append_dedup")]
    assert upsert.matching_keys == [["id"]]
    assert "id" not in upsert.json_schema.get("required", [])
    assert len(upsert.json_schema["properties"]) == 185
    assert set(by_key[("placements", "soft_delete")].json_schema["properties"]) == {"id"}
    assert by_key[("job-orders", "update")].json_schema["properties"]["description"]["maxLength"] == 1_500_000
    values = by_key[("possible_values", "append")]
    assert values.matching_keys == [["entity", "field_name"]]
    assert set(values.json_schema["properties"]) == {"entity", "field_name", "values"}
    assert by_key[("resumes", "append")].matching_keys == [["candidate_id", "resume_id"]]


def test_discover_offers_date_or_date_time_fields_in_standard_json_schema(tmp_path):
    from datetime import datetime

    import jsonschema

    result = run_command(tmp_path, "discover", {"client_id": "a", "client_secret": "b"})
    (raw,) = result.messages
    assert "date-or-date-time" not in result.stdout
    operation = next(op for op in raw["destination_catalog"]["operations"] if (op["object_name"], op["sync_mode"]) == ("placements", "append"))
    date_start = operation["json_schema"]["properties"]["date_start"]
    assert date_start["anyOf"] == [{"format": "date"}, {"format": "date-time"}] and "format" not in date_start
    checker = jsonschema.FormatChecker(["date"])
    checker.checks("date-time", ValueError)(lambda value: not isinstance(value, str) or "T" in value and bool(datetime.fromisoformat(value)))
    validator = jsonschema.Draft7Validator(date_start, format_checker=checker)
    for value in ("2024-04-01", "2024-04-01T09:30:00Z", None):
        assert validator.is_valid(value), value
    for value in ("soon", "2024-13-01"):
        assert not validator.is_valid(value), value


def test_discover_with_an_unknown_preset_is_a_config_error(tmp_path):
    result = run_command(tmp_path, "discover", {"client_id": "a", "client_secret": "b", "source_preset": "taleo"})
    assert result.returncode != 0
    assert result.errors[0]["failure_type"] == "config_error" and "taleo" in result.errors[0]["message"]


def test_write_with_a_bad_mapping_fails_before_sending(sense_emulator, tmp_path):
    from sense_testing.destination_harness import catalog, record, run_write

    config = config_for(sense_emulator, source_preset="bullhorn", mappings={"candidates": {"fields": {"first_name": "firstName", "favourite": "x"}}})
    result = run_write(tmp_path, config, catalog("candidates"), [record("candidates", {"id": 1, "firstName": "A"})])
    assert result.returncode != 0
    (error,) = result.errors
    assert error["failure_type"] == "config_error" and "favourite" in error["message"] and "candidates" in error["message"]
    assert [r for r in sense_emulator.admin.requests() if r["method"] == "POST" and r.get("collection")] == []
