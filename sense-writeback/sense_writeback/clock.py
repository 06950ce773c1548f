"""The receiver's one clock: the time now in UTC, and the timestamp form its tables store."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def utc_iso(moment: Optional[datetime] = None) -> str:
    """``moment`` (default: now) in UTC as ISO 8601 with microseconds, ``2026-12-08T10:00:00.000000+00:00``."""
    return (moment or utc_now()).astimezone(timezone.utc).isoformat(timespec="microseconds")
