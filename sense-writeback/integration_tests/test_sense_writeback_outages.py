"""Storage outages under load: PostgreSQL stopped for 10 s and started again while Sense sends and
the forwarder runs; the SQLite file system full and then freed. The receiver answers 5xx without
an id while it cannot store (never 200), never exits, reconnects by itself; readiness follows the
storage; nothing acknowledged is lost; the forwarder resumes and writes no note twice."""
from __future__ import annotations

import asyncio
import collections
import os
import subprocess
import threading
import time

import pytest
import requests

from sense_testing.forwarder_harness import lease_owner, notes, start_forward, wait_until, writebacks
from sense_testing.postgres_server import PostgresUnavailable, start_postgres
from sense_testing.writeback_load import encode, post_all, resend_until_stored
from sense_testing.writeback_receiver import start_receiver
from sense_testing.writeback_samples import writeback
from sense_writeback.forward.settings import NOTE_TYPES
from sense_writeback.store import open_store
from sense_writeback.validation import WRITEBACK_TYPES

OUTAGE_SECONDS = 10.0


class ReadinessWatch(threading.Thread):
    """Polls ``/readyz`` every 0.1 s: ``(time.monotonic(), status)`` samples."""

    def __init__(self, base_url: str):
        super().__init__(daemon=True)
        self.url = base_url + "/readyz"
        self.samples = []
        self.stop = threading.Event()

    def run(self) -> None:
        with requests.Session() as session:
            while not self.stop.wait(0.1):
                try:
                    status = session.get(self.url, timeout=5).status_code
                except requests.RequestException:
                    status = 0
                self.samples.append((time.monotonic(), status))

    def first(self, status: int, after: float) -> float:
        return next(t for t, s in self.samples if t >= after and s == status) - after


def _stored(target: str) -> dict:
    with open_store(target, writer=False) as store:
        return {wb.sense_id: wb.receiver_id for wb in store.iter_writebacks()}


@pytest.fixture
def own_postgres():
    """A PostgreSQL server of this test alone (it is stopped and started again)."""
    try:
        server = start_postgres()
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL server could be started: {exc}")
    yield server
    server.stop()


def test_postgresql_stopped_10_s_and_started_again_while_sense_sends(own_postgres, bullhorn_emulator_factory,
                                                                      tmp_path):
    emulator = bullhorn_emulator_factory("--seed", "13")
    url = own_postgres.database("outage")
    docs = [d for d in writebacks(emulator, 800, seed=4) if d["type"] in NOTE_TYPES][:400]
    bodies = encode(docs)
    receiver = start_receiver(database_url=url, tokens=["outage-token-0123456789abcdef"],
                              extra_args=["--store-timeout", "5"])
    token = receiver.tokens[0]
    watch = ReadinessWatch(receiver.base_url)
    forward = start_forward(emulator, "unused.db", str(tmp_path / "state.json"), emulator.new_refresh_token(),
                            str(tmp_path / "forward.log"), extra=("--poll-interval", "0.1"), database_url=url)
    answers = []
    try:
        watch.start()
        assert wait_until(lambda: lease_owner(url), 60), "the forwarder did not start"
        # 2 senders, one request each per 0.1 s: Sense sends before, throughout and after the outage
        load = threading.Thread(target=lambda: asyncio.run(post_all(
            receiver.base_url, token, bodies, senders=2, interval=0.1, seconds=60, answers=answers)))
        load.start()
        time.sleep(2.0)
        halted = time.monotonic()
        own_postgres.halt()
        time.sleep(OUTAGE_SECONDS)
        resumed = time.monotonic()
        own_postgres.resume()
        load.join(120)
        assert receiver.running()  # never exits on a storage error
        pending = [b for b in bodies if b[0] not in {a.sense_id for a in answers if a.acknowledged}]
        resent = resend_until_stored(receiver.base_url, token, pending)
        ready_lost, ready_back = watch.first(503, halted), watch.first(200, resumed)
        done = wait_until(lambda: len({n["externalID"] for n in notes(emulator)}) >= len(docs), 120)
    finally:
        watch.stop.set()
        forward.terminate()
        forward.wait(30)
        receiver.stop()

    by_status = collections.Counter(a.status for a in answers)
    during = [a for a in answers if halted + 0.5 < a.finished < resumed]
    after = [a for a in answers if a.finished > resumed + 3]
    assert set(by_status) <= {200, 503} and by_status[503] > 0 and by_status[200] > 0, by_status
    assert [a for a in during if a.status == 200] == []  # never 200 while the database is down
    assert all(a.receiver_id is None for a in answers if a.status != 200)  # 5xx never carries an id
    assert after and all(a.status == 200 for a in after)  # reconnected by itself
    assert ready_lost < 5 and ready_back < 5  # readiness follows the storage within seconds
    stored = _stored(url)
    acknowledged = [a for a in answers if a.acknowledged] + resent
    lost = [a for a in acknowledged if a.sense_id not in stored]
    changed = [a for a in acknowledged if stored.get(a.sense_id) != a.receiver_id]
    assert (len(stored), len(lost), len(changed)) == (len(docs), 0, 0)
    made = collections.Counter(n["externalID"] for n in notes(emulator))
    assert done, (tmp_path / "forward.log").read_text()[-3000:]
    assert set(made) == {f"sense:{d['id']}" for d in docs}
    assert [external for external, n in made.items() if n > 1] == []  # no note written twice
    assert "storage unavailable" in (tmp_path / "forward.log").read_text()  # it saw the outage, and resumed
    assert forward.returncode == 0


@pytest.fixture
def small_file_system(tmp_path):
    """A 16 MB tmpfs of this test alone (needs root and the right to mount: skipped otherwise)."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root and CAP_SYS_ADMIN): {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def _fill(directory) -> str:
    """Fill the file system with a ballast file; its path."""
    ballast = os.path.join(directory, "ballast")
    with open(ballast, "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
                os.fsync(out.fileno())
        except OSError:
            pass
    return ballast


def test_sqlite_disk_full_answers_5xx_loses_nothing_and_recovers(small_file_system):
    db = str(small_file_system / "writebacks.db")
    docs = [writeback(WRITEBACK_TYPES[i % len(WRITEBACK_TYPES)], f"full-{i}") for i in range(2000)]
    bodies = encode(docs)
    answers = []
    with start_receiver(db=db, tokens=["full-token-0123456789abcdef"]) as receiver:
        token = receiver.tokens[0]
        answers += asyncio.run(post_all(receiver.base_url, token, bodies[:100], senders=8))
        ballast = _fill(small_file_system)
        for start in range(100, len(bodies), 300):  # until the file system refuses (the WAL must grow)
            answers += asyncio.run(post_all(receiver.base_url, token, bodies[start:start + 300], senders=64))
            if any(a.status == 503 for a in answers):
                break
        full = collections.Counter(a.status for a in answers)
        assert receiver.running()  # never exits on a storage error
        os.remove(ballast)  # space returns
        acknowledged_ids = {a.sense_id for a in answers if a.acknowledged}
        sent = {a.sense_id for a in answers}
        resent = resend_until_stored(receiver.base_url, token, [b for b in bodies if b[0] in sent - acknowledged_ids])
        assert receiver.running()
    assert full[503] > 0 and set(full) <= {200, 503}, full
    assert all(a.receiver_id is None for a in answers if a.status != 200)  # 5xx never carries an id
    stored = _stored(db)
    acknowledged = [a for a in answers if a.acknowledged] + resent
    lost = [a for a in acknowledged if a.sense_id not in stored]
    changed = [a for a in acknowledged if stored.get(a.sense_id) != a.receiver_id]
    assert (len(stored), len(lost), len(changed)) == (len(sent), 0, 0)
