import pytest

from destination_sense.entities import BY_COLLECTION
from destination_sense.normalize import (
    CoercionError,
    RecordNormalizer,
    to_boolean,
    to_date,
    to_datetime,
    to_integer,
    to_number,
)


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2020-04-01T10:30:00+0000", "2020-04-01T10:30:00+0000"),
        ("2020-04-01T10:30:00Z", "2020-04-01T10:30:00Z"),
        ("2020-04-01 10:30:00-07:00", "2020-04-01T10:30:00-07:00"),
        ("2020-04-01T10:30:00", "2020-04-01T10:30:00+00:00"),
        ("2020-04-01", "2020-04-01T00:00:00+00:00"),
        (1585737000, "2020-04-01T10:30:00+00:00"),
        (1585737000123, "2020-04-01T10:30:00.123+00:00"),
        ("1585737000", "2020-04-01T10:30:00+00:00"),
        (None, None),
    ],
)
def test_datetimes(value, expected):
    assert to_datetime(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "2020-13-01T00:00:00", True, [1]])
def test_bad_datetimes(value):
    with pytest.raises(CoercionError):
        to_datetime(value)


@pytest.mark.parametrize(
    "value,expected",
    [("2020-04-01", "2020-04-01"), ("2020-04-01T23:30:00-0700", "2020-04-01"), (1585737000123, "2020-04-01"), (None, None)],
)
def test_dates(value, expected):
    assert to_date(value) == expected


def test_lossless_scalar_coercions():
    assert to_integer("12") == 12 and to_integer(3.0) == 3
    assert to_number("1.5") == 1.5 and to_number(2) == 2
    assert to_boolean("true") is True and to_boolean(0) is False
    for bad, fn in ((3.5, to_integer), ("x", to_number), ("maybe", to_boolean), (True, to_integer)):
        with pytest.raises(CoercionError):
            fn(bad)


def test_record_normalisation():
    unknown = []
    normalize = RecordNormalizer(BY_COLLECTION["placements"], unknown.append)
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
