"""``sense-writeback forward`` / ``replay`` end to end: the real receiver's store, the real
console script, the Bullhorn emulator over HTTP — with Bullhorn failing (429, 500, 401 session
expiry) and the forwarder killed mid-run: 0 lost, 0 duplicate notes."""
from __future__ import annotations

import collections
import os
import signal
import sqlite3
import stat
import time

import pytest
import requests

from sense_testing.forwarder_harness import (last_json_line, notes, run_forward, start_forward, writebacks)
from sense_writeback.forward.settings import NOTE_TYPES
from sense_testing.writeback_receiver import start_receiver


@pytest.fixture
def emulator(bullhorn_emulator_factory):
    return bullhorn_emulator_factory("--seed", "7")


def _store(tmp_path, docs):
    db = str(tmp_path / "wb.db")
    with start_receiver(db=db) as receiver:
        for doc in docs:
            assert receiver.post(doc).status_code == 200
    return db


def _expected_notes(docs, delete_policy="note"):
    return {d["id"] for d in docs if d["type"] in NOTE_TYPES or d["type"] == "ENTITY_CREATE"
            or (d["type"] == "ENTITY_DELETE" and delete_policy == "note")}


def _results(db):
    with sqlite3.connect(db) as conn:
        return {row[0]: row[1:] for row in conn.execute("SELECT sense_id, outcome, detail FROM forward_results")}


def _unmappable(doc):
    return doc["type"] == "ENTITY_UPDATE" and doc["data"]["fields"][0]["name"] not in (
        "status", "mobile_phone", "email")


def test_every_type_reaches_bullhorn_as_bullhorn_expects(emulator, tmp_path):
    docs = writebacks(emulator, 30)
    db = _store(tmp_path, docs)
    result = run_forward(emulator, db, str(tmp_path / "state.json"), emulator.new_refresh_token())
    assert result.returncode == 0, result.stderr
    made = notes(emulator)
    by_external = collections.Counter(n["externalID"] for n in made)
    assert set(by_external) == {f"sense:{i}" for i in _expected_notes(docs)}
    assert max(by_external.values()) == 1
    sample = next(d for d in docs if d["type"] == "MESSAGING_INCOMING_MESSAGE")
    note = next(n for n in made if n["externalID"] == f"sense:{sample['id']}")
    assert note["action"] == "Text Received"
    assert sample["data"]["sms"][0]["body"] in note["comments"] and sample["data"]["summary"] in note["comments"]
    candidate = next(e for e in sample["data"]["associated_entities"] if e["type"] == "AE_CANDIDATE")
    assert note["personReference"] == {"id": int(candidate["id"]), "_subtype": "Candidate"}
    attached = {(e["targetEntityName"], e["targetEntityID"]) for e in note["entities"]}
    assert ("Candidate", int(candidate["id"])) in attached
    for entity in sample["data"]["associated_entities"]:
        if entity["type"] == "AE_JOB_ORDER":
            assert ("JobOrder", int(entity["id"])) in attached and note["jobOrder"] == {"id": int(entity["id"])}
        if entity["type"] == "AE_PLACEMENT":
            assert ("Placement", int(entity["id"])) in attached
    updates = requests.get(f"{emulator.base_url}/_admin/notes", timeout=30).json()["updates"]
    applied = [d for d in docs if d["type"] == "ENTITY_UPDATE" and not _unmappable(d)]
    assert len(updates) == len(applied)
    names = {"status": "status", "mobile_phone": "mobile", "email": "email"}
    for doc, update in zip(applied, updates):
        change = doc["data"]["fields"][0]
        assert update == {"entity": "Candidate", "id": int(doc["data"]["entity"]["id"]),
                          "fields": {names[change["name"]]: change["value"]}}
    outcomes = _results(db)
    assert len(outcomes) == len(docs)  # every write-back ended somewhere
    for doc in docs:
        if _unmappable(doc):
            assert outcomes[doc["id"]][0] == "parked"


def test_failing_bullhorn_and_a_killed_forwarder_lose_nothing_and_duplicate_nothing(emulator, tmp_path):
    docs = writebacks(emulator, 60, seed=9)
    db = _store(tmp_path, docs)
    emulator.admin("config", {"throttle_every": 5, "session_max_calls": 9, "latency_ms": 15})
    requests.post(f"{emulator.base_url}/_admin/write-faults", json={"status": 500, "count": 4}, timeout=30)
    state = str(tmp_path / "state.json")
    refresh = emulator.new_refresh_token()
    log = str(tmp_path / "forward.log")
    for _ in range(2):  # kill -9 twice mid-run
        proc = start_forward(emulator, db, state, refresh, log)
        count = len(notes(emulator))
        deadline = time.monotonic() + 120
        while len(notes(emulator)) < count + 8 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    requests.post(f"{emulator.base_url}/_admin/write-faults", json={"status": 500, "count": 3}, timeout=30)
    result = run_forward(emulator, db, state, refresh)
    assert result.returncode == 0, result.stderr
    made = notes(emulator)
    by_external = collections.Counter(n["externalID"] for n in made)
    assert set(by_external) == {f"sense:{i}" for i in _expected_notes(docs)}  # 0 lost
    assert max(by_external.values()) == 1  # 0 duplicates
    for note in made:  # each association once
        pairs = [(e["targetEntityName"], e["targetEntityID"]) for e in note["entities"]]
        assert len(pairs) == len(set(pairs))
    stats = emulator.stats()
    assert stats["status_429"] > 0 and stats["session_expired_401"] > 0
    outcomes = _results(db)
    assert len(outcomes) == len(docs)
    assert {i for i, (outcome, _) in outcomes.items() if outcome == "parked"} == {d["id"] for d in docs if _unmappable(d)}
    # the rotated refresh token is kept (mode 0600) and no secret reached the logs
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    secrets = requests.get(f"{emulator.base_url}/_admin/issued-secrets", timeout=30).json()["secrets"]
    text = open(log).read() + result.stderr + result.stdout
    assert not [s for s in secrets if s in text]


def test_an_in_doubt_create_finds_the_note_instead_of_creating_another(emulator, tmp_path):
    docs = [d for d in writebacks(emulator, 10) if d["type"] == "GENERIC_EVENT"]
    db = _store(tmp_path, docs)
    state = str(tmp_path / "state.json")
    assert run_forward(emulator, db, state, emulator.new_refresh_token()).returncode == 0
    assert len(notes(emulator)) == 1
    # as if the forwarder died after Bullhorn created the note, before it recorded the id
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE forward_notes SET state = 'creating', note_id = NULL, associations = '[]'")
        conn.execute("DELETE FROM forward_results")
        conn.execute("DELETE FROM writeback_consumers")
    result = run_forward(emulator, db, state, "unused-refresh-token-0000")
    assert result.returncode == 0, result.stderr
    assert len(notes(emulator)) == 1
    assert "already created" in result.stderr


def test_permanent_failures_are_parked_with_a_reason_and_replayed(emulator, tmp_path):
    docs = [d for d in writebacks(emulator, 20) if d["type"] in ("GENERIC_EVENT", "MESSAGING_DIGEST")]
    db = _store(tmp_path, docs)
    state = str(tmp_path / "state.json")
    requests.post(f"{emulator.base_url}/_admin/write-faults", json={"status": 400, "count": 1}, timeout=30)
    assert run_forward(emulator, db, state, emulator.new_refresh_token()).returncode == 0
    assert len(notes(emulator)) == len(docs) - 1
    listed = run_forward(emulator, db, state, "x", command="dead-letters", extra=())
    letter = last_json_line(listed.stdout)
    assert letter["sense_id"] == docs[0]["id"] and "HTTP 400" in letter["reason"]
    replay = run_forward(emulator, db, state, "unused-refresh-token-0000", command="replay", extra=())
    assert replay.returncode == 0, replay.stderr
    assert last_json_line(replay.stdout) == {"forwarded": 1, "parked": 0, "missing": 0}
    assert {n["externalID"] for n in notes(emulator)} == {f"sense:{d['id']}" for d in docs}
    assert run_forward(emulator, db, state, "x", command="dead-letters", extra=()).stdout.strip() == ""


def test_entity_delete_is_never_a_delete_and_can_be_ignored(emulator, tmp_path):
    docs = [d for d in writebacks(emulator, 20) if d["type"] == "ENTITY_DELETE"]
    db = _store(tmp_path, docs)
    result = run_forward(emulator, db, str(tmp_path / "s.json"), emulator.new_refresh_token(),
                         extra=("--once", "--entity-delete", "ignore"))
    assert result.returncode == 0, result.stderr
    assert notes(emulator) == []
    assert {outcome for outcome, _ in _results(db).values()} == {"ignored"}


def test_the_forwarder_on_postgresql(emulator, tmp_path, postgres_url):
    docs = writebacks(emulator, 20, seed=4)
    with start_receiver(database_url=postgres_url) as receiver:
        for doc in docs:
            assert receiver.post(doc).status_code == 200
    state = str(tmp_path / "state.json")
    requests.post(f"{emulator.base_url}/_admin/write-faults", json={"status": 500, "count": 2}, timeout=30)
    result = run_forward(emulator, "unused.db", state, emulator.new_refresh_token(), database_url=postgres_url)
    assert result.returncode == 0, result.stderr
    again = run_forward(emulator, "unused.db", state, "unused-refresh-token-0000", database_url=postgres_url)
    assert last_json_line(again.stdout)["counts"] == {}  # everything was finished: nothing resent
    by_external = collections.Counter(n["externalID"] for n in notes(emulator))
    assert set(by_external) == {f"sense:{i}" for i in _expected_notes(docs)} and max(by_external.values()) == 1
    assert not (tmp_path / "unused.db").exists()


def test_round_trip_with_the_receiver_killed_while_sense_sends(emulator, tmp_path, sense_emulator_factory):
    """Sense's dispatcher → receiver (kill -9 mid-run, restarted) → a running forwarder → Bullhorn."""
    docs = writebacks(emulator, 40, seed=12)
    db = str(tmp_path / "wb.db")
    sense = sense_emulator_factory()
    token = "round-trip-sense-token-0123456789"
    receiver = start_receiver(db=db, tokens=[token])
    sense.admin.configure_writebacks(url=receiver.event_url, auth={"mode": "header", "token": token},
                                     retry={"max_attempts": 50, "initial_delay": 0.2, "max_delay": 1.0})
    forwarder = start_forward(emulator, db, str(tmp_path / "state.json"), emulator.new_refresh_token(),
                              str(tmp_path / "forward.log"), extra=("--poll-interval", "0.05"))
    try:
        sense.admin.enqueue_envelopes(docs)
        deadline = time.monotonic() + 60
        while sense.admin.writeback_stats()["delivered"] < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        receiver.proc.send_signal(signal.SIGKILL)
        receiver.proc.wait(30)
        receiver.stop()
        receiver = start_receiver(db=db, tokens=[token])  # a new port: Sense is told the new URL
        sense.admin.configure_writebacks(url=receiver.event_url)
        assert sense.admin.wait_writebacks(timeout=120)["done"]
        expected = {f"sense:{i}" for i in _expected_notes(docs)}
        deadline = time.monotonic() + 120
        # every note made and every write-back finished (an update or an ignored one makes no note)
        while ({n["externalID"] for n in notes(emulator)} != expected or len(_results(db)) < len(docs)) \
                and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        forwarder.terminate()
        forwarder.wait(30)
        receiver.stop()
    assert sense.admin.writeback_stats()["delivered"] == len(docs)
    by_external = collections.Counter(n["externalID"] for n in notes(emulator))
    assert set(by_external) == expected and max(by_external.values()) == 1
    assert len(_results(db)) == len(docs)
