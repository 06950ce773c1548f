"""When and how long to wait before retrying a failed request.

Exponential backoff with jitter for 5xx answers, timeouts and connection errors; the server's
``Retry-After`` for 429 (and 503 when it sends one). Every wait is bounded by what remains of the
total retry budget, so a sync that cannot deliver fails within a predictable time.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Callable, Optional

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def parse_retry_after(value: Optional[str], now: Callable[[], float] = time.time) -> Optional[float]:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now())
    except (TypeError, ValueError, IndexError):
        return None


@dataclass
class RetryPolicy:
    base_delay: float = 0.5
    max_delay: float = 60.0
    max_elapsed: float = 600.0
    jitter: float = 0.5  # each wait is in [delay * (1 - jitter), delay]
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (1-based), with jitter."""
        delay = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return delay * (1 - self.jitter * self.rng.random())

    def next_wait(self, attempt: int, elapsed: float, retry_after: Optional[float] = None) -> Optional[float]:
        """The wait before the next attempt, or None when the retry budget is spent."""
        remaining = self.max_elapsed - elapsed
        if remaining <= 0:
            return None
        wait = retry_after if retry_after is not None else self.backoff(attempt)
        if wait > remaining:
            return None
        return wait
