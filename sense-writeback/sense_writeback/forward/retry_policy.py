"""One value that says how the forwarder retries a Bullhorn call (in the spirit of urllib3's ``Retry``).

``RetryPolicy`` is frozen: the client asks it whether a status is worth another attempt and how long
to wait before attempt ``n``; it holds no counters. The wait is exponential backoff with jitter,
capped at ``backoff_max``; when Bullhorn names a wait (``Retry-After``, in seconds or as an HTTP date)
that wait is honoured as given (never shortened by jitter), capped at ``retry_after_max``.
``Retry-After`` is read by urllib3's own parser (``Retry.parse_retry_after``), the one source-ats's
backoff strategy uses too (``sense-writeback/integration_tests/test_bullhorn_session_parity.py``).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, FrozenSet, Optional

from urllib3.exceptions import InvalidHeader
from urllib3.util.retry import Retry

_PARSER = Retry(0)


def retry_after_seconds(value: Optional[str]) -> Optional[float]:
    """Seconds to wait named by a ``Retry-After`` value (``"3"``, or an HTTP date); None when absent or invalid."""
    if not value:
        return None
    try:
        return max(float(_PARSER.parse_retry_after(value.strip())), 0.0)
    except (InvalidHeader, ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` in all per call; a transient failure before the last one waits :meth:`delay`."""

    attempts: int = 6
    backoff: float = 0.5  # the first wait, doubled per attempt
    backoff_max: float = 30.0
    retry_after_max: float = 300.0
    statuses: FrozenSet[int] = frozenset({429, 500, 502, 503, 504})
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.backoff < 0 or self.backoff_max < 0 or self.retry_after_max < 0:
            raise ValueError("RetryPolicy: attempts >= 1 and non-negative waits")

    def retries_status(self, status: int) -> bool:
        return status in self.statuses or status >= 500

    def delay(self, attempt: int, retry_after: Optional[str] = None,
              rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        named = retry_after_seconds(retry_after)
        if named is not None:
            return min(named, self.retry_after_max)
        wait = min(self.backoff * (2 ** (attempt - 1)), self.backoff_max)
        return wait * (0.5 + rng() / 2) if self.jitter else wait
