import pytest

from destination_sense.normalize import (
    CoercionError,
    RecordNormalizer,
    to_boolean,
    to_date,
    to_datetime,
    to_integer,
    to_number,
)
from sense_api.entities import BY_COLLECTION


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2020-04-01T10:30:00+0000", "2020-04-01T10:30:00+0000"),
        ("2020-04-01T10:30:00Z", "2020-04-01T10:30:00Z"),
        ("2020-04-01 10:30:00-07:00", "2020-04-01T10:30:00-07:00"),
        ("2020-04-01T10:30:00", "2020-04-01T10:30:00+00:00"),
        ("2020-04-01", "2020-04-01T00:00:00+00:00"),
        ("20200401", "2020-04-01T00:00:00+00:00"),
        ("20200401T103000Z", "2020-04-01T10:30:00+00:00"),
        ("20200401T103000+0200", "2020-04-01T10:30:00+02:00"),
        ("20200401T1030", "2020-04-01T10:30:00+00:00"),
        (None, None),
    ],
)
def test_datetimes(value, expected):
    assert to_datetime(value) == expected


@pytest.mark.parametrize(
    "value,unit,expected",
    [
        (1585737000, "seconds", "2020-04-01T10:30:00+00:00"),
        ("1585737000", "seconds", "2020-04-01T10:30:00+00:00"),
        (1585737000123, "milliseconds", "2020-04-01T10:30:00.123+00:00"),
        # epoch milliseconds of 1971-01-01 were read as seconds by magnitude (year 2969): never again
        (31536000000, "milliseconds", "1971-01-01T00:00:00+00:00"),
        (-94694400000, "milliseconds", "1967-01-01T00:00:00+00:00"),
        (31536000, "seconds", "1971-01-01T00:00:00+00:00"),
    ],
)
def test_epochs_are_read_in_the_configured_unit(value, unit, expected):
    assert to_datetime(value, unit) == expected


@pytest.mark.parametrize("value,unit", [(1585737000, "reject"), ("1585737000", "reject"), (1585737000123, "seconds"), (float("nan"), "seconds")])
def test_numbers_are_rejected_when_the_unit_says_so_or_out_of_range(value, unit):
    with pytest.raises(CoercionError):
        to_datetime(value, unit)


@pytest.mark.parametrize("value", ["2020", "0", "199", "-2020", "20201301", "20200230"])
def test_a_bare_year_or_an_impossible_basic_date_is_rejected(value):
    for convert in (to_datetime, to_date):
        with pytest.raises(CoercionError):
            convert(value, "seconds")


@pytest.mark.parametrize(
    "value", ["yesterday", "2020-13-01T00:00:00", True, [1], "2021-02-29T05:06:07Z", "2021-03-04T05:06:07+24:00", "2021-03-04T05:06:60Z"]
)
def test_bad_datetimes(value):
    with pytest.raises(CoercionError):
        to_datetime(value)


@pytest.mark.parametrize(
    "value,expected",
    [("2020-04-01", "2020-04-01"), ("2020-04-01T23:30:00-0700", "2020-04-01"), ("20200401", "2020-04-01"), (None, None)],
)
def test_dates(value, expected):
    assert to_date(value) == expected
    assert to_date(1585737000123, "milliseconds") == "2020-04-01"


def test_lossless_scalar_coercions():
    assert to_integer("12") == 12 and to_integer(3.0) == 3
    assert to_number("1.5") == 1.5 and to_number(2) == 2
    assert to_boolean("true") is True and to_boolean(0) is False
    for bad, fn in ((3.5, to_integer), ("x", to_number), ("maybe", to_boolean), (True, to_integer)):
        with pytest.raises(CoercionError):
            fn(bad)


def test_record_normalisation():
    unknown = []
    normalize = RecordNormalizer(BY_COLLECTION["placements"], unknown.append, epoch_unit="seconds")
    out, problems = normalize(
        {
            "id": 123,
            "candidate_id": 456,
            "internal_user_id2": 7.0,
            "date_start": "2021-02-03",
            "date_added": 1585737000,
            "fee": "12.5",
            "guarantee_days": "30",
            "status": 5,
            "_airbyte_raw_id": "x",
            "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z",
            "not_a_field": 1,
        }
    )
    assert problems == []
    assert out == {
        "id": "123",
        "candidate_id": "456",
        "internal_user_id2": "7",
        "date_start": "2021-02-03",
        "date_added": "2020-04-01T10:30:00+00:00",
        "fee": 12.5,
        "guarantee_days": 30,
        "status": "5",
        "is_deleted": True,
    }
    assert unknown == ["not_a_field"]
    normalize({"id": "1", "not_a_field": 2})
    assert unknown == ["not_a_field"], "an unknown field is reported once per stream"


def test_problems_name_field_and_reason():
    normalize = RecordNormalizer(BY_COLLECTION["candidates"])
    _, problems = normalize({"id": "1", "date_added": "soon", "custom_integer1": "x"})
    assert [p[0] for p in problems] == ["date_added", "custom_integer1"]
    assert "soon" in problems[0][1]


LIKELY = {
    "string": ["text", 12, 2.5, True, None, ""],
    "integer": [3, "12", 3.0, None, ""],
    "number": [2.5, 3, "1.5", None],
    "boolean": [True, "false", 0, None],
    "array": [["a"], ["a", 1], [], None],
    "date": ["2021-03-04", 1585737000, "2021-03-04T05:06:07Z", None],
    "date-time": ["2021-03-04T05:06:07+0130", "2021-03-04", 1585737000123, "2021-03-04 05:06:07", None],
    "date-or-date-time": ["2021-03-04", "2021-03-04T05:06:07Z", 1585737000, None],
}


def _random_value(rng, prop):
    base = prop["type"][0] if isinstance(prop["type"], list) else prop["type"]
    key = prop.get("format", base)
    if rng.random() < 0.85:
        return rng.choice(LIKELY[key])
    choices = [
        None, "", "text", "  12 ", "12", "1.5", "true", "2020-02-30", "2021-03-04", "2021-03-04T05:06:07",
        "2021-03-04T05:06:07+0130", "2021-13-01T00:00:00Z", 0, 1, -7, 3.0, 2.5, 1585737000123, True, False,
        ["a", "b"], ["a", 1], ["a", None], [], {"x": 1}, "x" * 40,
    ]
    return rng.choice(choices)


def test_output_without_problems_is_always_valid_for_the_schema():
    """Differential: whatever the normaliser accepts, the schema validator accepts."""
    import random

    from sense_api.compiled_schema import compiled
    from sense_api.entities import ENTITIES

    rng = random.Random(11)
    checked = 0
    for entity in ENTITIES:
        normalize = RecordNormalizer(entity, epoch_unit=rng.choice(["seconds", "milliseconds", "reject"]))
        validator = compiled(entity.collection)
        props = entity.schema["properties"]
        names = list(props)
        for _ in range(600):
            data = {name: _random_value(rng, props[name]) for name in rng.sample(names, 8)}
            if rng.random() < 0.9:
                data["id"] = rng.choice([1, "a", 2.0, "", None, "x-1", " ", 2 ** 70, 1e20])
            out, problems = normalize(data)
            if not problems:
                checked += 1
                assert validator.errors(out) == [], (entity.collection, data, out)
            else:
                assert validator.errors(out) or any(p[0] in data or p[0] == "id" for p in problems)
    assert checked > 1000


def test_ids_beyond_64_bits_keep_every_digit_and_do_not_merge():
    normalize = RecordNormalizer(BY_COLLECTION["placements"])
    first, problems = normalize({"id": 123456789012345678901234567891, "candidate_id": 123456789012345678901234567892})
    assert problems == []
    assert first["id"] == "123456789012345678901234567891"
    assert first["candidate_id"] == "123456789012345678901234567892"
    second, _ = normalize({"id": 123456789012345678901234567892})
    assert second["id"] != first["id"]


def test_a_float_id_is_accepted_only_when_it_is_an_exact_integer():
    normalize = RecordNormalizer(BY_COLLECTION["candidates"])
    assert normalize({"id": 7.0}) == ({"id": "7"}, [])
    assert normalize({"id": float(2 ** 53 - 1)}) == ({"id": "9007199254740991"}, [])
    for bad in (7.5, 1.2345678901234568e29, float(2 ** 53 + 2), 9007199254740993.0, -9007199254740993.0):
        _, problems = normalize({"id": bad})
        assert [name for name, _ in problems] == ["id"], bad


def test_a_blank_id_is_no_id_and_a_blank_reference_is_no_reference():
    normalize = RecordNormalizer(BY_COLLECTION["placements"])
    for blank in ("", " ", "\t \n"):
        _, problems = normalize({"id": blank})
        assert problems == [("id", "must not be empty or blank")], repr(blank)
    out, problems = normalize({"id": "1", "candidate_id": "   "})
    assert problems == [] and out["candidate_id"] is None


def test_integers_beyond_64_bits_in_number_fields_are_rejected_not_rounded():
    normalize = RecordNormalizer(BY_COLLECTION["candidates"])
    _, problems = normalize({"id": "1", "custom_integer1": "123456789012345678901234567891"})
    assert [name for name, _ in problems] == ["custom_integer1"]
    _, problems = normalize({"id": "1", "custom_integer1": 1e20})
    assert [name for name, _ in problems] == ["custom_integer1"], "a float beyond 2**53 may have lost digits"


def test_date_fields_follow_the_stream_epoch_unit():
    milliseconds = RecordNormalizer(BY_COLLECTION["candidates"], epoch_unit="milliseconds")
    assert milliseconds({"id": "1", "date_added": 31536000000})[0]["date_added"] == "1971-01-01T00:00:00+00:00"
    rejecting = RecordNormalizer(BY_COLLECTION["candidates"])
    _, problems = rejecting({"id": "1", "date_added": 31536000000})
    assert problems[0][0] == "date_added" and "epoch_unit" in problems[0][1]
