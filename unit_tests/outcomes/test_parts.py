"""LineParts: numbered gzip parts, each whole when stored; a part that failed to store is stored later."""
import gzip
import json

import pytest

from destination_sense.outcomes.parts import LineParts
from destination_sense.outcomes.storage import StorageError


class MemoryStore:
    root = "mem"

    def __init__(self):
        self.objects = {}
        self.failing = False

    def put(self, key, data, content_type="application/octet-stream"):
        if self.failing:
            raise StorageError("down")
        self.objects[key] = data

    def location(self, key):
        return f"mem/{key}"


def _lines(data):
    return [json.loads(line) for line in gzip.decompress(data).splitlines()]


def test_parts_are_numbered_whole_gzip_members_and_flush_only_what_is_new():
    store = MemoryStore()
    parts = LineParts(store, "rejected/candidates", part_bytes=50_000)
    for i in range(20_000):
        parts.write(json.dumps({"position": i, "pad": "%016x" % (i * 11400714819323198485 % 2**64)}).encode())
    parts.flush()
    parts.flush()  # nothing new: no empty part
    keys = sorted(store.objects)
    assert len(keys) >= 3 and keys[0] == "rejected/candidates/part-00001.jsonl.gz"
    positions = [line["position"] for key in keys for line in _lines(store.objects[key])]
    assert positions == list(range(20_000))
    assert [p.key for p in parts.stored] == keys and sum(p.records for p in parts.stored) == 20_000 == parts.records
    # a part is put once its compressed size reaches part_bytes (plus what the compressor still held)
    assert all(len(store.objects[k]) < 50_000 + 70_000 for k in keys)


def test_a_part_that_failed_to_store_is_stored_by_the_next_flush():
    store = MemoryStore()
    parts = LineParts(store, "p")
    parts.write(b'{"a":1}')
    store.failing = True
    with pytest.raises(StorageError):
        parts.flush()
    assert parts.pending == 1 and store.objects == {}
    parts.write(b'{"a":2}')
    store.failing = False
    parts.flush()
    assert [_lines(store.objects[k]) for k in sorted(store.objects)] == [[{"a": 1}], [{"a": 2}]]
    assert parts.pending == 0
