"""The emulator's request validation and error shapes (no HTTP)."""
import pytest

from sense_api.limits import MAX_BATCH_RECORDS
from sense_emulator.validation import batch_errors, patch_errors, possible_values_errors


def test_valid_batch_has_no_errors():
    assert batch_errors("candidates", [{"id": "1", "first_name": "A", "date_added": "2020-04-01T10:30:00+0000"}]) == []


@pytest.mark.parametrize("body", [{}, "x", None, 3, []])
def test_body_must_be_a_non_empty_array(body):
    (err,) = batch_errors("candidates", body)
    assert err["path"] == [] and err["entity_id"] is None and "Candidate" in err["message"]


def test_batch_size_limit_comes_from_limits():
    assert batch_errors("leads", [{"id": str(i)} for i in range(MAX_BATCH_RECORDS)]) == []
    (err,) = batch_errors("leads", [{"id": str(i)} for i in range(MAX_BATCH_RECORDS + 1)])
    assert str(MAX_BATCH_RECORDS) in err["message"]


def test_errors_have_index_field_paths_and_entity_ids_in_order():
    items = [{"id": "ok"}, 5, {"id": "x", "first_name": 1, "nope": True}, {"first_name": "no id"}, {"id": ""}]
    errors = batch_errors("candidates", items)
    assert [(e["path"], e["entity_id"]) for e in errors] == [
        (["1"], None), (["2", "first_name"], "x"), (["2", "nope"], "x"), (["3", "id"], None), (["4", "id"], None),
    ]
    assert errors[1]["message"] == "first_name: expected string or null, got integer"
    assert errors[2]["message"] == "nope: is not a field of Candidate"
    assert errors[3]["message"] == "id: is required"
    assert errors[4]["message"] == "id: must not be empty"


def test_patch_errors():
    assert patch_errors("candidates", "1", {"first_name": "A", "id": "1"}) == []
    assert patch_errors("candidates", "1", {}) == []
    (err,) = patch_errors("candidates", "1", {"id": "2"})
    assert err["path"] == ["id"] and err["entity_id"] == "1"
    (err,) = patch_errors("candidates", "1", {"custom_date1": "2020-02-30"})
    assert err["path"] == ["custom_date1"] and "ISO 8601" in err["message"]
    (err,) = patch_errors("candidates", "1", [{"first_name": "A"}])
    assert err["path"] == []


def test_possible_values_errors():
    assert possible_values_errors([]) == []
    assert possible_values_errors([{"label": "A", "value": v} for v in ("a", 1, 2.5, False)]) == []
    errors = possible_values_errors([{"label": "A"}, {"value": 1}, {"label": 2, "value": {}}, "x"])
    assert [e["path"] for e in errors] == [["0", "value"], ["1", "label"], ["2", "label"], ["2", "value"], ["3"]]
    (err,) = possible_values_errors({"label": "A", "value": "a"})
    assert err["path"] == []
