"""The sync ledger alone: positions, rejections (policy, log, counts), STATE windows, totals, observers."""
import pytest

from destination_sense.errors import InvalidRecordError
from destination_sense.ledger import (
    MAX_LOGGED_PER_STREAM,
    PROGRESS_INTERVAL_SECONDS,
    LedgerObserver,
    RecordRef,
    SyncLedger,
    describe,
    state_scope,
)

A, B = (None, "a"), (None, "b")
STREAM = ("hr", "people")


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


def _ledger(*streams, policy="skip", warn=lambda message: None, **options):
    ledger = SyncLedger(policy, warn, **options)
    for stream, row in streams or ((A, "candidates"), (B, "leads")):
        ledger.open_stream(stream, row)
    return ledger


def _receive(ledger, stream, n):
    for _ in range(n):
        ledger.receive(stream)


def _stream_state(name, **extra):
    return {"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": {"c": 1}}, **extra}


# ---------------------------------------------------------------- rejections
def test_a_rejection_names_stream_position_id_field_and_reason():
    line = describe(STREAM, 7, "c-1", [("email", "is not a string"), (None, "the record is too large")])
    assert line == "Rejected stream 'hr.people' record #7 (id 'c-1'): field 'email' is not a string; the record is too large"


def test_skip_counts_per_entity_and_logs_the_first_ones_then_a_count():
    warnings = []
    ledger = _ledger((STREAM, "candidates"), warn=warnings.append)
    for position in range(1, MAX_LOGGED_PER_STREAM + 6):
        ledger.reject(STREAM, position, None, [("x", "bad")])
    assert ledger["candidates"].rejected == MAX_LOGGED_PER_STREAM + 5
    assert ledger.streams[STREAM].rejected == MAX_LOGGED_PER_STREAM + 5
    assert len(warnings) == MAX_LOGGED_PER_STREAM + 1
    assert warnings[-1] == "Further rejections in stream 'hr.people' are counted, not logged."


def test_fail_stops_at_the_first_rejection_and_counts_nothing():
    ledger = _ledger((STREAM, "candidates"), policy="fail")
    with pytest.raises(InvalidRecordError, match=r"record #4 \(id 'c-4'\): field 'email' bad \(on_invalid_record is 'fail'\)"):
        ledger.reject(STREAM, 4, "c-4", [("email", "bad")])
    assert ledger["candidates"].rejected == 0


# ---------------------------------------------------------------- STATE windows
def test_scope():
    assert state_scope(_stream_state("a")) == A
    assert state_scope({"type": "GLOBAL", "global": {}}) is None
    assert state_scope({"data": {}}) is None


def test_stream_state_counts_only_its_stream_and_keeps_every_field():
    ledger = _ledger()
    _receive(ledger, A, 10)
    _receive(ledger, B, 5)
    for stream, position in ((A, 2), (A, 3), (A, 9), (B, 1)):
        ledger.reject(stream, position, None, [(None, "bad")])
    echoed = ledger.state_message(_stream_state("a", id=42, sourceStats={"recordCount": 10.0}), A, ledger.positions(A))
    assert echoed["id"] == 42 and echoed["sourceStats"] == {"recordCount": 10.0}
    assert echoed["destinationStats"] == {"recordCount": 7.0, "rejectedRecordCount": 3.0}
    # b's counts are untouched, and a's start again from zero
    assert ledger.state_message(_stream_state("b"), B, ledger.positions(B))["destinationStats"] == {"recordCount": 4.0, "rejectedRecordCount": 1.0}
    assert ledger.state_message(_stream_state("a"), A, ledger.positions(A))["destinationStats"]["recordCount"] == 0.0


def test_global_state_counts_every_stream():
    ledger = _ledger()
    _receive(ledger, A, 3)
    _receive(ledger, B, 4)
    ledger.reject(B, 4, None, [(None, "bad")])
    echoed = ledger.state_message({"type": "GLOBAL", "global": {"shared_state": {"x": 1}}}, None, ledger.positions())
    assert echoed["global"] == {"shared_state": {"x": 1}}
    assert echoed["destinationStats"] == {"recordCount": 6.0, "rejectedRecordCount": 1.0}


def test_a_rejection_found_while_delivering_belongs_to_the_state_after_its_record():
    """Batches fill across states: a 400 for a record after a state is not counted in that state."""
    ledger = _ledger()
    _receive(ledger, A, 4)  # records 1-4, then the first state
    first = ledger.positions(A)
    _receive(ledger, A, 2)  # records 5-6, then the second state
    second = ledger.positions(A)
    ledger.reject(A, 5, "5", [(None, "refused")])  # the batch with records 1-6 is delivered: record 5 is rejected
    assert ledger.state_message(_stream_state("a"), A, first)["destinationStats"] == {"recordCount": 4.0, "rejectedRecordCount": 0.0}
    assert ledger.state_message(_stream_state("a"), A, second)["destinationStats"] == {"recordCount": 1.0, "rejectedRecordCount": 1.0}


def test_a_global_state_takes_the_rejections_up_to_its_positions_in_every_stream():
    ledger = _ledger()
    _receive(ledger, A, 2)
    _receive(ledger, B, 2)
    first = ledger.positions()
    _receive(ledger, B, 1)
    second = ledger.positions()
    ledger.reject(B, 3, None, [(None, "bad")])
    ledger.reject(A, 1, None, [(None, "bad")])
    assert ledger.state_message({"type": "GLOBAL", "global": {}}, None, first)["destinationStats"] == {"recordCount": 3.0, "rejectedRecordCount": 1.0}
    assert ledger.state_message({"type": "GLOBAL", "global": {}}, None, second)["destinationStats"] == {"recordCount": 0.0, "rejectedRecordCount": 1.0}


# ---------------------------------------------------------------- totals, progress, summary
def test_progress_is_due_every_interval_and_reports_the_rate():
    clock = Clock()
    ledger = _ledger(clock=clock)
    _receive(ledger, A, 1000)
    assert not ledger.progress_due()
    clock.now += PROGRESS_INTERVAL_SECONDS
    assert ledger.progress_due()
    ledger.sent("candidates", [RecordRef(A, i, str(i)) for i in range(1, 901)])
    line = ledger.progress_line()
    assert "1,000 records received" in line and "900 accepted" in line and "30 records/s" in line
    assert not ledger.progress_due()  # the window restarts


def test_summary_has_a_row_per_entity_with_traffic():
    clock = Clock()
    ledger = _ledger(((None, "jobs"), "job-orders"), clock=clock, token_counter=lambda: 2)
    _receive(ledger, (None, "jobs"), 10)
    ledger.reject((None, "jobs"), 3, None, [(None, "bad")])
    ledger.reject((None, "jobs"), 4, None, [(None, "bad")])
    records = [RecordRef((None, "jobs"), i, str(i)) for i in (1, 2, 5, 6, 7, 8, 9, 10)]
    ledger.sent("job-orders", records[:4], compressed=2000)
    ledger.sent("job-orders", records[4:], compressed=2000)
    ledger.retried("job-orders", 1)
    clock.now += 4
    lines = ledger.summary_lines()
    assert lines[0].split() == ["entity", "received", "sent", "rejected", "batches", "rec/batch", "kB/batch", "retries"]
    assert lines[1].split() == ["job-orders", "10", "8", "2", "2", "4.0", "2.0", "1"]
    assert len(lines) == 3 and "2 token request(s)" in lines[2] and "2 records/s" in lines[2]
    assert ledger.streams[(None, "jobs")].sent == 8 and ledger.streams[(None, "jobs")].rejected == 2


# ---------------------------------------------------------------- observers
class _Recorder(LedgerObserver):
    def __init__(self):
        self.events = []

    def record_rejected(self, rejection):
        self.events.append(("rejected", rejection.row, rejection.stream, rejection.position, rejection.entity_id, rejection.problems,
                            rejection.line, rejection.sent))

    def records_sent(self, delivered):
        self.events.append(("sent", delivered.row, [r.position for r in delivered.records], delivered.outcome, delivered.request_id))

    def before_state(self, state):
        self.events.append(("before state", state["destinationStats"]))

    def state_committed(self, state):
        self.events.append(("state", state["destinationStats"]))


def test_observers_are_told_every_rejection_delivery_and_state_around_its_echo():
    ledger = _ledger()
    recorder = _Recorder()
    ledger.add_observer(recorder)
    _receive(ledger, A, 3)
    ledger.reject(A, 2, "x", [("email", "bad")], b'{"type":"RECORD"}', b'{"id":"x"}')
    ledger.sent("candidates", [RecordRef(A, 1, "w"), RecordRef(A, 3, "y")], "sent", "req-1")
    ledger.commit_state(_stream_state("a"), A, ledger.positions(A), lambda state: recorder.events.append(("echo", state["destinationStats"])))
    counts = {"recordCount": 2.0, "rejectedRecordCount": 1.0}
    assert recorder.events == [
        ("rejected", "candidates", A, 2, "x", (("email", "bad"),), b'{"type":"RECORD"}', b'{"id":"x"}'),
        ("sent", "candidates", [1, 3], "sent", "req-1"),
        ("before state", counts), ("echo", counts), ("state", counts),
    ]
    assert ledger.states_committed == 1


def test_a_rejection_that_fails_the_sync_is_still_told_to_observers():
    ledger = _ledger(policy="fail")
    recorder = _Recorder()
    ledger.add_observer(recorder)
    with pytest.raises(InvalidRecordError):
        ledger.reject(A, 1, "x", [("email", "bad")], b"line")
    assert [event[0] for event in recorder.events] == ["rejected"] and ledger["candidates"].rejected == 0


def test_an_observer_that_fails_fails_the_caller():
    class Broken(LedgerObserver):
        def record_rejected(self, rejection):
            raise OSError("storage unreachable")

    ledger = _ledger()
    ledger.add_observer(Broken())
    with pytest.raises(OSError, match="storage unreachable"):
        ledger.reject(A, 1, None, [(None, "bad")])
