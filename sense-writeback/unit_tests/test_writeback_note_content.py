"""A write-back → the Bullhorn Note plan: text, person, associations, what cannot be attached."""
from __future__ import annotations

import pytest

from sense_writeback.forward.note_content import NoPerson, comments, external_id, plan_note


def _doc(data, type_="ENGAGE_EVENT_RESPONSE"):
    return {"id": "s-1", "type": type_, "version": 1.0, "created_date": "2024-05-01T10:00:00+00:00", "data": data}


def test_the_plan_attaches_person_job_and_the_rest_as_note_entities():
    doc = _doc({
        "summary": "Survey response", "survey_responses": [{"question": "Rate us", "response": "5"}],
        "sms": [{"from": {"entity": {"id": "7", "type": "AE_CANDIDATE"}, "phone": "+1"}, "body": "5, great",
                 "to": [{"entity": {"id": "1001", "type": "AE_INTERNAL_USER"}, "phone": "+2"}],
                 "direction": "incoming", "date": "2024-05-01T10:00:00+00:00"}],
        "associated_entities": [{"id": "30", "type": "AE_CLIENT_CONTACT"}, {"id": "7", "type": "AE_CANDIDATE"},
                                {"id": "40", "type": "AE_JOB_ORDER"}, {"id": "50", "type": "AE_PLACEMENT"},
                                {"id": "wb-x", "type": "AE_CANDIDATE"}, {"id": "9", "type": "AE_APPOINTMENT"}],
    })
    plan = plan_note(doc, "Sense Engage Response")
    assert plan.body["personReference"] == {"id": 7}  # a candidate before a contact
    assert plan.body["commentingPerson"] == {"id": 1001} and plan.body["jobOrder"] == {"id": 40}
    assert plan.body["externalID"] == "sense:s-1" and plan.body["action"] == "Sense Engage Response"
    assert plan.associations == [("ClientContact", 30), ("JobOrder", 40), ("Placement", 50)]
    assert any("wb-x: not a Bullhorn id" in s for s in plan.skipped)
    assert any("Appointment" in s for s in plan.skipped)
    text = plan.body["comments"]
    for part in ("Survey response", "5, great", "Survey: Rate us 5", "SMS incoming from +1 to +2", "s-1"):
        assert part in text


def test_nothing_to_attach_to_is_refused_with_the_reason():
    with pytest.raises(NoPerson, match="wb-c1: not a Bullhorn id"):
        plan_note(_doc({"summary": "x", "subject": {"id": "wb-c1", "type": "AE_CANDIDATE"}}, "GENERIC_EVENT"), "A")


def test_long_ids_get_a_bounded_external_id_and_deletes_say_nothing_was_deleted():
    assert len(external_id("x" * 300)) <= 100 and external_id("x" * 300) != external_id("y" * 300)
    text = comments(_doc({"entity": {"id": "5", "type": "AE_APPOINTMENT"}}, "ENTITY_DELETE"))
    assert "not deleted in Bullhorn" in text
