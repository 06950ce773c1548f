"""source_schema: following mapping paths through a source stream's JSON schema and judging types."""
import pytest

from destination_sense.source_schema import check_expression, resolve
from sense_api.entities import BY_COLLECTION

SCHEMA = {
    "type": ["null", "object"],
    "properties": {
        "id": {"type": ["null", "integer"]},
        "name": {"type": ["null", "string"]},
        "active": {"type": "boolean"},
        "created": {"type": ["null", "string"], "format": "date-time"},
        "createdAt": {"type": ["null", "integer"]},
        "recruiter": {"type": ["null", "string"]},
        "owner": {"type": ["null", "object"]},
        "emails": {"type": "array"},
        "phones": {"type": ["null", "array"], "items": {"type": "object", "properties": {"type": {"type": "string"}, "value": {"type": "string"}}}},
        "tags": {"type": "array", "items": {"type": ["null", "string"]}},
        "team": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}}}},
        "loose": {"type": "array", "items": {"type": "object", "properties": {"value": {"type": "string"}}}},
        "custom_fields": {"type": ["null", "object"], "additionalProperties": {"type": "object", "properties": {"value": {"type": ["null", "string"]}}}},
        "choice": {"anyOf": [{"type": "string"}, {"type": "object", "properties": {"id": {"type": "integer"}}}]},
    },
}
CANDIDATE = BY_COLLECTION["candidates"].schema["properties"]


def _one(expr, field):
    [result] = check_expression(expr, CANDIDATE[field], SCHEMA)
    return result


@pytest.mark.parametrize("path,kind", [
    ("name", "string"), ("phones[type=mobile].value", "string"), ("phones[0].value", "string"),
    ("tags[1]", "string"), ("custom_fields.employment_type.value", "string"), ("choice.id", "integer"),
])
def test_declared_paths_resolve_to_their_schema(path, kind):
    found, why, lookup = resolve(SCHEMA, path)
    assert why is None and lookup == [] and kind in found["type"]


@pytest.mark.parametrize("path,fragment", [
    ("nickname", "not a declared property"),
    ("recruiter.id", "declared as string, not an object"),
    ("owner.id", "properties are not declared"),
    ("emails[0].value", "items are not declared"),
    ("name[0]", "a list step is applied to a value declared as string"),
])
def test_undeclared_paths_say_why(path, fragment):
    found, why, _ = resolve(SCHEMA, path)
    assert found is None and fragment in why


def test_a_lookup_key_must_be_declared_too():
    result = _one("loose[type=home].value", "home_phone")
    assert not result.declared and "lookup key type" in result.problem


def test_compatible_types_pass():
    assert _one("name", "first_name").problem is None
    assert _one("id", "internal_user_id").problem is None  # ids become strings
    assert _one("created", "date_added").problem is None
    assert _one("createdAt", "date_added").problem is None  # epochs are dates
    assert _one({"path": "createdAt", "convert": "epoch_ms"}, "date_added").problem is None
    assert _one({"path": "active", "convert": "not"}, "opt_out_email").problem is None
    assert _one("tags[*]", "custom_array1").problem is None
    assert _one({"path": "name", "convert": "first_word"}, "first_name").problem is None


def test_incompatible_types_are_problems_naming_both_sides():
    assert "the Sense field takes boolean" in _one("name", "opt_out_email").problem
    assert "conversion 'not' expects boolean" in _one({"path": "name", "convert": "not"}, "opt_out_email").problem
    assert "conversion 'epoch_ms'" in _one({"path": "active", "convert": "epoch_ms"}, "date_added").problem
    assert "takes string" in _one("tags", "first_name").problem
    assert "[*] collects elements declared as object" in _one("team[*]", "custom_array1").problem
    assert _one("team[*].id", "custom_array1").problem is None


def test_every_part_of_coalesce_concat_and_sum_is_checked():
    results = check_expression({"coalesce": ["name", "nickname"]}, CANDIDATE["first_name"], SCHEMA)
    assert [(r.path, r.declared) for r in results] == [("name", True), ("nickname", False)]
    [concat] = check_expression({"concat": ["team"]}, CANDIDATE["first_name"], SCHEMA)
    assert "conversion 'concat'" in concat.problem
    parts = check_expression({"path": {"sum": ["createdAt", "id"], "times": [1, 60000]}, "convert": "epoch_ms"},
                             CANDIDATE["date_added"], SCHEMA)
    assert [r.problem for r in parts] == [None, None]
    assert check_expression({"const": "x"}, CANDIDATE["first_name"], SCHEMA) == []
