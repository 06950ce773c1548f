"""A write-back → the Bullhorn Note that shows it to a recruiter.

``comments``: the summary, then each SMS and email (date, direction, from → to, subject, body),
survey answers, chatbot turns, ``user_defined_data``, and the Sense id. ``action``: configured per
type. Associations: ``personReference`` is the first candidate (else client contact, else lead,
else internal user) among the subject and ``associated_entities``; ``commentingPerson`` the
internal user of the messages (else Bullhorn's default, the API user); ``jobOrder`` the first job
order. Every other referenced candidate, contact, job order, placement, submission and company
becomes a ``NoteEntity`` (Bullhorn creates no to-many association on insert). A reference whose
id is not a Bullhorn id (not an integer) cannot be attached: it is listed in ``skipped``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from sense_api.bullhorn import bullhorn_entity_for_type

PERSON_ORDER = ("Candidate", "ClientContact", "Lead", "CorporateUser")
NOTE_ENTITY_TARGETS = ("Candidate", "ClientContact", "CorporateUser", "JobOrder", "Placement", "JobSubmission",
                       "ClientCorporation")
EXTERNAL_ID_MAX = 100
COMMENTS_MAX = 100_000


class NoPerson(ValueError):
    """Nothing in the write-back a Bullhorn note can be attached to."""


@dataclass
class NotePlan:
    body: Dict[str, Any]
    associations: List[Tuple[str, int]] = field(default_factory=list)  # NoteEntity targets
    skipped: List[str] = field(default_factory=list)  # references that could not be attached


def external_id(sense_id: str) -> str:
    """The note's ``externalID``: finds the note of a write-back again after an in-doubt create."""
    value = "sense:" + sense_id
    return value if len(value) <= EXTERNAL_ID_MAX else "sense-sha256:" + hashlib.sha256(sense_id.encode()).hexdigest()


def _references(data: Dict[str, Any]) -> List[Tuple[str, str]]:
    found: List[Tuple[str, str]] = []

    def add(value: Any) -> None:
        if isinstance(value, dict) and isinstance(value.get("type"), str) and isinstance(value.get("id"), (str, int)) \
                and not isinstance(value.get("id"), bool):
            found.append((value["type"], str(value["id"])))

    add(data.get("subject"))
    add(data.get("entity"))
    for item in data.get("associated_entities") or []:
        add(item)
    return list(dict.fromkeys(found))


def _actor_text(actor: Any, key: str) -> str:
    if isinstance(actor, list):
        return ", ".join(_actor_text(a, key) for a in actor) or "-"
    if not isinstance(actor, dict):
        return "-"
    return str(actor.get(key) or (actor.get("entity") or {}).get("id") or "-")


def _messages(data: Dict[str, Any]) -> List[str]:
    lines = []
    for channel, label, key in (("sms", "SMS", "phone"), ("email", "Email", "email")):
        for message in data.get(channel) or []:
            if not isinstance(message, dict):
                continue
            head = f"{message.get('date', '')} {label} {message.get('direction', '')} " \
                   f"from {_actor_text(message.get('from'), key)} to {_actor_text(message.get('to'), key)}".strip()
            if message.get("subject"):
                head += f" - subject: {message['subject']}"
            lines.append(f"{head}\n{message.get('body', '')}")
    return lines


def _internal_user(data: Dict[str, Any]) -> Optional[int]:
    for channel in ("sms", "email"):
        for message in data.get(channel) or []:
            if not isinstance(message, dict):
                continue
            for key in ("from", "to"):
                actors = message.get(key)
                for actor in actors if isinstance(actors, list) else [actors]:
                    entity = actor.get("entity") if isinstance(actor, dict) else None
                    if isinstance(entity, dict) and entity.get("type") == "AE_INTERNAL_USER" \
                            and str(entity.get("id", "")).isdigit():
                        return int(entity["id"])
    return None


def comments(doc: Dict[str, Any]) -> str:
    data = doc.get("data") if isinstance(doc.get("data"), dict) else {}
    parts = []
    if data.get("summary"):
        parts.append(str(data["summary"]))
    parts += _messages(data)
    for answer in data.get("survey_responses") or []:
        if isinstance(answer, dict):
            parts.append(f"Survey: {answer.get('question', '')} {answer.get('response', '')}".strip())
    turns = [f"{'Bot' if t.get('is_bot') else 'Candidate'}: {t.get('message', '')}"
             for t in data.get("conversation") or [] if isinstance(t, dict)]
    if turns:
        parts.append("Conversation:\n" + "\n".join(turns))
    if data.get("fields"):
        parts.append("Fields:\n" + "\n".join(f"{f.get('name')}: {f.get('value')}" for f in data["fields"]
                                               if isinstance(f, dict)))
    if data.get("entity") and doc.get("type") == "ENTITY_DELETE":
        entity = data["entity"]
        parts.append(f"Sense deleted {entity.get('type')} {entity.get('id')} (not deleted in Bullhorn)")
    extra = data.get("user_defined_data")
    if isinstance(extra, dict) and extra:
        parts.append("Details: " + ", ".join(f"{k}={v}" for k, v in extra.items()))
    parts.append(f"Sense write-back {doc.get('id')} ({doc.get('type')})")
    text = "\n\n".join(parts)
    return text if len(text) <= COMMENTS_MAX else text[:COMMENTS_MAX - 20] + "\n[truncated]"


def plan_note(doc: Dict[str, Any], action: str, default_commenting_person: Optional[int] = None) -> NotePlan:
    """The ``PUT entity/Note`` body and the further associations for write-back ``doc``."""
    data = doc.get("data") if isinstance(doc.get("data"), dict) else {}
    targets: List[Tuple[str, int]] = []
    skipped: List[str] = []
    for sense_type, entity_id in _references(data):
        entity = bullhorn_entity_for_type(sense_type)
        if entity is None:
            skipped.append(f"{sense_type} {entity_id}: no Bullhorn entity")
        elif not entity_id.isdigit():
            skipped.append(f"{sense_type} {entity_id}: not a Bullhorn id")
        else:
            targets.append((entity, int(entity_id)))
    person = next((t for kind in PERSON_ORDER for t in targets if t[0] == kind), None)
    if person is None:
        raise NoPerson("no candidate, contact, lead or internal user with a Bullhorn id to attach the note to"
                       + (f" ({'; '.join(skipped)})" if skipped else ""))
    body: Dict[str, Any] = {"action": action[:30], "comments": comments(doc),
                            "personReference": {"id": person[1]}, "externalID": external_id(str(doc.get("id")))}
    commenting = _internal_user(data) or default_commenting_person
    if commenting is not None:
        body["commentingPerson"] = {"id": commenting}
    job = next((t for t in targets if t[0] == "JobOrder"), None)
    if job is not None:
        body["jobOrder"] = {"id": job[1]}
    associations = []
    for target in targets:
        if target == person:
            continue
        if target[0] in NOTE_ENTITY_TARGETS:
            associations.append(target)
        else:
            skipped.append(f"{target[0]} {target[1]}: Bullhorn notes are not attached to a {target[0]}")
    return NotePlan(body, list(dict.fromkeys(associations)), skipped)
