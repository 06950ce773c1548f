"""Sense field changes → Bullhorn update bodies, by the Bullhorn correspondence (sense_api.bullhorn)."""
from __future__ import annotations

import pytest

from sense_api.bullhorn import streams
from sense_writeback.forward.field_mapping import Unmappable, bullhorn_changes

WRITABLE = ("address.", ".id")


@pytest.mark.parametrize("stream", streams(), ids=lambda s: s.stream)
def test_every_writable_field_of_the_correspondence_maps_back(stream):
    for name, pair in stream.fields.items():
        if name == "id" or ("." in pair.path and not pair.path.startswith("address.") and not pair.path.endswith(".id")):
            continue
        value = {"epoch_ms": "2024-01-02T03:04:05Z", "epoch_ms_date": "2024-01-02", "split": ["a", "b"],
                 "public_flag": True}.get(pair.conversion, "7")
        body = bullhorn_changes(stream.collection, [{"name": name, "value": value}])
        assert body, (stream.stream, name)


def test_plain_composite_association_and_converted_fields():
    body = bullhorn_changes("candidates", [
        {"name": "mobile_phone", "value": "+1-555"}, {"name": "city", "value": "Lyon"},
        {"name": "zipcode", "value": "69001"}, {"name": "internal_user_id", "value": "1001"},
        {"name": "date_of_birth", "value": "1990-02-03"}, {"name": "skills", "value": ["Java", "SQL"]},
    ])
    assert body == {"mobile": "+1-555", "address": {"city": "Lyon", "zip": "69001"}, "owner": {"id": 1001},
                    "dateOfBirth": 634003200000, "skillSet": "Java,SQL"}
    assert bullhorn_changes("job-orders", [{"name": "is_public", "value": True}, {"name": "date_start", "value": "2024-01-02T00:00:01Z"}]) == {
        "isPublic": 1, "startDate": 1704153601000}
    assert bullhorn_changes("certifications", [{"name": "name", "value": "RN"}]) == {"name": "RN"}  # the first of two paths


@pytest.mark.parametrize("change, reason", [
    ({"name": "date_available", "value": "2026-01-15"}, "maps no Bullhorn field"),
    ({"name": "date_of_birth", "value": [1]}, "expected a date"),
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
