"""``check``: can this configuration reach Sense? One token request and one read, a status and a reason.

With an ``object_storage_config``, check also writes and deletes a small object there: a sync must not
start that could not store its rejected records (``outcomes.storage.probe`` names the problem).

Plain data in and out (no Airbyte CDK): the console script prints the result as a CONNECTION_STATUS
message.
"""
from __future__ import annotations

import uuid
from typing import Any, Mapping, Optional, Tuple

import orjson

from destination_sense.config import SenseConfig
from sense_api.entities import ENTITIES
from destination_sense.errors import ConfigError, SenseError, TransientError
from destination_sense.outcomes.storage import StorageError, open_store, probe
from destination_sense.send.http_client import build_client
from destination_sense.send.retry import RetryPolicy

CHECK_RETRY_SECONDS = 10.0  # check must answer quickly
CHECK_ENTITY_ID = "0"


def check_connection(config: Mapping[str, Any]) -> Tuple[bool, Optional[str]]:
    """``(True, None)`` when Sense answers as Sense, else ``(False, reason)``; never raises."""
    try:
        parsed = SenseConfig.from_mapping(config)
        parsed.mapping_table()  # an unknown preset or a bad override fails here, before any request
        client = build_client(parsed, None, RetryPolicy(max_elapsed=CHECK_RETRY_SECONDS, base_delay=0.5))
        client.tokens.get()
        response = client.get_entity(ENTITIES[0].collection, CHECK_ENTITY_ID)
        if response.status_code in (200, 400, 404):
            try:
                body = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                body = None
            if isinstance(body, dict) and ({"data", "errors", "resource_id"} & set(body)):
                return _check_storage(parsed)
            return False, (
                f"{parsed.api_url} answered HTTP {response.status_code} without the Sense API's answer ({{data, errors, resource_id}}): check api_url "
                f"(expected e.g. https://partner-api.sensehq.com/v1)."
            )
        return False, f"The Sense API at {parsed.api_url} answered HTTP {response.status_code} to a test request."
    except ConfigError as exc:
        return False, str(exc)
    except TransientError as exc:
        return False, f"Sense could not be reached: {exc}"
    except SenseError as exc:
        return False, str(exc)
    except Exception as exc:  # noqa: BLE001 - check must answer, never crash
        return False, f"Unexpected error: {type(exc).__name__}: {exc}"


def _check_storage(parsed: SenseConfig) -> Tuple[bool, Optional[str]]:
    """``(True, None)`` when no outcomes storage is configured or it is writable, else why not."""
    store = open_store(parsed.outcomes.storage, RetryPolicy(max_elapsed=CHECK_RETRY_SECONDS, base_delay=0.5, max_retries=2))
    if store is None:
        return True, None
    try:
        probe(store, f".destination-sense-check-{uuid.uuid4().hex[:12]}")
    except StorageError as exc:
        return False, f"Sense answered, but the sync outcomes storage is not writable: {exc}"
    return True, None
