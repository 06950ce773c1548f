"""Two ``sense-writeback forward`` processes on one PostgreSQL database, with Bullhorn failing
(500s and 429s from the emulator) and the leading forwarder killed with SIGKILL mid-run: the other
takes over, every write-back is forwarded, no note is written twice."""
from __future__ import annotations

import collections
import signal

import psycopg
import pytest
import requests

from sense_testing.forwarder_harness import lease_owner, notes, start_forward, wait_until, writebacks
from sense_testing.writeback_receiver import start_receiver
from sense_writeback.forward.settings import NOTE_TYPES


@pytest.fixture
def emulator(bullhorn_emulator_factory):
    return bullhorn_emulator_factory("--seed", "11")


def _count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        try:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        except psycopg.errors.UndefinedTable:  # no forwarder has started yet
            return 0


def test_two_forwarders_on_one_database_take_over_and_never_write_a_note_twice(emulator, postgres_url, tmp_path):
    docs = [d for d in writebacks(emulator, 160, seed=3) if d["type"] in NOTE_TYPES]
    with start_receiver(database_url=postgres_url) as receiver:
        for doc in docs:
            assert receiver.post(doc).status_code == 200
    for status, count in ((500, 3), (429, 3)):
        requests.post(f"{emulator.base_url}/_admin/write-faults", json={"status": status, "count": count}, timeout=30)
    extra = ("--lease-seconds", "3", "--poll-interval", "0.1")
    forwarders = {}
    for name in ("a", "b"):
        forwarders[name] = start_forward(emulator, "unused.db", str(tmp_path / f"state-{name}.json"),
                                         emulator.new_refresh_token(), str(tmp_path / f"forward-{name}.log"),
                                         extra=extra, database_url=postgres_url)
    try:
        assert wait_until(lambda: _count(postgres_url, "forward_results") >= len(docs) // 4, 120)
        leader_pid = int(lease_owner(postgres_url).split(":")[1])
        leader = next(name for name, proc in forwarders.items() if proc.pid == leader_pid)
        standby = "b" if leader == "a" else "a"
        forwarders[leader].send_signal(signal.SIGKILL)
        assert forwarders[leader].wait(10) == -9
        assert wait_until(lambda: _count(postgres_url, "forward_results") == len(docs), 180)
        assert forwarders[standby].poll() is None  # a standby never exits on its own
    finally:
        for proc in forwarders.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
    standby_log = (tmp_path / f"forward-{standby}.log").read_text()
    assert "took over the lease" in standby_log
    made = collections.Counter(n["externalID"] for n in notes(emulator))
    twice = {external: n for external, n in made.items() if n > 1}
    assert (len(made), twice) == (len(docs), {})
    assert set(made) == {f"sense:{d['id']}" for d in docs}
    with psycopg.connect(postgres_url) as conn:
        outcomes = collections.Counter(row[0] for row in conn.execute("SELECT outcome FROM forward_results"))
    assert outcomes == {"note": len(docs)}
