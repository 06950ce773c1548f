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
