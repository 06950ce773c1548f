"""Reporting records that Sense would reject (or did): one clear line each, and counts.

A rejection names the stream, the record's position in that stream (1-based, in input order),
its id when it has one, the field and the reason. With ``on_invalid_record: fail`` the first
rejection stops the sync with a config_error; with ``skip`` it is counted, logged (the first
``MAX_LOGGED_PER_STREAM`` per stream, then a count at the end) and the sync goes on.
"""
from __future__ import annotations

import threading
from collections import Counter
from typing import Callable, Iterable, Optional, Tuple

from destination_sense.catalog import StreamKey, stream_label
from destination_sense.errors import InvalidRecordError
from destination_sense.state_counts import DeliveryCounts
from destination_sense.sync_stats import SyncStats

MAX_LOGGED_PER_STREAM = 100


def describe(stream: StreamKey, position: int, entity_id: Optional[str], problems: Iterable[Tuple[Optional[str], str]]) -> str:
    who = f"stream '{stream_label(stream)}' record #{position}"
    if entity_id:
        who += f" (id '{entity_id}')"
    reasons = "; ".join(f"field '{name}' {reason}" if name else reason for name, reason in problems)
    return f"Rejected {who}: {reasons}"


class Rejections:
    def __init__(self, policy: str, stats: SyncStats, log_warn: Callable[[str], None], outcomes=None):
        self.policy = policy
        #: told of every rejected record (``destination_sense.outcomes.SyncOutcomes``: stored, counted, guarded)
        self.outcomes = outcomes
        self.stats = stats
        self.log_warn = log_warn
        self.logged: Counter = Counter()
        self.total: Counter = Counter()
        self._lock = threading.Lock()

    def reject(
        self,
        collection: str,
        stream: StreamKey,
        position: int,
        entity_id: Optional[str],
        problems: Iterable[Tuple[Optional[str], str]],
        delivery_counts: Optional[DeliveryCounts] = None,
        raw_line: Optional[bytes] = None,
        sent_json: Optional[bytes] = None,
    ) -> None:
        """``raw_line``: the input line (rejected while reading); ``sent_json``: the record as sent (refused by Sense)."""
        problems = list(problems)
        message = describe(stream, position, entity_id, problems)
        if self.outcomes is not None:  # stored before anything else happens to it
            self.outcomes.rejected(collection, stream, position, entity_id, problems, raw_line=raw_line, sent_json=sent_json)
        if self.policy == "fail":
            raise InvalidRecordError(message + " (on_invalid_record is 'fail').")
        with self._lock:
            self.total[stream] += 1
            self.stats[collection].rejected += 1
            log_it = self.logged[stream] < MAX_LOGGED_PER_STREAM
            if log_it:
                self.logged[stream] += 1
        if delivery_counts is not None:
            delivery_counts.reject(stream, position)
        if log_it:
            self.log_warn(message)
            if self.logged[stream] == MAX_LOGGED_PER_STREAM:
                self.log_warn(f"Further rejections in stream '{stream_label(stream)}' are counted, not logged.")
