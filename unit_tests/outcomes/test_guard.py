"""max_rejected_percent: more than the share of at least 100 records fails, naming the top three reasons."""
import pytest

from destination_sense.errors import ConfigError
from destination_sense.outcomes.guard import RejectedShareExceeded, RejectedShareGuard

REASONS = [("field 'date_added' is not a date", 60), ("field 'id' is required", 5), ("field 'email' is not an email", 2), ("fourth", 1)]


def test_the_share_counts_only_from_the_minimum_number_of_records():
    guard = RejectedShareGuard(50)
    guard.check("candidates", 99, 99, REASONS)  # too few records to judge
    guard.check("candidates", 100, 50, REASONS)  # exactly the share: allowed
    with pytest.raises(RejectedShareExceeded) as caught:
        guard.check("candidates", 100, 51, REASONS)
    message = str(caught.value)
    assert isinstance(caught.value, ConfigError)
    assert "Stream 'candidates' rejected 51 of its 100 records (51 %)" in message and "(50 %)" in message
    assert "date_added" in message and "'id' is required" in message and "email" in message and "fourth" not in message


def test_zero_fails_on_any_rejection_and_100_is_off():
    with pytest.raises(RejectedShareExceeded):
        RejectedShareGuard(0).check("s", 1000, 1, REASONS)
    RejectedShareGuard(100).check("s", 1000, 1000, REASONS)
    assert RejectedShareGuard(100).off and not RejectedShareGuard(99).off
