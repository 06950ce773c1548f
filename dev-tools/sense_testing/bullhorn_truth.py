"""What Sense must hold after a sync of the bullhorn-emulator's picklists and files (``source_preset: bullhorn``).

Checked by the direct chain (``integration_tests/test_chain_files.py``) and the PyAirbyte chain alike:
``picklists_stored`` compares every mapped picklist field's possible values in the Sense emulator with
the Bullhorn emulator's options; ``acceptable_resume`` is whether a Bullhorn file is one Sense accepts.
"""
from __future__ import annotations

from typing import Any, Dict

import requests

from bullhorn_emulator.data import ENTITY_FIELDS
from bullhorn_emulator.picklists import PICKLIST_KINDS, options
from destination_sense.mapping import build_mappings, load_preset
from destination_sense.sinks.possible_values import PresetTranslator
from sense_api.limits import MAX_RESUME_BYTES, RESUME_EXTENSIONS


def acceptable_resume(attachment: Dict[str, Any]) -> bool:
    """A Bullhorn file attachment Sense stores as a resume (an accepted extension, at most 4 MB)."""
    return attachment["fileExtension"].lstrip(".") in RESUME_EXTENSIONS and attachment["fileSize"] <= MAX_RESUME_BYTES


def picklists_stored(sense) -> int:
    """Assert each mapped picklist field's possible values in Sense are the Bullhorn options; the number checked."""
    translate = PresetTranslator("bullhorn", load_preset("bullhorn")["possible_values"]["entities"], build_mappings("bullhorn"))
    checked = 0
    for entity, spec in ENTITY_FIELDS.items():
        for name, kind in spec:
            targets, problem = translate(entity, name)
            if problem or kind not in PICKLIST_KINDS:
                continue
            for target, field in targets:
                response = requests.get(f"{sense.api_url}/{target.collection}/possible-values/{field}", headers=sense.auth_headers(), timeout=10)
                stored = [{"label": v["label"], "value": v["value"]} for v in response.json()["data"]["values"]]
                assert stored == options(kind), (entity, name)
                checked += 1
    return checked
