"""The sync ledger: the one owner of everything counted in a sync.

Received, sent and rejected records per stream and per entity, requests, retries and bytes; the
rejection policy and the rejection log; the counts each echoed STATE carries (its window); the
progress line and the closing summary; and the observer point (``LedgerObserver``) through which
rejected records and delivered ones can be reported elsewhere. See ``ledger.ledger``.
"""
from destination_sense.ledger.ledger import (  # noqa: F401
    MAX_LOGGED_PER_STREAM,
    PROGRESS_INTERVAL_SECONDS,
    Delivered,
    EntityStats,
    LedgerObserver,
    RecordRef,
    Rejection,
    SyncLedger,
    describe,
    state_scope,
)
