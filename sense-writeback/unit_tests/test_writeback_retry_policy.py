"""RetryPolicy: one value for how the forwarder retries a Bullhorn call."""
import time
from email.utils import formatdate

import pytest

from sense_writeback.forward.retry_policy import RetryPolicy, retry_after_seconds


def test_backoff_doubles_up_to_its_cap_and_jitter_only_shortens_it():
    policy = RetryPolicy(backoff=0.5, backoff_max=3.0, jitter=False)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    jittered = RetryPolicy(backoff=2.0, backoff_max=30.0)
    assert jittered.delay(1, rng=lambda: 0.0) == 1.0 and jittered.delay(1, rng=lambda: 1.0) == 2.0


@pytest.mark.parametrize("header, expected", [("4", 4.0), (" 4 ", 4.0), ("0", 0.0), ("999999", 300.0)])
def test_retry_after_in_seconds_is_honoured_as_given_and_capped(header, expected):
    assert RetryPolicy(backoff=0.1).delay(1, header, rng=lambda: 0.0) == expected


def test_retry_after_as_an_http_date():
    wait = RetryPolicy().delay(1, formatdate(time.time() + 20, usegmt=True))
    assert 18.0 <= wait <= 20.0
    assert RetryPolicy().delay(1, formatdate(time.time() - 60, usegmt=True)) == 0.0  # a date in the past: at once


@pytest.mark.parametrize("header", [None, "", "soon", "-1", "1.5"])
def test_an_unreadable_retry_after_falls_back_to_backoff(header):
    assert retry_after_seconds(header) is None
    assert RetryPolicy(backoff=0.5, jitter=False).delay(2, header) == 1.0


def test_which_statuses_are_retried():
    policy = RetryPolicy()
    assert all(policy.retries_status(s) for s in (429, 500, 502, 503, 504, 599))
    assert not any(policy.retries_status(s) for s in (400, 401, 403, 404, 409, 412))


def test_a_policy_is_a_value():
    assert RetryPolicy(attempts=3) == RetryPolicy(attempts=3)
    with pytest.raises(Exception):
        RetryPolicy().attempts = 2
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
