"""The source-sense-writebacks image (manifest-only, on source-declarative-manifest), built and run for real.

Run against a seeded sense-writeback receiver on the host's 127.0.0.1 (the container uses the host network).
Skips with the reason without a Docker daemon or a base image (sense_testing.docker_images).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from integration_tests.writeback_source_data import READ_TOKEN, seeded_receiver
from sense_testing.docker_images import build_image, docker_run, image_user, importable, mount, of_type  # noqa: F401 (mount: fixture)

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = str(Path(sys.executable).parent / "source-sense-writebacks")
CODE = "/airbyte/integration_code/source_declarative_manifest"

pytestmark = [pytest.mark.image, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def images():
    return {"source": build_image("source-sense-writebacks")}



@pytest.fixture(scope="module")
def receiver(tmp_path_factory):
    """A running receiver with 30 seeded write-backs of every type; ``(receiver, docs)``."""
    with seeded_receiver(tmp_path_factory.mktemp("receiver") / "wb.db", count=30) as pair:
        yield pair


def _config(receiver, **overrides) -> Dict[str, Any]:
    proc, _ = receiver
    return dict({"receiver_url": proc.base_url, "read_token": READ_TOKEN, "page_size": 7}, **overrides)


def _records(messages: List[Dict[str, Any]]) -> Dict[str, List[str]]:
    """Each stream's records' data, canonically serialised and sorted (order-independent comparison)."""
    rows: Dict[str, List[str]] = {}
    for m in messages:
        if m["type"] == "RECORD":
            rows.setdefault(m["record"]["stream"], []).append(json.dumps(m["record"]["data"], sort_keys=True))
    return {stream: sorted(data) for stream, data in rows.items()}

# source-sense-writebacks ------------------------------------------------------------------------

def test_source_image_is_manifest_only_and_runs_as_airbyte(images):
    image = images["source"]
    assert image_user(image) == "airbyte"
    assert docker_run(image, [], entrypoint="whoami").stdout.decode().strip() == "airbyte"
    listing = docker_run(image, ["-c", f"ls {CODE}"], entrypoint="sh")
    assert {"manifest.yaml", "components.py"} <= set(listing.stdout.decode().split())
    for name in ("manifest.yaml", "components.py"):
        shipped = docker_run(image, [f"{CODE}/{name}"], entrypoint="cat")
        assert shipped.returncode == 0, shipped.stderr.decode()
        assert shipped.stdout.decode() == (ROOT / "source_sense_writebacks" / name).read_text(), name
    assert importable(image, ["airbyte_cdk", "source_sense_writebacks", "sense_writeback", "sense_emulator",
                              "sense_testing", "destination_sense", "source_ats"]) == ["airbyte_cdk"]


def test_source_image_spec_is_the_manifests(images):
    result = docker_run(images["source"], ["spec"])
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    (spec,) = of_type(result, "SPEC")
    manifest = yaml.safe_load((ROOT / "source_sense_writebacks" / "manifest.yaml").read_text())
    assert spec["spec"]["connectionSpecification"] == manifest["spec"]["connection_specification"]


def test_source_image_check(images, receiver, mount):
    result = docker_run(images["source"], ["check", "--config", mount("config.json", _config(receiver))], mount)
    assert [m["connectionStatus"]["status"] for m in of_type(result, "CONNECTION_STATUS")] == ["SUCCEEDED"], \
        result.stdout.decode()[-3000:] + result.stderr.decode()[-3000:]
    wrong = _config(receiver, read_token="not-a-read-token-of-this-receiver-0001")
    result = docker_run(images["source"], ["check", "--config", mount("wrong.json", wrong)], mount)
    assert [m["connectionStatus"]["status"] for m in of_type(result, "CONNECTION_STATUS")] == ["FAILED"], \
        result.stdout.decode()[-3000:]
    assert "not-a-read-token-of-this-receiver-0001" not in result.stdout.decode() + result.stderr.decode()


def test_source_image_reads_what_the_console_script_reads(images, receiver, mount, tmp_path):
    config = _config(receiver)
    catalog = json.loads((ROOT / "integration_tests" / "configured_catalog.json").read_text())
    result = docker_run(images["source"], ["read", "--config", mount("config.json", config),
                                           "--catalog", mount("catalog.json", catalog)], mount)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    in_image = _records(of_type(result, "RECORD"))

    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    local = subprocess.run([SCRIPT, "read", "--config", str(tmp_path / "config.json"), "--catalog", str(tmp_path / "catalog.json")],
                           capture_output=True, text=True, timeout=120)
    assert local.returncode == 0, local.stderr[-3000:]
    local_messages = [json.loads(line) for line in local.stdout.splitlines() if line.startswith("{")]

    _, docs = receiver
    assert set(in_image) == {s["stream"]["name"] for s in catalog["streams"]}
    assert len(in_image["writebacks"]) == len(docs)
    assert in_image == _records(local_messages)
    assert of_type(result, "STATE")
    assert READ_TOKEN not in result.stdout.decode() + result.stderr.decode()
