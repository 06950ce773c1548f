"""A connector's metadata.yaml checked against Airbyte's connector metadata schema.

The schema files are copies of Airbyte's published connector metadata schema (``airbyte_metadata_schema/SOURCE.md``
says from where). ``sense_testing.distribution.connector_problems`` calls ``metadata_errors`` for each connector.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import jsonschema
import yaml
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parent / "airbyte_metadata_schema"
BASE = "https://schemas.invalid/"

def registry() -> Registry:
    """Every copied file by its name, next to each of the ``$id`` directories the files name.

    The files refer to each other by file name (``"$ref": ReleaseStage.yaml``), resolved against the
    ``$id`` of the referring file, and those ``$id`` do not all name the same directory."""
    contents = {path.name: yaml.safe_load(path.read_text()) for path in SCHEMAS.glob("*.yaml")}
    bases = {BASE} | {doc["$id"].rsplit("/", 1)[0] + "/" for doc in contents.values() if "$id" in doc}
    return Registry().with_resources(
        (base + name, Resource.from_contents(doc)) for base in bases for name, doc in contents.items()
    )


def schema_errors(instance: Any, schema: Dict[str, Any], reg: Registry) -> List[str]:
    """``instance`` against ``schema`` (which may ``$ref`` the copied files), as "path: message" lines."""
    resource = Resource.from_contents({"$schema": "http://json-schema.org/draft-07/schema#", **schema})
    reg = reg.with_resource(BASE + "test.yaml", resource)
    validator = jsonschema.Draft7Validator(
        {"$ref": BASE + "test.yaml"}, registry=reg, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    return [f"{list(e.path)}: {e.message}" for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.path))]


def top_level_schema() -> Dict[str, Any]:
    return yaml.safe_load((SCHEMAS / "ConnectorMetadataDefinitionV0.yaml").read_text())


def metadata_errors(metadata: Dict[str, Any]) -> List[str]:
    """Every way a parsed metadata.yaml breaks Airbyte's schema; empty when it validates."""
    return schema_errors(metadata, top_level_schema(), registry())


def load(path: Path) -> Dict[str, Any]:
    return yaml.safe_load(Path(path).read_text())
