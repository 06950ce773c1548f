from destination_sense.batcher import DEFAULT_LEVEL, next_level

LIMIT = 256_000


def test_a_batch_closed_on_bytes_keeps_the_default_level():
    assert next_level(False, 255_900, 5, LIMIT) == DEFAULT_LEVEL
    assert next_level(False, 100, 1, LIMIT) == DEFAULT_LEVEL


def test_room_to_spare_on_a_count_closed_batch_allows_a_faster_level():
    assert next_level(True, 11_400, DEFAULT_LEVEL, LIMIT) == 1  # small records
    assert next_level(True, 247_400, DEFAULT_LEVEL, LIMIT) == 5  # candidate-like: 5 still fits
    assert next_level(True, 253_000, DEFAULT_LEVEL, LIMIT) == DEFAULT_LEVEL  # no room: stay
    # at a fast level, sizes are scaled back to the default level before comparing
    assert next_level(True, 251_100, 5, LIMIT) == 5
    assert next_level(True, 255_000, 5, LIMIT) == DEFAULT_LEVEL


# ---------------------------------------------------------------- states and learned limits
import orjson  # noqa: E402

from destination_sense.batcher import Batcher  # noqa: E402
from destination_sense.byte_limits import ByteLimits  # noqa: E402
from destination_sense.gzip_batch import GzipBatch, Item  # noqa: E402
from destination_sense.pipeline import Flush, Records  # noqa: E402
from destination_sense.state_counts import DeliveryCounts, ReadCounts  # noqa: E402

STREAM = (None, "candidates")


class _Delivery:
    def __init__(self):
        self.items = []

    def submit(self, item):
        self.items.append(item)


def _batcher(limits=None):
    delivery = _Delivery()
    batcher = Batcher(delivery, rejections=None, counts=DeliveryCounts(), max_records=500, max_bytes=LIMIT, limits=limits)
    batcher.close()  # its thread is not needed: handle() is called directly
    return batcher, delivery


def _items(start, n, size=20):
    import random

    rng = random.Random(start)
    return [Item(orjson.dumps({"id": str(i), "x": "%x" % rng.getrandbits(size * 4)}), str(i), STREAM, i + 1) for i in range(start, start + n)]


def test_a_state_is_held_until_the_batch_with_its_records_goes_to_delivery():
    batcher, delivery = _batcher()
    read = ReadCounts()
    batcher.handle(Records("candidates", _items(0, 3)))
    first = read.marker({"type": "GLOBAL"}, {STREAM: 3})
    batcher.handle(first)
    batcher.handle(Records("candidates", _items(3, 2)))
    second = read.marker({"type": "GLOBAL"}, {STREAM: 5})
    batcher.handle(second)
    assert delivery.items == [], "no state may go ahead of the open batch holding its records"
    batcher.handle(Flush(None))
    assert isinstance(delivery.items[0], GzipBatch) and len(delivery.items[0].items) == 5
    assert delivery.items[1:] == [first, second]


def test_a_state_with_nothing_open_goes_on_at_once():
    batcher, delivery = _batcher()
    marker = ReadCounts().marker({"type": "GLOBAL"}, {})
    batcher.handle(marker)
    assert delivery.items == [marker]


def test_batches_after_a_413_start_below_the_size_that_failed():
    limits = ByteLimits(LIMIT)
    batcher, delivery = _batcher(limits)
    limits.too_large("candidates", 20_000)
    batcher.handle(Records("candidates", _items(0, 400, size=200)))
    batcher.handle(Flush(None))
    batches = [b for b in delivery.items if isinstance(b, GzipBatch)]
    assert len(batches) > 1
    assert all(len(b.body()) <= 15_000 for b in batches)


# ---------------------------------------------------------------- order between entities, with a fake delivery stage
from destination_sense.pipeline import Updates  # noqa: E402


def _leads(ids):
    return [Item(orjson.dumps({"id": i}), i, (None, "leads"), n + 1) for n, i in enumerate(ids)]


def test_a_flush_of_every_entity_closes_their_batches_in_the_published_order():
    batcher, delivery = _batcher()
    batcher.handle(Records("leads", _leads(["l1"])))
    batcher.handle(Records("candidates", _items(0, 2)))
    batcher.handle(Flush(None))
    assert [b.collection for b in delivery.items] == ["candidates", "leads"]


def test_a_flush_of_one_entity_leaves_the_others_open():
    batcher, delivery = _batcher()
    batcher.handle(Records("leads", _leads(["l1"])))
    batcher.handle(Records("candidates", _items(0, 2)))
    batcher.handle(Flush("leads"))
    assert [b.collection for b in delivery.items] == ["leads"]
    assert batcher.open["candidates"] is not None and len(batcher.open["candidates"].items) == 2


def test_updates_go_after_the_open_batch_of_their_entity():
    batcher, delivery = _batcher()
    batcher.handle(Records("candidates", _items(0, 2)))
    updates = Updates("candidates", _items(10, 1))
    batcher.handle(updates)
    assert isinstance(delivery.items[0], GzipBatch) and delivery.items[0].collection == "candidates"
    assert delivery.items[1] is updates


def test_a_record_too_large_for_any_batch_is_rejected_and_the_rest_is_batched():
    from destination_sense.rejections import Rejections
    from destination_sense.sync_stats import SyncStats

    stats = SyncStats()
    warnings = []
    delivery = _Delivery()
    counts = DeliveryCounts()
    batcher = Batcher(delivery, Rejections("skip", stats, warnings.append), counts, max_records=500, max_bytes=2_000)
    import random

    noise = "%x" % random.Random(1).getrandbits(8 * 4_000)  # does not compress below 2,000 bytes
    huge = Item(orjson.dumps({"id": "big", "x": noise}), "big", STREAM, 2)
    batcher.handle(Records("candidates", [_items(0, 1)[0], huge, _items(5, 1)[0]]))
    batcher.handle(Flush(None))
    assert [i.entity_id for b in delivery.items for i in b.items] == ["0", "5"]
    assert stats["candidates"].rejected == 1 and "id 'big'" in warnings[0] and "compressed" in warnings[0]
