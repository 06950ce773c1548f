"""A sense-writeback receiver holding seeded write-backs of every type, for source-sense-writebacks' tests."""
from __future__ import annotations

from contextlib import contextmanager

from sense_emulator.writebacks.seed import SAMPLE_ENTITIES, EntityPool, Seeder
from sense_testing.writeback_receiver import start_receiver

SENSE_TOKEN = "sense-token-for-source-tests-0123"
READ_TOKEN = "standard-tests-read-token-0123456789"


def sample_pool() -> EntityPool:
    pool = EntityPool.__new__(EntityPool)
    pool.by_collection = {k: list(v) for k, v in SAMPLE_ENTITIES.items()}
    return pool


@contextmanager
def seeded_receiver(db, count: int = 30, seed: int = 3):
    """A running receiver with ``count`` write-backs (every type); yields ``(receiver, docs)``."""
    docs = Seeder(sample_pool(), seed=seed).build_many(count)
    with start_receiver(db=str(db), tokens=[SENSE_TOKEN], env={"SENSE_WRITEBACK_READ_TOKENS": READ_TOKEN}) as receiver:
        for doc in docs:
            answer = receiver.post(doc)
            assert answer.status_code == 200, answer.text
        yield receiver, docs
