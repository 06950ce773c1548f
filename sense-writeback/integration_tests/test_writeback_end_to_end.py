"""Sense's side against our side: the emulator's write-back dispatcher sending to a running
``sense-writeback serve`` (real console scripts, real HTTP, SQLite file), in each auth mode, and
through kill -9 of the receiver while it is receiving.

What is checked is what the issue promises: every write-back that got 200 + id is stored exactly
once (under the id it was answered with), and re-deliveries complete the set.
"""
from __future__ import annotations

import json
import sqlite3
import time

import pytest

from oidc_emulator.testing import start_oidc_emulator
from sense_emulator.writebacks.seed import TYPES
from sense_testing.writeback_receiver import start_receiver

TOKEN = "e2e-pre-shared-token-0123456789abcdef"
AUDIENCE = "https://receiver.example/event"
FAST = {"initial_delay": 0.05, "max_delay": 0.5, "max_attempts": 1000}


def _rows(db) -> dict:
    """``{sense_id: (receiver_id, seq, raw)}`` from the receiver's ``writebacks`` table."""
    with sqlite3.connect(db) as conn:
        return {sense_id: (receiver_id, seq, raw) for sense_id, receiver_id, seq, raw in
                conn.execute("SELECT sense_id, receiver_id, seq, raw FROM writebacks")}


def _conflicts(db) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM writeback_conflicts").fetchone()[0]


def _assert_stored_exactly_once(emu, db, ids):
    """Every write-back delivered; each stored once, under every id it was ever answered with."""
    rows = _rows(db)
    assert sorted(rows) == sorted(ids)
    assert len({seq for _, seq, _ in rows.values()}) == len(ids)
    for record in emu.admin.writebacks():
        assert record["status"] == "delivered", record
        receiver_id = rows[record["id"]][0]
        answered = {a["receiver_id"] for a in record["attempts"] if a["status"] == 200}
        assert answered == {receiver_id}, record["id"]
    assert _conflicts(db) == 0  # the same bytes on every re-delivery
    return rows


@pytest.fixture
def emu(sense_emulator):
    yield sense_emulator
    sense_emulator.admin.clear_writebacks()
    sense_emulator.admin.configure_writebacks(auth={"mode": "none"}, retry={"max_attempts": 10, "initial_delay": 1.0,
                                                                               "max_delay": 60.0})


@pytest.mark.parametrize("mode", ["header", "query"])
def test_every_type_is_stored_once_with_a_pre_shared_token(emu, tmp_path, mode):
    db = tmp_path / "wb.db"
    with start_receiver(db=str(db), tokens=[TOKEN], extra_args=["--token-modes", mode]) as receiver:
        emu.admin.configure_writebacks(url=receiver.event_url, auth={"mode": mode, "token": TOKEN}, retry=FAST,
                                       concurrency=8)
        ids = emu.admin.enqueue_writebacks(30, sample_entities=True)
        result = emu.admin.wait_writebacks(120)
        assert result["done"] and result["stats"]["delivered"] == 30
        assert result["stats"]["attempt_status"] == {"200": 30}  # the receiver accepts every seeded type
        rows = _assert_stored_exactly_once(emu, db, ids)
        for record in emu.admin.writebacks()[:10]:
            sent = emu.admin.writeback(record["id"])["writeback"]
            assert json.loads(rows[record["id"]][2]) == sent
        with sqlite3.connect(db) as conn:
            modes = {m for (m,) in conn.execute("SELECT DISTINCT auth_mode FROM writebacks")}
            types = {t for (t,) in conn.execute("SELECT DISTINCT type FROM writebacks")}
            flagged = conn.execute("SELECT count(*) FROM writebacks WHERE unknown_type OR newer_version").fetchone()[0]
        assert modes == {f"{mode}_token"} and types == set(TYPES) and flagged == 0
        assert TOKEN not in receiver.log() and TOKEN not in emu.log()


def test_a_wrong_token_is_refused_then_redelivery_completes_after_the_fix(emu, tmp_path):
    db = tmp_path / "wb.db"
    with start_receiver(db=str(db), tokens=[TOKEN]) as receiver:
        emu.admin.configure_writebacks(url=receiver.event_url, auth={"mode": "header", "token": "not-the-right-token-xx"},
                                       retry={"initial_delay": 0.02, "max_delay": 0.05, "max_attempts": 3})
        ids = emu.admin.enqueue_writebacks(10, sample_entities=True)
        result = emu.admin.wait_writebacks(60)
        assert result["stats"]["given_up"] == 10 and result["stats"]["attempt_status"] == {"401": 30}
        assert emu.admin.writeback(ids[0])["last_error"] == "status 401: invalid token or session"
        assert _rows(db) == {}
        emu.admin.configure_writebacks(auth={"mode": "header", "token": TOKEN})
        for sense_id in ids:
            emu.admin.redeliver_writeback(sense_id)
        assert emu.admin.wait_writebacks(60)["stats"]["delivered"] == 10
        _assert_stored_exactly_once(emu, db, ids)


def test_oauth2_through_the_local_provider_including_a_key_rotation(emu, tmp_path):
    db = tmp_path / "wb.db"
    with start_oidc_emulator(clients=[("sense", "oauth-secret-e2e-0123")], audience=AUDIENCE, scopes=["writeback"]) as idp:
        args = ["--oidc-discovery-url", idp.discovery_url, "--oidc-audience", AUDIENCE,
                "--oidc-required-scope", "writeback", "--oidc-jwks-refresh-interval", "0"]
        with start_receiver(db=str(db), tokens=[], extra_args=args) as receiver:
            oauth = {"mode": "oauth2", "discovery_url": idp.discovery_url, "client_id": "sense",
                     "client_secret": "oauth-secret-e2e-0123", "scope": "writeback", "audience": AUDIENCE}
            emu.admin.configure_writebacks(url=receiver.event_url, retry=FAST, auth=oauth)
            first = emu.admin.enqueue_writebacks(10, sample_entities=True)
            assert emu.admin.wait_writebacks(120)["stats"]["delivered"] == 10
            assert idp.admin.counters()["token_issued"] == 1  # one token for every write-back
            # Rotation: tokens from now on carry a kid the receiver has not seen; it refreshes its
            # JWKS once and accepts them. (A new dispatcher configuration drops the cached token.)
            idp.admin.rotate(algs=["RS256"], keep_previous=True)
            jwks_before = idp.admin.counters()["jwks"]
            emu.admin.configure_writebacks(auth=oauth)
            second = emu.admin.enqueue_writebacks(10)
            result = emu.admin.wait_writebacks(120)
            assert result["done"] and result["stats"]["delivered"] == 20
            assert result["stats"]["attempt_status"] == {"200": 20}
            assert idp.admin.counters()["token_issued"] == 2
            assert idp.admin.counters()["jwks"] == jwks_before + 1
            rows = _assert_stored_exactly_once(emu, db, first + second)
            with sqlite3.connect(db) as conn:
                assert {m for (m,) in conn.execute("SELECT DISTINCT auth_mode FROM writebacks")} == {"oauth2"}
            assert len(rows) == 20
            assert "oauth-secret-e2e-0123" not in emu.log() + receiver.log()


def _poll(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _restart(db, port):
    """The receiver again on the same file and port (the port may take a moment to be free)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return start_receiver(db=str(db), tokens=[TOKEN], extra_args=["--port", str(port)])
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_kill_9_of_the_receiver_while_the_dispatcher_sends_loses_and_duplicates_nothing(emu, tmp_path):
    db = tmp_path / "wb.db"
    total = 600
    receiver = start_receiver(db=str(db), tokens=[TOKEN])
    port = int(receiver.base_url.rsplit(":", 1)[1])
    try:
        emu.admin.pause_writebacks(True)
        emu.admin.configure_writebacks(url=receiver.event_url, auth={"mode": "header", "token": TOKEN},
                                       retry=FAST, concurrency=16, timeout=5)
        ids = emu.admin.enqueue_writebacks(total, sample_entities=True)
        emu.admin.pause_writebacks(False)
        answered_before = {}
        for threshold in (total // 6, total * 5 // 12):  # two crashes, well before the end
            _poll(lambda: emu.admin.writeback_stats()["delivered"] >= threshold, 120, f"{threshold} deliveries")
            receiver.proc.kill()  # SIGKILL: no drain, no clean shutdown
            receiver.proc.wait(10)
            failed = emu.admin.writeback_stats()["failed_attempts"]
            _poll(lambda: emu.admin.writeback_stats()["failed_attempts"] > failed, 60, "attempts against the dead receiver")
            answered_before.update({w["id"]: w["receiver_id"] for w in emu.admin.writebacks(status="delivered")})
            receiver.stop()
            receiver = _restart(db, port)
        result = emu.admin.wait_writebacks(300)
        assert result["done"] and result["stats"]["delivered"] == total and result["stats"]["given_up"] == 0
        rows = _assert_stored_exactly_once(emu, db, ids)
        # every write-back answered 200 before a crash survived it, under the same id
        assert answered_before and all(rows[i][0] == rid for i, rid in answered_before.items())
        stats = result["stats"]
        assert stats["failed_attempts"] > 0 and stats["attempts"] == total + stats["failed_attempts"]
    finally:
        receiver.stop()
