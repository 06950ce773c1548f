"""SyncOutcomes: rejected lines as received, results, the durable flush before a STATE, the report."""
import gzip
import json
import re
from datetime import datetime, timezone

import orjson
import pytest

from destination_sense.outcomes.guard import RejectedShareExceeded
from destination_sense.outcomes.recorder import SyncOutcomes, derived_connection_id, run_directory, stream_folder
from destination_sense.outcomes.settings import OutcomeSettings, StorageSettings
from destination_sense.outcomes.storage import LocalStore, RetryingStore
from destination_sense.send.retry import RetryPolicy

START = datetime(2026, 12, 8, 10, 0, 0, tzinfo=timezone.utc)
CANDIDATES = (None, "candidates")


class Counts:
    """The write path's counts as the recorder reads them (the sync ledger's, in a sync)."""

    def __init__(self):
        self.streams = {CANDIDATES: [0, 0, 0]}  # received, sent, rejected
        self.states = 0

    def stream(self, key):
        return tuple(self.streams.get(key, (0, 0, 0)))

    def entities(self):
        return {"candidates": {"sent": self.streams[CANDIDATES][1]}}

    def states_committed(self):
        return self.states


def _recorder(tmp_path, results="rejected_only", percent=50):
    settings = OutcomeSettings(StorageSettings("Local", local_path=str(tmp_path)), results, percent)
    store = RetryingStore(LocalStore(str(tmp_path)), RetryPolicy())
    outcomes = SyncOutcomes(settings, store, "conn", run_id="abcd1234", started_at=START, now=lambda: START)
    counts = Counts()
    outcomes.attach(counts, {})
    return outcomes, counts


def _gz_lines(path):
    with gzip.open(path) as f:
        return [json.loads(line) for line in f]


def test_the_run_directory_sorts_by_start_and_the_connection_id_is_stable():
    assert run_directory("conn", START, "abcd1234") == "conn/20261208T100000Z-abcd1234"
    a = derived_connection_id("https://api", "client", ["b", "a"])
    assert a == derived_connection_id("https://api", "client", ["a", "b"]) != derived_connection_id("https://api", "client", ["a"])
    assert a.startswith("sense-") and len(a) == 18


def test_rejected_records_are_kept_as_received_and_stored_before_a_state(tmp_path):
    outcomes, counts = _recorder(tmp_path)
    outcomes.start()
    run = tmp_path / "conn" / "20261208T100000Z-abcd1234"
    assert json.loads((run / "report.json").read_text())["status"] == "running"
    line = orjson.dumps({"type": "RECORD", "record": {"stream": "candidates", "data": {"first_name": "x"}, "emitted_at": 5}})
    counts.streams[CANDIDATES] = [4, 1, 3]
    outcomes.rejected("candidates", CANDIDATES, 2, None, [("id", "is required")], raw_line=line)
    outcomes.rejected("candidates", CANDIDATES, 3, "9", [(None, "no entity")])  # a side-stream record Sense refused: no line
    outcomes.rejected("candidates", CANDIDATES, 5, "5", [(None, "refused")], raw_line=b"{}", sent_json=b'{"id":"5"}')
    outcomes.rejected("candidates", CANDIDATES, 4, None, [(None, "not JSON")], raw_line=b'{"type":"RECORD","record":{"stream":"candidates","data":{"a":NaN}}}')
    assert not (run / "rejected").exists(), "parts are stored when full or before a STATE, not per line"
    outcomes.before_state()
    lines = _gz_lines(run / "rejected" / "candidates" / "part-00001.jsonl.gz")
    assert lines[0] == {"stream": "candidates", "namespace": None, "position": 2, "id": None, "entity": "candidates",
                        "reasons": [{"field": "id", "problem": "is required"}], "rejected_at": "2026-12-08T10:00:00Z",
                        "record": {"stream": "candidates", "data": {"first_name": "x"}, "emitted_at": 5}}
    assert lines[1]["id"] == "9" and not {"record", "raw_line", "raw_line_base64"} & set(lines[1])
    assert lines[2]["record_sent"] == {"id": "5"} and lines[2]["raw_line"] == "{}"
    assert lines[3]["raw_line"].endswith('{"a":NaN}}}')


def test_the_report_and_the_results(tmp_path):
    outcomes, counts = _recorder(tmp_path, results="all")
    counts.streams[CANDIDATES] = [3, 2, 1]
    counts.states = 1
    outcomes.sent("candidates", [(CANDIDATES, 1, "1"), (CANDIDATES, 3, "3")], "req-1")
    outcomes.rejected("candidates", CANDIDATES, 2, "2", [("email", "is not an email")], raw_line=b"{}")
    lines = outcomes.finish("succeeded")
    run = tmp_path / "conn" / "20261208T100000Z-abcd1234"
    report = json.loads((run / "report.json").read_text())
    assert report["streams"] == {"candidates": {"received": 3, "sent": 2, "rejected": 1,
                                                "top_reasons": [{"reason": "field 'email' is not an email", "count": 1}]}}
    assert report["entities"] == {"candidates": {"sent": 2}} and report["states_committed"] == 1
    assert report["run_path"] == "conn/20261208T100000Z-abcd1234" and report["status"] == "succeeded"
    assert report["files"]["rejected"] == [{"stream": "candidates", "key": "rejected/candidates/part-00001.jsonl.gz", "records": 1}]
    results = _gz_lines(run / report["files"]["results"][0]["key"])
    assert [(r["position"], r["outcome"], r["request_id"]) for r in results] == [(1, "sent", "req-1"), (3, "sent", "req-1"), (2, "rejected", None)]
    assert lines[0] == f"Sync report: {run / 'report.json'}" and "Rejected records (1)" in lines[1] and "Per-record results" in lines[2]


def test_the_guard_runs_at_each_rejection_without_storage_too():
    outcomes = SyncOutcomes(OutcomeSettings(StorageSettings("None"), max_rejected_percent=10))
    counts = Counts()
    outcomes.attach(counts, {})
    for position in range(1, 11):  # the write path counts a rejection after reporting it
        counts.streams[CANDIDATES] = [100, 0, position - 1]
        outcomes.rejected("candidates", CANDIDATES, position, None, [("date_added", "is not a date")])
    counts.streams[CANDIDATES] = [100, 0, 10]
    with pytest.raises(RejectedShareExceeded) as caught:
        outcomes.rejected("candidates", CANDIDATES, 11, None, [("date_added", "is not a date")])
    assert "field 'date_added' is not a date (11×)" in str(caught.value)
    assert outcomes.finish("failed") == []  # nothing stored, nothing to show


def test_the_running_report_is_refreshed_at_a_state_at_most_once_a_minute(tmp_path):
    settings = OutcomeSettings(StorageSettings("Local", local_path=str(tmp_path)))
    clock = [0.0]
    outcomes = SyncOutcomes(settings, RetryingStore(LocalStore(str(tmp_path)), RetryPolicy()), "conn", run_id="r",
                            started_at=START, now=lambda: START, monotonic=lambda: clock[0])
    counts = Counts()
    outcomes.attach(counts, {})
    outcomes.start()
    report = tmp_path / "conn" / "20261208T100000Z-r" / "report.json"
    outcomes.note_streams([CANDIDATES])
    counts.streams[CANDIDATES] = [5, 5, 0]
    clock[0] = 59.0
    outcomes.before_state()
    assert json.loads(report.read_text())["streams"] == {}  # the first report, not rewritten yet
    clock[0] = 60.0
    outcomes.before_state()
    refreshed = json.loads(report.read_text())
    assert refreshed["status"] == "running" and refreshed["streams"]["candidates"]["sent"] == 5 and refreshed["ended_at"] is None


def test_stream_folders_are_plain_key_characters_and_never_shared():
    assert stream_folder("candidates") == "candidates" and stream_folder("hr.job_orders") == "hr.job_orders"
    odd = [stream_folder(label) for label in ("a b", "a/b", "a_b", "..", "Käse")]
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", folder) for folder in odd) and len(set(odd)) == 5
    assert odd[0].startswith("a_b-") and odd[2] == "a_b"
