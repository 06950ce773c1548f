"""Settings of the operator console (``console`` mapping of the receiver's config file, or the environment).

    console:
      path: /console              # or "off" ($SENSE_WRITEBACK_CONSOLE_PATH)
      session_hours: 12
      sync_outcomes: /var/lib/sense-sync-outcomes   # or s3://bucket/path ($SENSE_WRITEBACK_SYNC_OUTCOMES)
      s3_endpoint: https://minio.example:9000        # s3:// roots: endpoint and region
      s3_region: eu-west-1
      replay:                     # what the replay buttons use (the options of `sense-writeback replay`)
        bullhorn_auth_url: https://auth.bullhornstaffing.com/oauth
        bullhorn_login_url: https://rest.bullhornstaffing.com/rest-services
        state_file: sense-writeback-bullhorn.json
        actions: {GENERIC_EVENT: Sense Event}
        entity_delete: note
        entity_create: note
        commenting_person: 1

Secrets come from the environment or files only: ``SENSE_WRITEBACK_ADMIN_TOKENS`` (comma-separated) or
``SENSE_WRITEBACK_ADMIN_TOKENS_FILE``; the Bullhorn credentials of replay are the forwarder's
(``SENSE_WRITEBACK_BULLHORN_*``); an ``s3://`` root's keys are ``SENSE_WRITEBACK_SYNC_OUTCOMES_ACCESS_KEY`` and
``…_SECRET_KEY``. Without admin tokens the console is off (nobody could log in).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional

from sense_writeback.tokens import TokenSet

ENV = "SENSE_WRITEBACK_"
OFF = "off"
RESERVED = ("/healthz", "/metrics", "/writebacks", "/readyz")


class ConsoleSettingsError(ValueError):
    """A console setting that cannot be used; the message names it, never a secret."""


@dataclass
class ReplaySettings:
    bullhorn_auth_url: Optional[str] = None  # None: the forwarder's default
    bullhorn_login_url: Optional[str] = None
    state_file: Optional[str] = None
    actions: Dict[str, str] = field(default_factory=dict)
    entity_delete: Optional[str] = None
    entity_create: Optional[str] = None
    commenting_person: Optional[int] = None


@dataclass
class ConsoleSettings:
    path: str = "/console"  # "" when off
    admin_tokens: TokenSet = field(default_factory=lambda: TokenSet(()), repr=False)
    session_hours: float = 12.0
    sync_outcomes: Optional[str] = None
    s3_endpoint: Optional[str] = None
    s3_region: Optional[str] = None
    s3_access_key: Optional[str] = field(default=None, repr=False)
    s3_secret_key: Optional[str] = field(default=None, repr=False)
    replay: ReplaySettings = field(default_factory=ReplaySettings)

    @property
    def enabled(self) -> bool:
        return bool(self.path) and bool(self.admin_tokens)

    def describe(self) -> Dict[str, Any]:
        return {"path": self.path or None, "enabled": self.enabled, "admin_tokens": len(self.admin_tokens),
                "sync_outcomes": bool(self.sync_outcomes)}


_KEYS = {"path", "session_hours", "sync_outcomes", "s3_endpoint", "s3_region", "replay", "admin_tokens_file"}
_REPLAY_KEYS = set(ReplaySettings.__dataclass_fields__)


def load_console(values: Optional[Mapping[str, Any]], env: Mapping[str, str], read_tokens) -> ConsoleSettings:
    """The console's settings from the config file's ``console`` mapping and the environment.

    ``read_tokens(name, file_key, values)`` is the receiver's token reader (one rule for token files
    and lengths)."""
    values = dict(values or {})
    if "admin_tokens" in values or "s3_secret_key" in values or "s3_access_key" in values:
        raise ConsoleSettingsError("console: put secrets in admin_tokens_file or the environment, not in the "
                                   "config file itself")
    unknown = sorted(set(values) - _KEYS)
    if unknown:
        raise ConsoleSettingsError(f"unknown console config key(s): {', '.join(unknown)}")
    settings = ConsoleSettings()
    path = env.get(ENV + "CONSOLE_PATH") or values.get("path")
    if path is not None:
        settings.path = "" if str(path).strip().lower() in (OFF, "false", "none", "") else str(path).rstrip("/")
    if settings.path and (not settings.path.startswith("/") or "{" in settings.path or settings.path in RESERVED):
        raise ConsoleSettingsError("console path must be a fixed path starting with '/' (or 'off')")
    try:
        settings.session_hours = float(env.get(ENV + "CONSOLE_SESSION_HOURS") or values.get("session_hours", 12))
    except (TypeError, ValueError):
        raise ConsoleSettingsError("console session_hours must be a number") from None
    if not 0 < settings.session_hours <= 24 * 30:
        raise ConsoleSettingsError("console session_hours must be between 0 and 720")
    settings.sync_outcomes = env.get(ENV + "SYNC_OUTCOMES") or values.get("sync_outcomes") or None
    settings.s3_endpoint = env.get(ENV + "SYNC_OUTCOMES_S3_ENDPOINT") or values.get("s3_endpoint") or None
    settings.s3_region = env.get(ENV + "SYNC_OUTCOMES_S3_REGION") or values.get("s3_region") or None
    settings.s3_access_key = env.get(ENV + "SYNC_OUTCOMES_ACCESS_KEY") or None
    settings.s3_secret_key = env.get(ENV + "SYNC_OUTCOMES_SECRET_KEY") or None
    replay = dict(values.get("replay") or {})
    bad = sorted(set(replay) - _REPLAY_KEYS)
    if bad:
        raise ConsoleSettingsError(f"unknown console.replay key(s): {', '.join(bad)}")
    settings.replay = ReplaySettings(**replay)
    for name, variable in (("bullhorn_auth_url", "BULLHORN_AUTH_URL"), ("bullhorn_login_url", "BULLHORN_LOGIN_URL"),
                           ("state_file", "BULLHORN_STATE_FILE")):
        if env.get(ENV + variable):
            setattr(settings.replay, name, env[ENV + variable])
    settings.admin_tokens = read_tokens("ADMIN_TOKENS", "admin_tokens_file", values)
    return settings


def check_console(settings: ConsoleSettings, *others: TokenSet) -> None:
    """Admin tokens must be the console's own: none may also be Sense's or a feed reader's."""
    if any(settings.admin_tokens.overlaps(other) for other in others):
        raise ConsoleSettingsError("an admin token (SENSE_WRITEBACK_ADMIN_TOKENS) is also one of Sense's or the "
                                   "feed's tokens; the console needs its own")
