"""The dangling-reference tracker (no HTTP)."""
from sense_api.entities import BY_COLLECTION
from sense_emulator.references import MAX_EXAMPLES, ReferenceTracker


def test_only_references_to_earlier_collections_count():
    tracker = ReferenceTracker()
    assert tracker.observe("client-contacts", [{"id": "cc", "company_id": "later", "internal_user_id": "u"}]) == 1
    assert BY_COLLECTION["companies"].order > BY_COLLECTION["client-contacts"].order
    tracker.observe("internal-users", [{"id": "u"}])
    assert tracker.observe("client-contacts", [{"id": "cc2", "internal_user_id": "u"}]) == 0
    snap = tracker.snapshot()
    assert snap["counts"]["client-contacts"] == 1 and snap["total"] == 1
    assert snap["examples"] == {"client-contacts": [
        {"id": "cc", "field": "internal_user_id", "target": "internal-users", "value": "u"}]}


def test_every_reference_field_of_a_record_counts():
    tracker = ReferenceTracker()
    record = {"id": "a", "candidate_id": "c", "job_order_id": "j", "placement_id": "p", "owner_id": "o",
              "internal_user_id2": "u", "application_id": None, "client_contact_id": ""}
    assert tracker.observe("appointments", [record, dict(record, id="b")]) == 10


def test_a_reference_back_to_an_earlier_collection_counts():
    tracker = ReferenceTracker()
    # companies come after client-contacts, so companies.client_contact_id must find its contact
    assert tracker.observe("companies", [{"id": "co", "client_contact_id": "cc"}]) == 1
    tracker.observe("client-contacts", [{"id": "cc"}])
    assert tracker.observe("companies", [{"id": "co", "client_contact_id": "cc"}]) == 0


def test_preload_reset_and_example_cap():
    tracker = ReferenceTracker()
    tracker.preload("candidates", ["c1"])
    assert tracker.observe("submissions", [{"id": "s", "candidate_id": "c1"}]) == 0
    records = [{"id": str(i), "candidate_id": f"missing{i}"} for i in range(MAX_EXAMPLES + 5)]
    assert tracker.observe("submissions", records) == MAX_EXAMPLES + 5
    assert len(tracker.snapshot()["examples"]["submissions"]) == MAX_EXAMPLES
    tracker.reset()
    assert tracker.snapshot()["total"] == 0
    assert tracker.observe("submissions", [{"id": "s", "candidate_id": "c1"}]) == 1
