"""Receiver ids: 128 random bits each, never repeated, not even by a forked process."""
from __future__ import annotations

import os
import re

from sense_writeback.store.records import new_receiver_id


def test_ids_are_random_128_bit_hex_and_never_repeat():
    ids = [new_receiver_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"wb_[0-9a-f]{32}", i) for i in ids)


def test_a_forked_process_draws_its_own_ids():
    new_receiver_id()  # the parent holds a block of ids
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, new_receiver_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    assert child != new_receiver_id() and child.startswith("wb_")
