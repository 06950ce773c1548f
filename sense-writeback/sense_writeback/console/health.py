"""The health panel: arrivals per minute (from the database, so every replica's and every restart's
write-backs count), acknowledgement latency and auth failures (from this process's Prometheus
metrics, since it started), the forward backlog and storage readiness (the same answer as ``/readyz``)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from sense_writeback.clock import utc_now
from sense_writeback.console.charts import arrivals_chart
from sense_writeback.console.queries import Latency, Queries

LATENCY = "sense_writeback_request_duration_seconds"
AUTH_FAILURES = "sense_writeback_auth_failures"
ACKNOWLEDGED = ("stored", "duplicate", "conflict")  # answered 200 with an id
HOURS = 24


def latency(metrics) -> Latency:
    """The acknowledged requests' latency histogram (every 200 outcome merged)."""
    merged: Dict[float, float] = {}
    for family in metrics.registry.collect():
        if family.name != LATENCY:
            continue
        for sample in family.samples:
            if sample.name.endswith("_bucket") and sample.labels.get("outcome") in ACKNOWLEDGED:
                bound = float(sample.labels["le"])
                merged[bound] = merged.get(bound, 0.0) + sample.value
    return Latency(sorted(merged.items()))


def auth_failures(metrics) -> List[Tuple[str, int]]:
    found: Dict[str, int] = {}
    for family in metrics.registry.collect():
        if family.name != AUTH_FAILURES:
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                found[sample.labels["mode"]] = found.get(sample.labels["mode"], 0) + int(sample.value)
    return sorted(found.items())


def age_seconds(iso: Optional[str], now: datetime) -> Optional[float]:
    if not iso:
        return None
    return max(0.0, (now - datetime.fromisoformat(iso)).total_seconds())


def health(queries: Queries, store, metrics, storage_problem: Optional[str],
           now: Optional[datetime] = None) -> Dict[str, Any]:
    """The panel's figures; ``storage_problem`` is the receiver's readiness answer (None: ready)."""
    now = now or utc_now()
    counts = queries.arrivals(now, HOURS)
    hist = latency(metrics)
    backlog = queries.backlog()
    return {
        "chart": arrivals_chart(counts, HOURS * 60), "hours": HOURS,
        "latency_count": int(hist.count), "p50": hist.quantile(0.5), "p99": hist.quantile(0.99),
        "auth_failures": auth_failures(metrics), "backlog": backlog,
        "oldest_pending_age": age_seconds(backlog["oldest_received_at"], now),
        "parked": queries.parked_count(), "ready": storage_problem is None,
        "storage_detail": storage_problem or "reachable, migrated and writable", "storage": store.kind,
    }
