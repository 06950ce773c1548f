"""The compiled validator against the ``jsonschema`` package, on the project's schema files.

Both validators see the same records (valid ones, and ones with one defect each, drawn at random
with a fixed seed); they must agree on whether each record is valid and on which fields are at
fault. ``jsonschema`` checks the formats with a reference implementation written here from the
format definitions (strptime based), independent of ``schema_check``'s own.
"""
from __future__ import annotations

import random
import re
from datetime import date, datetime

import jsonschema
import pytest

from sense_api.compiled_schema import CompiledSchema, compiled
from sense_api.entities import COLLECTIONS, load_schema
from sense_api.formats import is_iso_date, is_iso_date_time


def _reference_date(value: str) -> bool:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return False
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return False
    return True


_DT_SHAPE = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(?:[.,]\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?", re.ASCII
)


def _reference_date_time(value: str) -> bool:
    m = _DT_SHAPE.fullmatch(value)
    if not m:
        return False
    day, hm, seconds, zone = m.groups()
    try:
        datetime.strptime(f"{day} {hm}{(seconds or ':00')[:3]}", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return False
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        if int(digits[:2]) > 23 or (len(digits) == 4 and int(digits[2:]) > 59):
            return False
    return True


FORMATS = jsonschema.FormatChecker(formats=())
FORMATS.checks("date")(lambda v: not isinstance(v, str) or _reference_date(v))
FORMATS.checks("date-time")(lambda v: not isinstance(v, str) or _reference_date_time(v))
FORMATS.checks("date-or-date-time")(
    lambda v: not isinstance(v, str) or _reference_date(v) or _reference_date_time(v)
)

GOOD = {
    "string": ["", "x", "Linus", "ü ñ 中", "2020-04-01"],
    "integer": [0, -3, 10**12],
    "number": [0, 1.5, -2, 3.25e10],
    "boolean": [True, False],
    "array": [[], ["a"], ["a", "b c"]],
    "date": ["2020-04-01", "1999-12-31", "2024-02-29"],
    "date-time": [
        "2020-04-01T10:30:00+0000", "2020-04-01T10:30:00-0700", "2020-04-01T10:30:00Z",
        "2020-04-01T10:30:00.123456+02:00", "2020-04-01 10:30", "2020-04-01T10:30:00",
    ],
}
BAD = {
    "string": [1, 1.5, True, [], {}],
    "integer": ["1", 1.5, True, [], {}],
    "number": ["1", True, [], {}],
    "boolean": [0, 1, "true", [], {}],
    "array": ["a", [1], ["a", None], {}, 3],
    "date": ["2020-4-01", "2020-02-30", "20200401", "2020-04-01T10:30:00Z", "yesterday", "2020-13-01",
             "2020-0a-01", "２０２０-04-01", "2020-04-01 ", "0000-01-01", "2020-W01-1"],
    "date-time": ["2020-04-01", "2020-04-01T25:00:00Z", "2020-04-01T10:30:00+2500", "04/01/2020 10:30",
                  "2020-04-01T10:30:00+00:60", "2020-02-30T10:30:00Z", "now", "２０２０-04-01T10:30:00Z"],
}


def _kind(prop: dict) -> str:
    types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    base = next(t for t in types if t != "null")
    if base == "string" and prop.get("format") in ("date", "date-or-date-time"):
        return "date"
    if base == "string" and prop.get("format") == "date-time":
        return "date-time"
    return base


def _nullable(prop: dict) -> bool:
    return isinstance(prop["type"], list) and "null" in prop["type"]


def _records(collection: str, rng: random.Random, count: int):
    props = load_schema(collection)["properties"]
    names = sorted(n for n in props if n != "id")
    shared = rng.sample(names, min(25, len(names)))
    for i in range(count):
        fields = shared if i % 2 else rng.sample(names, min(rng.randint(1, 30), len(names)))
        record = {"id": f"r{i}"}
        for name in fields:
            record[name] = rng.choice(GOOD[_kind(props[name])])
            if _nullable(props[name]) and rng.random() < 0.1:
                record[name] = None
        defect = rng.randrange(7)
        if defect == 0:
            name = rng.choice(fields)
            kind = _kind(props[name])
            bad = BAD[kind] + ([] if _nullable(props[name]) else [None])
            if kind in ("date", "date-time"):
                bad = bad + BAD["string"]
            record[name] = rng.choice(bad)
        elif defect == 1:
            record["not_a_field"] = "x"
        elif defect == 2:
            del record["id"]
        elif defect == 3:
            record["id"] = rng.choice(["", 12, None])
        yield record


def _jsonschema_fields(validator, record) -> set:
    fields = set()
    for err in validator.iter_errors(record):
        if err.validator == "additionalProperties":
            fields |= {k for k in record if k not in validator.schema["properties"]}
        elif err.validator == "required":
            fields.add(re.search(r"'(\w+)'", err.message).group(1))
        else:
            fields.add(err.absolute_path[0])
    return fields


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_agrees_with_jsonschema(collection):
    schema = load_schema(collection)
    validator = jsonschema.Draft7Validator(schema, format_checker=FORMATS)
    ours = CompiledSchema(schema)  # a fresh one: its caches start empty
    rng = random.Random(collection)
    invalid = 0
    records = list(_records(collection, rng, 400))
    for _ in range(2):  # twice: the second pass runs on remembered plans and known values
        for record in records:
            expected = _jsonschema_fields(validator, record)
            got = {field for field, _ in ours.errors(record)}
            assert got == expected, (record, ours.errors(record))
            invalid += bool(expected)
    assert 0 < invalid < 2 * len(records)


def test_reasons_name_the_problem_in_field_order():
    schema = compiled("candidates")
    record = {"id": "1", "first_name": 3, "not_a_field": 1, "date_added": "yesterday", "custom_date1": "2020-02-30"}
    for _ in range(3):  # first sight, second sight (plan built), remembered plan
        problems = schema.errors(dict(record))
        assert [f for f, _ in problems] == ["first_name", "not_a_field", "date_added", "custom_date1"]
        reasons = dict(problems)
        assert "expected string" in reasons["first_name"] and "got integer" in reasons["first_name"]
        assert "not a field of Candidate" in reasons["not_a_field"]
        assert "ISO 8601" in reasons["date_added"] and "ISO 8601" in reasons["custom_date1"]
    assert schema.errors({"first_name": "A"}) == [("id", "is required")]


@pytest.mark.parametrize("value", GOOD["date"] + BAD["date"] + BAD["date-time"] + GOOD["date-time"])
def test_date_functions_match_the_reference(value):
    assert is_iso_date(value) == _reference_date(value)
    assert is_iso_date_time(value) == _reference_date_time(value)


def test_date_fast_path_matches_reference_on_mutations():
    rng = random.Random(3)
    alphabet = "0123456789-T:+Z /a"
    for _ in range(3000):
        chars = list(date(2000, 1, 1).fromordinal(rng.randint(700000, 740000)).isoformat())
        for _ in range(rng.randint(0, 2)):
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
        value = "".join(chars)
        assert is_iso_date(value) == _reference_date(value), value


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_errors_many_matches_errors_per_record(collection):
    rng = random.Random("many-" + collection)
    records = list(_records(collection, rng, 300))
    ours = compiled(collection)
    for start in range(0, len(records), 50):
        batch = records[start:start + 50]
        expected = [(i, f, r) for i, record in enumerate(batch) for f, r in ours.errors(record)]
        assert ours.errors_many(batch) == expected
    # A batch of one shape, all valid, then with one defect at a time.
    props = load_schema(collection)["properties"]
    names = sorted(n for n in props if n != "id")[:40]
    clean = [{"id": f"v{i}", **{n: rng.choice(GOOD[_kind(props[n])]) for n in names}} for i in range(20)]
    assert ours.errors_many(clean) == []
    for name in names:
        batch = [dict(r) for r in clean]
        batch[7][name] = rng.choice(BAD[_kind(props[name])])
        got = ours.errors_many(batch)
        assert [(i, f) for i, f, _ in got] == [(7, name)], (name, batch[7][name], got)


def test_column_patterns_match_the_value_functions():
    from sense_api.compiled_schema import _COLUMN_RES

    rng = random.Random(5)
    alphabet = "0123456789-T:+Z /a.,\n"
    samples = GOOD["date"] + BAD["date"] + GOOD["date-time"] + BAD["date-time"]
    samples += ["2000-02-29", "1900-02-29", "2100-02-29", "2400-02-29", "0000-02-29", "0004-02-29",
                "2021-04-31", "2021-06-30", "2021-12-31T23:59:59.999+23:59", "2021-12-31T23:59:60Z"]
    for _ in range(4000):
        base = rng.choice(samples)
        chars = list(base)
        for _ in range(rng.randint(0, 2)):
            if chars:
                chars[rng.randrange(len(chars))] = rng.choice(alphabet)
        samples.append("".join(chars))
    for value in samples:
        assert bool(_COLUMN_RES["date"].fullmatch(value)) == is_iso_date(value), value
        assert bool(_COLUMN_RES["date-time"].fullmatch(value)) == is_iso_date_time(value), value
        either = is_iso_date(value) or is_iso_date_time(value)
        assert bool(_COLUMN_RES["date-or-date-time"].fullmatch(value)) == either, value


def test_errors_many_with_equal_sized_records_of_different_fields():
    schema = compiled("candidates")
    records = [{"id": "1", "first_name": "A"}, {"id": "2", "last_name": "B"}, {"id": "3", "bogus": "C"}]
    assert schema.errors_many(records) == [(2, "bogus", "is not a field of Candidate")]
    records = [{"id": "1", "custom_date1": "2020-01-01"}, {"id": "2", "custom_date2": "2020-02-30"}]
    assert [(i, f) for i, f, _ in schema.errors_many(records)] == [(1, "custom_date2")]
    assert schema.errors_many([]) == []
    assert schema.errors_many([{}]) == [(0, "id", "is required")]
