"""The entity scheduler alone: a fake sender records what it is passed, in order."""
import random

import orjson

from destination_sense.ledger import SyncLedger
from destination_sense.records.item import DEFAULT_LEVEL, Item
from destination_sense.records.pipeline import SideRecord
from destination_sense.schedule.gzip_batch import GzipBatch, next_level
from destination_sense.schedule.scheduler import END, TICK, EntityScheduler, StateMarker, Updates
from destination_sense.send.byte_limits import ByteLimits

LIMIT = 256_000
STREAM = (None, "candidates")
LEADS = (None, "leads")


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


class _Sender:
    def __init__(self, max_bytes=LIMIT):
        self.items = []
        self.limits = ByteLimits(max_bytes)

    def submit(self, item):
        self.items.append(item)

    def fill_limit(self, collection):
        return self.limits.for_entity(collection)


class _Clock:
    now = 1000.0

    def __call__(self):
        return self.now


def _scheduler(max_bytes=LIMIT, ledger=None, sinks=(), **options):
    sender = _Sender(max_bytes)
    ledger = ledger or SyncLedger()
    for stream, row in ((STREAM, "candidates"), (LEADS, "leads")):
        ledger.open_stream(stream, row)
    scheduler = EntityScheduler(sender, ledger, max_records=500, max_bytes=max_bytes, sinks=sinks, **options)
    scheduler.close()  # its thread is not needed: handle() is called directly
    return scheduler, sender


def _items(start, n, size=20, collection="candidates", stream=STREAM):
    rng = random.Random(start)
    return [Item(orjson.dumps({"id": str(i), "x": "%x" % rng.getrandbits(size * 4)}), str(i), stream, i + 1, (), collection)
            for i in range(start, start + n)]


def _leads(ids):
    return [Item(orjson.dumps({"id": i}), i, LEADS, n + 1, (), "leads") for n, i in enumerate(ids)]


def _marker(positions):
    return StateMarker({"type": "GLOBAL"}, None, positions)


def test_a_state_is_held_until_the_batch_with_its_records_goes_to_the_sender():
    scheduler, sender = _scheduler()
    first, second = _marker({STREAM: 3}), _marker({STREAM: 5})
    scheduler.handle(_items(0, 3) + [first] + _items(3, 2) + [second])
    assert sender.items == [], "no state may go ahead of the open batch holding its records"
    scheduler.handle([END])
    assert isinstance(sender.items[0], GzipBatch) and len(sender.items[0].items) == 5
    assert sender.items[1:] == [first, second]


def test_a_state_with_nothing_open_goes_on_at_once():
    scheduler, sender = _scheduler()
    marker = _marker({})
    scheduler.handle([marker])
    assert sender.items == [marker]


def test_a_state_waits_no_longer_than_the_state_delay():
    clock = _Clock()
    scheduler, sender = _scheduler(state_delay=5, clock=clock)
    marker = _marker({STREAM: 3})
    scheduler.handle(_items(0, 3) + [marker])
    clock.now += 4.9
    scheduler.handle([TICK])
    assert sender.items == []
    clock.now += 0.2
    scheduler.handle([TICK])
    assert isinstance(sender.items[0], GzipBatch) and sender.items[1] is marker


def test_state_delay_zero_flushes_every_batch_at_the_state():
    scheduler, sender = _scheduler(state_delay=0)
    marker = _marker({STREAM: 2})
    scheduler.handle(_items(0, 2) + [marker])
    assert isinstance(sender.items[0], GzipBatch) and sender.items[1] is marker


def test_a_batch_older_than_the_flush_interval_is_closed_and_the_others_stay_open():
    clock = _Clock()
    scheduler, sender = _scheduler(flush_interval=300, clock=clock)
    scheduler.handle(_items(0, 2))
    clock.now += 200
    scheduler.handle(_leads(["l1"]))
    clock.now += 100
    scheduler.handle([TICK])
    assert [b.collection for b in sender.items] == ["candidates"]
    assert scheduler.open["leads"] is not None


def test_batches_after_a_413_start_below_the_size_that_failed():
    scheduler, sender = _scheduler()
    sender.limits.too_large("candidates", 20_000)
    scheduler.handle(_items(0, 400, size=200) + [END])
    batches = [b for b in sender.items if isinstance(b, GzipBatch)]
    assert len(batches) > 1
    assert all(len(b.body()) <= 15_000 for b in batches)


def test_a_record_above_the_fill_limit_but_within_the_configured_one_goes_alone():
    scheduler, sender = _scheduler()
    sender.limits.too_large("candidates", 2_000)  # fill limit 1,500
    big = _items(7, 1, size=4_000)[0]  # hex digits: about 2,000 bytes compressed
    scheduler.handle(_items(0, 2) + [big] + _items(10, 2) + [END])
    batches = [[i.entity_id for i in b.items] for b in sender.items if isinstance(b, GzipBatch)]
    assert ["7"] in batches and sum(len(b) for b in batches) == 5


def test_a_flush_of_every_entity_closes_their_batches_in_the_published_order():
    scheduler, sender = _scheduler()
    scheduler.handle(_leads(["l1"]) + _items(0, 2) + [END])
    assert [b.collection for b in sender.items] == ["candidates", "leads"]


def test_a_batch_leaves_after_the_open_batch_holding_what_it_references():
    scheduler, sender = _scheduler()
    placement = Item(b'{"id":"p1","candidate_id":"1"}', "p1", (None, "placements"), 1, (("candidates", "1"),), "placements")
    scheduler.ledger.open_stream((None, "placements"), "placements")
    scheduler.handle(_items(0, 3) + [placement])
    scheduler._close("placements")
    assert [b.collection for b in sender.items] == ["candidates", "placements"]


def test_updates_go_after_the_open_batch_of_their_entity():
    scheduler, sender = _scheduler()
    update = _items(10, 1)[0]
    update.update = True
    scheduler.handle(_items(0, 2) + [update, END])
    assert isinstance(sender.items[0], GzipBatch) and sender.items[0].collection == "candidates"
    assert isinstance(sender.items[1], Updates) and sender.items[1].items == [update]


def test_records_after_updates_go_after_them():
    scheduler, sender = _scheduler()
    update = _items(10, 1)[0]
    update.update = True
    scheduler.handle([update] + _items(0, 2) + [END])
    assert isinstance(sender.items[0], Updates) and isinstance(sender.items[1], GzipBatch)


def test_a_record_too_large_for_any_batch_is_rejected_and_the_rest_is_batched():
    warnings = []
    ledger = SyncLedger("skip", warnings.append)
    scheduler, sender = _scheduler(max_bytes=2_000, ledger=ledger)
    noise = "%x" % random.Random(1).getrandbits(8 * 4_000)  # does not compress below 2,000 bytes
    huge = Item(orjson.dumps({"id": "big", "x": noise}), "big", STREAM, 2, (), "candidates")
    scheduler.handle([_items(0, 1)[0], huge, _items(5, 1)[0], END])
    assert [i.entity_id for b in sender.items for i in b.items] == ["0", "5"]
    assert ledger["candidates"].rejected == 1 and "id 'big'" in warnings[0] and "compressed" in warnings[0]


class _Sink:
    """A sink whose work is due before the records of candidates (as possible values are)."""

    streams = ((None, "side"),)
    precedes_records = True
    full = False

    def __init__(self):
        self.records = []

    def add(self, stream, position, record, line):
        self.records.append(position)

    def due_before(self, collection):
        return self.take() if self.records and collection == "candidates" else []

    def take(self):
        work, self.records = ([_Work(self.records)] if self.records else []), []
        return work


class _Work:
    collection = "candidates"

    def __init__(self, positions):
        self.positions = positions


def _with_sink(sink):
    """A scheduler with ``sink`` for stream ``side``, and a record of that stream."""
    ledger = SyncLedger()
    ledger.open_stream((None, "side"), "side")
    scheduler, sender = _scheduler(ledger=ledger, sinks=[sink])
    side = SideRecord((None, "side"), {"data": {}})
    side.position = 1
    return scheduler, sender, side


def test_sink_work_goes_after_the_open_batch_of_its_entity_and_before_the_records_that_follow():
    scheduler, sender, side = _with_sink(_Sink())
    scheduler.handle(_items(0, 2) + [side] + _items(2, 2) + [END])
    kinds = [type(item).__name__ for item in sender.items]
    assert kinds == ["GzipBatch", "_Work", "GzipBatch"]
    assert [i.entity_id for i in sender.items[2].items] == ["2", "3"]


def test_after_a_failure_what_came_before_it_still_goes_with_the_states_it_settles():
    class FailingSink(_Sink):
        def add(self, stream, position, record, line):
            raise OSError("the staged file went away")

    scheduler, sender, side = _with_sink(FailingSink())
    marker = _marker({STREAM: 2})
    later = _marker({STREAM: 4})
    try:
        scheduler.handle(_items(0, 2) + [marker, side] + _items(2, 2) + [later])
    except OSError:
        pass
    else:
        raise AssertionError("the sink's failure must fail the scheduler")
    assert isinstance(sender.items[0], GzipBatch) and [i.entity_id for i in sender.items[0].items] == ["0", "1"]
    assert sender.items[1:] == [marker], "the state before the failure is passed on; nothing after it"


def test_sink_work_due_before_an_entity_goes_before_its_partial_updates_too():
    scheduler, sender, side = _with_sink(_Sink())
    update = _items(10, 1)[0]
    update.update = True
    scheduler.handle([side, update, END])
    assert [type(item).__name__ for item in sender.items] == ["_Work", "Updates"]
