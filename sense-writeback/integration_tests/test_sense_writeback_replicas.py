"""Two receiver processes on one PostgreSQL database behind a round-robin proxy, 64 keep-alive
senders, one replica killed with SIGKILL mid-load, a feed reader following ``seq`` all along.

Every figure is asserted: sent, acknowledged, stored, lost, stored twice, ids changed, rows the
reader skipped."""
from __future__ import annotations

import asyncio
import threading
import time

from sense_testing.tcp_proxy import RoundRobinProxy
from sense_testing.writeback_load import address, encode, post_all, resend_until_stored
from sense_testing.writeback_receiver import start_receiver
from sense_testing.writeback_samples import writeback
from sense_writeback.store import open_store
from sense_writeback.validation import WRITEBACK_TYPES

TOKEN = "replica-token-0123456789abcdef"


class FeedReader(threading.Thread):
    """Follows the store as a feed reader does: ``seq > cursor``, page after page, until stopped."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.seqs = []
        self.sense_ids = []
        self.stop = threading.Event()

    def run(self) -> None:
        with open_store(self.url, writer=False) as store:
            cursor = 0
            while True:
                stopping = self.stop.is_set()
                page = store.read_page(cursor, 500)
                for wb in page:
                    self.seqs.append(wb.seq)
                    self.sense_ids.append(wb.sense_id)
                if page:
                    cursor = page[-1].seq
                elif stopping:
                    return
                else:
                    time.sleep(0.01)


def test_two_replicas_kill_9_of_one_while_64_senders_post(postgres_url):
    docs = [writeback(WRITEBACK_TYPES[i % len(WRITEBACK_TYPES)], f"rr-{i}") for i in range(1000)]
    bodies = encode(docs)
    bodies += bodies[::5]  # Sense re-sends some of them, to whichever replica the proxy picks
    first = start_receiver(database_url=postgres_url, tokens=[TOKEN])
    second = start_receiver(database_url=postgres_url, tokens=[TOKEN])
    reader = FeedReader(postgres_url)
    reader.start()
    answers = []
    try:
        with RoundRobinProxy([address(first.base_url), address(second.base_url)]) as proxy:
            load = threading.Thread(target=lambda: asyncio.run(post_all(proxy.base_url, TOKEN, bodies, senders=64,
                                                                        answers=answers)))
            load.start()
            deadline = time.monotonic() + 60
            while len(answers) < len(bodies) // 3 and time.monotonic() < deadline and load.is_alive():
                time.sleep(0.01)
            first.proc.kill()  # SIGKILL: no drain, no goodbye
            killed_at = len(answers)
            load.join(120)
            assert first.proc.wait(10) == -9
            assert second.running()
            assert proxy.connections[0] > 0 and proxy.connections[1] > 0
            acknowledged_ids = {a.sense_id for a in answers if a.acknowledged}
            resent = resend_until_stored(proxy.base_url, TOKEN, [b for b in bodies if b[0] not in acknowledged_ids])
    finally:
        reader.stop.set()
        first.stop()
        second.stop()
    reader.join(60)

    sent = len(answers)
    acknowledged = [a for a in answers if a.acknowledged]
    unanswered = [a for a in answers if not a.acknowledged]
    assert sent == len(bodies) and 0 < killed_at < sent
    assert all(a.status in (0, 200, 503) for a in answers), {a.status for a in answers}
    assert all(a.receiver_id is None for a in unanswered)  # never an id without a commit
    with open_store(postgres_url, writer=False) as store:
        stored = {wb.sense_id: wb.receiver_id for wb in store.iter_writebacks()}
        assert store.count() == len(stored)
    lost = [a for a in acknowledged if a.sense_id not in stored]
    changed = [a for a in acknowledged + resent if stored.get(a.sense_id) != a.receiver_id]
    assert (len(stored), len(lost), len(changed)) == (len(docs), 0, 0)
    # the reader saw every row once, in increasing seq order, although two replicas committed concurrently
    assert reader.seqs == sorted(set(reader.seqs))
    assert sorted(reader.sense_ids) == sorted(stored)
