"""Routing: which Sense entity (and which operation) each configured stream writes to."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from destination_sense.errors import ConfigError
from sense_api.entities import Entity, entity_for_name, valid_names
from destination_sense.mapping import PRESETS

StreamKey = Tuple[Optional[str], str]  # (namespace, name)

#: Sync modes that upsert through POST /v1/{collection}.
UPSERT_MODES = ("append", "append_dedup")
#: Partial update: PATCH /v1/{collection}/{id} with the fields present.
UPDATE_MODE = "update"
#: Soft delete: the entity is marked ``is_deleted`` (see docs/destination-sense.md).
SOFT_DELETE_MODE = "soft_delete"
SUPPORTED_MODES = UPSERT_MODES + (UPDATE_MODE, SOFT_DELETE_MODE)


def stream_label(key: StreamKey) -> str:
    namespace, name = key
    return f"{namespace}.{name}" if namespace else name


@dataclass(frozen=True)
class StreamRoute:
    key: StreamKey
    entity: Entity
    sync_mode: str
    mapping: Any = None  # a StreamMapping when a preset or override maps this stream

    @property
    def is_update(self) -> bool:
        return self.sync_mode == UPDATE_MODE

    @property
    def is_soft_delete(self) -> bool:
        return self.sync_mode == SOFT_DELETE_MODE

    @property
    def label(self) -> str:
        return stream_label(self.key)


def routes_from_catalog(catalog: Mapping[str, Any], mappings: Optional[Mapping[str, Any]] = None, supported_modes=SUPPORTED_MODES) -> Dict[StreamKey, StreamRoute]:
    """Map every configured stream to its entity; a stream that maps to nothing is a config error.

    ``destination_object_name`` wins (the platform has then already mapped the fields); else a
    preset/override mapping for the stream; else the stream's own name."""
    routes: Dict[StreamKey, StreamRoute] = {}
    unmapped: List[str] = []
    bad_modes: List[str] = []
    for configured in catalog.get("streams") or []:
        stream = configured.get("stream") or {}
        key: StreamKey = (stream.get("namespace") or None, stream.get("name") or "")
        object_name = configured.get("destination_object_name")
        mapping = None if object_name or mappings is None else mappings.lookup(key[1])
        target = object_name or key[1]
        entity = mapping.entity if mapping is not None else entity_for_name(target)
        if entity is None:
            unmapped.append(f"'{stream_label(key)}'" + (f" (destination_object_name '{target}')" if target != key[1] else ""))
            continue
        mode = configured.get("destination_sync_mode") or "append"
        if mode not in supported_modes:
            bad_modes.append(f"'{stream_label(key)}' uses destination_sync_mode '{mode}'")
            continue
        routes[key] = StreamRoute(key, entity, mode, mapping)
    if unmapped:
        presets = ", ".join(name for name in PRESETS if name != "none")
        raise ConfigError(
            f"Stream(s) {', '.join(unmapped)} do not match a Sense entity. In the config, set source_preset to the source's "
            f"preset ({presets}) or map the stream in mappings (the way to do it from PyAirbyte or any runner without "
            f"destination_object_name); or name the stream (or set its destination_object_name) after one of: "
            f"{valid_names()} (singular, plural, any case, with -, _ or spaces)."
        )
    if bad_modes:
        raise ConfigError(f"Unsupported sync mode: {'; '.join(bad_modes)}. Supported: {', '.join(supported_modes)}.")
    return routes
