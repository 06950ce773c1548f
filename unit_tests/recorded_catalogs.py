"""The recorded catalogs of the real Airbyte ATS sources (``unit_tests/source_catalogs/``).

Written by ``scripts/record_source_catalogs.py`` (discover of the PyPI packages, or a published
manifest); read by the preset tests. A preset's name is the ``source`` the catalog records.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Dict, List

CATALOG_DIR = Path(__file__).resolve().parent / "source_catalogs"


@lru_cache(maxsize=None)
def catalogs() -> List[dict]:
    """Every recorded catalog, with ``file`` (its name) added."""
    out = []
    for path in sorted(CATALOG_DIR.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        document["file"] = path.name
        out.append(document)
    return out


def catalogs_for(source: str) -> List[dict]:
    return [c for c in catalogs() if c["source"] == source]


def label(catalog: dict) -> str:
    """``"<package> <version>"``: how a preset's ``source_versions`` names a catalog."""
    return f"{catalog['package']} {catalog['version']}"


def stream_names(catalog: dict) -> List[str]:
    """Every stream of the catalog, also those recorded without a schema."""
    return sorted(set(catalog["streams"]) | set(catalog.get("streams_without_schema", [])))


def by_label() -> Dict[str, dict]:
    return {label(c): c for c in catalogs()}
