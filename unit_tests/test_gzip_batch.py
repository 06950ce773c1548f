import gzip
import random

import orjson
import pytest

from destination_sense.records.item import Item, RecordTooLarge
from destination_sense.schedule.gzip_batch import GzipBatch
from sense_api.limits import MAX_BATCH_COMPRESSED_BYTES, MAX_BATCH_RECORDS


def _records(n, words=300, seed=1):
    rng = random.Random(seed)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(3000)]
    return [
        Item(orjson.dumps({"id": str(i), "notes": " ".join(rng.choices(vocab, k=words))}), str(i), ("", "s"), i + 1)
        for i in range(n)
    ]


def _pack(items, max_records=MAX_BATCH_RECORDS, max_bytes=MAX_BATCH_COMPRESSED_BYTES, chunked=False):
    """Pack records one by one with ``add`` or in runs with ``extend``."""
    batches, batch = [], GzipBatch("candidates", max_records, max_bytes)
    if chunked:
        i = 0
        while i < len(items):
            i = batch.extend(items, i)
            if i < len(items):
                batches.append(batch)
                batch = GzipBatch("candidates", max_records, max_bytes, ratio_hint=batch.ratio)
        batches.append(batch)
        return batches
    for item in items:
        if not batch.add(item):
            batches.append(batch)
            batch = GzipBatch("candidates", max_records, max_bytes, ratio_hint=batch.ratio)
            assert batch.add(item)
    batches.append(batch)
    return batches


@pytest.mark.parametrize("chunked", [False, True])
def test_byte_limit_is_never_exceeded_and_batches_are_nearly_full(chunked):
    batches = _pack(_records(6000), chunked=chunked)
    sizes = [len(b.body()) for b in batches]
    assert max(sizes) <= MAX_BATCH_COMPRESSED_BYTES
    # every batch but the last is within 1 % of the limit: the next record did not fit
    assert min(sizes[:-1]) >= 0.99 * MAX_BATCH_COMPRESSED_BYTES
    decoded = [rec for b in batches for rec in orjson.loads(gzip.decompress(b.body()))]
    assert [r["id"] for r in decoded] == [str(i) for i in range(6000)]


@pytest.mark.parametrize("chunked", [False, True])
def test_record_limit_binds_for_small_records(chunked):
    batches = _pack(_records(1200, words=3), chunked=chunked)
    assert [len(b) for b in batches] == [500, 500, 200]
    assert len(orjson.loads(gzip.decompress(batches[0].body()))) == 500


def test_only_the_last_version_of_an_id_is_kept():
    batch = GzipBatch("candidates", 500, 256_000)
    for i in range(10):
        assert batch.add(Item(orjson.dumps({"id": str(i % 4), "v": i}), str(i % 4), ("", "s"), i + 1))
    body = orjson.loads(gzip.decompress(batch.body()))
    assert sorted((r["id"], r["v"]) for r in body) == [("0", 8), ("1", 9), ("2", 6), ("3", 7)]
    assert len(batch.superseded) == 6


def test_a_record_larger_than_a_batch_is_refused():
    rng = random.Random(3)
    huge = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(400_000))
    batch = GzipBatch("job-orders", 500, 256_000)
    with pytest.raises(RecordTooLarge, match="compressed"):
        batch.add(Item(orjson.dumps({"id": "1", "description": huge}), "1", ("", "s"), 1))
    assert len(batch) == 0


def test_rebuilt_keeps_a_subset():
    batch = _pack(_records(50))[0]
    rebuilt = batch.rebuilt(batch.items[10:20])
    assert [r["id"] for r in orjson.loads(gzip.decompress(rebuilt.body()))] == [str(i) for i in range(10, 20)]


@pytest.mark.parametrize("chunked", [False, True])
def test_custom_limits(chunked):
    batches = _pack(_records(300, words=50), max_records=500, max_bytes=20_000, chunked=chunked)
    assert all(len(b.body()) <= 20_000 for b in batches)
    assert sum(len(b) for b in batches) == 300


def test_extend_compresses_in_few_large_runs_and_equals_one_by_one_packing():
    items = _records(3000)
    one_by_one = _pack(items)
    chunked = _pack(items, chunked=True)
    # fewer sync flushes compress slightly better: never more batches than one-by-one packing
    assert len(chunked) <= len(one_by_one)
    assert sum(len(b) for b in chunked) == 3000
    assert max(b.compressor_calls for b in chunked) <= 12  # vs one call per record near the limit
    assert max(len(b.body()) for b in chunked) <= MAX_BATCH_COMPRESSED_BYTES


def test_extend_keeps_only_the_last_version_of_an_id():
    items = [Item(orjson.dumps({"id": str(i % 5), "v": i}), str(i % 5), ("", "s"), i + 1) for i in range(12)]
    batch = GzipBatch("candidates", 500, 256_000)
    assert batch.extend(items) == 12
    body = orjson.loads(gzip.decompress(batch.body()))
    assert sorted((r["id"], r["v"]) for r in body) == [("0", 10), ("1", 11), ("2", 7), ("3", 8), ("4", 9)]
    assert len(batch.superseded) == 7


def test_a_record_near_the_limit_is_checked_alone():
    from destination_sense.records.item import check_fits_alone

    check_fits_alone(b"x" * 1000, 256_000)
    rng = random.Random(5)
    noise = rng.randbytes(300_000).hex().encode()  # ~300 kB after compression
    with pytest.raises(RecordTooLarge):
        check_fits_alone(noise, 256_000)


def test_raw_records_are_released_once_compressed_and_restored_for_a_split():
    items = _records(40, words=20)
    originals = [item.data for item in items]
    batch = GzipBatch("candidates", 500, 256_000)
    assert batch.extend(items) == 40
    body = batch.body()
    assert all(item.data is None for item in batch.items)
    half = batch.rebuilt(batch.items[:20])
    assert [item.data for item in batch.items] == originals  # byte for byte
    assert orjson.loads(gzip.decompress(half.body())) == [orjson.loads(d) for d in originals[:20]]
    assert batch.body() is body
