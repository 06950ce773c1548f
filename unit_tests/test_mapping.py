"""The mapping layer: expression forms, compile errors, presets + overrides, stream lookup."""
import json

import pytest

from destination_sense.errors import ConfigError
from destination_sense.mapping import PRESETS, MappingTable, StreamMapping, build_mappings, load_preset, mappings_from_config
from destination_sense.mapping_expressions import (
    CONVERSIONS,
    MISSING,
    ExpressionError,
    compile_expression,
    describe,
    expression_reads,
    parse_path,
)

RECORD = {
    "id": 42,
    "firstName": "Ava",
    "lastName": "Smith",
    "owner": {"id": 7, "name": "Liam"},
    "emails": ["a@x.io", "b@x.io"],
    "phone_numbers": [{"type": "home", "value": "111"}, {"type": "Mobile", "value": "222"}],
    "contacts": [{"isPrimary": False, "value": "c2"}, {"isPrimary": True, "value": "c1"}],
    "interviewers": [{"id": "u1"}, {"name": "no id"}, {"id": "u3"}],
    "dateAdded": 1_700_000_000_123,
    "startSeconds": 1_700_000_000,
    "created_at": "2024-03-05T10:11:12Z",
    "birthday": "1971-04-08",
    "skillSet": "Java, SQL, ,Python",
    "tags": ["a", "b"],
    "nothing": None,
    "deep": {"a": {"b": [{"c": 1}, {"c": 2}]}},
    "fullName": "Mary Ann Lee",
    "isPublic": -1,
    "hours": 7.5,
    "flag": True,
}


def value(expr, record=RECORD):
    return compile_expression(expr)(record)


# ---------------------------------------------------------------- paths


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("firstName", "Ava"),
        ("owner.id", 7),
        ("emails[0]", "a@x.io"),
        ("emails[-1]", "b@x.io"),
        ("phone_numbers[type=mobile].value", "222"),  # case-insensitive match
        ("phone_numbers[type=home].value", "111"),
        ("contacts[isPrimary=true].value", "c1"),  # booleans match true/false
        ("contacts[isPrimary=false].value", "c2"),
        ("interviewers[*].id", ["u1", "u3"]),  # elements without the key are skipped
        ("deep.a.b[1].c", 2),
        ("deep.a.b[*].c", [1, 2]),
        ("nothing", None),  # present but null: sent as null
    ],
)
def test_path_forms(expr, expected):
    assert value(expr) == expected


@pytest.mark.parametrize(
    "expr",
    ["missing", "owner.missing", "emails[5]", "phone_numbers[type=fax].value", "firstName.x", "owner[0]", "emails.x", "nothing.x"],
)
def test_missing_paths_give_missing_not_errors(expr):
    assert value(expr) is MISSING


def test_path_on_non_dict_intermediate_is_missing():
    assert value("a.b", {"a": "text"}) is MISSING
    assert value("a[0].b", {"a": {"b": 1}}) is MISSING
    assert value("a[*].b", {"a": "text"}) is MISSING


# ---------------------------------------------------------------- object forms


def test_const_and_concat_and_coalesce():
    assert value({"const": "Active"}) == "Active"
    assert value({"const": None}) is None
    assert value({"concat": ["firstName", "lastName"], "sep": " "}) == "Ava Smith"
    assert value({"concat": ["firstName", {"const": "-"}, "owner.id"]}) == "Ava-7"
    # missing, null and empty parts are skipped, and no doubled separators appear
    assert value({"concat": ["firstName", "missing", "nothing", "lastName"], "sep": " "}) == "Ava Smith"
    assert value({"concat": ["missing", "nothing"], "sep": " "}) is MISSING
    assert value({"coalesce": ["missing", "nothing", "owner.id", "firstName"]}) == 7
    assert value({"coalesce": ["missing", "nothing"]}) is MISSING


def test_path_form_with_default_and_map():
    assert value({"path": "missing", "default": "x"}) == "x"
    assert value({"path": "nothing", "default": False}) is False
    assert value({"path": "missing"}) is MISSING
    assert value({"path": "nothing"}) is None
    assert value({"path": "isPublic", "map": {"1": True, "0": False, "-1": False}}) is False
    assert value({"path": "firstName", "map": {"Bob": "Robert"}}) == "Ava"  # unmapped values are kept
    assert value({"path": "flag", "map": {"true": "Y"}}) == "Y"
    assert value({"path": {"coalesce": ["missing", "created_at"]}, "convert": "date"}) == "2024-03-05"


@pytest.mark.parametrize(
    "convert, path, expected",
    [
        ("epoch_ms", "dateAdded", "2023-11-14T22:13:20.123+00:00"),
        ("epoch_s", "startSeconds", "2023-11-14T22:13:20+00:00"),
        (["epoch_ms", "date"], "dateAdded", "2023-11-14"),
        ("date_string", "created_at", "2024-03-05T10:11:12Z"),
        ("iso", "birthday", "1971-04-08T00:00:00+00:00"),
        ("date", "created_at", "2024-03-05"),
        ("date", "birthday", "1971-04-08"),
        ("string", "owner.id", "7"),
        ("string", "flag", "true"),
        ("round", "hours", 8),
        ("not", "flag", False),
        ("exists", "firstName", True),
        ("exists", "tags", True),
        ("first", "emails", "a@x.io"),
        ("first", "firstName", "Ava"),
        ("join", "tags", "a, b"),
        ("split", "skillSet", ["Java", "SQL", "Python"]),
        ("first_word", "fullName", "Mary"),
        ("rest_words", "fullName", "Ann Lee"),
        ("rest_words", "firstName", None),
    ],
)
def test_conversions(convert, path, expected):
    assert value({"path": path, "convert": convert}) == expected


def test_epoch_ms_is_explicit_for_dates_near_1970():
    # 40e9 ms is 1971; read as seconds (what auto-detection would do) it would be year 3237.
    assert value({"path": "x", "convert": ["epoch_ms", "date"]}, {"x": 40_000_000_000}) == "1971-04-08"
    assert value({"path": "x", "convert": "epoch_ms"}, {"x": "1700000000000"}) == "2023-11-14T22:13:20+00:00"


def test_join_and_split_take_a_separator():
    assert value({"path": "tags", "convert": "join", "sep": "|"}) == "a|b"
    assert value({"path": "x", "convert": "split", "sep": ";"}, {"x": "a; b;"}) == ["a", "b"]


def test_conversions_pass_none_and_unusable_values_through():
    assert value({"path": "nothing", "convert": "epoch_ms"}) is None
    assert value({"path": "firstName", "convert": "epoch_ms"}) == "Ava"  # left for the validator to report
    assert value({"path": "flag", "convert": "epoch_ms"}) is True
    assert value({"path": "firstName", "convert": "date"}) == "Ava"
    assert value({"path": "exists_null", "convert": ["exists", "not"], "default": True}, {"exists_null": None}) is True
    assert value({"path": "d", "convert": ["exists", "not"], "default": True}, {"d": 123}) is False


# ---------------------------------------------------------------- compile errors


@pytest.mark.parametrize(
    "expr, message",
    [
        ("", "non-empty"),
        ("a..b", "empty step"),
        ("a[", "cannot read"),
        ("a[x]", "is not [n]"),
        ("a[=x]", "needs a key"),
        (5, "expected a path string"),
        ({}, "expected a path string"),
        ({"const": 1, "path": "a"}, "exactly one"),
        ({"nope": 1}, "exactly one"),
        ({"path": "a", "convert": "bogus"}, "unknown conversion 'bogus'"),
        ({"path": "a", "convert": 3}, "'convert' must be"),
        ({"path": "a", "extra": 1}, "unknown key"),
        ({"path": "a", "map": [1]}, "'map' must be an object"),
        ({"concat": []}, "non-empty list"),
        ({"concat": ["a"], "sep": 1}, "'sep' must be a string"),
        ({"coalesce": "a"}, "non-empty list"),
        ({"coalesce": ["a", {"path": "b", "convert": "nope"}]}, "unknown conversion"),
        ({"sum": []}, "non-empty list"),
        ({"sum": ["a", "b"], "times": [1]}, "one per part"),
        ({"sum": ["a"], "times": ["x"]}, "list of numbers"),
        ({"sum": ["a"], "sep": ","}, "unknown key"),
    ],
)
def test_malformed_expressions_raise(expr, message):
    with pytest.raises(ExpressionError, match=message.replace("[", r"\[")):
        compile_expression(expr)


def test_describe_renders_every_form():
    assert describe("owner.id") == "owner.id"
    assert describe({"const": "A"}) == "const 'A'"
    assert describe({"path": "d", "convert": ["epoch_ms", "date"]}) == "date(epoch_ms(d))"
    assert "first of(a, b)" == describe({"coalesce": ["a", "b"]})
    assert describe({"concat": ["a", "b"], "sep": " "}) == "concat(a, b, sep=' ')"
    assert "default False" in describe({"path": "x", "default": False})
    assert describe({"sum": ["d", "m"], "times": [1, 60000]}) == "d + m × 60000"
    assert set(CONVERSIONS) >= {"epoch_ms", "epoch_s", "date_string", "date", "join", "split"}


def test_sum_adds_scaled_numeric_parts():
    end = compile_expression({"path": {"sum": ["date", "duration"], "times": [1, 60000]}, "convert": "epoch_ms"})
    assert end({"date": 1_700_000_000_000, "duration": 60}) == "2023-11-14T23:13:20+00:00"
    assert end({"date": 1_700_000_000_000, "duration": None}) is None  # a null part gives no sum; null stays null
    assert compile_expression({"sum": ["a", "b"]})({"a": "2", "b": 1.5}) == 3.5  # numeric text counts
    assert compile_expression({"sum": ["a", "b"]})({"a": 1}) is MISSING
    # a part that is not a number is passed on, so the record is rejected naming the field
    assert compile_expression({"sum": ["a", "b"]})({"a": 1, "b": "soon"}) == "soon"
    assert compile_expression({"sum": ["a", "b"]})({"a": 1, "b": True}) is True


def test_parse_path_and_expression_reads_list_what_an_expression_reads():
    assert parse_path("a.b[0][type=x].c[*]") == [("key", "a"), ("key", "b"), ("index", 0), ("match", ("type", "x")),
                                                 ("key", "c"), ("each", None)]
    expr = {"path": {"coalesce": ["a", {"path": "b", "convert": "not"}]}, "convert": "exists", "map": {"true": 1}}
    assert expression_reads(expr) == [("a", ("exists", "map")), ("b", ("not", "exists", "map"))]
    assert expression_reads({"concat": ["x", {"const": "-"}, "y"]}) == [("x", ("concat",)), ("y", ("concat",))]
    assert expression_reads({"sum": ["d", "m"], "times": [1, 2]}) == [("d", ("sum",)), ("m", ("sum",))]
    assert expression_reads({"const": 1}) == [] and expression_reads("k") == [("k", ())]


# ---------------------------------------------------------------- StreamMapping / build_mappings


def test_none_preset_is_pass_through():
    assert build_mappings("none") == {}
    assert build_mappings(None, None) == {}
    assert build_mappings("", "") == {}
    assert isinstance(build_mappings("none"), MappingTable)


def test_unknown_preset_lists_valid_ones():
    with pytest.raises(ConfigError) as err:
        build_mappings("taleo")
    assert "'taleo'" in str(err.value)
    for name in PRESETS:
        assert name in str(err.value)
    with pytest.raises(ConfigError):
        load_preset("../schemas/candidates")


def test_stream_mapping_call_drops_missing_and_keeps_cdc_marker():
    table = build_mappings("none", {"people": {"entity": "candidates", "fields": {
        "id": "id", "first_name": "firstName", "email": "missing.path", "date_added": {"path": "dateAdded", "convert": "epoch_ms"},
    }}})
    mapping = table["people"]
    assert isinstance(mapping, StreamMapping)
    assert mapping.collection == "candidates"
    record = dict(RECORD, _ab_cdc_deleted_at="2024-01-01T00:00:00Z", _airbyte_extra=1)
    out = mapping(record)
    assert out == {"id": 42, "first_name": "Ava", "date_added": "2023-11-14T22:13:20.123+00:00",
                   "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"}
    assert "_ab_cdc_deleted_at" not in mapping({"id": 1, "_ab_cdc_deleted_at": None})
    assert record["firstName"] == "Ava" and "first_name" not in record  # the source record is not modified


def test_override_extends_a_preset_stream():
    base = build_mappings("bullhorn")["candidates"]
    table = build_mappings("bullhorn", {"candidates": {"fields": {"first_name": "nickName", "office": {"const": "HQ"}, "gender": None}}})
    mapping = table["candidates"]
    assert mapping.expressions["first_name"] == "nickName"  # replaced
    assert mapping.expressions["office"] == {"const": "HQ"}  # added
    assert "gender" not in mapping.fields  # null removes a preset field
    assert set(base.fields) - {"gender"} <= set(mapping.fields)  # the rest is kept
    out = mapping({"id": 1, "firstName": "A", "nickName": "Al", "gender": "F"})
    assert out == {"id": 1, "first_name": "Al", "nick_name": "Al", "office": "HQ"}


def test_override_replace_drops_the_preset_fields():
    table = build_mappings("bullhorn", {"candidates": {"replace": True, "fields": {"id": "id", "last_name": "lastName"}}})
    assert table["candidates"].fields == ("id", "last_name")
    assert len(table) == len(build_mappings("bullhorn"))  # other streams untouched


def test_override_can_add_a_stream_and_change_an_entity():
    table = build_mappings("bullhorn", {
        "Notes": {"entity": "appointments", "fields": {"id": "id", "subject": "action"}},
        "leads": {"entity": "client-contacts", "replace": True, "fields": {"id": "id"}},
    })
    assert table["Notes"].collection == "appointments"
    assert table["leads"].collection == "client-contacts"
    # a stream named like an entity needs no explicit entity
    assert build_mappings("none", {"job_orders": {"fields": {"id": "jobId"}}})["job_orders"].collection == "job-orders"


def test_override_keys_match_preset_streams_case_insensitively():
    table = build_mappings("bullhorn", {"Job-Orders": {"fields": {"title": "publicDescription"}}})
    assert "Job-Orders" not in table
    assert table["job_orders"].expressions["title"] == "publicDescription"


def test_overrides_as_json_text():
    text = json.dumps({"people": {"entity": "Candidate", "fields": {"id": "pid"}}})
    assert build_mappings("none", text)["people"]({"pid": 3}) == {"id": 3}
    with pytest.raises(ConfigError, match="not valid JSON"):
        build_mappings("none", "{nope")
    with pytest.raises(ConfigError, match="expected an object keyed by stream"):
        build_mappings("none", [1])


@pytest.mark.parametrize(
    "overrides, fragments",
    [
        ({"candidates": {"fields": {"firstname": "firstName"}}}, ["preset 'bullhorn' + mappings", "'candidates'", "'firstname' is not a field of candidates"]),
        ({"widgets": {"fields": {"id": "id"}}}, ["mappings['widgets']", "'entity' is required", "internal-users"]),
        ({"widgets": {"entity": "widget", "fields": {"id": "id"}}}, ["unknown Sense entity 'widget'", "job-orders"]),
        ({"candidates": {"fields": {"first_name": {"path": "x", "convert": "bogus"}}}}, ["field 'first_name'", "unknown conversion"]),
        ({"candidates": {"replace": True, "fields": {"first_name": "firstName"}}}, ["no mapping for 'id'"]),
        ({"candidates": {"fields": {"id": None}}}, ["no mapping for 'id'"]),
        ({"candidates": {"field": {}}}, ["unknown key(s) ['field']"]),
        ({"candidates": {"fields": []}}, ["fields: expected an object"]),
        ({"candidates": {"replace": "yes"}}, ["replace: expected true or false"]),
        ({"candidates": "firstName"}, ["expected an object"]),
    ],
)
def test_bad_overrides_are_config_errors_naming_the_place(overrides, fragments):
    with pytest.raises(ConfigError) as err:
        build_mappings("bullhorn", overrides)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_lookup_exact_then_forgiving():
    table = build_mappings("bullhorn", {"Candidates": {"entity": "leads", "replace": True, "fields": {"id": "id"}}})
    # the override matched the preset's "candidates" stream (forgiving), so no new stream appeared
    assert table.lookup("candidates").collection == "leads"
    assert table.lookup("CANDIDATES") is table["candidates"]
    assert table.lookup("job-orders") is table["job_orders"]
    assert table.lookup("Job Orders") is table["job_orders"]
    assert table.lookup("notes") is None
    exact = build_mappings("none", {"a_b": {"entity": "leads", "fields": {"id": "x"}}, "AB": {"entity": "candidates", "fields": {"id": "y"}}})
    assert exact.lookup("AB").collection == "candidates"
    assert exact.lookup("a_b").collection == "leads"


def test_mappings_from_config():
    assert mappings_from_config({}) == {}
    assert set(mappings_from_config({"source_preset": "workable"})) == {"recruiters", "candidates", "jobs"}
    table = mappings_from_config({"source_preset": "none", "mappings": {"x": {"entity": "leads", "fields": {"id": "id"}}}})
    assert list(table) == ["x"]
    with pytest.raises(ConfigError):
        mappings_from_config({"source_preset": "nope"})
