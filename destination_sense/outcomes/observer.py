"""The seam between the write path and this package: ``OutcomesObserver`` and ``LedgerCounts``.

``OutcomesObserver`` is the sync ledger's observer (``destination_sense.ledger.LedgerObserver``): it hands
``SyncOutcomes`` each rejected record (with its input line), the records Sense accepted (with the
``request_id`` of their request) and each STATE just before it is written out (``SyncOutcomes.before_state``
stores every rejected record first; a storage failure raised there keeps the STATE from being echoed).
The ledger tells an observer of a rejection before it counts it: the recorder's guard adds that one.
``LedgerCounts`` gives the recorder the ledger's own counts, so the report's numbers are the destination's.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, Mapping, Tuple

from destination_sense.catalog import StreamKey
from destination_sense.ledger import Delivered, LedgerObserver, Rejection, SyncLedger
from destination_sense.outcomes.recorder import SyncOutcomes


class LedgerCounts:
    """The sync ledger's counts, as ``SyncOutcomes`` reads them (``recorder.SyncCounts``)."""

    def __init__(self, ledger: SyncLedger):
        self.ledger = ledger

    def stream(self, key: StreamKey) -> Tuple[int, int, int]:
        counts = self.ledger.streams.get(key)
        if counts is None:
            return 0, 0, 0
        return self.ledger.positions(key)[key], counts.sent, counts.rejected

    def entities(self) -> Dict[str, Dict[str, int]]:
        """The rows of the end-of-sync table (``requests``: its ``batches``)."""
        positions = self.ledger.positions()
        received: Dict[str, int] = {}
        for stream, counts in self.ledger.streams.items():
            received[counts.row] = received.get(counts.row, 0) + positions.get(stream, 0)
        return {
            row: {"received": received.get(row, 0), "sent": s.sent, "rejected": s.rejected, "requests": s.batches, "retries": s.retries}
            for row, s in self.ledger.rows.items()
            if received.get(row) or s.batches or s.rejected
        }

    def states_committed(self) -> int:
        return self.ledger.states_committed


class OutcomesObserver(LedgerObserver):
    def __init__(self, outcomes: SyncOutcomes, ledger: SyncLedger, deleted_streams: Iterable[StreamKey] = ()):
        """``deleted_streams``: soft-delete streams (their accepted records' result is ``deleted``)."""
        self.outcomes = outcomes
        self.ledger = ledger
        outcomes.attach(LedgerCounts(ledger), {key: "deleted" for key in deleted_streams})

    def record_rejected(self, rejection: Rejection) -> None:  # told before the ledger counts it
        self.outcomes.rejected(rejection.row, rejection.stream, rejection.position, rejection.entity_id, rejection.problems,
                               raw_line=rejection.line, sent_json=rejection.sent)

    def records_sent(self, delivered: Delivered) -> None:
        if self.outcomes.all_results:  # else nothing to write: the ledger counts
            records = [(record.stream, record.position, record.entity_id) for record in delivered.records]
            self.outcomes.sent(delivered.row, records, delivered.request_id, delivered.outcome)

    def before_state(self, state: Mapping[str, Any]) -> None:
        self.outcomes.before_state()
