"""``max_rejected_percent``: a stream that rejects most of its records fails the sync instead of ending green.

The rule, in one place: a stream that has received at least ``MIN_RECORDS_FOR_GUARD`` records and has
rejected more than ``max_rejected_percent`` % of them fails the sync with a config error that names the
stream, its share and its top three reasons. 100 turns the rule off. It is checked at every rejection
(against the records received so far) and at the end of the sync; the failure stops the reading, and
the states before it are echoed once their records were all handled (as after any failure).
"""
from __future__ import annotations

from typing import List, Tuple

from destination_sense.errors import ConfigError
from destination_sense.outcomes.settings import MIN_RECORDS_FOR_GUARD

TOP_REASONS = 3


class RejectedShareExceeded(ConfigError):
    """A stream rejected more than ``max_rejected_percent`` of its records."""


class RejectedShareGuard:
    def __init__(self, max_percent: int, min_records: int = MIN_RECORDS_FOR_GUARD):
        self.max_percent = max_percent
        self.min_records = min_records

    @property
    def off(self) -> bool:
        return self.max_percent >= 100

    def exceeded(self, received: int, rejected: int) -> bool:
        return not self.off and received >= self.min_records and rejected * 100 > self.max_percent * received

    def check(self, stream: str, received: int, rejected: int, top_reasons: List[Tuple[str, int]]) -> None:
        """Raise ``RejectedShareExceeded`` when ``stream`` breaks the rule."""
        if not self.exceeded(received, rejected):
            return
        reasons = "; ".join(f"{reason} ({count:,}×)" for reason, count in top_reasons[:TOP_REASONS]) or "no reason recorded"
        raise RejectedShareExceeded(
            f"Stream '{stream}' rejected {rejected:,} of its {received:,} records ({rejected * 100 / received:.0f} %), more than "
            f"max_rejected_percent ({self.max_percent} %). Top reasons: {reasons}. This usually means a setting does not match the "
            "source (source_preset, epoch_unit, mappings); fix it, or raise max_rejected_percent (100: off)."
        )
