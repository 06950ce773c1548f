import json
import pathlib

import pytest

from sense_api.entities import COLLECTIONS, ENTITIES, entity_for_name, reference_target
from sense_api.schema_convert import convert_openapi

REFERENCE = pathlib.Path(__file__).resolve().parents[3] / "shared" / "reference" / "sense-openapi.json"


def test_sync_order_is_the_published_one():
    assert COLLECTIONS == (
        "internal-users", "candidates", "client-contacts", "companies", "job-orders",
        "submissions", "placements", "leads", "certifications", "appointments",
    )
    assert [e.order for e in ENTITIES] == list(range(10))


@pytest.mark.parametrize(
    "name,collection",
    [
        ("candidates", "candidates"), ("Candidate", "candidates"), ("client_contacts", "client-contacts"),
        ("ClientContact", "client-contacts"), ("job-orders", "job-orders"), ("Job Order", "job-orders"),
        ("companies", "companies"), ("COMPANY", "companies"), ("internal users", "internal-users"),
        ("InternalUser", "internal-users"), ("certification", "certifications"), ("Appointments", "appointments"),
    ],
)
def test_stream_names_match_entities(name, collection):
    assert entity_for_name(name).collection == collection


@pytest.mark.parametrize("name", ["", "candidatez", "notes", "corporate_users"])
def test_unknown_names_match_nothing(name):
    assert entity_for_name(name) is None


def test_reference_fields():
    by = {e.collection: e for e in ENTITIES}
    assert by["placements"].references["candidate_id"] == "candidates"
    assert by["candidates"].references["internal_user_id3"] == "internal-users"
    assert by["submissions"].references["sending_user_id"] == "internal-users"
    assert by["appointments"].references["owner_id"] == "internal-users"
    assert by["client-contacts"].references["company_id"] == "companies"
    assert reference_target("first_name") is None


def test_every_field_of_the_spec_is_in_the_schemas():
    assert sum(len(e.fields) for e in ENTITIES) == 1324
    candidate = next(e for e in ENTITIES if e.collection == "candidates").schema
    families = {name.rstrip("0123456789") for name in candidate["properties"] if name.startswith("custom_")}
    assert families == {
        "custom_text", "custom_text_block", "custom_date", "custom_datetime", "custom_float",
        "custom_integer", "custom_array", "custom_boolean",
    }
    for entity in ENTITIES:
        schema = entity.schema
        assert schema["required"] == ["id"]
        assert schema["properties"]["id"] == {"type": "string", "minLength": 1}
        assert schema["additionalProperties"] is False


def test_formats_are_exact():
    job = next(e for e in ENTITIES if e.collection == "job-orders").schema["properties"]
    assert job["date_start"]["format"] == "date-or-date-time"
    assert job["description"]["maxLength"] == 1_500_000
    cand = next(e for e in ENTITIES if e.collection == "candidates").schema["properties"]
    assert cand["date_of_birth"]["format"] == "date"
    assert cand["date_added"]["format"] == "date-time"
    assert cand["custom_array1"] == {"type": ["array", "null"], "items": {"type": "string"}}


@pytest.mark.skipif(not REFERENCE.exists(), reason="reference OpenAPI document not present")
def test_committed_schemas_match_the_reference_openapi():
    document = json.loads(REFERENCE.read_text())
    expected = convert_openapi(document)
    for entity in ENTITIES:
        assert entity.schema == json.loads(json.dumps(expected[entity.collection])), entity.collection
    # and independently of the converter: same field names and base types as the spec
    components = document["components"]["schemas"]
    for entity in ENTITIES:
        spec_props = components[entity.name]["properties"]
        assert set(entity.schema["properties"]) == set(spec_props), entity.collection
        for name, prop in spec_props.items():
            ours = entity.schema["properties"][name]
            ours_type = ours["type"] if isinstance(ours["type"], str) else ours["type"][0]
            assert ours_type == prop["type"], (entity.collection, name)
            assert ("null" in ours["type"]) == bool(prop.get("nullable")), (entity.collection, name)
