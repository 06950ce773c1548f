"""Realistic write-backs of the ten ``SenseWriteBackType``s, built from the entities the emulator holds.

Every write-back follows the guide's envelope ``{id, type, version, created_date, data}`` and its
data structures: ``SMSObject`` and ``EmailObject`` (with ``ActorObject``s), ``FieldObject``,
``ConversationObject``, ``EntityObject`` with a ``SenseEntityType``, survey responses,
``user_defined_data``, ``associated_entities`` and ``sense_meta_data``. The entities referenced
(recipients, senders, subjects, associated entities) are entities of the store: a candidate and an
internal user are required; job orders, placements and the other collections are used when present.
``SAMPLE_ENTITIES`` is a small consistent set to load into an empty emulator for a sandbox.

Content is drawn from ``random.Random(seed)``; ids are always fresh UUIDs, so two write-backs
never share a Sense id.
"""
from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable, Dict, List, Optional, Sequence

import orjson

from sense_api.entities import COLLECTIONS
from sense_api.writebacks import COLLECTION_BY_ENTITY_TYPE, WRITEBACK_TYPES as TYPES
from sense_emulator.http_messages import Request

#: Emulator collection → ``SenseEntityType`` (leads have no write-back entity type).
ENTITY_TYPES = {collection: entity_type for entity_type, collection in COLLECTION_BY_ENTITY_TYPE.items()}

#: What every write-back references: a candidate (recipient or subject) and an internal user (the sender).
REQUIRED_COLLECTIONS = ("candidates", "internal-users")

#: The guide's version per type (the messaging types are at 1.1).
VERSIONS = {t: 1.0 for t in TYPES} | {"MESSAGING_INCOMING_MESSAGE": 1.1, "MESSAGING_OUTGOING_MESSAGE": 1.1}

#: A small, consistent set of entities for an empty sandbox (ids as Sense stores them: strings).
SAMPLE_ENTITIES: Dict[str, List[dict]] = {
    "internal-users": [
        {"id": "wb-u1", "first_name": "Ana", "last_name": "Recruiter", "email": "ana@agency.example", "mobile_phone": "+1-555-010-0001"},
        {"id": "wb-u2", "first_name": "Ben", "last_name": "Account", "email": "ben@agency.example", "mobile_phone": "+1-555-010-0002"},
    ],
    "candidates": [
        {"id": f"wb-c{i}", "first_name": first, "last_name": last, "email": f"{first.lower()}.{last.lower()}@mail.example",
         "mobile_phone": f"+1-555-020-{i:04d}", "status": "Active", "internal_user_id": "wb-u1"}
        for i, (first, last) in enumerate([("Carla", "Diaz"), ("Dev", "Patel"), ("Eli", "Moreau"), ("Fay", "Okafor"), ("Gus", "Lind")], 1)
    ],
    "companies": [{"id": "wb-co1", "company_name": "Northwind Clinics", "phone": "+1-555-030-0001"}],
    "client-contacts": [
        {"id": "wb-cc1", "first_name": "Hana", "last_name": "Berg", "email": "hana.berg@northwind.example", "company_id": "wb-co1"},
    ],
    "job-orders": [
        {"id": "wb-j1", "title": "Registered Nurse, nights", "company_id": "wb-co1", "client_contact_id": "wb-cc1"},
        {"id": "wb-j2", "title": "Medical Assistant", "company_id": "wb-co1", "client_contact_id": "wb-cc1"},
    ],
    "submissions": [{"id": "wb-s1", "candidate_id": "wb-c1", "job_order_id": "wb-j1", "status": "Submitted"}],
    "placements": [{"id": "wb-p1", "candidate_id": "wb-c1", "job_order_id": "wb-j1", "submission_id": "wb-s1", "status": "Approved"}],
    "certifications": [{"id": "wb-cert1", "candidate_id": "wb-c1", "name": "BLS"}],
    "appointments": [{"id": "wb-a1", "candidate_id": "wb-c2", "communication_method": "phone"}],
}

_JOURNEYS = [("Placement check-in", "placement"), ("New applicant follow-up", "candidate"),
             ("Assignment ending", "placement"), ("Re-engage inactive talent", "candidate")]
_OUTGOING = ["Hi {first}, how is your first week going? Reply 1-5.",
             "Hi {first}, are you available for shifts next week? Reply YES or NO.",
             "{first}, a new role matches your profile: {job}. Interested?",
             "Reminder, {first}: your interview is tomorrow at 10am."]
_REPLIES = ["YES, available Mon-Wed", "5, going great thanks!", "Can you call me after 5pm?",
            "Not interested right now", "Yes please send details", "STOP"]
_SURVEY = [("How would you rate your assignment so far?", "4"), ("Would you recommend us to a friend?", "Yes"),
           ("Anything we could do better?", "More notice on schedule changes")]
_UPDATES = [("status", "Interested"), ("status", "Not available"), ("mobile_phone", "+1-555-099-0101"),
            ("email", "updated.address@mail.example"), ("date_available", "2026-01-15")]


class MissingEntities(Exception):
    """The store lacks what a write-back must reference (the message names the collection)."""


class EntityPool:
    """The store's entities by collection, as parsed JSON (bounded per collection)."""

    LIMIT = 200

    def __init__(self, store):
        self.by_collection: Dict[str, List[dict]] = {}
        for collection in ENTITY_TYPES:
            ids = store.ids(collection)[: self.LIMIT]
            bodies = store.bodies(collection, ids) if ids else []
            live = [e for e in map(orjson.loads, bodies) if not e.get("is_deleted")]
            if live:
                self.by_collection[collection] = live
        missing = [c for c in REQUIRED_COLLECTIONS if c not in self.by_collection]
        if missing:
            raise MissingEntities(
                f"the emulator holds no {' and no '.join(missing)}: load entities first (POST /v1/{missing[0]}) "
                "or enqueue with \"sample_entities\": true"
            )

    def pick(self, rng: random.Random, collection: str) -> Optional[dict]:
        items = self.by_collection.get(collection)
        return rng.choice(items) if items else None


def entity_object(collection: str, entity: dict) -> dict:
    return {"id": str(entity["id"]), "type": ENTITY_TYPES[collection]}


def _phone(entity: dict, rng: random.Random) -> str:
    for name in ("mobile_phone", "work_phone", "home_phone", "phone"):
        if entity.get(name):
            return str(entity[name])
    return f"+1-555-{rng.randrange(100, 999)}-{rng.randrange(0, 10000):04d}"


def _address(entity: dict, collection: str) -> str:
    return str(entity.get("email") or f"{collection.rstrip('s')}.{entity['id']}@example.invalid")


def actor(collection: str, entity: dict, rng: random.Random) -> dict:
    return {"entity": entity_object(collection, entity), "email": _address(entity, collection), "phone": _phone(entity, rng)}


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


class Seeder:
    """Builds write-backs from an ``EntityPool``; ``build(type)`` returns one envelope."""

    def __init__(self, pool: EntityPool, seed: Optional[int] = None, now: Optional[datetime] = None):
        self.pool = pool
        self.rng = random.Random(seed)
        self.now = now or datetime.now(timezone.utc)
        self.builders: Dict[str, Callable[[dict], dict]] = {
            "ENGAGE_SENT_EVENT": self._engage_sent,
            "ENGAGE_EVENT_RESPONSE": self._engage_response,
            "MESSAGING_INCOMING_MESSAGE": self._incoming,
            "MESSAGING_OUTGOING_MESSAGE": self._outgoing,
            "MESSAGING_DIGEST": self._digest,
            "CHATBOT_RESPONSE_SUMMARY": self._chatbot,
            "ENTITY_CREATE": self._entity_create,
            "ENTITY_UPDATE": self._entity_update,
            "ENTITY_DELETE": self._entity_delete,
            "GENERIC_EVENT": self._generic,
        }

    # -- the pieces ---------------------------------------------------------------------------
    def _moment(self) -> datetime:
        return self.now - timedelta(seconds=self.rng.randrange(0, 86_400))

    def _candidate(self) -> dict:
        return self.pool.pick(self.rng, "candidates")

    def _sender(self) -> dict:
        """An ActorObject of one of the store's internal users (the recruiter sending or receiving)."""
        return actor("internal-users", self.pool.pick(self.rng, "internal-users"), self.rng)

    def _associated(self, candidate: dict) -> List[dict]:
        out = [entity_object("candidates", candidate)]
        for collection in ("placements", "job-orders", "submissions", "client-contacts", "companies"):
            related = [e for e in self.pool.by_collection.get(collection, []) if e.get("candidate_id") == candidate["id"]]
            chosen = related[0] if related else (self.pool.pick(self.rng, collection) if self.rng.random() < 0.3 else None)
            if chosen is not None:
                out.append(entity_object(collection, chosen))
        return out

    def _job_title(self) -> str:
        job = self.pool.pick(self.rng, "job-orders")
        return str(job.get("title") or "a new role") if job else "a new role"

    def _sms(self, candidate: dict, direction: str, body: str, date: datetime, broadcast: bool = False) -> dict:
        them, us = actor("candidates", candidate, self.rng), self._sender()
        sender, recipients = (us, [them]) if direction == "outgoing" else (them, [us])
        return {"to": recipients, "from": sender, "body": body, "date": _iso(date), "direction": direction,
                "mms_urls": [], "is_broadcast": broadcast}

    def _email(self, candidate: dict, direction: str, subject: str, body: str, date: datetime) -> dict:
        them, us = actor("candidates", candidate, self.rng), self._sender()
        sender, recipients = (us, [them]) if direction == "outgoing" else (them, [us])
        return {"to": recipients, "from": sender, "reply-to": sender, "bcc": [], "cc": [], "date": _iso(date),
                "direction": direction, "is_alert_email": False, "subject": subject, "body": body, "mms_urls": []}

    def _meta(self, event_type: str, journey: bool = True) -> dict:
        meta = {"event": {"id": uuid.UUID(int=self.rng.getrandbits(128), version=4).hex, "type": event_type}}
        if journey:
            name, _kind = self.rng.choice(_JOURNEYS)
            meta["journey"] = {"id": f"j-{self.rng.randrange(1000, 9999)}", "name": name}
            meta["touchpoint"] = {"id": f"tp-{self.rng.randrange(1000, 9999)}", "name": f"{name}: step {self.rng.randrange(1, 5)}",
                                  "type": self.rng.choice(["sms", "email", "survey"])}
        return meta

    def _outgoing_text(self, candidate: dict) -> str:
        return self.rng.choice(_OUTGOING).format(first=candidate.get("first_name") or "there", job=self._job_title())

    # -- the ten types ------------------------------------------------------------------------
    def _engage_sent(self, c: dict) -> dict:
        date, text = self._moment(), self._outgoing_text(c)
        return {"sms": [self._sms(c, "outgoing", text, date)],
                "email": [self._email(c, "outgoing", "Checking in", text, date)],
                "summary": f"Engage sent SMS and email to {c.get('first_name') or c['id']}:\n{text}",
                "user_defined_data": {"note_type": "Sense Engage"},
                "associated_entities": self._associated(c), "sense_meta_data": self._meta("engage_sent_event")}

    def _engage_response(self, c: dict) -> dict:
        date, reply = self._moment(), self.rng.choice(_REPLIES)
        answers = [{"question": q, "response": r} for q, r in self.rng.sample(_SURVEY, 2)]
        return {"sms": [self._sms(c, "incoming", reply, date)],
                "email": [self._email(c, "incoming", "Re: Checking in", reply, date)],
                "summary": "Survey response:\n" + "\n".join(f"{a['question']} {a['response']}" for a in answers),
                "survey_responses": answers,
                "user_defined_data": {"note_type": "Survey Response", "survey_score": answers[0]["response"]},
                "associated_entities": self._associated(c), "sense_meta_data": self._meta("engage_event_response")}

    def _incoming(self, c: dict) -> dict:
        reply = self.rng.choice(_REPLIES)
        return {"sms": [self._sms(c, "incoming", reply, self._moment())],
                "summary": f"Incoming SMS from {c.get('first_name') or c['id']}: {reply}",
                "user_defined_data": {"note_type": "Text Message"},
                "associated_entities": self._associated(c), "sense_meta_data": self._meta("messaging_message", journey=False)}

    def _outgoing(self, c: dict) -> dict:
        broadcast = self.rng.random() < 0.5
        text = self._outgoing_text(c)
        return {"sms": [self._sms(c, "outgoing", text, self._moment(), broadcast)],
                "summary": f"Outgoing SMS to {c.get('first_name') or c['id']}: {text}",
                "is_broadcast": broadcast,
                "user_defined_data": {"note_type": "Text Message"},
                "associated_entities": self._associated(c), "sense_meta_data": self._meta("messaging_message", journey=False)}

    def _digest(self, c: dict) -> dict:
        start = self._moment()
        messages = []
        for i in range(self.rng.randrange(2, 5)):
            direction = "outgoing" if i % 2 == 0 else "incoming"
            text = self._outgoing_text(c) if direction == "outgoing" else self.rng.choice(_REPLIES)
            messages.append(self._sms(c, direction, text, start + timedelta(minutes=7 * i)))
        return {"sms": messages,
                "summary": "\n".join(f"{m['date']} {m['direction']}: {m['body']}" for m in messages),
                "user_defined_data": {"note_type": "Text Digest"},
                "associated_entities": self._associated(c), "sense_meta_data": self._meta("messaging_digest", journey=False)}

    def _chatbot(self, c: dict) -> dict:
        start = self._moment()
        turns = [("Hi! Are you looking for a new role?", True), ("Yes, nights preferred", False),
                 ("Great. Which city?", True), ("Portland", False)]
        conversation = [{"sender": None if bot else entity_object("candidates", c), "is_bot": bot, "message": text,
                         "date": _iso(start + timedelta(seconds=40 * i))} for i, (text, bot) in enumerate(turns)]
        return {"summary": "Chatbot: " + " / ".join(t for t, bot in turns if not bot),
                "subject": entity_object("candidates", c), "conversation": conversation,
                "user_defined_data": {"note_type": "Chatbot", "preferred_shift": "nights"},
                "entity": "AE_CANDIDATE"}

    def _entity_create(self, c: dict) -> dict:
        first, last = self.rng.choice([("Ivy", "Chen"), ("Jon", "Reyes"), ("Kai", "Novak")])
        fields = [{"name": "first_name", "value": first}, {"name": "last_name", "value": last},
                  {"name": "email", "value": f"{first.lower()}.{last.lower()}@mail.example"},
                  {"name": "mobile_phone", "value": f"+1-555-040-{self.rng.randrange(0, 10000):04d}"},
                  {"name": "source", "value": "Sense Chatbot"}]
        referrer = self._associated(c)[:1]
        referrer.append(entity_object("internal-users", self.pool.pick(self.rng, "internal-users")))
        return {"entity_type": "AE_CANDIDATE", "fields": fields,
                "user_defined_data": {"note_type": "New Candidate"},
                "associated_entities": referrer, "sense_meta_data": {}}

    def _entity_update(self, c: dict) -> dict:
        name, value = self.rng.choice(_UPDATES)
        return {"entity": entity_object("candidates", c), "fields": [{"name": name, "value": value}],
                "user_defined_data": {"note_type": "Field Update"},
                "associated_entities": self._associated(c), "sense_meta_data": {}}

    def _entity_delete(self, c: dict) -> dict:
        for collection in ("appointments", "certifications"):
            target = self.pool.pick(self.rng, collection)
            if target is not None:
                return {"entity": entity_object(collection, target),
                        "user_defined_data": {"reason": "cancelled by candidate"},
                        "associated_entities": [entity_object("candidates", c)], "sense_meta_data": {}}
        return {"entity": entity_object("candidates", c), "user_defined_data": {"reason": "duplicate record"},
                "associated_entities": [], "sense_meta_data": {}}

    def _generic(self, c: dict) -> dict:
        return {"summary": f"{c.get('first_name') or c['id']} opted in to job alerts",
                "subject": entity_object("candidates", c),
                "user_defined_data": {"note_type": "General"},
                "associated_entities": self._associated(c), "sense_meta_data": self._meta("generic_event", journey=False)}

    # -- the envelope -------------------------------------------------------------------------
    def build(self, type_: str) -> dict:
        if type_ not in self.builders:
            raise ValueError(f"unknown write-back type {type_!r} (one of {', '.join(TYPES)})")
        data = self.builders[type_](self._candidate())
        return {"id": str(uuid.uuid4()), "type": type_, "version": VERSIONS[type_],
                "created_date": _iso(datetime.now(timezone.utc)), "data": data}

    def build_many(self, count: int, types: Sequence[str] = TYPES) -> List[dict]:
        """``count`` write-backs cycling through ``types`` in order (every type once per cycle)."""
        return [self.build(types[i % len(types)]) for i in range(count)]


def load_sample_entities(app) -> None:
    """Upsert ``SAMPLE_ENTITIES`` through the emulator's own ``POST /v1/{collection}`` (validated,
    counted like any client's batch), in the published sync order."""
    headers = {"Authorization": f"Bearer {app.tokens.issue()}", "Content-Type": "application/json"}
    for collection in COLLECTIONS:
        items = SAMPLE_ENTITIES.get(collection)
        if not items:
            continue
        response = app.handle(Request("POST", f"/v1/{collection}", headers, orjson.dumps(items)))
        if response.status >= 300:
            raise RuntimeError(f"sample {collection} refused ({response.status}): {response.body[:500]!r}")
