"""``report.json``: what one sync did, as plain data (the format is documented in docs/destination-sense.md).

``build_report`` is a pure function of what the recorder counted; the keys below ``report_version`` 1 are
read by the write-back console, so they are only ever added to, never renamed.
"""
from __future__ import annotations

from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Dict, List, Mapping, Optional, Tuple

from destination_sense import __version__

REPORT_VERSION = 1
REPORT_KEY = "report.json"
TOP_REASONS_IN_REPORT = 10


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def versions() -> Dict[str, str]:
    try:
        api = version("sense-api")
    except PackageNotFoundError:  # pragma: no cover - sense-api is a declared dependency
        api = "unknown"
    return {"airbyte-destination-sense": __version__, "sense-api": api}


def build_report(
    *,
    connection_id: str,
    run_id: str,
    run_path: str,
    root: str,
    started_at: datetime,
    ended_at: Optional[datetime],
    status: str,
    failure: Optional[Mapping[str, str]],
    streams: Mapping[str, Mapping[str, Any]],
    entities: Mapping[str, Mapping[str, int]],
    states_committed: int,
    record_results: str,
    max_rejected_percent: int,
    files: Mapping[str, List[Dict[str, Any]]],
    storage_retries: int = 0,
    airbyte_job_id: Optional[str] = None,
) -> Dict[str, Any]:
    """``streams``: label → received, sent, rejected, top_reasons ([(reason, count)], most frequent first)."""
    return {
        "report_version": REPORT_VERSION,
        "connection_id": connection_id,
        "run_id": run_id,
        "run_path": run_path,
        "airbyte_job_id": airbyte_job_id,
        "location": f"{root.rstrip('/')}/{run_path}",
        "started_at": iso(started_at),
        "ended_at": iso(ended_at) if ended_at is not None else None,
        "duration_seconds": round((ended_at - started_at).total_seconds(), 3) if ended_at is not None else None,
        "status": status,
        "failure": dict(failure) if failure else None,
        "streams": {
            label: {
                "received": s["received"], "sent": s["sent"], "rejected": s["rejected"],
                "top_reasons": [{"reason": r, "count": c} for r, c in _top(s["top_reasons"])],
            }
            for label, s in sorted(streams.items())
        },
        "entities": {name: dict(counts) for name, counts in entities.items()},
        "states_committed": states_committed,
        "settings": {"record_results": record_results, "max_rejected_percent": max_rejected_percent},
        "storage_retries": storage_retries,
        "versions": versions(),
        "files": {kind: list(entries) for kind, entries in files.items()},
    }


def _top(reasons: List[Tuple[str, int]]) -> List[Tuple[str, int]]:
    return list(reasons)[:TOP_REASONS_IN_REPORT]
