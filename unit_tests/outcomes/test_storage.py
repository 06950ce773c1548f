"""LocalStore writes whole files only; RetryingStore retries under the RetryPolicy, then fails clearly.
(S3Store runs against a real S3-compatible server in integration_tests/test_sync_outcomes.py.)"""
import os

import pytest

from destination_sense.outcomes.storage import LocalStore, RetryingStore, StorageError, _Retryable, probe
from destination_sense.send.retry import RetryPolicy


def test_local_store_puts_whole_files_and_deletes_them(tmp_path):
    store = LocalStore(str(tmp_path / "root"))
    store.put("conn/run/rejected/candidates/part-00001.jsonl.gz", b"data")
    path = tmp_path / "root" / "conn" / "run" / "rejected" / "candidates" / "part-00001.jsonl.gz"
    assert path.read_bytes() == b"data" and store.location("conn/run/report.json") == str(tmp_path / "root" / "conn" / "run" / "report.json")
    assert not list((tmp_path / "root").rglob("*.partial"))
    store.delete("conn/run/rejected/candidates/part-00001.jsonl.gz")
    store.delete("conn/run/rejected/candidates/part-00001.jsonl.gz")  # already gone: fine
    assert not path.exists()


def test_local_store_that_cannot_write_is_a_config_error(tmp_path):
    (tmp_path / "file").write_text("x")
    store = RetryingStore(LocalStore(str(tmp_path / "file")), RetryPolicy())
    with pytest.raises(StorageError) as caught:
        probe(store, "probe")
    assert caught.value.failure_type == "config_error" and str(tmp_path / "file") in str(caught.value)


class Flaky:
    root = "flaky"

    def __init__(self, failures):
        self.failures = failures
        self.calls = 0

    def put(self, key, data, content_type=""):
        self.calls += 1
        if self.calls <= self.failures:
            raise _Retryable("the storage could not be reached (ConnectionRefusedError)")

    def delete(self, key):
        pass

    def location(self, key):
        return f"flaky/{key}"


def test_retrying_store_retries_then_gives_up_with_a_transient_error():
    waits, logs = [], []
    ok = RetryingStore(Flaky(2), RetryPolicy(max_retries=3, jitter=0), logs.append, sleep=waits.append)
    ok.put("k", b"")
    assert waits == [1.0, 2.0] and ok.retries == 2 and "retry 1 in 1.0 s" in logs[0] and not ok.failed
    failing = RetryingStore(Flaky(99), RetryPolicy(max_retries=2, jitter=0), sleep=lambda s: None)
    with pytest.raises(StorageError) as caught:
        failing.put("k", b"")
    assert caught.value.failure_type == "transient_error" and failing.failed
    assert "writing flaky/k" in str(caught.value) and "giving up after 3 attempts" in str(caught.value)
