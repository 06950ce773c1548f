"""One valid write-back per type, and for each a broken variant with the field the receiver must name.

Shapes follow the write-back guide's data structures; ids and texts are made up.
"""
from __future__ import annotations

import copy
from typing import Dict, List, Tuple

CANDIDATE = {"id": "5001", "type": "AE_CANDIDATE"}
JOB = {"id": "7001", "type": "AE_JOB_ORDER"}
RECRUITER = {"id": "42", "type": "AE_INTERNAL_USER"}
PLACEMENT = {"id": "9001", "type": "AE_PLACEMENT"}

SMS_OUT = {"to": [{"entity": CANDIDATE, "phone": "+1-555-010-0001"}], "from": {"entity": RECRUITER, "phone": "+1-555-010-0999"},
           "body": "Hi Ann, are you free for a call tomorrow?", "date": "2024-05-01T09:59:00+00:00",
           "direction": "outgoing", "mms_urls": [], "is_broadcast": False}
SMS_IN = {"to": [{"entity": RECRUITER, "phone": "+1-555-010-0999"}], "from": {"entity": CANDIDATE, "phone": "+1-555-010-0001"},
          "body": "Yes, after 2pm works", "date": "2024-05-01T10:03:00+00:00", "direction": "incoming", "mms_urls": []}
EMAIL_OUT = {"to": [{"entity": CANDIDATE, "email": "ann@example.com"}], "from": {"entity": RECRUITER, "email": "rec@agency.example"},
             "reply-to": {"email": "rec@agency.example"}, "cc": [], "bcc": [], "date": "2024-05-01T09:00:00+00:00",
             "direction": "outgoing", "is_alert_email": False, "subject": "Your application", "body": "<p>Thanks!</p>",
             "mms_urls": []}
META = {"event": {"id": "ev-1", "type": "engage_sent_event"}, "journey": {"id": "j-1", "name": "Onboarding"},
        "touchpoint": {"id": "t-1", "name": "Welcome", "type": "sms"}}

DATA: Dict[str, dict] = {
    "ENGAGE_SENT_EVENT": {"sms": [SMS_OUT], "email": [EMAIL_OUT], "summary": "Sent welcome",
                          "user_defined_data": {"note_type": "Engage"}, "associated_entities": [CANDIDATE, PLACEMENT],
                          "sense_meta_data": META},
    "ENGAGE_EVENT_RESPONSE": {"sms": [SMS_IN], "summary": "Replied", "survey_responses": [{"question": "Rate us", "response": "5"}],
                              "user_defined_data": {"note_type": "Survey"}, "associated_entities": [CANDIDATE],
                              "sense_meta_data": {"event": {"id": "ev-2", "type": "engage_event_response"}}},
    "MESSAGING_INCOMING_MESSAGE": {"sms": [SMS_IN], "summary": "Incoming text", "user_defined_data": {},
                                   "associated_entities": [CANDIDATE],
                                   "sense_meta_data": {"event": {"id": "ev-3", "type": "messaging_message"}}},
    "MESSAGING_OUTGOING_MESSAGE": {"sms": [SMS_OUT], "summary": "Outgoing text", "is_broadcast": False,
                                   "user_defined_data": {}, "associated_entities": [CANDIDATE],
                                   "sense_meta_data": {"event": {"id": "ev-4", "type": "messaging_message"}}},
    "MESSAGING_DIGEST": {"sms": [SMS_OUT, SMS_IN], "summary": "Conversation digest", "user_defined_data": {},
                         "associated_entities": [CANDIDATE], "sense_meta_data": {"event": {"id": "ev-5", "type": "messaging_digest"}}},
    "CHATBOT_RESPONSE_SUMMARY": {"summary": "Screening done", "subject": CANDIDATE,
                                 "conversation": [{"sender": None, "is_bot": True, "message": "Are you authorised to work?",
                                                   "date": "2024-05-01T10:00:00+00:00"},
                                                  {"sender": CANDIDATE, "is_bot": False, "message": "Yes",
                                                   "date": "2024-05-01T10:00:05+00:00"}],
                                 "user_defined_data": {}, "entity": "AE_CANDIDATE"},
    "ENTITY_CREATE": {"entity_type": "AE_CANDIDATE", "fields": [{"name": "firstName", "value": "Ann"}, {"name": "lastName", "value": "Lee"}],
                      "user_defined_data": {}, "associated_entities": [JOB], "sense_meta_data": {}},
    "ENTITY_UPDATE": {"entity": CANDIDATE, "fields": [{"name": "status", "value": "Available"}], "user_defined_data": {},
                      "associated_entities": [], "sense_meta_data": {}},
    "ENTITY_DELETE": {"entity": PLACEMENT, "user_defined_data": {}, "associated_entities": [CANDIDATE], "sense_meta_data": {}},
    "GENERIC_EVENT": {"summary": "Candidate opted out", "subject": CANDIDATE, "user_defined_data": {"exampleKey": "exampleValue"},
                      "associated_entities": [JOB], "sense_meta_data": {"event": {"id": "ev-9", "type": "opt_out"}}},
}

# (mutation of data, the field path the 4xx must name)
def _broken() -> Dict[str, Tuple[dict, List[str]]]:
    out = {}

    def variant(writeback_type, change, fields):
        data = copy.deepcopy(DATA[writeback_type])
        change(data)
        out[writeback_type] = (data, fields)

    variant("ENGAGE_SENT_EVENT", lambda d: d["sms"][0].update(direction="sideways"), ["data.sms[0].direction"])
    variant("ENGAGE_EVENT_RESPONSE", lambda d: d["survey_responses"][0].pop("question"), ["data.survey_responses[0].question"])
    variant("MESSAGING_INCOMING_MESSAGE", lambda d: d.pop("sms"), ["data.sms"])
    variant("MESSAGING_OUTGOING_MESSAGE", lambda d: d.update(is_broadcast="yes"), ["data.is_broadcast"])
    variant("MESSAGING_DIGEST", lambda d: d["sms"][1]["from"].update(entity={"id": "1", "type": "AE_ALIEN"}),
            ["data.sms[1].from.entity.type"])
    variant("CHATBOT_RESPONSE_SUMMARY", lambda d: d["conversation"][1].pop("sender"), ["data.conversation[1].sender"])
    variant("ENTITY_CREATE", lambda d: d.update(entity_type="CANDIDATE"), ["data.entity_type"])
    variant("ENTITY_UPDATE", lambda d: d["fields"][0].pop("name"), ["data.fields[0].name"])
    variant("ENTITY_DELETE", lambda d: d["entity"].pop("id"), ["data.entity.id"])
    variant("GENERIC_EVENT", lambda d: d.update(associated_entities={"id": "1"}), ["data.associated_entities"])
    return out


BROKEN = _broken()

# the entity references (role, type, id) each valid sample carries
REFERENCES = {
    "GENERIC_EVENT": {("subject", "AE_CANDIDATE", "5001"), ("associated", "AE_JOB_ORDER", "7001")},
    "ENTITY_DELETE": {("entity", "AE_PLACEMENT", "9001"), ("associated", "AE_CANDIDATE", "5001")},
    "ENGAGE_SENT_EVENT": {("associated", "AE_CANDIDATE", "5001"), ("associated", "AE_PLACEMENT", "9001"),
                          ("recipient", "AE_CANDIDATE", "5001"), ("sender", "AE_INTERNAL_USER", "42")},
}


def writeback(writeback_type: str, sense_id: str, data: dict = None, version: float = 1.0) -> dict:
    return {"id": sense_id, "type": writeback_type, "version": version, "created_date": "2024-05-01T10:05:00+02:00",
            "data": copy.deepcopy(DATA[writeback_type]) if data is None else data}
