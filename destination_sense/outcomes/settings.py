"""The sync-outcome options: their spec (merged into the connector's spec) and their parsed form.

``object_storage_config`` is shaped as Airbyte's data-activation destinations shape it, so the platform
can find the rejected records of a sync: ``storage_type`` (``None`` or ``S3``; the platform reads only
``S3``), ``s3_bucket_name``, ``s3_bucket_region``, ``bucket_path`` and ``s3_endpoint`` (for S3-compatible
stores such as MinIO or Ceph), with the credentials marked ``airbyte_secret``. ``Local`` writes the same
layout to a directory (``destination-sense`` outside Airbyte, the demo).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Literal, Mapping, Optional, get_args
from urllib.parse import urlparse

from destination_sense.errors import ConfigError

RecordResults = Literal["rejected_only", "all"]
RECORD_RESULTS = get_args(RecordResults)
STORAGE_NONE, STORAGE_S3, STORAGE_LOCAL = "None", "S3", "Local"
DEFAULT_MAX_REJECTED_PERCENT = 50
#: A stream is judged by ``max_rejected_percent`` once it has received this many records.
MIN_RECORDS_FOR_GUARD = 100
#: S3 bucket names: 3-63 lower-case letters, digits, dots and hyphens.
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


def _storage_type(value: str) -> Dict[str, Any]:
    return {"type": "string", "title": "Storage type", "const": value, "enum": [value], "default": value, "order": 0}


OBJECT_STORAGE_SPEC: Dict[str, Any] = {
    "type": "object",
    "title": "Sync outcomes storage",
    "description": "Where each sync writes its report (report.json) and every rejected record (gzip JSON Lines), and with "
    "record_results: all one result line per record. None: nothing is written. S3: an S3 bucket or an S3-compatible store "
    "(MinIO, Ceph). Local: a directory (destination-sense outside Airbyte, the demo).",
    "default": {"storage_type": STORAGE_NONE},
    "oneOf": [
        {
            "title": "None",
            "type": "object",
            "required": ["storage_type"],
            "properties": {"storage_type": _storage_type(STORAGE_NONE)},
        },
        {
            "title": "S3",
            "type": "object",
            "required": ["storage_type", "s3_bucket_name", "s3_bucket_region"],
            "properties": {
                "storage_type": _storage_type(STORAGE_S3),
                "s3_bucket_name": {"type": "string", "title": "S3 bucket name", "examples": ["sense-sync-outcomes"], "order": 1},
                "s3_bucket_region": {"type": "string", "title": "S3 bucket region", "examples": ["us-east-1"], "order": 2,
                                     "description": "The bucket's region (any value an S3-compatible store accepts, e.g. us-east-1)."},
                "bucket_path": {"type": "string", "title": "Bucket path", "examples": ["sense/outcomes"], "order": 3,
                                "description": "A prefix inside the bucket; each sync writes under <bucket_path>/<connection>/<start>-<run>/."},
                "s3_endpoint": {"type": "string", "title": "Endpoint", "examples": ["https://minio.example.com:9000"], "order": 4,
                                "description": "For S3-compatible stores (MinIO, Ceph): the endpoint URL. Empty: Amazon S3."},
                "access_key_id": {"type": "string", "title": "Access key ID", "airbyte_secret": True, "order": 5,
                                  "description": "Empty: the AWS_ACCESS_KEY_ID environment variable or the instance's IAM role."},
                "secret_access_key": {"type": "string", "title": "Secret access key", "airbyte_secret": True, "order": 6},
            },
        },
        {
            "title": "Local directory",
            "type": "object",
            "required": ["storage_type", "local_path"],
            "properties": {
                "storage_type": _storage_type(STORAGE_LOCAL),
                "local_path": {"type": "string", "title": "Directory", "examples": ["/local/sense-outcomes"], "order": 1,
                               "description": "A directory the connector can write to; created when missing."},
            },
        },
    ],
}

RECORD_RESULTS_SPEC: Dict[str, Any] = {
    "type": "string",
    "title": "Record results",
    "description": "rejected_only: the rejected records and the report. all: also one line per record (stream, id, entity, "
    "outcome, the request_id Sense gave the request that carried it, the time). Needs a sync outcomes storage.",
    "enum": list(RECORD_RESULTS),
    "default": "rejected_only",
}

MAX_REJECTED_PERCENT_SPEC: Dict[str, Any] = {
    "type": "integer",
    "title": "Maximum rejected share (%)",
    "description": f"A stream that has received at least {MIN_RECORDS_FOR_GUARD} records and has more than this share of them "
    "rejected fails the sync with a config error naming the stream and its top reasons (e.g. dates sent as epoch numbers "
    "while epoch_unit is reject), instead of ending green having delivered nothing. 100: off.",
    "minimum": 0,
    "maximum": 100,
    "default": DEFAULT_MAX_REJECTED_PERCENT,
}


@dataclass(frozen=True)
class StorageSettings:
    storage_type: str
    bucket: str = ""
    region: str = ""
    path: str = ""
    endpoint: str = ""  # scheme://host[:port]; empty: Amazon S3
    access_key_id: str = ""
    secret_access_key: str = ""
    local_path: str = ""

    def __repr__(self) -> str:  # never show the credentials
        return f"StorageSettings(storage_type={self.storage_type!r}, bucket={self.bucket!r}, path={self.path!r}, local_path={self.local_path!r})"

    @property
    def enabled(self) -> bool:
        return self.storage_type != STORAGE_NONE

    @property
    def root(self) -> str:
        """The root as shown to users: ``s3://bucket/path`` or the directory."""
        if self.storage_type == STORAGE_S3:
            return f"s3://{self.bucket}/{self.path}".rstrip("/")
        return self.local_path


@dataclass(frozen=True)
class OutcomeSettings:
    storage: StorageSettings
    record_results: str = "rejected_only"
    max_rejected_percent: int = DEFAULT_MAX_REJECTED_PERCENT


def secrets_of(config: Mapping[str, Any]) -> List[str]:
    """The storage credentials in a raw config, to be redacted from every output."""
    storage = config.get("object_storage_config") if isinstance(config, Mapping) else None
    if not isinstance(storage, Mapping):
        return []
    return [v for v in (storage.get("secret_access_key"), storage.get("access_key_id")) if isinstance(v, str) and v]


def parse_storage(value: Any) -> StorageSettings:
    if value is None:
        return StorageSettings(STORAGE_NONE)
    if not isinstance(value, Mapping):
        raise ConfigError("'object_storage_config' must be an object with a storage_type (None, S3 or Local).")
    kind = value.get("storage_type") or STORAGE_NONE
    kinds = {k.lower(): k for k in (STORAGE_NONE, STORAGE_S3, STORAGE_LOCAL)}
    if not isinstance(kind, str) or kind.lower() not in kinds:
        raise ConfigError(f"'object_storage_config.storage_type' must be one of None, S3, Local, got {kind!r}.")
    kind = kinds[kind.lower()]

    def text(name: str, required: bool = False) -> str:
        raw = value.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if required:
                raise ConfigError(f"'object_storage_config.{name}' is required with storage_type {kind}.")
            return ""
        if not isinstance(raw, str):
            raise ConfigError(f"'object_storage_config.{name}' must be a string.")
        return raw.strip()

    if kind == STORAGE_NONE:
        return StorageSettings(STORAGE_NONE)
    if kind == STORAGE_LOCAL:
        return StorageSettings(STORAGE_LOCAL, local_path=text("local_path", required=True))
    bucket = text("s3_bucket_name", required=True)
    if not _BUCKET_NAME.match(bucket):
        raise ConfigError(f"'object_storage_config.s3_bucket_name' {bucket!r} is not a bucket name (3-63 lower-case letters, digits, dots, hyphens).")
    endpoint = text("s3_endpoint").rstrip("/")
    if endpoint:
        parsed = urlparse(endpoint if "://" in endpoint else f"https://{endpoint}")
        if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.path not in ("", "/"):
            raise ConfigError(f"'object_storage_config.s3_endpoint' must be a URL such as https://minio.example.com:9000, got {endpoint!r}.")
        endpoint = f"{parsed.scheme}://{parsed.netloc}"
    key_id, secret = text("access_key_id"), text("secret_access_key")
    if bool(key_id) != bool(secret):
        raise ConfigError("'object_storage_config' needs both access_key_id and secret_access_key, or neither (then the environment's credentials).")
    return StorageSettings(
        STORAGE_S3, bucket=bucket, region=text("s3_bucket_region", required=True), path=text("bucket_path").strip("/"),
        endpoint=endpoint, access_key_id=key_id, secret_access_key=secret,
    )


def parse(config: Mapping[str, Any]) -> OutcomeSettings:
    storage = parse_storage(config.get("object_storage_config"))
    results = config.get("record_results") or RECORD_RESULTS_SPEC["default"]
    if results not in RECORD_RESULTS:
        raise ConfigError(f"'record_results' must be one of {', '.join(RECORD_RESULTS)}, got {results!r}.")
    if results == "all" and not storage.enabled:
        raise ConfigError("'record_results: all' needs an object_storage_config (S3 or Local) to write the results to.")
    percent = config.get("max_rejected_percent")
    if percent is None:
        percent = DEFAULT_MAX_REJECTED_PERCENT
    if isinstance(percent, bool) or not isinstance(percent, (int, float)) or int(percent) != percent or not 0 <= percent <= 100:
        raise ConfigError(f"'max_rejected_percent' must be an integer between 0 and 100 (100: off), got {percent!r}.")
    return OutcomeSettings(storage, results, int(percent))
