"""Rejections: one line per rejected record naming stream, position, id, field and reason; counts; the fail policy."""
import pytest

from destination_sense.errors import InvalidRecordError
from destination_sense.rejections import MAX_LOGGED_PER_STREAM, Rejections, describe
from destination_sense.state_counts import DeliveryCounts
from destination_sense.sync_stats import SyncStats

STREAM = ("hr", "people")


def test_a_rejection_names_stream_position_id_field_and_reason():
    line = describe(STREAM, 7, "c-1", [("email", "is not a string"), (None, "the record is too large")])
    assert line == "Rejected stream 'hr.people' record #7 (id 'c-1'): field 'email' is not a string; the record is too large"


def test_skip_counts_per_entity_and_logs_the_first_ones_then_a_count():
    stats = SyncStats()
    warnings = []
    rejections = Rejections("skip", stats, warnings.append)
    for position in range(1, MAX_LOGGED_PER_STREAM + 6):
        rejections.reject("candidates", STREAM, position, None, [("x", "bad")])
    assert stats["candidates"].rejected == MAX_LOGGED_PER_STREAM + 5
    assert rejections.total[STREAM] == MAX_LOGGED_PER_STREAM + 5
    assert len(warnings) == MAX_LOGGED_PER_STREAM + 1
    assert warnings[-1] == "Further rejections in stream 'hr.people' are counted, not logged."


def test_a_rejection_found_while_delivering_is_kept_for_the_state_of_its_position():
    stats = SyncStats()
    counts = DeliveryCounts()
    Rejections("skip", stats, lambda message: None).reject("candidates", STREAM, 3, "c-3", [(None, "refused")], counts)
    assert counts._take(STREAM, 2) == 0 and counts._take(STREAM, 3) == 1


def test_fail_stops_at_the_first_rejection_and_counts_nothing():
    stats = SyncStats()
    with pytest.raises(InvalidRecordError, match=r"record #4 \(id 'c-4'\): field 'email' bad \(on_invalid_record is 'fail'\)"):
        Rejections("fail", stats, lambda message: None).reject("candidates", STREAM, 4, "c-4", [("email", "bad")])
    assert stats["candidates"].rejected == 0
