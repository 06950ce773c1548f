"""Sync outcomes you can find: rejected records, per-record results and the sync report, in object storage.

This package owns what a sync leaves behind for its user (see docs/destination-sense.md, "Sync outcomes"):

- ``settings``: the ``object_storage_config``, ``record_results`` and ``max_rejected_percent`` options
  (their spec and their parsing);
- ``storage``: where files go: ``LocalStore`` (a directory) or ``S3Store`` (any S3-compatible store, through
  the MinIO SDK), behind one small interface, with the one retry loop for storage requests;
- ``parts``: gzip JSON Lines written in numbered parts, so memory stays flat and a failed sync leaves
  readable parts;
- ``guard``: the ``max_rejected_percent`` rule;
- ``report``: ``report.json``;
- ``recorder``: ``SyncOutcomes``, told when a record is rejected, when records are accepted and before a
  STATE is echoed; it writes the files and the report and applies the guard;
- ``observer``: ``OutcomesObserver``, the sync ledger's observer that feeds ``SyncOutcomes``, and
  ``LedgerCounts``, the ledger's counts as the recorder reads them.

The layout under the configured root, shared with the write-back console (which reads it):

    <root>/<connection_id>/<start>-<run_id>/report.json
    <root>/<connection_id>/<start>-<run_id>/rejected/<stream>/part-00001.jsonl.gz
    <root>/<connection_id>/<start>-<run_id>/results/<stream>/part-00001.jsonl.gz
"""
