"""``OutcomesObserver``: the sync ledger's observer that hands every outcome to ``SyncOutcomes``.

The one seam between the write path and this package (``destination_sense.ledger.LedgerObserver``): a
rejected record (with its input line), records Sense accepted (with the ``request_id`` of their request),
and each STATE just before it is echoed: ``SyncOutcomes.before_state`` stores every rejected record first,
and a storage failure raised there keeps the STATE from being echoed.
"""
from __future__ import annotations

from typing import Any, Dict

from destination_sense.ledger import Delivered, LedgerObserver, Rejection, SyncLedger
from destination_sense.outcomes.recorder import SyncOutcomes


class OutcomesObserver(LedgerObserver):
    def __init__(self, outcomes: SyncOutcomes, ledger: SyncLedger):
        self.outcomes = outcomes
        self.ledger = ledger

    def record_rejected(self, rejection: Rejection) -> None:
        counts = self.ledger.streams.get(rejection.stream)
        row = counts.row if counts is not None else ""
        self.outcomes.rejected(row, rejection.stream, rejection.position, rejection.entity_id, rejection.problems, raw_line=rejection.line)

    def records_sent(self, delivered: Delivered) -> None:
        records = [(record.stream, record.position, record.entity_id) for record in delivered.records]
        self.outcomes.sent(delivered.row, records, delivered.request_id, delivered.outcome)

    def state_committed(self, state: Dict[str, Any]) -> None:  # called before the STATE is written out
        self.outcomes.before_state()
        self.outcomes.state_committed()
