"""Writes to the emulator, validated as strictly as Bullhorn does: ``PUT entity/Note`` (with its
to-one associations), ``PUT entity/NoteEntity`` (further associations of a note), ``POST
entity/{Entity}/{id}`` (field updates), ``GET entity/Note/{id}`` and ``…/entities``, and
``search/Note?query=externalID:"…"``; plus ``/_admin/notes`` (every note with its associations,
for tests) and ``/_admin/write-faults`` (the next N writes answer a given status, e.g. 500).

Rules followed from Bullhorn's entity API: unknown fields are a 400 naming them; read-only fields
cannot be set; to-many associations cannot be created on insert (a separate association call, here
``NoteEntity``); association values are ``{"id": <existing entity id>}``; a note needs ``comments``
and a ``personReference`` (Candidate, ClientContact, CorporateUser or Lead); ``commentingPerson``
defaults to the API user (here the first CorporateUser). A note with ``commentingPerson`` and ``personReference`` is associated
with that person automatically (one ``NoteEntity``).
"""
from __future__ import annotations

import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from .data import ENTITY_FIELDS

NOTE_WRITABLE = {"action", "comments", "commentingPerson", "personReference", "jobOrder", "externalID",
                 "minutesSpent", "isDeleted", "migrateGUID", "linkedInID", "primaryDepartmentName", "dateAdded"}
NOTE_TO_MANY = {"candidates", "clientContacts", "corporateUsers"}
NOTE_READ_ONLY = {"id", "bhTimeStamp", "dateLastModified", "entities", "jobOrders", "jobShifts", "leads",
                  "opportunities", "people", "placements"}
PERSON_ENTITIES = ("Candidate", "ClientContact", "CorporateUser", "Lead")
NOTE_ENTITY_TARGETS = ("Candidate", "ClientContact", "CorporateUser", "JobOrder", "Placement", "Lead",
                       "JobSubmission", "ClientCorporation")
ACTION_MAX = 30
READ_ONLY_KINDS = {"id", "added", "modified", "fullname", "obj_none"}
TIME_KINDS = {"ts_any", "ts_future", "ts_old", "ts_opt", "cdate", "added", "modified"}
BOOL_KINDS = {"bool", "bool_false", "bool_true", "deleted", "onsite"}
NUMBER_KINDS = {"money", "money_big", "rate", "small_int", "cfloat", "cint", "hours", "hours_day", "pct", "employees",
                "weeks", "zero_one", "notify", "tz"}
ADDRESS_KEYS = {"address1", "address2", "city", "state", "zip", "countryID", "countryName", "countryCode"}


class WriteError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Writes:
    """Notes, note associations and entity updates of one emulator (thread-safe)."""

    def __init__(self, state):
        self.state = state
        self.lock = threading.RLock()
        self.notes: Dict[int, Dict[str, Any]] = {}
        self.note_entities: List[Dict[str, Any]] = []
        self.next_note_id = 1
        self.next_note_entity_id = 1
        self.updates: List[Dict[str, Any]] = []
        self.faults: List[int] = []  # statuses for the next writes

    # ------------------------------------------------------------------ faults
    def set_faults(self, status: int, count: int) -> dict:
        if not (400 <= status <= 599) or not 0 <= count <= 10_000:
            raise WriteError(400, "status must be 400-599 and count 0-10000")
        with self.lock:
            self.faults = [status] * count
        return {"status": status, "count": count}

    def fault(self) -> Optional[int]:
        with self.lock:
            return self.faults.pop(0) if self.faults else None

    # ------------------------------------------------------------------ helpers
    def _ref(self, field: str, value: Any, entities: Tuple[str, ...]) -> Tuple[str, int]:
        if not isinstance(value, dict) or set(value) - {"id", "_subtype"} or not _is_int(value.get("id")):
            raise WriteError(400, f"{field}: an association is set as {{\"id\": <integer id>}}")
        subtype = value.get("_subtype")
        for entity in ((subtype,) if subtype else entities):
            if entity in entities and self.state.store.get(entity, value["id"]) is not None:
                return entity, value["id"]
        raise WriteError(400, f"{field}: no {' or '.join(entities)} with id {value['id']}")

    def _api_user(self) -> int:
        """The emulator's API user: its first CorporateUser (Bullhorn's default commentingPerson)."""
        users = self.state.store.records.get("CorporateUser") or []
        return users[0]["id"] if users else 0

    # ------------------------------------------------------------------ notes
    def create_note(self, body: Any) -> Dict[str, Any]:
        if not isinstance(body, dict):
            raise WriteError(400, "the request body must be a JSON object of Note fields")
        unknown = sorted(set(body) - NOTE_WRITABLE - NOTE_TO_MANY - NOTE_READ_ONLY)
        if unknown:
            raise WriteError(400, f"Note has no field(s): {', '.join(unknown)}")
        read_only = sorted(set(body) & NOTE_READ_ONLY)
        if read_only:
            raise WriteError(400, f"read-only Note field(s) cannot be set: {', '.join(read_only)}")
        to_many = sorted(set(body) & NOTE_TO_MANY)
        if to_many:
            raise WriteError(400, f"to-many association(s) cannot be created on insert: {', '.join(to_many)}; "
                                  "associate them in a separate call")
        comments = body.get("comments")
        if not isinstance(comments, str) or not comments.strip():
            raise WriteError(400, "comments: a non-empty string is required")
        action = body.get("action")
        if action is not None and (not isinstance(action, str) or len(action) > ACTION_MAX):
            raise WriteError(400, f"action: a string of at most {ACTION_MAX} characters")
        for name in ("externalID", "migrateGUID", "linkedInID", "primaryDepartmentName"):
            if name in body and body[name] is not None and (not isinstance(body[name], str) or len(body[name]) > 100):
                raise WriteError(400, f"{name}: a string of at most 100 characters")
        if "minutesSpent" in body and not _is_int(body["minutesSpent"]):
            raise WriteError(400, "minutesSpent: an integer")
        if "personReference" not in body:
            raise WriteError(400, "personReference: required (the Candidate, ClientContact, CorporateUser or Lead)")
        person = self._ref("personReference", body["personReference"], PERSON_ENTITIES)
        commenting = self._ref("commentingPerson", body.get("commentingPerson", {"id": self._api_user()}),
                               ("CorporateUser",))
        job = self._ref("jobOrder", body["jobOrder"], ("JobOrder",)) if body.get("jobOrder") is not None else None
        now = int(time.time() * 1000)
        with self.lock:
            note_id = self.next_note_id
            self.next_note_id += 1
            note = {"id": note_id, "action": action, "comments": comments,
                    "commentingPerson": {"id": commenting[1]},
                    "personReference": {"id": person[1], "_subtype": person[0]},
                    "jobOrder": {"id": job[1]} if job else None, "externalID": body.get("externalID"),
                    "minutesSpent": body.get("minutesSpent"), "isDeleted": bool(body.get("isDeleted", False)),
                    "dateAdded": now, "dateLastModified": now}
            self.notes[note_id] = note
            self._associate(note_id, *person)
            self.state.subscriptions.publish("Note", note_id, "INSERTED")
        return {"changedEntityType": "Note", "changedEntityId": note_id, "changeType": "INSERT", "data": note}

    def _associate(self, note_id: int, entity: str, entity_id: int) -> Dict[str, Any]:
        for existing in self.note_entities:
            if existing["note"]["id"] == note_id and existing["targetEntityName"] == entity \
                    and existing["targetEntityID"] == entity_id:
                raise WriteError(400, f"Note {note_id} is already associated with {entity} {entity_id}")
        row = {"id": self.next_note_entity_id, "note": {"id": note_id}, "targetEntityName": entity,
               "targetEntityID": entity_id}
        self.next_note_entity_id += 1
        self.note_entities.append(row)
        return row

    def create_note_entity(self, body: Any) -> Dict[str, Any]:
        if not isinstance(body, dict):
            raise WriteError(400, "the request body must be a JSON object of NoteEntity fields")
        unknown = sorted(set(body) - {"note", "targetEntityName", "targetEntityID"})
        if unknown:
            raise WriteError(400, f"NoteEntity has no field(s): {', '.join(unknown)}")
        note = body.get("note")
        if not isinstance(note, dict) or not _is_int(note.get("id")) or note["id"] not in self.notes:
            raise WriteError(400, "note: {\"id\": <an existing Note id>} is required")
        name, target = body.get("targetEntityName"), body.get("targetEntityID")
        if name not in NOTE_ENTITY_TARGETS:
            raise WriteError(400, f"targetEntityName: one of {', '.join(NOTE_ENTITY_TARGETS)}")
        if not _is_int(target) or self.state.store.get(name, target) is None:
            raise WriteError(400, f"targetEntityID: no {name} with id {target!r}")
        with self.lock:
            row = self._associate(note["id"], name, target)
        return {"changedEntityType": "NoteEntity", "changedEntityId": row["id"], "changeType": "INSERT"}

    def note(self, note_id: int) -> Dict[str, Any]:
        with self.lock:
            note = self.notes.get(note_id)
            if note is None:
                raise LookupError(f"No such entity: Note {note_id}")
            return dict(note)

    def entities_of(self, note_id: int) -> List[Dict[str, Any]]:
        self.note(note_id)
        with self.lock:
            return [dict(row) for row in self.note_entities if row["note"]["id"] == note_id]

    def search_notes(self, query: str) -> Dict[str, Any]:
        text = (query or "").strip()
        if not (text.startswith('externalID:"') and text.endswith('"') and len(text) > len('externalID:""')):
            raise WriteError(400, 'this emulator searches notes by externalID only: query=externalID:"<value>"')
        wanted = text[len('externalID:"'):-1]
        with self.lock:
            found = [{"id": n["id"], "externalID": n["externalID"]} for n in self.notes.values()
                     if n["externalID"] == wanted and not n["isDeleted"]]
        return {"total": len(found), "start": 0, "count": len(found), "data": found}

    def dump(self) -> Dict[str, Any]:
        with self.lock:
            notes = []
            for note in self.notes.values():
                rows = [r for r in self.note_entities if r["note"]["id"] == note["id"]]
                notes.append({**note, "entities": [{"targetEntityName": r["targetEntityName"],
                                                    "targetEntityID": r["targetEntityID"]} for r in rows]})
            return {"notes": notes, "updates": list(self.updates)}

    # ------------------------------------------------------------------ entity updates
    def update(self, entity: str, record_id: str, body: Any) -> Dict[str, Any]:
        if entity not in ENTITY_FIELDS:
            raise LookupError(f"Entity '{entity}' is not supported by this emulator")
        if not record_id.isdigit():
            raise WriteError(400, f"entity id must be an integer, got {record_id[:40]!r}")
        record = self.state.store.get(entity, int(record_id))
        if record is None:
            raise LookupError(f"No such entity: {entity} {record_id}")
        if not isinstance(body, dict) or not body:
            raise WriteError(400, "the request body must be a non-empty JSON object of fields")
        kinds = self.state.field_kinds[entity]
        unknown = sorted(set(body) - set(kinds))
        if unknown:
            raise WriteError(400, f"{entity} has no field(s): {', '.join(unknown)}")
        changes: Dict[str, Any] = {}
        errors = []
        for name, value in body.items():
            kind = kinds[name]
            if name == "id":
                if value != record["id"]:
                    errors.append("id: cannot be changed")
                continue
            problem = self._check_value(name, kind, value)
            if problem:
                errors.append(problem)
            else:
                changes[name] = value
        if errors:
            raise WriteError(400, "; ".join(errors))
        with self.state.lock:
            for name, value in changes.items():
                if kinds[name] == "address" and isinstance(record.get(name), dict):
                    record[name] = {**record[name], **value}
                else:
                    record[name] = value
            record["dateLastModified"] = self.state.next_stamp()
            self.state.changed(entity, record["id"], "UPDATED", sorted({*changes, "dateLastModified"}))
        with self.lock:
            self.updates.append({"entity": entity, "id": record["id"], "fields": changes})
        return {"changedEntityType": entity, "changedEntityId": record["id"], "changeType": "UPDATE"}

    def _check_value(self, name: str, kind: str, value: Any) -> Optional[str]:
        if kind in READ_ONLY_KINDS or kind.startswith("obj"):
            return f"{name}: read-only"
        if value is None:
            return None
        if kind.startswith(("ref:", "ref_opt:")):
            target = kind.split(":", 1)[1]
            if not isinstance(value, dict) or set(value) != {"id"} or not _is_int(value["id"]):
                return f"{name}: an association is set as {{\"id\": <integer id>}}"
            if self.state.store.get(target, value["id"]) is None:
                return f"{name}: no {target} with id {value['id']}"
            return None
        if kind == "address":
            if not isinstance(value, dict) or set(value) - ADDRESS_KEYS:
                return f"{name}: an object with {', '.join(sorted(ADDRESS_KEYS))}"
            bad = [k for k, v in value.items() if v is not None and not isinstance(v, (str, int))]
            return f"{name}.{bad[0]}: a string" if bad else None
        if kind in TIME_KINDS:
            return None if _is_int(value) else f"{name}: a timestamp in epoch milliseconds (integer)"
        if kind in BOOL_KINDS:
            return None if isinstance(value, bool) else f"{name}: true or false"
        if kind in NUMBER_KINDS:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            return None if ok else f"{name}: a number"
        return None if isinstance(value, str) else f"{name}: a string"


def route(writes: Writes, method: str, parts: List[str], params: Dict[str, Any], body: Any):
    """``(status, body)`` for a write-side REST call, or ``None`` when another handler serves it."""
    if method in ("PUT", "POST") and parts[0] == "entity":
        status = writes.fault()
        if status is not None:
            return status, {"errorMessage": f"Injected fault (HTTP {status})", "errorCode": status}
    try:
        if method == "PUT" and parts == ["entity", "Note"]:
            return 200, writes.create_note(body)
        if method == "PUT" and parts == ["entity", "NoteEntity"]:
            return 200, writes.create_note_entity(body)
        if method == "GET" and parts[:2] == ["entity", "Note"] and len(parts) in (3, 4) and parts[2].isdigit():
            if len(parts) == 4:
                if parts[3] != "entities":
                    raise WriteError(400, f"Note has no to-many association {parts[3]!r} here; use entities")
                rows = writes.entities_of(int(parts[2]))
                return 200, {"start": 0, "count": len(rows), "data": rows}
            return 200, {"data": writes.note(int(parts[2]))}
        if method == "POST" and parts[0] == "entity" and len(parts) == 3:
            return 200, writes.update(parts[1], parts[2], body)
        if method == "GET" and parts == ["search", "Note"]:
            return 200, writes.search_notes(str(params.get("query") or ""))
    except WriteError as exc:
        return exc.status, {"errorMessage": str(exc), "errorCode": exc.status}
    return None
