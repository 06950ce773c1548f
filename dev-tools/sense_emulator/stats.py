"""Counters and the request log of the emulator (``GET /_admin/stats``, ``GET /_admin/requests``)."""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Dict, List, Optional

from sense_api.entities import COLLECTIONS

_COUNTERS = ("requests", "records", "bytes_compressed", "bytes_raw", "rejected", "rejected_requests")


def _empty_collection() -> dict:
    stats = {name: 0 for name in _COUNTERS}
    stats["largest_batch"] = 0
    stats["status"] = {}
    stats["methods"] = {}
    return stats


class Stats:
    """Per-collection counters, token counters, and a bounded log of ``/v1`` and token requests.

    Per collection: ``requests`` (every /v1 request naming it), ``records`` (accepted entities:
    POST items and PATCHes), ``bytes_compressed`` (request bodies as received), ``bytes_raw``
    (after gzip decoding), ``rejected`` (items of rejected POSTs), ``rejected_requests``,
    ``largest_batch`` (items of the largest accepted POST), ``status`` and ``methods`` counts.
    """

    def __init__(self, log_limit: int = 100_000):
        self._lock = threading.Lock()
        self._log_limit = log_limit
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.started = time.time()
            self.collections: Dict[str, dict] = {c: _empty_collection() for c in COLLECTIONS}
            self.token_requests = 0
            self.tokens_issued = 0
            self.token_rejected = 0
            self.other_requests = 0
            self.log: deque = deque(maxlen=self._log_limit)
            self.seq = 0

    def record(self, entry: dict) -> None:
        """Count one request and append it to the log. ``entry`` is a log entry (see ``App``)."""
        with self._lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.log.append(entry)
            status = entry["status"]
            operation = entry["operation"]
            if operation == "token":
                self.token_requests += 1
                if status == 200:
                    self.tokens_issued += 1
                elif status in (400, 401):
                    self.token_rejected += 1
                return
            collection = entry.get("collection")
            stats = self.collections.get(collection) if collection else None
            if stats is None:
                self.other_requests += 1
                return
            stats["requests"] += 1
            stats["bytes_compressed"] += entry["bytes"]
            stats["bytes_raw"] += entry["bytes_raw"]
            key = str(status)
            stats["status"][key] = stats["status"].get(key, 0) + 1
            method = entry["method"]
            stats["methods"][method] = stats["methods"].get(method, 0) + 1
            if 200 <= status < 300:
                stats["records"] += entry["records"]
                if operation == "upsert" and entry["records"] > stats["largest_batch"]:
                    stats["largest_batch"] = entry["records"]
            elif operation == "upsert" and status in (400, 413):
                stats["rejected"] += entry["records"]
                stats["rejected_requests"] += 1

    def snapshot(self) -> dict:
        with self._lock:
            collections = {
                c: {**s, "status": dict(s["status"]), "methods": dict(s["methods"])}
                for c, s in self.collections.items()
            }
            totals = {name: sum(s[name] for s in collections.values()) for name in _COUNTERS}
            totals["largest_batch"] = max(s["largest_batch"] for s in collections.values())
            status: Dict[str, int] = {}
            for s in collections.values():
                for code, n in s["status"].items():
                    status[code] = status.get(code, 0) + n
            totals["status"] = status
            return {
                "started": self.started,
                "uptime_s": round(time.time() - self.started, 3),
                "token_requests": self.token_requests,
                "tokens_issued": self.tokens_issued,
                "token_rejected": self.token_rejected,
                "other_requests": self.other_requests,
                "collections": collections,
                "totals": totals,
            }

    def requests(self, since: int = 0, limit: Optional[int] = None) -> List[dict]:
        """Log entries with ``seq > since`` (oldest first), at most ``limit``."""
        with self._lock:
            entries = [e for e in self.log if e["seq"] > since] if since else list(self.log)
        return entries[:limit] if limit is not None else entries
