"""When and how long to wait before retrying a failed request: one policy for every request.

``RetryPolicy`` holds the rules; ``RetryPolicy.start()`` gives the ``RetrySchedule`` of one request
(the token request and every API request use the same policy and the same loop, in
``http_client``). Defaults follow Airbyte's own HTTP API connectors (``max_retries = 5``,
exponential backoff), with a shorter base so one request gives up within about half a minute of
waiting and the platform's retry of the whole attempt takes over:

- a failure (5xx, 408, 425, a timeout, a dropped connection, a failing token endpoint) waits
  ``base_delay × 2**(n-1)`` (1, 2, 4, 8, 16 s, each with up to 50 % jitter, at most ``max_delay``),
  or the server's ``Retry-After`` on a 503; after ``max_retries`` retries the request fails;
- a 429 waits its ``Retry-After``, but at least ``min_rate_limit_delay`` (1 s, also for
  ``Retry-After: 0``), or its own backoff when the header is missing; 429s are counted apart
  (at most ``max_rate_limited`` per request) and do not raise the backoff of the failures after them;
- every wait is bounded by what remains of ``max_elapsed`` (the retry budget): a ``Retry-After``
  beyond it fails at once, with a message saying so.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Callable, Optional

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
RATE_LIMITED = 429


def parse_retry_after(value: Optional[str], now: Callable[[], float] = time.time) -> Optional[float]:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now())
    except (TypeError, ValueError, IndexError):
        return None


@dataclass
class RetryPolicy:
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_elapsed: float = 300.0
    max_retries: int = 5
    max_rate_limited: int = 30
    min_rate_limit_delay: float = 1.0
    jitter: float = 0.5  # each backoff wait is in [delay * (1 - jitter), delay]
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (1-based), with jitter."""
        delay = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return delay * (1 - self.jitter * self.rng.random())

    def start(self, clock: Callable[[], float] = time.monotonic) -> "RetrySchedule":
        return RetrySchedule(self, clock)


class RetrySchedule:
    """The retries of one request: counts failures and 429s apart, and the time spent."""

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float]):
        self.policy = policy
        self.clock = clock
        self.started = clock()
        self.failures = 0
        self.rate_limited = 0
        self.why_not = ""

    @property
    def retries(self) -> int:
        return self.failures + self.rate_limited

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    def next_wait(self, status: Optional[int] = None, retry_after: Optional[float] = None) -> Optional[float]:
        """The wait before retrying after this problem, or None (``why_not`` says why) to give up."""
        policy = self.policy
        if status == RATE_LIMITED:
            self.rate_limited += 1
            if self.rate_limited > policy.max_rate_limited:
                self.why_not = f"{policy.max_rate_limited} answers 429 (rate limited) to one request"
                return None
            wait = retry_after if retry_after is not None else policy.backoff(self.rate_limited)
            wait = max(policy.min_rate_limit_delay, wait)
        else:
            self.failures += 1
            if self.failures > policy.max_retries:
                self.why_not = f"{policy.max_retries} retries"
                return None
            wait = retry_after if retry_after is not None else policy.backoff(self.failures)
        remaining = policy.max_elapsed - self.elapsed
        if wait > remaining:
            self.why_not = (
                f"the server asked to wait {wait:.0f} s, beyond what is left of the retry budget ({max(0.0, remaining):.0f} s)"
                if retry_after is not None
                else f"the retry budget of {policy.max_elapsed:.0f} s is spent"
            )
            return None
        return wait
