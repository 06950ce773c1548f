"""source-ats manifest: streams, fields ↔ schemas, spec, limits. No network."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from sense_api import bullhorn
from sense_testing.spec_layout import layout_problems

CONNECTOR = Path(__file__).resolve().parents[1]
ROOT = CONNECTOR / "source_ats"
MANIFEST = yaml.safe_load((ROOT / "manifest.yaml").read_text())


def _resolved(stream):
    """A stream entry; an entry that is only a `$ref` into definitions is replaced by its target."""
    if "name" not in stream and set(stream) == {"$ref"}:
        return MANIFEST["definitions"][stream["$ref"].rsplit("/", 1)[1]]
    return stream


def _branches():
    """The stream list in each update method: {"date_last_modified": [...], "change_events": [...]}."""
    out = {"date_last_modified": [], "change_events": []}
    for entry in MANIFEST["streams"]:
        if entry.get("type") == "ConditionalStreams":
            method = "change_events" if entry["condition"].startswith("{{ (config") else "date_last_modified"
            out[method].extend(entry["streams"])
        else:
            for streams in out.values():
                streams.append(_resolved(entry))
    return out


BRANCHES = _branches()
STREAMS = {s["name"]: s for s in BRANCHES["date_last_modified"]}
CHANGE_EVENT_STREAMS = {s["name"]: s for s in BRANCHES["change_events"]}

# The Bullhorn correspondence (sense_api.bullhorn) names the streams, their order and their Bullhorn entities;
# the manifest cannot import it (the image is manifest-only), so these tests hold the manifest to it.
EXPECTED_ORDER = list(bullhorn.STREAM_ORDER)
ENTITIES = bullhorn.STREAM_ENTITY
# Custom-field ranges from Bullhorn's entity reference: (customText, customTextBlock, customDate, customFloat, customInt).
CUSTOM_RANGES = {
    "corporate_users": (20, 0, 3, 3, 3), "candidates": (40, 10, 13, 23, 23), "client_contacts": (20, 5, 3, 3, 3),
    "client_corporations": (20, 5, 3, 3, 3), "job_orders": (40, 5, 3, 3, 8), "job_submissions": (25, 5, 5, 5, 5),
    "placements": (60, 10, 13, 23, 23), "leads": (20, 5, 3, 3, 3), "candidate_certifications": (10, 10, 10, 0, 0),
    "appointments": (0, 0, 0, 0, 0),
}


def _fields_expression(schema):
    parts = []
    for name, prop in schema["properties"].items():
        if "object" in prop.get("type", []) and prop.get("properties"):
            parts.append(f"{name}({','.join(prop['properties'])})")
        else:
            parts.append(name)
    return ",".join(parts)


def _schema(name):
    return MANIFEST["schemas"][name]


def test_streams_in_sense_dependency_order():
    # picklists first (destination-sense sends possible values before the records using them),
    # the entities in Sense's order, the candidates' files last.
    assert list(STREAMS) == [bullhorn.PICKLIST_STREAM] + EXPECTED_ORDER + [bullhorn.FILES_STREAM]


@pytest.mark.parametrize("pair", bullhorn.streams(), ids=lambda p: p.stream)
def test_every_bullhorn_path_of_the_correspondence_is_read_by_the_manifest(pair):
    properties = _schema(pair.stream)["properties"]
    for field in pair.fields.values():
        for path in field.bullhorn:
            head, _, sub = path.partition(".")
            assert head in properties, (pair.stream, field.sense, path)
            if sub:
                assert sub in properties[head].get("properties", {}), (pair.stream, field.sense, path)


def test_the_change_event_subscription_covers_the_entities_of_the_correspondence():
    retriever = MANIFEST["definitions"]["change_event_stream"]["retriever"]
    assert tuple(retriever["subscribed_entities"].split(",")) == tuple(bullhorn.STREAM_ENTITY.values())


def test_the_files_stream_reads_the_entity_and_fields_of_the_correspondence():
    stream = STREAMS[bullhorn.FILES_STREAM]
    assert stream["retriever"]["requester"]["path"].startswith(f"entity/{bullhorn.document()['files']['bullhorn_entity']}/")
    properties = _schema(bullhorn.FILES_STREAM)["properties"]
    for field in bullhorn.file_fields().values():
        head, _, sub = field.path.partition(".")
        assert head in properties and (not sub or sub in properties[head]["properties"]), field


def test_change_event_mode_has_the_same_streams_on_the_change_event_retriever():
    assert list(CHANGE_EVENT_STREAMS) == list(STREAMS)
    conditions = [e["condition"] for e in MANIFEST["streams"] if e.get("type") == "ConditionalStreams"]
    assert conditions == ["{{ not ((config.get('replication_method') or {}).get('method') == 'change_events') }}",
                          "{{ (config.get('replication_method') or {}).get('method') == 'change_events' }}"]
    for name in EXPECTED_ORDER:
        stream = CHANGE_EVENT_STREAMS[name]
        assert stream["$ref"] == "#/definitions/change_event_stream"
        assert stream["$parameters"] == STREAMS[name]["$parameters"]
        assert stream["schema_loader"] == [STREAMS[name]["schema_loader"], {"$ref": "#/definitions/cdc_schema_loader"}]
    definition = MANIFEST["definitions"]["change_event_stream"]
    assert definition["retriever"]["class_name"].endswith(".BullhornChangeEventRetriever")
    assert definition["incremental_sync"]["cursor_field"] == "dateLastModified" and "step" not in definition["incremental_sync"]
    cdc = MANIFEST["definitions"]["cdc_schema_loader"]["schema"]["properties"]
    assert cdc == {"_ab_cdc_deleted_at": {"type": ["null", "string"], "format": "date-time",
                                          "description": cdc["_ab_cdc_deleted_at"]["description"]}}


@pytest.mark.parametrize("name", EXPECTED_ORDER)
def test_stream_definition(name):
    stream = STREAMS[name]
    assert stream["$parameters"]["entity"] == ENTITIES[name]
    assert stream["schema_loader"]["schema"] == {"$ref": f"#/schemas/{name}"}
    schema = _schema(name)
    assert stream["$parameters"]["fields"] == _fields_expression(schema), "fields param must equal schema properties"
    assert schema["required"] == ["id", "dateLastModified"]
    assert schema["properties"]["id"]["type"] == "integer"
    assert schema["properties"]["dateLastModified"]["type"] == "integer"


def test_schema_files_are_what_make_schemas_generates_from_the_manifest():
    from source_ats.generate_schemas import schema_files

    expected = schema_files(MANIFEST)
    assert sorted(expected) == sorted(p.name for p in (ROOT / "schemas").glob("*.json"))
    for name, text in expected.items():
        assert (ROOT / "schemas" / name).read_text() == text, f"{name} is stale: run make schemas"


@pytest.mark.parametrize("name", EXPECTED_ORDER)
def test_schema_files_equal_the_inline_schemas(name):
    on_disk = json.loads((ROOT / "schemas" / f"{name}.json").read_text())
    on_disk.pop("$schema", None)
    assert on_disk == _schema(name)


@pytest.mark.parametrize("name", EXPECTED_ORDER)
def test_custom_fields_sense_has_slots_for(name):
    props = _schema(name)["properties"]
    text, block, date, flt, inte = CUSTOM_RANGES[name]
    for prefix, n, json_type in (("customText", text, "string"), ("customTextBlock", block, "string"),
                                 ("customDate", date, "integer"), ("customFloat", flt, "number"),
                                 ("customInt", inte, "integer")):
        found = sorted(int(m.group(1)) for k in props for m in [re.fullmatch(prefix + r"(\d+)", k)] if m)
        assert found == list(range(1, n + 1)), prefix
        for i in found:
            assert props[f"{prefix}{i}"]["type"] == ["null", json_type]


def test_is_deleted_where_bullhorn_has_it():
    without = {"client_corporations", "placements"}  # Bullhorn does not soft-delete these
    for name in EXPECTED_ORDER:
        assert ("isDeleted" in _schema(name)["properties"]) == (name not in without), name


def test_to_one_references_are_id_objects():
    for name in EXPECTED_ORDER:
        for field, prop in _schema(name)["properties"].items():
            if "object" in prop.get("type", []) and field not in ("address", "billingAddress"):
                assert "id" in prop["properties"], f"{name}.{field}"


def test_requester_query_and_incremental_definitions():
    requester = MANIFEST["definitions"]["requester"]
    assert requester["path"] == "query/{{ parameters['entity'] }}"
    params = requester["request_parameters"]
    assert params["orderBy"] == "dateLastModified,id"
    assert "dateLastModified>={{ stream_interval['start_time'] }}" in params["where"]
    assert "dateLastModified<={{ stream_interval['end_time'] }}" in params["where"]
    cursor = MANIFEST["definitions"]["incremental_sync"]
    assert cursor["cursor_field"] == "dateLastModified" and cursor["datetime_format"] == "%ms"
    assert cursor["cursor_granularity"] == "PT0.001S" and cursor["lookback_window"] == "-PT0.001S"
    paginator = MANIFEST["definitions"]["paginator"]
    assert paginator["page_size_option"]["field_name"] == "count"
    assert paginator["page_token_option"]["field_name"] == "start"


def test_spec_marks_secrets_and_limits():
    spec = MANIFEST["spec"]["connection_specification"]
    props = spec["properties"]
    for secret in ("client_secret", "refresh_token", "password"):
        assert props[secret].get("airbyte_secret") is True, secret
    for not_secret in ("client_id", "username", "auth_base_url", "rest_login_url"):
        assert not props[not_secret].get("airbyte_secret"), not_secret
    assert props["page_size"]["maximum"] == 500 and props["page_size"]["default"] == 500
    assert props["max_calls_per_minute"]["maximum"] < 1500
    assert props["auth_base_url"]["default"] == "https://auth.bullhornstaffing.com/oauth"
    assert props["rest_login_url"]["default"] == "https://rest.bullhornstaffing.com/rest-services"
    assert set(spec["required"]) == {"client_id", "client_secret", "start_date"}


def test_spec_groups_the_settings_as_airbyte_forms_do():
    spec = MANIFEST["spec"]["connection_specification"]
    assert layout_problems(spec) == []
    props = spec["properties"]
    members = {g["id"]: [n for n, p in sorted(props.items(), key=lambda kv: kv[1]["order"]) if p["group"] == g["id"]] for g in spec["groups"]}
    assert members == {
        "authentication": ["client_id", "client_secret", "refresh_token", "username", "password", "redirect_uri"],
        "replication": ["start_date", "replication_method"],
        "data_centre": ["auth_base_url", "rest_login_url"],
        "reading": ["page_size", "window_size_days", "max_calls_per_minute", "num_workers"],
    }
    # one of refresh token or username/password is needed, and most tenants are not on the default data centre:
    # those optional settings stay in view; the rarely changed ones collapse under "Optional fields"
    assert sorted(n for n, p in props.items() if p.get("always_show")) == [
        "auth_base_url", "password", "refresh_token", "rest_login_url", "username"]


def test_error_handling_and_budget():
    handler = MANIFEST["definitions"]["error_handler"]
    actions = {code: f["action"] for f in handler["response_filters"] for code in f["http_codes"]}
    assert actions[401] == "RETRY" and actions[429] == "RATE_LIMITED" and actions[412] == "FAIL"
    budget = MANIFEST["api_budget"]
    assert budget["policies"][0]["rates"][0]["interval"] == "PT1M"
    assert 429 not in budget["status_codes_for_ratelimit_hit"]


def test_metadata_declares_a_low_code_source():
    meta = yaml.safe_load((CONNECTOR / "metadata.yaml").read_text())["data"]
    assert meta["connectorType"] == "source"
    assert "cdk:low-code" in meta["tags"]
    assert meta["dockerRepository"] == "airbyte/source-ats"


def test_manifest_validates_against_the_cdk_schema():
    from source_ats.source import SourceAts

    config = {"start_date": "2020-01-01T00:00:00Z", "client_id": "x", "client_secret": "y", "refresh_token": "z"}
    source = SourceAts(config=config)
    assert [s.name for s in source.streams(config=config)] == list(STREAMS)


def test_metadata_declares_file_transfer():
    meta = yaml.safe_load((CONNECTOR / "metadata.yaml").read_text())["data"]
    assert meta["supportsFileTransfer"] is True


def test_picklist_options_cover_exactly_the_picklists_sense_has_slots_for():
    """Each partition lists the picklist fields of one entity that the Bullhorn correspondence pairs with Sense."""
    from bullhorn_emulator.data import ENTITY_FIELDS
    from bullhorn_emulator.picklists import PICKLIST_KINDS

    stream = STREAMS["picklist_options"]
    partitions = stream["retriever"]["partition_router"]["values"]
    listed = {(p.split(":")[0], f) for p in partitions for f in p.split(":")[1].split(",")}
    mapped = {(pair.bullhorn_entity, path) for pair in bullhorn.streams() for f in pair.fields.values() for path in f.bullhorn}
    expected = {
        (entity, name) for entity, spec in ENTITY_FIELDS.items() for name, kind in spec
        if kind in PICKLIST_KINDS and (entity, name) in mapped
    }
    assert listed == expected
    assert stream["primary_key"] == [["entity"], ["field_name"]]
    assert "incremental_sync" not in stream  # Bullhorn's metadata has no modification date


def test_candidate_files_use_the_cdk_file_uploader_incrementally():
    stream = STREAMS["candidate_files"]
    uploader = stream["file_uploader"]
    assert uploader["type"] == "FileUploader"
    assert uploader["requester"]["path"].endswith("/raw")
    parent = stream["retriever"]["partition_router"]["parent_stream_configs"][0]
    assert parent["incremental_dependency"] is True and parent["stream"]["name"] != "candidates"
    assert stream["incremental_sync"]["cursor_field"] == "dateAdded"
    assert stream["incremental_sync"]["global_substream_cursor"] is True
