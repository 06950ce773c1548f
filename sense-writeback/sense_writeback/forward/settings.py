"""What the forwarder does per write-back type, and how it reaches Bullhorn.

Secrets come from the environment, or from files named by the same variables with ``_FILE``
(Docker and Kubernetes secrets): ``SENSE_WRITEBACK_BULLHORN_CLIENT_ID``, ``…_CLIENT_SECRET``,
``…_REFRESH_TOKEN`` (the first one; rotated ones go to the state file), ``…_USERNAME`` and
``…_PASSWORD`` (headless authorization, optional).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional

from sense_writeback.env_secrets import SecretFileError, secret
from sense_api.writebacks import ENTITY_WRITEBACK_TYPES, WRITEBACK_TYPES

#: The types that become a Bullhorn Note: every message and event type.
NOTE_TYPES = tuple(t for t in WRITEBACK_TYPES if t not in ENTITY_WRITEBACK_TYPES)

DEFAULT_ACTIONS: Dict[str, str] = {
    "ENGAGE_SENT_EVENT": "Sense Engage Sent",
    "ENGAGE_EVENT_RESPONSE": "Sense Engage Response",
    "MESSAGING_INCOMING_MESSAGE": "Text Received",
    "MESSAGING_OUTGOING_MESSAGE": "Text Sent",
    "MESSAGING_DIGEST": "Text Digest",
    "CHATBOT_RESPONSE_SUMMARY": "Sense Chatbot",
    "GENERIC_EVENT": "Sense Event",
    "ENTITY_CREATE": "Sense New Record",
    "ENTITY_DELETE": "Sense Deleted Record",
}
NOTE, IGNORE = "note", "ignore"
ENV = "SENSE_WRITEBACK_BULLHORN_"


class SettingsError(ValueError):
    pass


@dataclass
class ForwardSettings:
    auth_base_url: str = "https://auth.bullhornstaffing.com/oauth"
    rest_login_url: str = "https://rest.bullhornstaffing.com/rest-services"
    state_file: str = "sense-writeback-bullhorn.json"
    actions: Dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ACTIONS))
    entity_delete: str = NOTE  # note or ignore; never a delete in Bullhorn
    entity_create: str = NOTE  # without a Bullhorn id: note or ignore
    default_commenting_person: Optional[int] = None
    poll_interval: float = 0.2
    max_attempts: int = 6  # per Bullhorn call before the item is retried from the top
    page_size: int = 100

    def action(self, writeback_type: str) -> str:
        return self.actions.get(writeback_type, "Sense")


def credentials(env: Mapping[str, str]) -> Dict[str, str]:
    try:
        found = {name: secret(env, ENV + name.upper()) for name in ("client_id", "client_secret", "refresh_token",
                                                                      "username", "password")}
    except SecretFileError as exc:
        raise SettingsError(str(exc)) from None
    found = {k: v for k, v in found.items() if v}
    if not found.get("client_id") or not found.get("client_secret"):
        raise SettingsError(f"set {ENV}CLIENT_ID and {ENV}CLIENT_SECRET (and {ENV}REFRESH_TOKEN or "
                            f"{ENV}USERNAME/{ENV}PASSWORD)")
    return found


def parse_actions(pairs) -> Dict[str, str]:
    actions = dict(DEFAULT_ACTIONS)
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name or not value or len(value) > 30:
            raise SettingsError(f"--action {pair!r}: expected TYPE=Action (Action at most 30 characters)")
        actions[name.strip()] = value.strip()
    return actions
