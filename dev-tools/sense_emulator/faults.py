"""Runtime fault injection (``POST /_admin/faults``), to test a client's error handling.

Faults apply to ``/v1`` requests unless noted, in this order: dropped connection, added latency
(also on the token endpoint), bearer check (real 401s), one-time 401, 429, 5xx, and 413 above
``max_records`` (checked by the POST handler). Counted faults are consumed by the requests they
hit. ``configure`` replaces only the faults named in the spec; ``null`` clears one.

Spec keys:
    rate_limit: {"count": N, "retry_after": seconds, "collection": optional}
    server_error: {"collection": optional, "count": N, "probability": p, "status": 503}
                  (or a list of those; one entry per collection, None meaning every collection)
    unauthorized_once: true (or a count)
    max_records: K          (413 for a POST of more than K records; persistent)
    latency_ms: ms          (persistent)
    drop_connections: N
    token_failures: {"count": N, "status": 500}
    seed: int               (for the 5xx probability)
"""
from __future__ import annotations

import random
import threading
from typing import Any, Dict, Optional

KEYS = (
    "rate_limit",
    "server_error",
    "unauthorized_once",
    "max_records",
    "latency_ms",
    "drop_connections",
    "token_failures",
    "seed",
)


class FaultError(ValueError):
    """An invalid fault specification."""


def _int(value: Any, name: str, minimum: int = 0) -> int:
    if value.__class__ is not int or value < minimum:
        raise FaultError(f"{name} must be an integer >= {minimum}")
    return value


def _number(value: Any, name: str, minimum: float = 0.0, maximum: Optional[float] = None) -> float:
    if value.__class__ not in (int, float) or value < minimum or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise FaultError(f"{name} must be a number {bounds}")
    return float(value)


def _object(value: Any, name: str, allowed: tuple) -> dict:
    if value.__class__ is not dict:
        raise FaultError(f"{name} must be an object")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise FaultError(f"{name}: unknown key(s) {', '.join(unknown)}; expected {', '.join(allowed)}")
    return value


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._random = random.Random()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.rate_limit_count = 0
            self.rate_limit_retry_after = 1
            self.rate_limit_collection: Optional[str] = None
            self.server_errors: Dict[Optional[str], dict] = {}
            self.unauthorized = 0
            self.max_records: Optional[int] = None
            self.latency_ms = 0.0
            self.drop_connections = 0
            self.token_failure_count = 0
            self.token_failure_status = 500

    # -- configuration ----------------------------------------------------------------------
    def configure(self, spec: Any, collections: tuple = ()) -> dict:
        """Apply a spec (validated entirely before anything changes); return the new state."""
        if spec.__class__ is not dict:
            raise FaultError("faults must be a JSON object")
        unknown = sorted(set(spec) - set(KEYS) - {"clear"})
        if unknown:
            raise FaultError(f"unknown fault(s) {', '.join(unknown)}; expected {', '.join(KEYS)}")
        updates = []

        def check_collection(value: Any, name: str) -> Optional[str]:
            if value is None:
                return None
            if collections and value not in collections:
                raise FaultError(f"{name}: unknown collection {value!r}")
            return value

        if "rate_limit" in spec:
            rl = spec["rate_limit"]
            if rl is None:
                updates.append(lambda: setattr(self, "rate_limit_count", 0))
            else:
                rl = _object(rl, "rate_limit", ("count", "retry_after", "collection"))
                count = _int(rl.get("count", 1), "rate_limit.count")
                retry_after = _int(rl.get("retry_after", 1), "rate_limit.retry_after")
                coll = check_collection(rl.get("collection"), "rate_limit.collection")

                def set_rl(count=count, retry_after=retry_after, coll=coll):
                    self.rate_limit_count, self.rate_limit_retry_after = count, retry_after
                    self.rate_limit_collection = coll

                updates.append(set_rl)
        if "server_error" in spec:
            se = spec["server_error"]
            if se is None:
                updates.append(lambda: self.server_errors.clear())
            else:
                for entry in se if se.__class__ is list else [se]:
                    entry = _object(entry, "server_error", ("collection", "count", "probability", "status"))
                    coll = check_collection(entry.get("collection"), "server_error.collection")
                    status = _int(entry.get("status", 503), "server_error.status", 500)
                    if status > 599:
                        raise FaultError("server_error.status must be a 5xx status")
                    count = _int(entry.get("count", 0), "server_error.count")
                    probability = _number(entry.get("probability", 0.0), "server_error.probability", 0.0, 1.0)
                    value = {"count": count, "probability": probability, "status": status}
                    updates.append(lambda coll=coll, value=value: self.server_errors.__setitem__(coll, value))
        if "unauthorized_once" in spec:
            value = spec["unauthorized_once"]
            if value is None or value is False:
                count = 0
            elif value is True:
                count = 1
            else:
                count = _int(value, "unauthorized_once")
            updates.append(lambda count=count: setattr(self, "unauthorized", count))
        if "max_records" in spec:
            value = spec["max_records"]
            value = None if value is None else _int(value, "max_records", 1)
            updates.append(lambda value=value: setattr(self, "max_records", value))
        if "latency_ms" in spec:
            value = 0.0 if spec["latency_ms"] is None else _number(spec["latency_ms"], "latency_ms", 0.0, 60_000)
            updates.append(lambda value=value: setattr(self, "latency_ms", value))
        if "drop_connections" in spec:
            value = 0 if spec["drop_connections"] is None else _int(spec["drop_connections"], "drop_connections")
            updates.append(lambda value=value: setattr(self, "drop_connections", value))
        if "token_failures" in spec:
            tf = spec["token_failures"]
            if tf is None:
                updates.append(lambda: setattr(self, "token_failure_count", 0))
            else:
                tf = _object(tf, "token_failures", ("count", "status"))
                count = _int(tf.get("count", 1), "token_failures.count")
                status = _int(tf.get("status", 500), "token_failures.status", 400)
                if status > 599:
                    raise FaultError("token_failures.status must be a 4xx or 5xx status")

                def set_tf(count=count, status=status):
                    self.token_failure_count, self.token_failure_status = count, status

                updates.append(set_tf)
        if "seed" in spec and spec["seed"] is not None:
            seed = _int(spec["seed"], "seed")
            updates.append(lambda seed=seed: self._random.seed(seed))
        if spec.get("clear"):
            self.clear()
        with self._lock:
            for update in updates:
                update()
        return self.snapshot()

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "rate_limit": {
                    "count": self.rate_limit_count,
                    "retry_after": self.rate_limit_retry_after,
                    "collection": self.rate_limit_collection,
                },
                "server_error": [
                    dict(collection=coll, **value) for coll, value in self.server_errors.items()
                ],
                "unauthorized_once": self.unauthorized,
                "max_records": self.max_records,
                "latency_ms": self.latency_ms,
                "drop_connections": self.drop_connections,
                "token_failures": {"count": self.token_failure_count, "status": self.token_failure_status},
            }

    # -- consumption (each returns what to do for one request) ------------------------------
    def take_drop(self) -> bool:
        with self._lock:
            if self.drop_connections > 0:
                self.drop_connections -= 1
                return True
            return False

    def latency_seconds(self) -> float:
        return self.latency_ms / 1000.0

    def take_unauthorized(self) -> bool:
        with self._lock:
            if self.unauthorized > 0:
                self.unauthorized -= 1
                return True
            return False

    def take_rate_limit(self, collection: Optional[str]) -> Optional[int]:
        """Retry-After seconds if this request is to be answered 429."""
        with self._lock:
            if self.rate_limit_count > 0 and self.rate_limit_collection in (None, collection):
                self.rate_limit_count -= 1
                return self.rate_limit_retry_after
            return None

    def take_server_error(self, collection: Optional[str]) -> Optional[int]:
        """A 5xx status if this request is to fail."""
        with self._lock:
            for key in (collection, None) if collection is not None else (None,):
                entry = self.server_errors.get(key)
                if entry is None:
                    continue
                if entry["count"] > 0:
                    entry["count"] -= 1
                    return entry["status"]
                if entry["probability"] > 0 and self._random.random() < entry["probability"]:
                    return entry["status"]
            return None

    def over_max_records(self, records: int) -> bool:
        limit = self.max_records
        return limit is not None and records > limit

    def take_token_failure(self) -> Optional[int]:
        with self._lock:
            if self.token_failure_count > 0:
                self.token_failure_count -= 1
                return self.token_failure_status
            return None
