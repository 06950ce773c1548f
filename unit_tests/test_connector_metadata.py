"""Both connectors' metadata.yaml validate against Airbyte's connector metadata schema.

The schema files are copies from Airbyte's repository (unit_tests/airbyte_metadata_schema/SOURCE.md, which
also describes the known gap: the obtainable copy of the top-level schema predates some current fields).
"""
from pathlib import Path

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = Path(__file__).resolve().parent / "airbyte_metadata_schema"
METADATA_FILES = [ROOT / "metadata.yaml", ROOT / "source_ats" / "metadata.yaml"]

#: Fields Airbyte's connectors set today that the copied top-level schema predates, with how each is checked:
#: a schema file of the copy, or a JSON schema written here.
NEWER_FIELDS = {
    "supportsRefreshes": {"type": "boolean"},
    "supportsFileTransfer": {"type": "boolean"},
    "supportsDataActivation": {"type": "boolean"},
    "connectorTestSuitesOptions": {"type": "array", "minItems": 1, "items": {"$ref": "ConnectorTestSuiteOptions.yaml"}},
    "registryOverrides": {
        "type": "object", "additionalProperties": False,
        "properties": {"oss": {"$ref": "RegistryOverrides.yaml"}, "cloud": {"$ref": "RegistryOverrides.yaml"}},
    },
    "remoteRegistries": {
        "type": "object", "additionalProperties": False,
        "properties": {"pypi": {"type": "object", "additionalProperties": False, "required": ["enabled", "packageName"],
                                "properties": {"enabled": {"type": "boolean"}, "packageName": {"type": "string", "pattern": "^airbyte-"}}}},
    },
    "ab_internal": {
        "type": "object", "required": ["sl", "ql"],
        "properties": {"sl": {"enum": [0, 100, 200, 300]}, "ql": {"enum": [0, 100, 200, 300, 400, 500, 600]}},
    },
}


BASE = "https://schemas.invalid/"


def _registry() -> Registry:
    """Every copied file by its name, next to each of the ``$id`` directories the files name.

    The files refer to each other by file name (``"$ref": ReleaseStage.yaml``), resolved against the
    ``$id`` of the referring file, and those ``$id`` do not all name the same directory."""
    contents = {path.name: yaml.safe_load(path.read_text()) for path in SCHEMAS.glob("*.yaml")}
    bases = {BASE} | {doc["$id"].rsplit("/", 1)[0] + "/" for doc in contents.values() if "$id" in doc}
    return Registry().with_resources(
        (base + name, Resource.from_contents(doc)) for base in bases for name, doc in contents.items()
    )


def _validate(instance, schema, registry) -> None:
    resource = Resource.from_contents({"$schema": "http://json-schema.org/draft-07/schema#", **schema})
    registry = registry.with_resource(BASE + "test.yaml", resource)
    validator = jsonschema.Draft7Validator(
        {"$ref": BASE + "test.yaml"}, registry=registry, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def _split(path: Path):
    metadata = yaml.safe_load(path.read_text())
    data = dict(metadata["data"])
    newer = {key: data.pop(key) for key in list(data) if key in NEWER_FIELDS}
    releases = data.pop("releases", None)
    return metadata, data, newer, releases


@pytest.mark.parametrize("path", METADATA_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_metadata_validates_against_airbytes_schema(path):
    registry = _registry()
    metadata, data, newer, releases = _split(path)
    top = yaml.safe_load((SCHEMAS / "ConnectorMetadataDefinitionV0.yaml").read_text())
    # every other field, against the copied top-level schema (strict: it allows no unknown field)
    _validate({**metadata, "data": data}, top, registry)
    for key, value in newer.items():
        _validate(value, NEWER_FIELDS[key], registry)
    if releases is not None:
        extra = set(releases) - {"rolloutConfiguration", "breakingChanges", "migrationDocumentationUrl", "isReleaseCandidate"}
        assert not extra, extra
        if "breakingChanges" in releases:
            _validate(releases, {"$ref": "ConnectorReleases.yaml"}, registry)
        else:  # the copied ConnectorReleases.yaml requires breakingChanges, which a first release has none of
            _validate(releases["rolloutConfiguration"], {"$ref": "RolloutConfiguration.yaml"}, registry)


def test_the_schema_check_rejects_what_airbyte_rejects():
    """The validation above is not vacuous: the copied schemas reject real mistakes."""
    registry = _registry()
    metadata, data, newer, _ = _split(ROOT / "metadata.yaml")
    top = yaml.safe_load((SCHEMAS / "ConnectorMetadataDefinitionV0.yaml").read_text())
    for broken in ({**data, "releaseStage": "stable"}, {**data, "connectorType": "sink"}, {**data, "releaseDate": "28 Nov 2026"}, {**data, "supportLevels": "community"},
                   {k: v for k, v in data.items() if k != "githubIssueLabel"},
                   {**data, "resourceRequirements": {"jobSpecific": [{"jobType": "write", "resourceRequirements": {}}]}}):
        with pytest.raises(AssertionError):
            _validate({**metadata, "data": broken}, top, registry)
    with pytest.raises(AssertionError):
        _validate([{"suite": "smokeTests"}], NEWER_FIELDS["connectorTestSuitesOptions"], registry)


@pytest.mark.parametrize("path", METADATA_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_metadata_has_what_airbytes_own_api_connectors_have(path):
    data = yaml.safe_load(path.read_text())["data"]
    assert {"connectorTestSuitesOptions", "releases", "connectorBuildOptions"} <= set(data)
    if data["connectorType"] == "destination":
        assert data["supportsRefreshes"] is True
        assert data["resourceRequirements"]["jobSpecific"][0]["jobType"] == "sync"
