"""OutcomesObserver: the sync ledger's outcomes reach SyncOutcomes; a STATE waits for the rejected parts."""
import gzip
import json

import pytest

from destination_sense.ledger import RecordRef, SyncLedger
from destination_sense.outcomes.observer import OutcomesObserver
from destination_sense.outcomes.recorder import SyncOutcomes
from destination_sense.outcomes.settings import OutcomeSettings, StorageSettings
from destination_sense.outcomes.storage import LocalStore, RetryingStore, StorageError
from destination_sense.send.retry import RetryPolicy

STREAM = (None, "candidates")
STATE = {"type": "STREAM", "stream": {"stream_descriptor": {"name": "candidates"}}}


class Store(RetryingStore):
    def __init__(self, directory):
        super().__init__(LocalStore(directory), RetryPolicy())
        self.down = False

    def put(self, key, data, content_type="application/octet-stream"):
        if self.down:
            raise StorageError("the storage is down", "transient_error")
        super().put(key, data, content_type)


def _wired(tmp_path):
    ledger = SyncLedger()
    ledger.open_stream(STREAM, "candidates")
    store = Store(str(tmp_path))
    outcomes = SyncOutcomes(OutcomeSettings(StorageSettings("Local", local_path=str(tmp_path)), "all"), store, "conn", run_id="r")
    ledger.add_observer(OutcomesObserver(outcomes, ledger))
    return ledger, outcomes, store


def _lines(path):
    with gzip.open(path) as f:
        return [json.loads(line) for line in f]


def test_rejections_deliveries_and_states_reach_the_outcomes(tmp_path):
    ledger, outcomes, _ = _wired(tmp_path)
    for _ in range(3):
        ledger.receive(STREAM)
    line = b'{"type":"RECORD","record":{"stream":"candidates","data":{"first_name":"x"},"emitted_at":1}}'
    ledger.reject(STREAM, 2, None, [("id", "is required")], line, sent=b'{"first_name":"x"}')
    ledger.sent("candidates", [RecordRef(STREAM, 1, "1"), RecordRef(STREAM, 3, "3")], "updated", "req-9")
    echoed = []

    def echo(state):
        echoed.append(state)
        assert list(tmp_path.glob("conn/*/rejected/candidates/part-00001.jsonl.gz")), "stored before the STATE is echoed"

    ledger.commit_state(STATE, STREAM, {STREAM: 3}, echo)
    assert echoed[0]["destinationStats"] == {"recordCount": 2.0, "rejectedRecordCount": 1.0}
    (part,) = tmp_path.glob("conn/*/rejected/candidates/part-00001.jsonl.gz")
    (rejected,) = _lines(part)
    assert rejected["position"] == 2 and rejected["record"]["data"] == {"first_name": "x"} and rejected["entity"] == "candidates"
    assert rejected["record_sent"] == {"first_name": "x"}
    outcomes.finish("succeeded")
    report = json.loads(next(tmp_path.glob("conn/*/report.json")).read_text())
    assert report["streams"]["candidates"] == {"received": 3, "sent": 2, "rejected": 1,
                                               "top_reasons": [{"reason": "field 'id' is required", "count": 1}]}
    assert report["states_committed"] == 1 == ledger.states_committed
    results = _lines(next(tmp_path.glob("conn/*/results/candidates/part-00001.jsonl.gz")))
    assert [(r["position"], r["outcome"], r["request_id"]) for r in results] == [(2, "rejected", None), (1, "updated", "req-9"), (3, "updated", "req-9")]


def test_a_storage_failure_keeps_the_state_from_being_echoed(tmp_path):
    ledger, _, store = _wired(tmp_path)
    ledger.receive(STREAM)
    ledger.reject(STREAM, 1, None, [("id", "is required")], b"{}")
    store.down = True
    echoed = []
    with pytest.raises(StorageError):
        ledger.commit_state(STATE, STREAM, {STREAM: 1}, echoed.append)
    assert echoed == []
