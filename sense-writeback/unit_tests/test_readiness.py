"""Readiness: the store's probe decides, one probe at a time, a slow probe is a failure, the answer is
reused briefly, and liveness never asks the database."""
from __future__ import annotations

import asyncio
import threading
import time

from sense_writeback.readiness import Readiness
from sense_writeback.store import open_store


class Probed:
    def __init__(self, delay: float = 0.0, error: Exception = None):
        self.delay = delay
        self.error = error
        self.calls = 0
        self.writer_alive = True
        self.lock = threading.Lock()

    def probe(self) -> None:
        with self.lock:
            self.calls += 1
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error


def test_a_real_store_is_ready(tmp_path):
    with open_store(str(tmp_path / "r.db")) as store:
        readiness = Readiness(store)
        assert asyncio.run(readiness.problem()) is None
        assert readiness.live()


def test_the_reason_of_a_failing_probe_and_recovery():
    store = Probed(error=ConnectionRefusedError("connection refused\nsecond line"))
    readiness = Readiness(store, cache_seconds=0)
    assert asyncio.run(readiness.problem()) == "ConnectionRefusedError: connection refused"
    store.error = None
    assert asyncio.run(readiness.problem()) is None


def test_a_slow_probe_is_not_ready_and_concurrent_checks_share_one_probe():
    store = Probed(delay=0.5)
    readiness = Readiness(store, timeout=0.1)

    async def many():
        return await asyncio.gather(*(readiness.problem() for _ in range(20)))

    answers = asyncio.run(many())
    assert set(answers) == {"storage did not answer within 0.1 s"} and store.calls == 1


def test_answers_are_reused_briefly():
    store = Probed()
    readiness = Readiness(store, cache_seconds=60)

    async def twice():
        return await readiness.problem(), await readiness.problem()

    assert asyncio.run(twice()) == (None, None) and store.calls == 1
