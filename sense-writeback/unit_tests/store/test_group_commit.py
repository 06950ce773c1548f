"""sense_writeback.store.group_commit: the writer thread, handed a real SQLite store's operations."""
import threading

from sense_writeback.store import STORED, open_store
from sense_writeback.store.group_commit import GroupCommitter
from unit_tests.store.test_sqlite_store import item


def test_a_cancelled_submission_is_not_written(tmp_path):
    with open_store(str(tmp_path / "s.db"), writer=False) as store:
        gate = threading.Event()

        def slow_write(conn, items):
            gate.wait(10)
            return store.write(conn, items)

        committer = GroupCommitter(connect=store.connect, write=slow_write, recover=store.recover,
                                   disconnect=store.disconnect)
        first = committer.submit(item("first"))
        cancelled = committer.submit(item("given-up"))
        assert cancelled.cancel()  # e.g. the request timed out while the writer was busy
        gate.set()
        assert first.result(30).status == STORED
        committer.close(30)
        assert store.get("given-up") is None and store.count() == 1


def test_a_batch_shares_one_write_call(tmp_path):
    with open_store(str(tmp_path / "s.db"), writer=False) as store:
        gate = threading.Event()
        sizes = []

        def gated_write(conn, items):
            gate.wait(10)
            sizes.append(len(items))
            return store.write(conn, items)

        committer = GroupCommitter(connect=store.connect, write=gated_write, recover=store.recover,
                                   disconnect=store.disconnect, max_batch=50)
        futures = [committer.submit(item(f"id-{i}")) for i in range(120)]
        gate.set()
        assert [f.result(30).seq for f in futures] == list(range(1, 121))
        committer.close(30)
        assert sum(sizes) == 120 and max(sizes) <= 50 and len(sizes) < 120
