import random

from destination_sense.send.retry import RetryPolicy, parse_retry_after


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


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_budget_bounds_total_time():
    clock = _Clock()
    schedule = RetryPolicy(base_delay=1, max_elapsed=10).start(clock)
    assert schedule.next_wait(503) is not None
    assert schedule.next_wait(503, retry_after=5) == 5
    clock.now = 6
    assert schedule.next_wait(503, retry_after=5) is None
    assert "beyond what is left of the retry budget" in schedule.why_not


def test_failures_are_capped_by_max_retries():
    schedule = RetryPolicy(base_delay=0.01, max_retries=5).start(_Clock())
    waits = [schedule.next_wait(500) for _ in range(6)]
    assert all(w is not None for w in waits[:5]) and waits[5] is None
    assert schedule.why_not == "5 retries"


def test_429_waits_at_least_the_minimum_even_with_retry_after_zero():
    schedule = RetryPolicy(min_rate_limit_delay=1.0, max_rate_limited=3).start(_Clock())
    assert [schedule.next_wait(429, retry_after=0.0) for _ in range(3)] == [1.0, 1.0, 1.0]
    assert schedule.next_wait(429, retry_after=0.0) is None, "429s have a cap of their own"
    assert "429" in schedule.why_not


def test_429_waits_do_not_inflate_the_backoff_of_a_later_5xx():
    policy = RetryPolicy(base_delay=0.4, jitter=0.0)
    schedule = policy.start(_Clock())
    for _ in range(5):
        schedule.next_wait(429, retry_after=0.0)
    assert schedule.next_wait(503) == 0.4, "the first 5xx after five 429s waits the first backoff step"


def test_a_permanently_failing_request_gives_up_within_a_minute_of_waiting_by_default():
    policy = RetryPolicy(jitter=0.0)
    schedule = policy.start(_Clock())
    waits = []
    while (wait := schedule.next_wait(500)) is not None:
        waits.append(wait)
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_retry_after_that_is_not_a_number():
    assert parse_retry_after("nan") is None
    assert parse_retry_after("-3") == 0.0
