"""Prometheus metrics of the receiver (one registry per application, served at ``/metrics``)."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from sense_writeback.validation import WRITEBACK_TYPES

disable_created_metrics()  # the *_created series only add noise to scrapes

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.received = Counter("sense_writeback_received", "Requests received on the event path.", registry=r)
        self.stored = Counter("sense_writeback_stored", "Write-backs newly stored (committed), by type.",
                              ["type"], registry=r)
        self.duplicates = Counter("sense_writeback_duplicates",
                                  "Resends of a stored Sense id with the same content (answered with the first id).",
                                  registry=r)
        self.conflicts = Counter("sense_writeback_conflicts",
                                 "Resends of a stored Sense id with different content (first kept, conflict recorded).",
                                 registry=r)
        self.flagged = Counter("sense_writeback_flagged", "Write-backs stored with a flag (unknown_type, newer_version).",
                               ["flag"], registry=r)
        self.rejected = Counter("sense_writeback_rejected", "Requests answered 4xx (not auth) or 5xx, by reason.",
                                ["reason"], registry=r)
        self.auth_failures = Counter("sense_writeback_auth_failures", "Requests answered 401, by credential mode.",
                                     ["mode"], registry=r)
        self.latency = Histogram("sense_writeback_request_duration_seconds",
                                 "Time from request start to answer on the event path, by outcome.",
                                 ["outcome"], buckets=LATENCY_BUCKETS, registry=r)
        self.commit_seconds = Histogram("sense_writeback_commit_duration_seconds",
                                        "Duration of one group commit (write and fsync of a batch).",
                                        buckets=LATENCY_BUCKETS, registry=r)
        self.commit_size = Histogram("sense_writeback_commit_batch_size", "Write-backs per group commit.",
                                     buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024), registry=r)
        self.healthy = Gauge("sense_writeback_storage_healthy", "1 when the last commit succeeded.", registry=r)
        self.healthy.set(1)

        self._stored_children = {t: self.stored.labels(t) for t in WRITEBACK_TYPES}
        self._stored_other = self.stored.labels("other")
        self._latency_children = {}

    def observe_commit(self, size: int, seconds: float) -> None:
        self.commit_size.observe(size)
        self.commit_seconds.observe(seconds)

    def observe(self, outcome: str, seconds: float) -> None:
        child = self._latency_children.get(outcome)
        if child is None:
            child = self._latency_children[outcome] = self.latency.labels(outcome)
        child.observe(seconds)

    def stored_type(self, writeback_type: str):
        return self._stored_children.get(writeback_type, self._stored_other)

    def render(self) -> bytes:
        return generate_latest(self.registry)
