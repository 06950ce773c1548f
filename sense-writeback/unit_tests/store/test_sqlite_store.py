"""sense_writeback.store on SQLite: idempotence, conflicts, seq order, group commit, failures, read-only opening."""
import dataclasses
import json
import os
import sqlite3
import threading
import time

import pytest

from sense_writeback.store import CONFLICT, DUPLICATE, STORED, Incoming, body_hash, new_receiver_id, open_store
from sense_writeback.store.sqlite import SQLiteStore


def item(sense_id, body="h1", **changes):
    """A write-back whose raw body is ``{"id": sense_id, "v": body}`` (``body`` selects the content)."""
    base = Incoming(receiver_id=new_receiver_id(), sense_id=sense_id, type="GENERIC_EVENT", version=1.0,
                    created_date="2024-01-01T00:00:00.000000+00:00", received_at="2024-01-01T00:00:01.000000+00:00",
                    auth_mode="header_token", raw=json.dumps({"id": sense_id, "v": body}).encode(),
                    body_sha256=body_hash(json.dumps({"id": sense_id, "v": body}).encode()),
                    unknown_type=False, newer_version=False, references=(("subject", "AE_CANDIDATE", "1"),))
    return dataclasses.replace(base, **changes)


def test_store_duplicate_conflict(tmp_path):
    with open_store(str(tmp_path / "s.db")) as store:
        first = store.put(item("a"))
        assert first.status == STORED and first.seq == 1
        again = store.put(item("a"))
        assert again == dataclasses.replace(first, status=DUPLICATE)
        other = store.put(item("a", body="h2"))
        assert other.status == CONFLICT and other.receiver_id == first.receiver_id
        store.put(item("a", body="h2"))
        assert store.count() == 1
        [conflict] = store.conflicts()
        assert conflict.attempts == 2 and json.loads(conflict.raw) == {"id": "a", "v": "h2"}
        reformatted = dataclasses.replace(item("a"), raw=b'{ "v" : "h1",\n "id" : "a" }')
        assert store.put(reformatted).status == DUPLICATE  # same content, other bytes


def test_concurrent_submissions_share_commits_and_read_back_in_seq_order(tmp_path):
    path = str(tmp_path / "s.db")
    with open_store(path) as store:
        futures = [store.submit(item(f"id-{i}")) for i in range(300)]
        outcomes = [f.result(30) for f in futures]
        assert store._committer.batches < 300  # several write-backs per transaction
    assert sorted(o.seq for o in outcomes) == list(range(1, 301))
    with open_store(path, writer=False) as reader:
        rows = list(reader.iter_writebacks(batch=7))
        assert [r.seq for r in rows] == list(range(1, 301))
        assert [r.seq for r in reader.iter_writebacks(after_seq=295)] == [296, 297, 298, 299, 300]
        assert rows[0].entities == (("subject", "AE_CANDIDATE", "1"),)
        with pytest.raises(RuntimeError, match="reading only"):
            reader.submit(item("x"))


def test_sqlite_runs_in_wal_with_full_sync(tmp_path):
    path = str(tmp_path / "s.db")
    with open_store(path) as store:
        store.put(item("a"))
        conn = store.connect()
        try:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        finally:
            conn.close()


def test_a_failing_transaction_fails_every_item_of_its_batch_and_stores_none(tmp_path):
    path = str(tmp_path / "s.db")
    with SQLiteStore(path, busy_timeout_ms=100) as store:
        store.put(item("ok-before"))
        blocker = sqlite3.connect(path, timeout=0)
        blocker.execute("BEGIN EXCLUSIVE")  # the writer cannot get its lock
        failing = [store.submit(item(f"blocked-{i}")) for i in range(3)]
        errors = [f.exception(30) for f in failing]
        assert all(isinstance(e, sqlite3.OperationalError) for e in errors)
        assert not store.healthy and "locked" in store.last_error
        blocker.rollback()
        blocker.close()
        assert store.put(item("ok-after"), 30).status == STORED
        assert store.healthy
        assert [r.sense_id for r in store.iter_writebacks()] == ["ok-before", "ok-after"]


def test_close_commits_what_was_submitted_and_refuses_more(tmp_path):
    path = str(tmp_path / "s.db")
    store = open_store(path)
    futures = [store.submit(item(f"late-{i}")) for i in range(50)]
    store.close()
    assert all(f.result(0).status == STORED for f in futures)
    with pytest.raises(RuntimeError):
        store.submit(item("after-close"))
    assert not os.path.exists(path + "-wal") or os.path.getsize(path + "-wal") == 0
    with open_store(path, writer=False) as reader:
        assert reader.count() == 50


def test_in_memory_database_is_refused(tmp_path):
    with pytest.raises(ValueError, match="needs a file"):
        open_store(":memory:")


def test_the_wal_is_checkpointed_while_the_store_runs(tmp_path):
    path = str(tmp_path / "s.db")
    with open_store(path) as store:
        initial = os.path.getsize(path)
        for i in range(100):  # ~400 kB of WAL: far below SQLite's own automatic checkpoint threshold
            store.put(item(f"big-{i}", raw=b"x" * 4000))
        deadline = time.monotonic() + 10
        while os.path.getsize(path) == initial and time.monotonic() < deadline:
            time.sleep(0.05)
        assert os.path.getsize(path) > initial  # pages copied into the database file by the checkpoint thread
