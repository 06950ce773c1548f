"""Bullhorn event subscriptions (``event/subscription/{id}``), as Bullhorn documents them.

- ``PUT event/subscription/{id}?type=entity&names=A,B&eventTypes=INSERTED,UPDATED,DELETED`` subscribes
  (again: replaces the selection, keeps the queue) and answers ``lastRequestId``, ``subscriptionId``,
  ``createdOn`` and ``jmsSelector``; ``DELETE`` unsubscribes (``{"result": true}``).
- ``GET event/subscription/{id}?maxEvents=N`` takes up to N queued events (the read is destructive)
  and numbers the batch with the next ``requestId``; ``…&requestId=R`` gets batch R again while it
  is retained. A read that finds no event answers ``{"events": []}`` without a ``requestId`` and
  numbers nothing.
- ``GET event/subscription/{id}/lastRequestId`` answers ``{"result": R}``.

Every insert, update and delete of the emulator (REST writes and ``/_admin`` mutations) is
``publish``\\ ed: each subscription whose names and event types match queues one event.
Queued events and read batches expire ``event_retention`` seconds after they were created / read;
``/_admin/expire-subscription`` drops a subscription as Bullhorn drops one left unread too long.
"""
from __future__ import annotations

import collections
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

EVENT_TYPES = ("INSERTED", "UPDATED", "DELETED")
#: Most events one read returns (a larger maxEvents is read as this).
MAX_EVENTS = 500
#: Most batches kept per subscription for re-gets, whatever the retention.
MAX_RETAINED_BATCHES = 10_000


class SubscriptionError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Subscription:
    subscription_id: str
    names: Tuple[str, ...]
    event_types: Tuple[str, ...]
    created_on: int
    queue: Deque[Tuple[float, Dict[str, Any]]] = field(default_factory=collections.deque)
    batches: "collections.OrderedDict[int, Tuple[float, List[Dict[str, Any]]]]" = field(
        default_factory=collections.OrderedDict)
    last_request_id: int = 0

    def selector(self, corp_id: int) -> str:
        names = ",".join(f"'{n}'" for n in self.names)
        types = ",".join(f"'{t}'" for t in self.event_types)
        return (f"JMSType='ENTITY' AND BhCorpId={corp_id} AND BhEntityName IN ({names}) "
                f"AND BhEntityEventType IN ({types})")


class Subscriptions:
    """Every subscription of one emulator (thread-safe)."""

    def __init__(self, retention: Callable[[], float], known_entities: Any, person_id: int = 0):
        self.retention = retention  # read at each read: /_admin/config may change it
        self.known_entities = set(known_entities)
        self.person_id = person_id
        self.lock = threading.RLock()
        self.subs: Dict[str, Subscription] = {}
        self.published = 0
        self._event_seq = 0

    # ---------------------------------------------------------------- publishing
    def publish(self, entity: str, entity_id: int, event_type: str,
                updated_properties: Optional[List[str]] = None) -> None:
        now = time.time()
        with self.lock:
            self.published += 1
            transaction = str(uuid.uuid4())
            for sub in self.subs.values():
                if entity not in sub.names or event_type not in sub.event_types:
                    continue
                self._event_seq += 1
                event: Dict[str, Any] = {
                    "eventId": f"ID:JBM-{self._event_seq:08d}", "eventType": "ENTITY",
                    "eventTimestamp": int(now * 1000),
                    "eventMetadata": {"PERSON_ID": str(self.person_id), "TRANSACTION_ID": transaction},
                    "entityName": entity, "entityId": entity_id, "entityEventType": event_type,
                }
                if event_type == "UPDATED":
                    event["updatedProperties"] = sorted(updated_properties or [])
                sub.queue.append((now, event))

    # ---------------------------------------------------------------- API
    def subscribe(self, sub_id: str, params: Dict[str, Any]) -> Dict[str, Any]:
        if str(params.get("type") or "") != "entity":
            raise SubscriptionError(400, "type: this emulator supports type=entity only")
        names = tuple(n.strip() for n in str(params.get("names") or "").split(",") if n.strip())
        types = tuple(t.strip().upper() for t in str(params.get("eventTypes") or "").split(",") if t.strip())
        if not names:
            raise SubscriptionError(400, "names: a comma-separated list of entity names is required with type=entity")
        unknown = sorted(set(names) - self.known_entities)
        if unknown:
            raise SubscriptionError(400, f"names: unknown entity name(s): {', '.join(unknown)}")
        if not types or set(types) - set(EVENT_TYPES):
            raise SubscriptionError(400, f"eventTypes: a comma-separated list of {', '.join(EVENT_TYPES)}")
        with self.lock:
            sub = self.subs.get(sub_id)
            if sub is None:
                sub = Subscription(sub_id, names, types, int(time.time() * 1000))
                self.subs[sub_id] = sub
            else:
                sub.names, sub.event_types = names, types
            return {"lastRequestId": sub.last_request_id, "subscriptionId": sub_id,
                    "createdOn": sub.created_on, "jmsSelector": sub.selector(1)}

    def unsubscribe(self, sub_id: str) -> Dict[str, Any]:
        with self.lock:
            self._get(sub_id)
            del self.subs[sub_id]
        return {"result": True}

    def read(self, sub_id: str, max_events: int, request_id: Optional[int]) -> Dict[str, Any]:
        if max_events < 1:
            raise SubscriptionError(400, "maxEvents: a positive integer is required")
        now = time.time()
        with self.lock:
            sub = self._get(sub_id)
            self._expire(sub, now)
            if request_id is not None:
                batch = sub.batches.get(request_id)
                if batch is None:
                    raise SubscriptionError(
                        404, f"requestId {request_id} of subscription {sub_id} is not retained (expired or never issued)")
                return {"requestId": request_id, "events": [dict(e) for e in batch[1]]}
            take = min(max_events, MAX_EVENTS, len(sub.queue))
            if take == 0:
                return {"events": []}
            events = [sub.queue.popleft()[1] for _ in range(take)]
            sub.last_request_id += 1
            sub.batches[sub.last_request_id] = (now, events)
            while len(sub.batches) > MAX_RETAINED_BATCHES:
                sub.batches.popitem(last=False)
            return {"requestId": sub.last_request_id, "events": [dict(e) for e in events]}

    def last_request_id(self, sub_id: str) -> Dict[str, Any]:
        with self.lock:
            return {"result": self._get(sub_id).last_request_id}

    # ---------------------------------------------------------------- admin
    def expire_subscription(self, sub_id: Optional[str]) -> Dict[str, Any]:
        """Drop one subscription (or all): its queue and batches are gone, as after Bullhorn's expiry."""
        with self.lock:
            ids = [sub_id] if sub_id else list(self.subs)
            dropped = [i for i in ids if self.subs.pop(i, None) is not None]
        return {"expired": dropped}

    def dump(self) -> Dict[str, Any]:
        with self.lock:
            return {"published": self.published, "subscriptions": {
                s.subscription_id: {"names": list(s.names), "eventTypes": list(s.event_types),
                                    "queued": len(s.queue), "lastRequestId": s.last_request_id,
                                    "retainedRequestIds": list(s.batches)}
                for s in self.subs.values()}}

    # ---------------------------------------------------------------- helpers
    def _get(self, sub_id: str) -> Subscription:
        sub = self.subs.get(sub_id)
        if sub is None:
            raise SubscriptionError(404, f"Subscription {sub_id} does not exist (never created, deleted or expired)")
        return sub

    def _expire(self, sub: Subscription, now: float) -> None:
        horizon = now - self.retention()
        while sub.queue and sub.queue[0][0] < horizon:
            sub.queue.popleft()
        while sub.batches and next(iter(sub.batches.values()))[0] < horizon:
            sub.batches.popitem(last=False)


def route(subs: Subscriptions, method: str, parts: List[str], params: Dict[str, Any]):
    """``(status, body)`` for an ``event/subscription/…`` call, or ``None`` for another route."""
    if parts[:2] != ["event", "subscription"] or len(parts) not in (3, 4) or not parts[2]:
        return None
    sub_id = parts[2]
    try:
        if len(parts) == 4:
            if parts[3] != "lastRequestId" or method != "GET":
                raise SubscriptionError(404, f"Unsupported subscription resource: {parts[3][:40]}")
            return 200, subs.last_request_id(sub_id)
        if method == "PUT":
            return 200, subs.subscribe(sub_id, params)
        if method == "DELETE":
            return 200, subs.unsubscribe(sub_id)
        if method == "GET":
            if params.get("maxEvents") in (None, ""):
                raise SubscriptionError(400, "maxEvents: required")
            max_events = _int(params.get("maxEvents"), "maxEvents")
            request_id = params.get("requestId")
            return 200, subs.read(sub_id, max_events, None if request_id in (None, "") else _int(request_id, "requestId"))
        raise SubscriptionError(405, f"{method} is not supported on event/subscription")
    except SubscriptionError as exc:
        return exc.status, {"errorMessage": str(exc), "errorCode": exc.status}


def _int(value: Any, name: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise SubscriptionError(400, f"{name}: an integer is required, got {str(value)[:40]!r}")
    if not 0 <= number <= 2**31 - 1:
        raise SubscriptionError(400, f"{name}: out of range")
    return number
