"""The source-ats image (manifest-only, on source-declarative-manifest), built and run for real.

Skips with the reason without a Docker daemon or a base image (sense_testing.docker_images).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from sense_testing.docker_images import build_image, docker_run, image_user, importable, mount, of_type  # noqa: F401 (mount: fixture)
from sense_testing.fixtures_bullhorn import run_source_ats

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.image, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def images():
    return {"source": build_image("source-ats")}



# source-ats -------------------------------------------------------------------------------------

def test_source_image_is_manifest_only_and_runs_as_airbyte(images):
    image = images["source"]
    assert image_user(image) == "airbyte"
    listing = docker_run(image, ["-c", "ls /airbyte/integration_code/source_declarative_manifest"], entrypoint="sh")
    assert {"manifest.yaml", "components.py"} <= set(listing.stdout.decode().split())
    shipped = docker_run(image, ["/airbyte/integration_code/source_declarative_manifest/manifest.yaml"], entrypoint="cat").stdout.decode()
    assert shipped == (ROOT / "source_ats" / "manifest.yaml").read_text()
    assert importable(image, ["airbyte_cdk", "source_ats", "destination_sense"]) == ["airbyte_cdk"]


def test_source_image_spec_is_the_manifests(images):
    result = docker_run(images["source"], ["spec"])
    (spec,) = of_type(result, "SPEC")
    manifest = yaml.safe_load((ROOT / "source_ats" / "manifest.yaml").read_text())
    assert spec["spec"]["connectionSpecification"] == manifest["spec"]["connection_specification"]


def test_source_image_check(images, bullhorn_emulator, mount):
    result = docker_run(images["source"], ["check", "--config", mount("config.json", bullhorn_emulator.config())], mount)
    assert [m["connectionStatus"]["status"] for m in of_type(result, "CONNECTION_STATUS")] == ["SUCCEEDED"], result.stdout.decode()[-3000:]
    bad = bullhorn_emulator.config(client_secret="not-the-secret-0001")
    result = docker_run(images["source"], ["check", "--config", mount("bad.json", bad)], mount)
    assert [m["connectionStatus"]["status"] for m in of_type(result, "CONNECTION_STATUS")] == ["FAILED"]


def test_source_image_discovers_what_the_console_script_discovers(images, bullhorn_emulator, mount, tmp_path):
    result = docker_run(images["source"], ["discover", "--config", mount("config.json", bullhorn_emulator.config())], mount)
    (catalog,) = of_type(result, "CATALOG")
    local = run_source_ats("discover", bullhorn_emulator.config(), tmp_path)
    (local_catalog,) = local.of_type("CATALOG")
    assert catalog["catalog"] == local_catalog["catalog"]


def test_source_image_reads_what_the_console_script_reads(images, bullhorn_emulator, mount, tmp_path):
    full = json.loads((ROOT / "integration_tests" / "configured_catalog.json").read_text())
    catalog = {"streams": [s for s in full["streams"] if s["stream"]["name"] in ("corporate_users", "candidates")]}
    result = docker_run(images["source"], ["read", "--config", mount("config.json", bullhorn_emulator.config()), "--catalog", mount("catalog.json", catalog)], mount)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    records: Dict[str, List[Any]] = {}
    for message in of_type(result, "RECORD"):
        records.setdefault(message["record"]["stream"], []).append(message["record"]["data"])
    local = run_source_ats("read", bullhorn_emulator.config(), tmp_path, catalog=catalog)
    assert set(records) == {"corporate_users", "candidates"}
    for stream, rows in local.records_by_stream().items():
        assert sorted(r["id"] for r in records[stream]) == sorted(r["id"] for r in rows), stream
    assert of_type(result, "STATE")


def test_source_image_reads_change_events(images, bullhorn_emulator, mount):
    """Change-event mode in the image's CDK: subscribe and read the window, then only the changes."""
    full = json.loads((ROOT / "integration_tests" / "configured_catalog.json").read_text())
    catalog = {"streams": [s for s in full["streams"] if s["stream"]["name"] in ("candidates", "placements")]}
    config = bullhorn_emulator.config(replication_method={"method": "change_events", "subscription_id": "image"})
    first = docker_run(images["source"], ["read", "--config", mount("ce.json", config), "--catalog", mount("ce-catalog.json", catalog)], mount)
    assert first.returncode == 0, first.stderr.decode()[-3000:]
    states = {}
    for message in of_type(first, "STATE"):
        states[message["state"]["stream"]["stream_descriptor"]["name"]] = {"type": "STREAM", "stream": message["state"]["stream"]}
    assert {s["stream"]["stream_state"]["change_events"]["subscription_id"] for s in states.values()} == {"image"}
    touched = bullhorn_emulator.admin("touch", {"entity": "Candidate", "count": 2})["ids"]
    placement = [r for r in of_type(first, "RECORD") if r["record"]["stream"] == "placements"][0]["record"]["data"]["id"]
    bullhorn_emulator.admin("delete", {"entity": "Placement", "ids": [placement], "hard": True})
    config = bullhorn_emulator.config(replication_method={"method": "change_events", "subscription_id": "image"})
    second = docker_run(images["source"], ["read", "--config", mount("ce2.json", config), "--catalog", mount("ce-catalog.json", catalog),
                                           "--state", mount("ce-state.json", list(states.values()))], mount)
    assert second.returncode == 0, second.stderr.decode()[-3000:]
    records = [m["record"] for m in of_type(second, "RECORD")]
    assert sorted(r["data"]["id"] for r in records if r["stream"] == "candidates") == sorted(touched)
    (deleted,) = [r["data"] for r in records if r["stream"] == "placements"]
    assert deleted["id"] == placement and deleted["_ab_cdc_deleted_at"]
