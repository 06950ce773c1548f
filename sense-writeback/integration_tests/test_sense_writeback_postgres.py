"""sense-writeback on PostgreSQL (a real server from the ``postgres_server`` fixture) through real HTTP.

Every type stored, idempotent and conflicting resends, two replicas sharing one database, and a
storage failure answered 5xx without an id, then recovered.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from sense_testing.writeback_samples import writeback
from sense_writeback.store import open_store
from sense_testing.writeback_receiver import start_receiver
from sense_writeback.validation import WRITEBACK_TYPES

TOKEN = "pg-token-0123456789abcdef"


@pytest.fixture
def pg_receiver(postgres_url):
    with start_receiver(database_url=postgres_url, tokens=[TOKEN]) as proc:
        proc.url = postgres_url
        yield proc


def test_every_type_is_stored_in_seq_order(pg_receiver):
    ids = {}
    for writeback_type in WRITEBACK_TYPES:
        response = pg_receiver.post(writeback(writeback_type, f"pg-{writeback_type}"))
        assert response.status_code == 200, response.text
        ids[f"pg-{writeback_type}"] = response.json()["id"]
    assert pg_receiver.post(writeback("GENERIC_EVENT", "pg-GENERIC_EVENT")).json()["id"] == ids["pg-GENERIC_EVENT"]
    changed = writeback("GENERIC_EVENT", "pg-GENERIC_EVENT")
    changed["data"]["summary"] = "changed"
    assert pg_receiver.post(changed).json()["id"] == ids["pg-GENERIC_EVENT"]
    with open_store(pg_receiver.url, writer=False) as store:
        rows = list(store.iter_writebacks())
        assert [r.sense_id for r in rows] == [f"pg-{t}" for t in WRITEBACK_TYPES]
        assert [r.seq for r in rows] == sorted(r.seq for r in rows)
        assert {r.sense_id: r.receiver_id for r in rows} == ids
        assert rows[0].document() == writeback(WRITEBACK_TYPES[0], f"pg-{WRITEBACK_TYPES[0]}")
        assert ("subject", "AE_CANDIDATE", "5001") in store.get("pg-GENERIC_EVENT").entities
        assert [json.loads(c.raw) for c in store.conflicts()] == [changed]
    health = pg_receiver.session.get(pg_receiver.base_url + "/healthz", timeout=30).json()
    assert health == {"ok": True, "storage": "postgres"}


def test_two_replicas_share_one_database_idempotently(postgres_url):
    with start_receiver(database_url=postgres_url, tokens=[TOKEN]) as first, \
            start_receiver(database_url=postgres_url, tokens=[TOKEN]) as second:
        docs = [writeback("ENTITY_UPDATE", f"rep-{i}") for i in range(40)]

        def send(args):
            replica, doc = args
            return doc["id"], replica.post(doc).json()["id"]

        jobs = [(first, d) for d in docs] + [(second, d) for d in docs]
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(send, jobs))
    by_id = {}
    for sense_id, receiver_id in answers:
        by_id.setdefault(sense_id, set()).add(receiver_id)
    assert all(len(ids) == 1 for ids in by_id.values())  # both replicas answered the same id
    with open_store(postgres_url, writer=False) as store:
        assert store.count() == 40 and store.conflicts() == []


def test_storage_failure_answers_5xx_without_id_then_recovers(pg_receiver):
    assert pg_receiver.post(writeback("GENERIC_EVENT", "before-failure")).status_code == 200
    with psycopg.connect(pg_receiver.url, autocommit=True) as conn:  # cut the receiver's writer connection
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    failed = pg_receiver.post(writeback("GENERIC_EVENT", "during-failure"))
    assert failed.status_code == 503
    assert failed.json() == {"error": "unable to store, server issue: storage unavailable"}
    assert pg_receiver.metric("sense_writeback_rejected_total", reason="storage") == 1
    # liveness ignores the database (a restart would not help); readiness probes with a new connection
    assert pg_receiver.session.get(pg_receiver.base_url + "/healthz", timeout=30).status_code == 200
    resent = pg_receiver.post(writeback("GENERIC_EVENT", "during-failure"))  # Sense re-delivers
    assert resent.status_code == 200
    assert pg_receiver.session.get(pg_receiver.base_url + "/readyz", timeout=30).json() == {
        "ready": True, "storage": "postgres"}
    with open_store(pg_receiver.url, writer=False) as store:
        assert store.get("during-failure").receiver_id == resent.json()["id"]
