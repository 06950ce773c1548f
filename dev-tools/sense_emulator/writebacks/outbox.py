"""The dispatcher's outbox: every write-back to deliver, its state, its attempts and the counters.

A write-back is ``pending`` (waiting for its next attempt), ``sending``, ``delivered`` (a 200 with
an id) or ``given_up`` (the retry policy's attempts are used up; kept, counted, and re-deliverable
from the admin API). Nothing leaves the outbox except by ``clear``. Workers ``take`` the write-back
whose next attempt is due first; ``finish`` records an attempt and reschedules or settles it.
Thread-safe; in memory (a sandbox and test tool, like the emulator's default store).
"""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Dict, List, Optional

import orjson

STATES = ("pending", "sending", "delivered", "given_up")


def _wall(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class Delivery:
    id: str
    type: str
    body: bytes
    seq: int
    enqueued_at: float
    status: str = "pending"
    attempts: List[dict] = field(default_factory=list)
    due: float = 0.0  # monotonic time of the next attempt
    next_attempt_at: Optional[float] = None  # the same, as epoch seconds (for humans)
    receiver_id: object = None
    entity_id: object = None
    delivered_at: Optional[float] = None
    generation: int = 0

    def view(self, with_body: bool = False) -> dict:
        out = {
            "id": self.id,
            "type": self.type,
            "seq": self.seq,
            "status": self.status,
            "attempt_count": len(self.attempts),
            "attempts": self.attempts,
            "receiver_id": self.receiver_id,
            "entity_id": self.entity_id,
            "enqueued_at": _wall(self.enqueued_at),
            "delivered_at": _wall(self.delivered_at) if self.delivered_at else None,
            "next_attempt_at": _wall(self.next_attempt_at) if self.status == "pending" and self.next_attempt_at else None,
            "last_error": self.attempts[-1]["error"] if self.attempts and self.status != "delivered" else None,
        }
        if with_body:
            out["writeback"] = orjson.loads(self.body)
        return out


class Outbox:
    def __init__(self):
        self._cond = threading.Condition()
        self._items: Dict[str, Delivery] = {}
        self._heap: list = []
        self._seq = itertools.count(1)
        self.counters: Counter = Counter()
        self.paused = False
        self.stopped = False

    # -- adding -------------------------------------------------------------------------------
    def add(self, envelopes: List[dict]) -> List[str]:
        """Queue write-backs (dicts with a string ``id`` and ``type``); a known id is refused whole."""
        with self._cond:
            ids = [e["id"] for e in envelopes]
            clash = [i for i in ids if i in self._items]
            if clash or len(set(ids)) != len(ids):
                raise ValueError(f"write-back id(s) already queued: {', '.join(sorted(set(clash)) or ['(repeated in the request)'])}")
            now, wall = time.monotonic(), time.time()
            for envelope in envelopes:
                delivery = Delivery(envelope["id"], str(envelope.get("type")), orjson.dumps(envelope), next(self._seq), wall,
                                    due=now, next_attempt_at=wall)
                self._items[delivery.id] = delivery
                heapq.heappush(self._heap, (delivery.due, delivery.seq, delivery.id, delivery.generation))
            self.counters["enqueued"] += len(envelopes)
            self._cond.notify_all()
        return ids

    def redeliver(self, writeback_id: str) -> dict:
        """Send a write-back again, whatever its state (as Sense does after a lost answer)."""
        with self._cond:
            delivery = self._items.get(writeback_id)
            if delivery is None:
                raise KeyError(writeback_id)
            if delivery.status != "sending":
                delivery.status = "pending"
                delivery.generation += 1
                delivery.due, delivery.next_attempt_at = time.monotonic(), time.time()
                heapq.heappush(self._heap, (delivery.due, delivery.seq, delivery.id, delivery.generation))
                self.counters["redelivered"] += 1
                self._cond.notify_all()
            return delivery.view()

    # -- the workers' side --------------------------------------------------------------------
    def take(self) -> Optional[Delivery]:
        """The next due write-back (now ``sending``), or None once stopped. Blocks until one is due."""
        with self._cond:
            while not self.stopped:
                if self._heap and not self.paused:
                    due, _, writeback_id, generation = self._heap[0]
                    delivery = self._items.get(writeback_id)
                    if delivery is None or delivery.generation != generation or delivery.status != "pending":
                        heapq.heappop(self._heap)  # cleared, rescheduled or settled since
                        continue
                    wait = due - time.monotonic()
                    if wait <= 0:
                        heapq.heappop(self._heap)
                        delivery.status = "sending"
                        return delivery
                    self._cond.wait(min(wait, 1.0))
                else:
                    self._cond.wait(1.0)
        return None

    def finish(self, delivery: Delivery, attempt: dict, delivered: bool, retry_in: Optional[float],
               receiver_id: object = None, entity_id: object = None) -> None:
        """Record an attempt; settle the write-back (delivered / given up) or schedule it again."""
        with self._cond:
            if self._items.get(delivery.id) is not delivery:
                return  # cleared while in flight: nothing to record it in
            delivery.attempts.append(attempt)
            self.counters["attempts"] += 1
            status = attempt.get("status")
            self.counters[f"status_{status if status is not None else 'none'}"] += 1
            if delivered:
                delivery.status = "delivered"
                delivery.receiver_id, delivery.entity_id = receiver_id, entity_id
                delivery.delivered_at = time.time()
                self.counters["delivered"] += 1
            elif retry_in is None:
                delivery.status = "given_up"
                self.counters["given_up"] += 1
            else:
                delivery.status = "pending"
                delivery.due = time.monotonic() + retry_in
                delivery.next_attempt_at = time.time() + retry_in
                self.counters["retries_scheduled"] += 1
                heapq.heappush(self._heap, (delivery.due, delivery.seq, delivery.id, delivery.generation))
            if not delivered:
                self.counters["failed_attempts"] += 1
            self._cond.notify_all()

    # -- control ------------------------------------------------------------------------------
    def set_paused(self, paused: bool) -> None:
        with self._cond:
            self.paused = paused
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self.stopped = True
            self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self._items.clear()
            self._heap.clear()
            self.counters.clear()
            self._cond.notify_all()

    def wait(self, timeout: float) -> bool:
        """Block until nothing is pending or sending (True), or ``timeout`` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if not any(d.status in ("pending", "sending") for d in self._items.values()):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 1.0))

    # -- reading ------------------------------------------------------------------------------
    def get(self, writeback_id: str) -> Optional[Delivery]:
        with self._cond:
            return self._items.get(writeback_id)

    def views(self, status: Optional[str] = None, type_: Optional[str] = None, offset: int = 0,
              limit: Optional[int] = None) -> List[dict]:
        with self._cond:
            chosen = [d for d in self._items.values()
                      if (status is None or d.status == status) and (type_ is None or d.type == type_)]
            chosen = chosen[offset: None if limit is None else offset + limit]
            return [d.view() for d in chosen]

    def stats(self) -> dict:
        with self._cond:
            states = Counter(d.status for d in self._items.values())
            by_type: Dict[str, Counter] = {}
            for d in self._items.values():
                by_type.setdefault(d.type, Counter())[d.status] += 1
            counters = dict(self.counters)
            statuses = {k[len("status_"):]: counters.pop(k) for k in list(counters) if k.startswith("status_")}
            return {
                "total": len(self._items),
                **{state: states.get(state, 0) for state in STATES},
                "by_type": {t: dict(c) for t, c in sorted(by_type.items())},
                "attempts": counters.pop("attempts", 0),
                "failed_attempts": counters.pop("failed_attempts", 0),
                "attempt_status": statuses,
                **{k: counters.get(k, 0) for k in ("enqueued", "redelivered", "retries_scheduled")},
                "paused": self.paused,
            }
