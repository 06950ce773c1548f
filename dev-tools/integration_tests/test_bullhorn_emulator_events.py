"""The Bullhorn emulator's event subscriptions over real HTTP: subscribe, destructive reads, requestId
re-gets, lastRequestId, retention, expiry, hard and soft deletes, reads of many ids, the per-call counter
and injected faults."""
from __future__ import annotations

import time

import pytest
import requests

ALL = "CorporateUser,ClientCorporation,ClientContact,Candidate,JobOrder,JobSubmission,Placement,Lead," \
      "CandidateCertification,Appointment"


@pytest.fixture()
def emulator(bullhorn_emulator_factory):
    return bullhorn_emulator_factory("--seed", "3", "--scale", "0.1", "--event-retention", "2")


def _rest(emulator):
    tokens = requests.post(f"{emulator.auth_base_url}/token", timeout=30, data={
        "grant_type": "refresh_token", "refresh_token": emulator.new_refresh_token(),
        "client_id": "emulator-client-id", "client_secret": "emulator-client-secret-0001"}).json()
    login = requests.post(f"{emulator.rest_login_url}/login", timeout=30,
                          params={"version": "*", "access_token": tokens["access_token"]}).json()
    session = requests.Session()
    session.headers["BhRestToken"] = login["BhRestToken"]
    return session, login["restUrl"]


def _ids(emulator, entity):
    rows = requests.get(f"{emulator.base_url}/_admin/records", params={"entity": entity}, timeout=30).json()["records"]
    return [r["id"] for r in rows]


def _subscribe(session, url, sub="s1", names=ALL):
    answer = session.put(url + f"event/subscription/{sub}", timeout=30,
                         params={"type": "entity", "names": names, "eventTypes": "INSERTED,UPDATED,DELETED"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_every_change_becomes_one_event_and_a_read_removes_them(emulator):
    session, url = _rest(emulator)
    created = _subscribe(session, url)
    assert created["lastRequestId"] == 0 and created["subscriptionId"] == "s1" and "Candidate" in created["jmsSelector"]
    candidate = _ids(emulator, "Candidate")[0]
    placement = _ids(emulator, "Placement")[0]
    contact = _ids(emulator, "ClientContact")[0]
    inserted = emulator.admin("insert", {"entity": "Lead", "count": 2})["ids"]
    assert session.post(url + f"entity/Candidate/{candidate}", json={"occupation": "Welder"}, timeout=30).ok
    assert session.delete(url + f"entity/Placement/{placement}", timeout=30).ok  # hard-deletable
    assert session.delete(url + f"entity/ClientContact/{contact}", timeout=30).ok  # soft-deletable
    refused = session.delete(url + f"entity/ClientCorporation/{_ids(emulator, 'ClientCorporation')[0]}", timeout=30)
    assert refused.status_code == 400 and "immutable" in refused.json()["errorMessage"]
    emulator.admin("touch", {"entity": "Appointment", "ids": [_ids(emulator, "Appointment")[0]]})

    first = session.get(url + "event/subscription/s1", params={"maxEvents": 3}, timeout=30).json()
    second = session.get(url + "event/subscription/s1", params={"maxEvents": 100}, timeout=30).json()
    assert first["requestId"] == 1 and second["requestId"] == 2
    events = first["events"] + second["events"]
    assert [(e["entityName"], e["entityEventType"]) for e in events] == [
        ("Lead", "INSERTED"), ("Lead", "INSERTED"), ("Candidate", "UPDATED"), ("Placement", "DELETED"),
        ("ClientContact", "UPDATED"), ("Appointment", "UPDATED")]
    assert [e["entityId"] for e in events[:2]] == inserted
    assert events[2]["updatedProperties"] == ["dateLastModified", "occupation"]
    assert events[4]["updatedProperties"] == ["dateLastModified", "isDeleted"]
    assert all(e["eventType"] == "ENTITY" and e["eventId"].startswith("ID:") for e in events)
    # Drained: nothing more, and no request id is spent on an empty read.
    assert session.get(url + "event/subscription/s1", params={"maxEvents": 100}, timeout=30).json() == {"events": []}
    assert session.get(url + "event/subscription/s1/lastRequestId", timeout=30).json() == {"result": 2}
    # Re-get batch 1 by requestId: the same events.
    again = session.get(url + "event/subscription/s1", params={"maxEvents": 100, "requestId": 1}, timeout=30).json()
    assert again == first
    # The hard-deleted placement is gone from every read; the soft-deleted contact is flagged.
    assert session.get(url + f"entity/Placement/{placement}", params={"fields": "id"}, timeout=30).status_code == 404
    where = session.get(url + "query/Placement", params={"where": f"id={placement}", "fields": "id"}, timeout=30).json()
    assert where["data"] == []
    many = session.get(url + f"entity/ClientContact/{contact},{candidate}", timeout=30,
                       params={"fields": "id,isDeleted", "count": 500}).json()
    assert many["data"] == [{"id": contact, "isDeleted": True}]  # the missing id is left out


def test_events_and_batches_expire_after_the_retention_and_subscriptions_can_expire(emulator):
    session, url = _rest(emulator)
    _subscribe(session, url, "s2", "Candidate")
    emulator.admin("touch", {"entity": "Candidate", "count": 2})
    emulator.admin("touch", {"entity": "JobOrder", "count": 2})  # not subscribed: no event
    batch = session.get(url + "event/subscription/s2", params={"maxEvents": 10}, timeout=30).json()
    assert len(batch["events"]) == 2
    emulator.admin("touch", {"entity": "Candidate", "count": 1})
    time.sleep(2.2)  # the emulator's retention here: 2 s
    gone = session.get(url + "event/subscription/s2", params={"maxEvents": 10, "requestId": batch["requestId"]}, timeout=30)
    assert gone.status_code == 404 and "not retained" in gone.json()["errorMessage"]
    assert session.get(url + "event/subscription/s2", params={"maxEvents": 10}, timeout=30).json() == {"events": []}
    assert emulator.admin("expire-subscription", {"subscription": "s2"}) == {"expired": ["s2"]}
    lost = session.get(url + "event/subscription/s2", params={"maxEvents": 10}, timeout=30)
    assert lost.status_code == 404 and "does not exist" in lost.json()["errorMessage"]
    _subscribe(session, url, "s3", "Candidate")
    assert session.delete(url + "event/subscription/s3", timeout=30).json() == {"result": True}
    assert session.get(url + "event/subscription/s3/lastRequestId", timeout=30).status_code == 404


@pytest.mark.parametrize("params, problem", [
    ({"type": "entity", "names": "Candidate"}, "eventTypes"),
    ({"type": "entity", "names": "Nope", "eventTypes": "INSERTED"}, "unknown entity"),
    ({"type": "jobMatchSearch", "names": "Candidate", "eventTypes": "INSERTED"}, "type=entity"),
    ({"type": "entity", "names": "Candidate", "eventTypes": "MERGED"}, "eventTypes"),
])
def test_a_bad_subscription_is_refused(bullhorn_emulator, params, problem):
    session, url = _rest(bullhorn_emulator)
    answer = session.put(url + "event/subscription/bad", params=params, timeout=30)
    assert answer.status_code == 400 and problem in answer.json()["errorMessage"]
    no_max = session.get(url + "event/subscription/bad", timeout=30)
    assert no_max.status_code == 400


def test_admin_mutations_counter_and_faults(emulator):
    session, url = _rest(emulator)
    _subscribe(session, url, "s4", "Placement,Candidate")
    emulator.admin("reset-stats")
    placement = _ids(emulator, "Placement")[0]
    emulator.admin("delete", {"entity": "Placement", "ids": [placement], "hard": True})
    emulator.admin("delete", {"entity": "Candidate", "ids": [_ids(emulator, "Candidate")[0]]})
    assert placement not in _ids(emulator, "Placement")
    emulator.admin("faults", {"route": "event", "status": 503, "count": 1})
    assert session.get(url + "event/subscription/s4", params={"maxEvents": 5}, timeout=30).status_code == 503
    events = session.get(url + "event/subscription/s4", params={"maxEvents": 5}, timeout=30).json()["events"]
    assert [(e["entityName"], e["entityEventType"]) for e in events] == [("Placement", "DELETED"), ("Candidate", "UPDATED")]
    session.get(url + "query/Candidate", params={"where": "id>0", "fields": "id"}, timeout=30)
    stats = emulator.stats()
    assert stats["rest_calls"] == 3 and stats["rest_calls_by_route"] == {"event": 2, "query": 1}
    assert requests.get(f"{emulator.base_url}/_admin/subscriptions", timeout=30).json()["subscriptions"]["s4"][
        "retainedRequestIds"] == [1]
