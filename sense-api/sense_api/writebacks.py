"""The write-back contract's names: the ten ``SenseWriteBackType``s and the ``SenseEntityType``s.

Shared by the receiver (validation, metrics, the forwarder) and the Sense emulator's dispatcher (seeded
write-backs), so that both speak the same list. The per-type data structures are the receiver's JSON
Schemas (``sense_writeback/schemas/``); a test holds their ``SenseEntityType`` enum to this module.
"""
from __future__ import annotations

from typing import Dict

#: The ten write-back types, in the guide's order.
WRITEBACK_TYPES = (
    "ENGAGE_SENT_EVENT",
    "ENGAGE_EVENT_RESPONSE",
    "MESSAGING_INCOMING_MESSAGE",
    "MESSAGING_OUTGOING_MESSAGE",
    "MESSAGING_DIGEST",
    "CHATBOT_RESPONSE_SUMMARY",
    "ENTITY_CREATE",
    "ENTITY_UPDATE",
    "ENTITY_DELETE",
    "GENERIC_EVENT",
)

#: The types about an entity's own fields or existence; every other type is a message or an event.
ENTITY_WRITEBACK_TYPES = ("ENTITY_CREATE", "ENTITY_UPDATE", "ENTITY_DELETE")

#: ``SenseEntityType`` → the Sense collection of that entity (leads have no write-back entity type).
COLLECTION_BY_ENTITY_TYPE: Dict[str, str] = {
    "AE_APPOINTMENT": "appointments",
    "AE_CANDIDATE": "candidates",
    "AE_CERTIFICATION": "certifications",
    "AE_CLIENT_CONTACT": "client-contacts",
    "AE_COMPANY": "companies",
    "AE_INTERNAL_USER": "internal-users",
    "AE_JOB_ORDER": "job-orders",
    "AE_PLACEMENT": "placements",
    "AE_SUBMISSION": "submissions",
}
