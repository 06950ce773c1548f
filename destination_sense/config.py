"""The connector's configuration: its Airbyte spec and the parsed, checked config object.

Each option is declared once, in ``CONNECTION_SPECIFICATION`` (type, default, bounds; the
enumerations from the ``Literal`` types below): ``SenseConfig.from_mapping`` reads its defaults,
bounds and allowed values from that same spec and raises ``ConfigError`` with an actionable message
when a value is out of range.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Mapping, get_args
from urllib.parse import urlparse

from destination_sense.errors import ConfigError
from destination_sense.mapping import DEFAULT_PRESET, PRESETS, build_mappings, load_preset
from destination_sense.outcomes import settings as outcomes_settings
from sense_api.limits import MAX_BATCH_COMPRESSED_BYTES, MAX_BATCH_RECORDS

DEFAULT_API_URL = "https://partner-api.sensehq.com/v1"
DEFAULT_TOKEN_URL = "https://partner-auth.sensehq.com/oauth2/token"
DEFAULT_FLUSH_INTERVAL_SECONDS = 300
DEFAULT_RETRY_MAX_SECONDS = 300
DEFAULT_MAX_RETRIES = 5
DEFAULT_STATE_DELAY_SECONDS = 5
InvalidRecordPolicy = Literal["skip", "fail"]
UnreadableLinePolicy = Literal["fail", "skip"]
NonFinitePolicy = Literal["reject", "null"]
#: How a number in a date or date-time field is read; "reject": numbers are not dates.
EpochUnit = Literal["seconds", "milliseconds", "reject"]
INVALID_RECORD_POLICIES = get_args(InvalidRecordPolicy)
UNREADABLE_LINE_POLICIES = get_args(UnreadableLinePolicy)
NON_FINITE_POLICIES = get_args(NonFinitePolicy)
EPOCH_UNITS = get_args(EpochUnit)

CONNECTION_SPECIFICATION = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Sense Destination Spec",
    "type": "object",
    "required": ["client_id", "client_secret"],
    "additionalProperties": True,
    # Airbyte's connector form shows one card per group, in this order; in each card the fields follow
    # their ``order``, the optional ones collapsed under "Optional fields" unless marked ``always_show``.
    "groups": [
        {"id": "connection", "title": "Connection"},
        {"id": "mapping", "title": "Mapping"},
        {"id": "data_handling", "title": "Data handling"},
        {"id": "delivery", "title": "Delivery and retries"},
        {"id": "outcomes", "title": "Sync outcomes"},
    ],
    "properties": {
        "client_id": {
            "type": "string",
            "title": "Client ID",
            "description": "OAuth client ID provided by the Sense team for your agency.",
            "group": "connection",
            "order": 0,
        },
        "client_secret": {
            "type": "string",
            "title": "Client secret",
            "description": "OAuth client secret provided by the Sense team.",
            "airbyte_secret": True,
            "group": "connection",
            "order": 1,
        },
        "api_url": {
            "type": "string",
            "title": "API URL",
            "description": "Base URL of the Sense partner API, including the version path.",
            "default": DEFAULT_API_URL,
            "examples": [DEFAULT_API_URL],
            "group": "connection",
            "order": 2,
        },
        "token_url": {
            "type": "string",
            "title": "Token URL",
            "description": "OAuth 2.0 token endpoint (client credentials grant).",
            "default": DEFAULT_TOKEN_URL,
            "examples": [DEFAULT_TOKEN_URL],
            "group": "connection",
            "order": 3,
        },
        "batch_size": {
            "type": "integer",
            "title": "Batch size",
            "description": f"Maximum records per request (1-{MAX_BATCH_RECORDS}). Sense accepts at most {MAX_BATCH_RECORDS}.",
            "minimum": 1,
            "maximum": MAX_BATCH_RECORDS,
            "default": MAX_BATCH_RECORDS,
            "group": "delivery",
            "order": 11,
        },
        "max_batch_bytes": {
            "type": "integer",
            "title": "Maximum compressed batch size (bytes)",
            "description": f"Maximum gzip-compressed request body. Sense accepts at most {MAX_BATCH_COMPRESSED_BYTES:,} bytes.",
            "minimum": 1024,
            "maximum": MAX_BATCH_COMPRESSED_BYTES,
            "default": MAX_BATCH_COMPRESSED_BYTES,
            "group": "delivery",
            "order": 12,
        },
        "flush_interval_seconds": {
            "type": "integer",
            "title": "Flush interval (seconds)",
            "description": "A partly filled batch is sent once its oldest record has waited this long.",
            "minimum": 1,
            "maximum": 3600,
            "default": DEFAULT_FLUSH_INTERVAL_SECONDS,
            "group": "delivery",
            "order": 13,
        },
        "on_invalid_record": {
            "type": "string",
            "title": "On invalid record",
            "description": "skip: count, report and skip records Sense would reject; fail: stop the sync at the first one.",
            "enum": list(INVALID_RECORD_POLICIES),
            "default": "skip",
            "group": "data_handling",
            "order": 7,
            "always_show": True,
        },
        "dry_run": {
            "type": "boolean",
            "title": "Dry run",
            "description": "Validate and batch everything, but send nothing to Sense.",
            "default": False,
            "group": "delivery",
            "order": 10,
            "always_show": True,
        },
        "source_preset": {
            "type": "string",
            "title": "Source preset",
            "description": "How records are turned into Sense entities: 'none' when streams already carry Sense field names, "
            "or the preset of an ATS source (bullhorn = source-ats; greenhouse, lever, ashby, workable = Airbyte's sources). See docs/mapping.md.",
            "enum": list(PRESETS),
            "default": DEFAULT_PRESET,
            "group": "mapping",
            "order": 4,
            "always_show": True,
        },
        "mappings": {
            "type": "string",
            "title": "Mapping overrides (JSON)",
            "description": 'Optional JSON object extending or replacing the preset per stream: {"<stream>": {"entity": "candidates", '
            '"fields": {"first_name": "givenName", "internal_user_id": "owner.id"}, "replace": false}}. See docs/mapping.md.',
            "group": "mapping",
            "order": 5,
        },
        "retry_max_seconds": {
            "type": "integer",
            "title": "Retry budget (seconds)",
            "description": "How long one request may keep being retried (429, 5xx, timeouts, connection errors) before the sync fails with a transient error.",
            "minimum": 1,
            "maximum": 86400,
            "default": DEFAULT_RETRY_MAX_SECONDS,
            "group": "delivery",
            "order": 15,
        },
        "max_retries": {
            "type": "integer",
            "title": "Retries per request",
            "description": "How often one request is retried after a 5xx, a timeout or a connection error (exponential backoff from 1 s). "
            "429 answers have their own, larger allowance; the retry budget bounds both.",
            "minimum": 0,
            "maximum": 20,
            "default": DEFAULT_MAX_RETRIES,
            "group": "delivery",
            "order": 16,
        },
        "epoch_unit": {
            "type": "string",
            "title": "Epoch unit of numeric dates",
            "description": "How a number (or a string of digits) in a date or date-time field is read: seconds or milliseconds since "
            "1970-01-01 UTC, or reject (numbers are not dates). Never guessed from the magnitude. Default: the source preset's unit "
            "(bullhorn and lever: milliseconds), else reject.",
            "enum": list(EPOCH_UNITS),
            "group": "mapping",
            "order": 6,
        },
        "non_finite_numbers": {
            "type": "string",
            "title": "NaN and Infinity",
            "description": "reject: a record with NaN or Infinity in a field is rejected, naming the field; null: such values are sent as null.",
            "enum": list(NON_FINITE_POLICIES),
            "default": "reject",
            "group": "data_handling",
            "order": 8,
        },
        "on_unreadable_line": {
            "type": "string",
            "title": "On unreadable input line",
            "description": "An input line that is not an Airbyte message (not JSON, or a malformed envelope) and cannot be tied to a stream: "
            "fail stops the sync naming the line; skip counts it, logs it and summarises the count at the end.",
            "enum": list(UNREADABLE_LINE_POLICIES),
            "default": "fail",
            "group": "data_handling",
            "order": 9,
        },
        "state_delay_seconds": {
            "type": "integer",
            "title": "State delay (seconds)",
            "description": "A STATE is echoed once every record before it is accepted; batches are kept filling across states for at most "
            "this long, so a source that checkpoints after every record does not cause one request per record. 0: flush at every state.",
            "minimum": 0,
            "maximum": 3600,
            "default": DEFAULT_STATE_DELAY_SECONDS,
            "group": "delivery",
            "order": 14,
        },
        # sync outcomes: rejected records, per-record results, the report (destination_sense.outcomes)
        "object_storage_config": {**outcomes_settings.OBJECT_STORAGE_SPEC, "group": "outcomes", "order": 17, "always_show": True},
        "record_results": {**outcomes_settings.RECORD_RESULTS_SPEC, "group": "outcomes", "order": 18},
        "max_rejected_percent": {**outcomes_settings.MAX_REJECTED_PERCENT_SPEC, "group": "outcomes", "order": 19, "always_show": True},
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
    flush_interval_seconds: int = DEFAULT_FLUSH_INTERVAL_SECONDS
    on_invalid_record: InvalidRecordPolicy = "skip"
    dry_run: bool = False
    retry_max_seconds: int = DEFAULT_RETRY_MAX_SECONDS
    source_preset: str = DEFAULT_PRESET
    mappings: Any = None
    max_retries: int = DEFAULT_MAX_RETRIES
    epoch_unit: EpochUnit = "reject"
    non_finite_numbers: NonFinitePolicy = "reject"
    on_unreadable_line: UnreadableLinePolicy = "fail"
    state_delay_seconds: int = DEFAULT_STATE_DELAY_SECONDS
    outcomes: outcomes_settings.OutcomeSettings = outcomes_settings.OutcomeSettings(outcomes_settings.StorageSettings("None"))

    def __repr__(self) -> str:  # never show the secret
        return f"SenseConfig(client_id={self.client_id!r}, api_url={self.api_url!r}, token_url={self.token_url!r})"

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> "SenseConfig":
        def text(name: str, default: str | None = None) -> str:
            value = config.get(name, default)
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"'{name}' is required and must be a non-empty string.")
            return value.strip()

        props = CONNECTION_SPECIFICATION["properties"]

        def integer(name: str) -> int:
            """An integer option, with the spec's default and bounds."""
            default, low, high = props[name]["default"], props[name]["minimum"], props[name]["maximum"]
            value = config.get(name, default)
            if value is None:
                value = default
            if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
                raise ConfigError(f"'{name}' must be an integer between {low} and {high}, got {value!r}.")
            if not low <= value <= high:
                raise ConfigError(f"'{name}' must be between {low} and {high}, got {value}.")
            return int(value)

        api_url = text("api_url", DEFAULT_API_URL).rstrip("/")
        token_url = text("token_url", DEFAULT_TOKEN_URL)
        for name, url in (("api_url", api_url), ("token_url", token_url)):
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ConfigError(f"'{name}' must be an http(s) URL such as {props[name]['default']}, got {url!r}.")

        def choice(name: str, default: Any = None):
            """An enumerated option, with the spec's values and (unless given) default."""
            allowed = props[name]["enum"]
            value = config.get(name) or (default if default is not None else props[name]["default"])
            if value not in allowed:
                raise ConfigError(f"'{name}' must be one of {', '.join(allowed)}, got {value!r}.")
            return value

        preset = config.get("source_preset") or DEFAULT_PRESET
        preset_unit = load_preset(preset).get("epoch_unit", "reject") if preset in PRESETS else "reject"
        dry_run = config.get("dry_run", False)
        if not isinstance(dry_run, bool):
            raise ConfigError(f"'dry_run' must be true or false, got {dry_run!r}.")
        return cls(
            client_id=text("client_id"),
            client_secret=text("client_secret"),
            api_url=api_url,
            token_url=token_url,
            batch_size=integer("batch_size"),
            max_batch_bytes=integer("max_batch_bytes"),
            flush_interval_seconds=integer("flush_interval_seconds"),
            on_invalid_record=choice("on_invalid_record"),
            dry_run=dry_run,
            retry_max_seconds=integer("retry_max_seconds"),
            source_preset=preset,
            mappings=config.get("mappings") or None,
            max_retries=integer("max_retries"),
            epoch_unit=choice("epoch_unit", preset_unit),
            non_finite_numbers=choice("non_finite_numbers"),
            on_unreadable_line=choice("on_unreadable_line"),
            state_delay_seconds=integer("state_delay_seconds"),
            outcomes=outcomes_settings.parse(config),
        )

    def mapping_table(self):
        """The compiled mappings (``ConfigError`` for an unknown preset or a bad override)."""
        return build_mappings(self.source_preset, self.mappings)
