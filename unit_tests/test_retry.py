import random

from destination_sense.retry import RetryPolicy, parse_retry_after


def test_retry_after_forms():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=lambda: 1445412470.0) == 10.0


def test_backoff_grows_with_jitter_and_cap():
    policy = RetryPolicy(base_delay=1, max_delay=8, jitter=0.5, rng=random.Random(1))
    waits = [policy.backoff(n) for n in range(1, 8)]
    for n, wait in enumerate(waits, start=1):
        ceiling = min(8, 2 ** (n - 1))
        assert ceiling / 2 <= wait <= ceiling
    assert len(set(waits)) == len(waits)


def test_budget_bounds_total_time():
    policy = RetryPolicy(base_delay=1, max_elapsed=10)
    assert policy.next_wait(1, elapsed=0) is not None
    assert policy.next_wait(1, elapsed=0, retry_after=5) == 5
    assert policy.next_wait(1, elapsed=6, retry_after=5) is None
    assert policy.next_wait(3, elapsed=10) is None
