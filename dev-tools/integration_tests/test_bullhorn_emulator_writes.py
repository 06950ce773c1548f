"""The Bullhorn emulator's write side over real HTTP: notes, note associations, entity updates,
each refused as strictly as Bullhorn refuses it."""
from __future__ import annotations

import pytest
import requests


@pytest.fixture(scope="module")
def rest(bullhorn_emulator):
    token = bullhorn_emulator.new_refresh_token()
    tokens = requests.post(f"{bullhorn_emulator.auth_base_url}/token", timeout=30, data={
        "grant_type": "refresh_token", "refresh_token": token, "client_id": "emulator-client-id",
        "client_secret": "emulator-client-secret-0001"}).json()
    login = requests.post(f"{bullhorn_emulator.rest_login_url}/login", timeout=30,
                          params={"version": "*", "access_token": tokens["access_token"]}).json()
    session = requests.Session()
    session.headers["BhRestToken"] = login["BhRestToken"]
    records = {e: requests.get(f"{bullhorn_emulator.base_url}/_admin/records", params={"entity": e}, timeout=30)
               .json()["records"] for e in ("Candidate", "CorporateUser", "JobOrder", "Placement")}
    return session, login["restUrl"], {e: [r["id"] for r in rows] for e, rows in records.items()}


def _note(rest, body):
    session, url, _ = rest
    return session.put(url + "entity/Note", json=body, timeout=30)


def test_a_note_with_its_associations_can_be_read_back(rest, bullhorn_emulator):
    session, url, ids = rest
    candidate, job, placement = ids["Candidate"][0], ids["JobOrder"][0], ids["Placement"][0]
    answer = _note(rest, {"comments": "Replied YES", "action": "Text Received", "personReference": {"id": candidate},
                          "commentingPerson": {"id": ids["CorporateUser"][1]}, "jobOrder": {"id": job},
                          "externalID": "sense:abc"})
    assert answer.status_code == 200 and answer.json()["changeType"] == "INSERT"
    note_id = answer.json()["changedEntityId"]
    linked = session.put(url + "entity/NoteEntity", timeout=30, json={
        "note": {"id": note_id}, "targetEntityName": "Placement", "targetEntityID": placement})
    assert linked.status_code == 200
    again = session.put(url + "entity/NoteEntity", timeout=30, json={
        "note": {"id": note_id}, "targetEntityName": "Placement", "targetEntityID": placement})
    assert again.status_code == 400 and "already associated" in again.json()["errorMessage"]
    read = session.get(url + f"entity/Note/{note_id}", timeout=30).json()["data"]
    assert read["comments"] == "Replied YES" and read["jobOrder"] == {"id": job}
    entities = session.get(url + f"entity/Note/{note_id}/entities", timeout=30).json()["data"]
    assert {(e["targetEntityName"], e["targetEntityID"]) for e in entities} == {("Candidate", candidate),
                                                                               ("Placement", placement)}
    found = session.get(url + "search/Note", params={"query": 'externalID:"sense:abc"'}, timeout=30).json()
    assert [n["id"] for n in found["data"]] == [note_id]
    dumped = requests.get(f"{bullhorn_emulator.base_url}/_admin/notes", timeout=30).json()["notes"]
    assert any(n["id"] == note_id for n in dumped)


@pytest.mark.parametrize("body, reason", [
    ({"comments": "x", "personReference": {"id": 1}, "colour": "red"}, "no field(s): colour"),
    ({"comments": "x", "personReference": {"id": "abc"}}, "personReference: an association"),
    ({"comments": "", "personReference": {"id": "CAND"}}, "comments"),
    ({"comments": "x"}, "personReference: required"),
    ({"comments": "x", "personReference": {"id": "CAND"}, "candidates": [{"id": "CAND"}]}, "to-many"),
    ({"comments": "x", "personReference": {"id": "CAND"}, "dateLastModified": 1}, "read-only"),
    ({"comments": "x", "personReference": {"id": "CAND"}, "action": "a" * 31}, "action"),
    ({"comments": "x", "personReference": {"id": 99999999}}, "no Candidate or ClientContact"),
    ([1, 2], "JSON object"),
])
def test_a_bad_note_is_refused_naming_the_problem(rest, body, reason):
    candidate = rest[2]["Candidate"][0]
    if isinstance(body, dict):
        body = {k: ({"id": candidate} if v == {"id": "CAND"} else [{"id": candidate}] if v == [{"id": "CAND"}] else v)
                for k, v in body.items()}
    answer = _note(rest, body)
    assert answer.status_code == 400 and reason in answer.json()["errorMessage"]


def test_an_update_changes_the_record_and_its_modification_date(rest, bullhorn_emulator):
    session, url, ids = rest
    candidate = ids["Candidate"][2]
    answer = session.post(url + f"entity/Candidate/{candidate}", json={"mobile": "+1-555-000-1111",
                                                                     "address": {"city": "Lyon"}}, timeout=30)
    assert answer.status_code == 200 and answer.json()["changeType"] == "UPDATE"
    row = session.get(url + "query/Candidate", timeout=30, params={
        "where": f"id={candidate}", "fields": "id,mobile,address,dateLastModified"}).json()["data"][0]
    assert row["mobile"] == "+1-555-000-1111" and row["address"]["city"] == "Lyon"


@pytest.mark.parametrize("body, reason", [
    ({"shoeSize": 4}, "no field(s): shoeSize"),
    ({"dateAdded": 1}, "read-only"),
    ({"mobile": 5}, "mobile: a string"),
    ({"dateAvailable": "tomorrow"}, "epoch milliseconds"),
    ({"owner": {"id": 1}}, "no CorporateUser"),
    ({"address": {"planet": "Mars"}}, "address"),
    ({}, "non-empty"),
])
def test_a_bad_update_is_refused_and_changes_nothing(rest, body, reason):
    session, url, ids = rest
    answer = session.post(url + f"entity/Candidate/{ids['Candidate'][3]}", json=body, timeout=30)
    assert answer.status_code == 400 and reason in answer.json()["errorMessage"]


def test_updates_of_unknown_records_are_404(rest):
    session, url, _ = rest
    assert session.post(url + "entity/Candidate/12345678", json={"mobile": "1"}, timeout=30).status_code == 404


def test_writes_need_a_session(rest):
    _, url, _ = rest
    assert requests.put(url + "entity/Note", json={"comments": "x"}, timeout=30).status_code == 412
