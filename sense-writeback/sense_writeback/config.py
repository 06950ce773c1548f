"""Settings of ``sense-writeback serve``: defaults < config file < environment < command line.

Secrets (pre-shared tokens, a database URL with a password) come from the environment or from files,
never only from the command line, where other users of the machine can read them:
``SENSE_WRITEBACK_TOKENS`` (comma-separated) or ``SENSE_WRITEBACK_TOKENS_FILE`` / ``tokens_file``;
``SENSE_WRITEBACK_DATABASE_URL`` or ``SENSE_WRITEBACK_DATABASE_URL_FILE`` / ``database_url_file``.
The config file is YAML or JSON with the keys of ``ReceiverConfig`` (``oidc`` as a nested mapping).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import yaml

from sense_writeback.env_secrets import SecretFileError, read_secret_file

from sense_writeback.console.settings import ConsoleSettings, ConsoleSettingsError, check_console, load_console
from sense_writeback.tokens import MIN_TOKEN_LENGTH, TokenSet, parse_tokens
from sense_writeback.validation import REJECT, STORE

ENV_PREFIX = "SENSE_WRITEBACK_"
TOKEN_MODES = ("query", "header")
RESERVED_PATHS = ("/healthz", "/readyz", "/metrics", "/writebacks")
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it (never its secret value)."""


@dataclass
class OidcSettings:
    discovery_url: Optional[str] = None
    audience: Optional[str] = None
    issuer: Optional[str] = None  # default: the discovery document's issuer
    required_scope: Optional[str] = None
    algorithms: Tuple[str, ...] = ("RS256", "ES256")
    clock_skew: float = 30.0
    jwks_refresh_interval: float = 30.0  # at most one unknown-kid refresh per interval
    jwks_max_age: float = 3600.0
    http_timeout: float = 10.0


@dataclass
class ReceiverConfig:
    host: str = "127.0.0.1"
    port: int = 8088
    db: str = "sense-writeback.db"
    database_url: Optional[str] = field(default=None, repr=False)
    event_path: str = "/event"
    max_body_bytes: int = 1024 * 1024
    unknown_type: str = STORE
    newer_version: str = STORE
    token_param: str = "token"
    token_modes: Tuple[str, ...] = TOKEN_MODES
    tokens: TokenSet = field(default_factory=lambda: TokenSet(()))
    read_tokens: TokenSet = field(default_factory=lambda: TokenSet(()))  # the feed's readers (never Sense's)
    retention_days: float = 0.0  # 0: keep everything; else prune, see sense_writeback/store/feed.py
    retention_interval: float = 3600.0  # seconds between retention passes
    oidc: OidcSettings = field(default_factory=OidcSettings)
    store_timeout: float = 30.0
    max_batch: int = 512
    graceful_timeout: float = 30.0
    access_log: bool = True
    log_level: str = "info"
    forwarded_allow_ips: str = "127.0.0.1"
    console: ConsoleSettings = field(default_factory=ConsoleSettings)  # the operator console (console/settings.py)

    @property
    def storage(self) -> str:
        """``postgresql`` when a database URL is set, else ``sqlite``."""
        return "postgresql" if self.database_url else "sqlite"

    def describe(self) -> Dict[str, Any]:
        """The settings without secrets (for the start-up line)."""
        return {
            "event_path": self.event_path, "storage": self.storage,
            "db": None if self.database_url else self.db, "max_body_bytes": self.max_body_bytes,
            "token_modes": list(self.token_modes) if self.tokens else [], "tokens": len(self.tokens),
            "token_param": self.token_param, "oidc": bool(self.oidc.discovery_url),
            "unknown_type": self.unknown_type, "newer_version": self.newer_version,
            "feed": bool(self.read_tokens), "retention_days": self.retention_days,
            "console": self.console.describe(),
        }


def _read_secret_file(path: str, what: str) -> str:
    try:
        return read_secret_file(path, what)
    except SecretFileError as exc:
        raise ConfigError(str(exc)) from None


def load_file(path: Optional[str]) -> Dict[str, Any]:
    if not path:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML/JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping")
    if "tokens" in data or "database_url" in data or "read_tokens" in data:
        raise ConfigError(f"config file {path}: put secrets in tokens_file / database_url_file or the environment, "
                          "not in the config file itself")
    return data


_SCALARS = {f.name: f.type for f in fields(ReceiverConfig)}
_OIDC_KEYS = {f.name for f in fields(OidcSettings)}
_FILE_ONLY = {"tokens_file", "database_url_file", "read_tokens_file"}


def build_config(file_values: Mapping[str, Any], env: Mapping[str, str], cli: Mapping[str, Any]) -> ReceiverConfig:
    """Merge the three sources and check the result."""
    config = ReceiverConfig()
    known = set(_SCALARS) - {"tokens", "read_tokens", "database_url", "oidc"} | _FILE_ONLY | {"oidc", "console"}
    unknown = sorted(set(file_values) - known)
    if unknown:
        raise ConfigError(f"unknown config key(s): {', '.join(unknown)}")
    oidc_values = dict(file_values.get("oidc") or {})
    bad_oidc = sorted(set(oidc_values) - _OIDC_KEYS)
    if bad_oidc:
        raise ConfigError(f"unknown oidc config key(s): {', '.join(bad_oidc)}")

    merged: Dict[str, Any] = {k: v for k, v in file_values.items() if k not in ("oidc", "console") and k not in _FILE_ONLY}
    for name in ("host", "port", "db", "event_path", "max_body_bytes", "unknown_type", "newer_version",
                 "token_param", "token_modes", "store_timeout", "max_batch", "log_level", "retention_days",
                 "retention_interval", "graceful_timeout", "access_log", "forwarded_allow_ips"):
        value = env.get(ENV_PREFIX + name.upper())
        if value:
            merged[name] = value
    for name in ("discovery_url", "audience", "issuer", "required_scope"):
        value = env.get(f"{ENV_PREFIX}OIDC_{name.upper()}")
        if value:
            oidc_values[name] = value
    for name, value in cli.items():
        if value is None:
            continue
        if name.startswith("oidc_"):
            oidc_values[name[5:]] = value
        elif name != "database_url":
            merged[name] = value

    for name, value in merged.items():
        setattr(config, name, value)
    _coerce(config)
    config.oidc = _oidc(oidc_values)
    config.tokens = _tokens(file_values, env)
    config.read_tokens = _tokens(file_values, env, "READ_TOKENS", "read_tokens_file")
    config.database_url = _database_url(file_values, env, cli.get("database_url"))
    try:
        config.console = load_console(file_values.get("console"), env,
                                      lambda name, key, values: _tokens(values, env, name, key))
        check_console(config.console, config.tokens, config.read_tokens)
    except ConsoleSettingsError as exc:
        raise ConfigError(str(exc)) from None
    _check(config)
    return config


def _coerce(config: ReceiverConfig) -> None:
    try:
        config.port = int(config.port)
        config.max_body_bytes = int(config.max_body_bytes)
        config.max_batch = int(config.max_batch)
        config.store_timeout = float(config.store_timeout)
        config.graceful_timeout = float(config.graceful_timeout)
        config.retention_days = float(config.retention_days)
        config.retention_interval = float(config.retention_interval)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"a numeric setting is not a number: {exc}") from None
    if isinstance(config.token_modes, str):
        config.token_modes = tuple(m.strip() for m in config.token_modes.split(",") if m.strip())
    config.token_modes = tuple(config.token_modes)
    if isinstance(config.access_log, str):
        config.access_log = config.access_log.lower() in ("1", "true", "yes", "on")


def _oidc(values: Dict[str, Any]) -> OidcSettings:
    settings = OidcSettings()
    for name, value in values.items():
        setattr(settings, name, value)
    if isinstance(settings.algorithms, str):
        settings.algorithms = tuple(a.strip() for a in settings.algorithms.split(",") if a.strip())
    settings.algorithms = tuple(settings.algorithms)
    for name in ("clock_skew", "jwks_refresh_interval", "jwks_max_age", "http_timeout"):
        setattr(settings, name, float(getattr(settings, name)))
    return settings


def _tokens(file_values: Mapping[str, Any], env: Mapping[str, str], name: str = "TOKENS",
            file_key: str = "tokens_file") -> TokenSet:
    tokens: List[str] = []
    if env.get(ENV_PREFIX + name):
        tokens += parse_tokens(env[ENV_PREFIX + name])
    path = env.get(ENV_PREFIX + name + "_FILE") or file_values.get(file_key)
    if path:
        tokens += parse_tokens(_read_secret_file(str(path), "tokens"))
    short = sum(1 for t in tokens if len(t) < MIN_TOKEN_LENGTH)
    if short:
        raise ConfigError(f"{short} pre-shared token(s) shorter than {MIN_TOKEN_LENGTH} characters; use long random tokens")
    return TokenSet(dict.fromkeys(tokens))


def _database_url(file_values: Mapping[str, Any], env: Mapping[str, str], cli_value: Optional[str]) -> Optional[str]:
    if cli_value:
        return cli_value
    if env.get(ENV_PREFIX + "DATABASE_URL"):
        return env[ENV_PREFIX + "DATABASE_URL"]
    path = env.get(ENV_PREFIX + "DATABASE_URL_FILE") or file_values.get("database_url_file")
    if path:
        return _read_secret_file(str(path), "database URL").strip() or None
    return None


def _check(config: ReceiverConfig) -> None:
    if not config.event_path.startswith("/") or "{" in config.event_path or config.event_path in RESERVED_PATHS:
        raise ConfigError("event_path must be a fixed path starting with '/' (not " + ", ".join(RESERVED_PATHS) + ")")
    for name in ("unknown_type", "newer_version"):
        if getattr(config, name) not in (STORE, REJECT):
            raise ConfigError(f"{name} must be '{STORE}' or '{REJECT}'")
    bad = [m for m in config.token_modes if m not in TOKEN_MODES]
    if bad:
        raise ConfigError(f"token_modes: unknown mode(s) {', '.join(bad)}; use query and/or header")
    if config.max_body_bytes < 1024:
        raise ConfigError("max_body_bytes must be at least 1024")
    if not 1 <= config.max_batch <= 10_000:
        raise ConfigError("max_batch must be between 1 and 10000")
    if not config.token_param:
        raise ConfigError("token_param must not be empty")
    oidc = config.oidc
    if oidc.discovery_url:
        if not oidc.audience:
            raise ConfigError("oidc.audience is required with oidc.discovery_url (tokens for other services must not pass)")
        bad_algs = [a for a in oidc.algorithms if a not in ALGORITHMS]
        if bad_algs or not oidc.algorithms:
            raise ConfigError(f"oidc.algorithms: only asymmetric algorithms are accepted ({', '.join(ALGORITHMS)})")
    if config.retention_days < 0 or config.retention_interval <= 0:
        raise ConfigError("retention_days must be >= 0 and retention_interval > 0")
    if config.read_tokens.overlaps(config.tokens):
        raise ConfigError("a read token (SENSE_WRITEBACK_READ_TOKENS) is also one of Sense's tokens; the feed's "
                          "readers need their own")
    token_auth = bool(config.tokens) and bool(config.token_modes)
    if not token_auth and not oidc.discovery_url:
        raise ConfigError("no authentication configured: set SENSE_WRITEBACK_TOKENS (or a tokens file) "
                          "and/or oidc.discovery_url with oidc.audience")


def load_config(config_file: Optional[str], cli: Mapping[str, Any], env: Optional[Mapping[str, str]] = None) -> ReceiverConfig:
    env = os.environ if env is None else env
    return build_config(load_file(config_file or env.get(ENV_PREFIX + "CONFIG")), env, cli)
