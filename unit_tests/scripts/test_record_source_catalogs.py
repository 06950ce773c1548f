"""scripts/record_source_catalogs.py: the recorded-catalog format and the published-manifest mode.

The PyPI mode installs real packages and needs the network, so it runs outside the tests; what it
wrote is checked here (format, one file per package version) and used by the preset tests.
"""
import importlib.util
import json
from pathlib import Path

import pytest
import yaml

from unit_tests.recorded_catalogs import CATALOG_DIR, catalogs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def script(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("record_source_catalogs", ROOT / "scripts" / "record_source_catalogs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUTPUT", tmp_path / "out")
    monkeypatch.setattr(module, "ROOT", tmp_path)
    return module


def test_manifest_mode_records_every_stream_name_and_the_schemas_it_has(script, tmp_path):
    manifest = {
        "version": "7.0.0",
        "definitions": {"streams": {"jobs": {"type": "DeclarativeStream", "name": "jobs"}}},
        "streams": [{"$ref": "#/definitions/streams/jobs"}, {"type": "DeclarativeStream", "name": "users"}],
        "metadata": {"autoImportSchema": {"jobs": False, "users": False, "tags": False}},
        "schemas": {"jobs": {"type": "object", "properties": {"id": {"type": "integer"}}},
                    "users": {"type": "object", "properties": {"name": {"type": ["null", "string"]}}}},
    }
    metadata = {"data": {"dockerImageTag": "2.1.0", "dockerRepository": "airbyte/source-greenhouse",
                         "remoteRegistries": {"pypi": {"enabled": False}}}}
    (tmp_path / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    (tmp_path / "metadata.yaml").write_text(yaml.safe_dump(metadata))
    assert script.main(["--manifest", str(tmp_path / "manifest.yaml"), "--metadata", str(tmp_path / "metadata.yaml"),
                        "--origin", "repo@abc", "greenhouse"]) == 0
    written = json.loads((tmp_path / "out" / "airbyte-source-greenhouse-2.1.0.json").read_text())
    assert written["source"] == "greenhouse" and written["version"] == "2.1.0" and written["pypi"] is False
    assert written["recorded_with"] == "manifest" and written["origin"] == "repo@abc"
    assert written["streams"] == manifest["schemas"]
    assert written["streams_without_schema"] == ["tags"]


def test_manifest_mode_needs_metadata_and_one_known_source(script, tmp_path):
    with pytest.raises(SystemExit):
        script.main(["--manifest", str(tmp_path / "m.yaml"), "greenhouse"])
    with pytest.raises(SystemExit):
        script.main(["nosuchsource"])


def test_recorded_catalogs_have_the_format_the_tests_read():
    assert {c["source"] for c in catalogs()} == {"greenhouse", "lever", "ashby", "workable"}
    for catalog in catalogs():
        assert catalog["recorded_with"] in ("discover", "manifest"), catalog["file"]
        assert catalog["file"] == f"{catalog['package'].replace('/', '-')}-{catalog['version']}.json"
        assert catalog["streams"] and all(isinstance(s, dict) and s for s in catalog["streams"].values())
    assert sorted(p.name for p in CATALOG_DIR.glob("*.json")) == sorted(c["file"] for c in catalogs())
