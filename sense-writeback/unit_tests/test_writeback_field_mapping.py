"""The inverse of the bullhorn preset: Sense field changes → Bullhorn update bodies."""
from __future__ import annotations

import pytest

from sense_writeback.forward.field_mapping import Unmappable, bullhorn_changes, inverse_preset
from destination_sense.mapping import load_preset


def test_every_preset_field_is_inverted_from_the_preset_itself():
    preset = load_preset("bullhorn")
    inverse = inverse_preset()
    for stream in preset["streams"].values():
        assert set(inverse[stream["entity"]]) == set(stream["fields"])


def test_plain_composite_association_and_converted_fields():
    body = bullhorn_changes("candidates", [
        {"name": "mobile_phone", "value": "+1-555"}, {"name": "city", "value": "Lyon"},
        {"name": "zipcode", "value": "69001"}, {"name": "internal_user_id", "value": "1001"},
        {"name": "date_of_birth", "value": "1990-02-03"}, {"name": "skills", "value": ["Java", "SQL"]},
    ])
    assert body == {"mobile": "+1-555", "address": {"city": "Lyon", "zip": "69001"}, "owner": {"id": 1001},
                    "dateOfBirth": 634003200000, "skillSet": "Java,SQL"}


@pytest.mark.parametrize("change, reason", [
    ({"name": "date_available", "value": "2026-01-15"}, "maps no Bullhorn field"),
    ({"name": "id", "value": "3"}, "cannot be changed"),
    ({"name": "date_of_birth", "value": "soon"}, "not an ISO 8601 date"),
    ({"name": "internal_user_id", "value": "wb-u1"}, "not a Bullhorn id"),
    ({"value": "x"}, "without a name"),
])
def test_unmappable_changes_name_the_field(change, reason):
    with pytest.raises(Unmappable, match=reason):
        bullhorn_changes("candidates", [change])


def test_paths_into_other_records_are_not_writable():
    with pytest.raises(Unmappable, match="primaryDepartment.name is not writable"):
        bullhorn_changes("internal-users", [{"name": "department", "value": "Sales"}])
