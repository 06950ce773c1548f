"""The connector's configuration: its Airbyte spec and the parsed, checked config object.

The spec (names, defaults, bounds) lives here and only here; ``SenseConfig.from_mapping`` applies
the same defaults and bounds to a user's config and raises ``ConfigError`` with an actionable
message when a value is out of range.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlparse

from destination_sense.errors import ConfigError
from destination_sense.limits import MAX_BATCH_COMPRESSED_BYTES, MAX_BATCH_RECORDS
from destination_sense.mapping import DEFAULT_PRESET, PRESETS

DEFAULT_API_URL = "https://partner-api.sensehq.com/v1"
DEFAULT_TOKEN_URL = "https://partner-auth.sensehq.com/oauth2/token"
DEFAULT_FLUSH_INTERVAL_SECONDS = 300
DEFAULT_RETRY_MAX_SECONDS = 600
INVALID_RECORD_POLICIES = ("skip", "fail")

CONNECTION_SPECIFICATION = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Sense Destination Spec",
    "type": "object",
    "required": ["client_id", "client_secret"],
    "additionalProperties": True,
    "properties": {
        "client_id": {
            "type": "string",
            "title": "Client ID",
            "description": "OAuth client ID provided by the Sense team for your agency.",
            "order": 0,
        },
        "client_secret": {
            "type": "string",
            "title": "Client secret",
            "description": "OAuth client secret provided by the Sense team.",
            "airbyte_secret": True,
            "order": 1,
        },
        "api_url": {
            "type": "string",
            "title": "API URL",
            "description": "Base URL of the Sense partner API, including the version path.",
            "default": DEFAULT_API_URL,
            "examples": [DEFAULT_API_URL],
            "order": 2,
        },
        "token_url": {
            "type": "string",
            "title": "Token URL",
            "description": "OAuth 2.0 token endpoint (client credentials grant).",
            "default": DEFAULT_TOKEN_URL,
            "examples": [DEFAULT_TOKEN_URL],
            "order": 3,
        },
        "batch_size": {
            "type": "integer",
            "title": "Batch size",
            "description": f"Maximum records per request (1-{MAX_BATCH_RECORDS}). Sense accepts at most {MAX_BATCH_RECORDS}.",
            "minimum": 1,
            "maximum": MAX_BATCH_RECORDS,
            "default": MAX_BATCH_RECORDS,
            "order": 4,
        },
        "max_batch_bytes": {
            "type": "integer",
            "title": "Maximum compressed batch size (bytes)",
            "description": f"Maximum gzip-compressed request body. Sense accepts at most {MAX_BATCH_COMPRESSED_BYTES:,} bytes.",
            "minimum": 1024,
            "maximum": MAX_BATCH_COMPRESSED_BYTES,
            "default": MAX_BATCH_COMPRESSED_BYTES,
            "order": 5,
        },
        "flush_interval_seconds": {
            "type": "integer",
            "title": "Flush interval (seconds)",
            "description": "A partly filled batch is sent once its oldest record has waited this long.",
            "minimum": 1,
            "maximum": 3600,
            "default": DEFAULT_FLUSH_INTERVAL_SECONDS,
            "order": 6,
        },
        "on_invalid_record": {
            "type": "string",
            "title": "On invalid record",
            "description": "skip: count, report and skip records Sense would reject; fail: stop the sync at the first one.",
            "enum": list(INVALID_RECORD_POLICIES),
            "default": "skip",
            "order": 7,
        },
        "dry_run": {
            "type": "boolean",
            "title": "Dry run",
            "description": "Validate and batch everything, but send nothing to Sense.",
            "default": False,
            "order": 8,
        },
        "source_preset": {
            "type": "string",
            "title": "Source preset",
            "description": "How records are turned into Sense entities: 'none' when streams already carry Sense field names, "
            "or the preset of an ATS source (bullhorn = source-ats; greenhouse, lever, ashby, workable = Airbyte's sources). See docs/mapping.md.",
            "enum": list(PRESETS),
            "default": DEFAULT_PRESET,
            "order": 10,
        },
        "mappings": {
            "type": "string",
            "title": "Mapping overrides (JSON)",
            "description": 'Optional JSON object extending or replacing the preset per stream: {"<stream>": {"entity": "candidates", '
            '"fields": {"first_name": "givenName", "internal_user_id": "owner.id"}, "replace": false}}. See docs/mapping.md.',
            "order": 11,
        },
        "retry_max_seconds": {
            "type": "integer",
            "title": "Retry budget (seconds)",
            "description": "How long one request may keep being retried (429, 5xx, timeouts, connection errors) before the sync fails with a transient error.",
            "minimum": 1,
            "maximum": 86400,
            "default": DEFAULT_RETRY_MAX_SECONDS,
            "order": 9,
        },
    },
}


@dataclass(frozen=True)
class SenseConfig:
    client_id: str
    client_secret: str
    api_url: str = DEFAULT_API_URL
    token_url: str = DEFAULT_TOKEN_URL
    batch_size: int = MAX_BATCH_RECORDS
    max_batch_bytes: int = MAX_BATCH_COMPRESSED_BYTES
    flush_interval_seconds: float = DEFAULT_FLUSH_INTERVAL_SECONDS
    on_invalid_record: str = "skip"
    dry_run: bool = False
    retry_max_seconds: float = DEFAULT_RETRY_MAX_SECONDS
    source_preset: str = DEFAULT_PRESET
    mappings: Any = None

    def __repr__(self) -> str:  # never show the secret
        return f"SenseConfig(client_id={self.client_id!r}, api_url={self.api_url!r}, token_url={self.token_url!r})"

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> "SenseConfig":
        def text(name: str, default: str | None = None) -> str:
            value = config.get(name, default)
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"'{name}' is required and must be a non-empty string.")
            return value.strip()

        def integer(name: str, default: int, low: int, high: int) -> int:
            value = config.get(name, default)
            if value is None:
                value = default
            if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
                raise ConfigError(f"'{name}' must be an integer between {low} and {high}, got {value!r}.")
            if not low <= value <= high:
                raise ConfigError(f"'{name}' must be between {low} and {high}, got {value}.")
            return int(value)

        props = CONNECTION_SPECIFICATION["properties"]
        api_url = text("api_url", DEFAULT_API_URL).rstrip("/")
        token_url = text("token_url", DEFAULT_TOKEN_URL)
        for name, url in (("api_url", api_url), ("token_url", token_url)):
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ConfigError(f"'{name}' must be an http(s) URL such as {props[name]['default']}, got {url!r}.")
        policy = config.get("on_invalid_record", "skip") or "skip"
        if policy not in INVALID_RECORD_POLICIES:
            raise ConfigError(f"'on_invalid_record' must be one of {', '.join(INVALID_RECORD_POLICIES)}, got {policy!r}.")
        dry_run = config.get("dry_run", False)
        if not isinstance(dry_run, bool):
            raise ConfigError(f"'dry_run' must be true or false, got {dry_run!r}.")
        return cls(
            client_id=text("client_id"),
            client_secret=text("client_secret"),
            api_url=api_url,
            token_url=token_url,
            batch_size=integer("batch_size", MAX_BATCH_RECORDS, 1, MAX_BATCH_RECORDS),
            max_batch_bytes=integer("max_batch_bytes", MAX_BATCH_COMPRESSED_BYTES, props["max_batch_bytes"]["minimum"], MAX_BATCH_COMPRESSED_BYTES),
            flush_interval_seconds=integer("flush_interval_seconds", DEFAULT_FLUSH_INTERVAL_SECONDS, 1, 3600),
            on_invalid_record=policy,
            dry_run=dry_run,
            retry_max_seconds=integer("retry_max_seconds", DEFAULT_RETRY_MAX_SECONDS, 1, 86400),
            source_preset=config.get("source_preset") or DEFAULT_PRESET,
            mappings=config.get("mappings") or None,
        )

    def mapping_table(self):
        """The compiled mappings (``ConfigError`` for an unknown preset or a bad override)."""
        from destination_sense.mapping import build_mappings

        return build_mappings(self.source_preset, self.mappings)
