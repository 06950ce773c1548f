"""The connector images, built and run for real (``make image-test``; also part of ``make test``).

``scripts/build_images.py`` builds airbyte/destination-sense:dev and airbyte/source-ats:dev on the
pinned bases, else on the stand-ins of ``scripts/build_stand_in_base.sh``. Where no Docker daemon is
reachable or no base image can be had, every test here skips with the reason the build script gives.
The containers run with ``--network host`` so they reach the emulators on the host's 127.0.0.1.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml

from integration_tests.destination_harness import run_command
from integration_tests.fixtures_bullhorn import run_source_ats

ROOT = Path(__file__).resolve().parents[1]
DESTINATION_IMAGE = "airbyte/destination-sense:dev"
SOURCE_IMAGE = "airbyte/source-ats:dev"
BUILD_UNAVAILABLE = 3  # scripts/build_images.py: no daemon or no base image

pytestmark = [pytest.mark.image, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def images() -> Dict[str, str]:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_images.py")], capture_output=True, text=True, timeout=1800)
    if result.returncode == BUILD_UNAVAILABLE:
        pytest.skip(result.stderr.strip().splitlines()[-1])
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return {"destination": DESTINATION_IMAGE, "source": SOURCE_IMAGE}


@pytest.fixture
def mount():
    """A directory the container's user (airbyte) can read, mounted at /data."""
    path = Path(tempfile.mkdtemp(prefix="image-test-"))
    path.chmod(0o755)

    def put(name: str, data: Any) -> str:
        target = path / name
        target.write_text(data if isinstance(data, str) else json.dumps(data))
        target.chmod(0o644)
        return f"/data/{name}"

    put.path = path
    yield put
    shutil.rmtree(path, ignore_errors=True)


def docker_run(image: str, args: List[str], mount=None, stdin: Optional[bytes] = None, entrypoint: Optional[str] = None) -> subprocess.CompletedProcess:
    cmd = ["docker", "run", "--rm", "-i", "--network", "host"]
    if mount is not None:
        cmd += ["-v", f"{mount.path}:/data:ro"]
    if entrypoint:
        cmd += ["--entrypoint", entrypoint]
    return subprocess.run([*cmd, image, *args], input=stdin or b"", capture_output=True, timeout=300)


def messages(result: subprocess.CompletedProcess) -> List[Dict[str, Any]]:
    out = []
    for line in result.stdout.decode().splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def of_type(result, kind: str) -> List[Dict[str, Any]]:
    return [m for m in messages(result) if m["type"] == kind]


def image_user(image: str) -> str:
    return subprocess.run(["docker", "image", "inspect", "-f", "{{.Config.User}}", image], capture_output=True, text=True, check=True).stdout.strip()


# destination-sense ------------------------------------------------------------------------------

def test_destination_image_runs_as_airbyte_and_holds_only_the_destination(images):
    image = images["destination"]
    assert image_user(image) == "airbyte"
    assert docker_run(image, [], entrypoint="whoami").stdout.decode().strip() == "airbyte"
    probe = ("import importlib.util as u; print(','.join(m for m in ('airbyte_cdk', 'pandas', 'numpy', 'source_ats', 'sense_emulator', "
             "'bullhorn_emulator', 'oidc_emulator', 'sense_writeback', 'sense_demo') if u.find_spec(m)))")
    result = docker_run(image, ["-c", probe], entrypoint="python")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == ""  # none of them


def test_destination_image_spec_is_the_console_scripts(images, tmp_path):
    result = docker_run(images["destination"], ["spec"])
    assert result.returncode == 0, result.stderr.decode()
    (spec,) = of_type(result, "SPEC")
    (local,) = run_command(tmp_path, "spec").messages
    assert spec == local


def test_destination_image_check(images, sense_emulator, mount):
    config = {"client_id": sense_emulator.client_id, "client_secret": sense_emulator.client_secret,
              "api_url": sense_emulator.api_url, "token_url": sense_emulator.token_url}
    result = docker_run(images["destination"], ["check", "--config", mount("config.json", config)], mount)
    assert [m["connectionStatus"]["status"] for m in of_type(result, "CONNECTION_STATUS")] == ["SUCCEEDED"]
    wrong = dict(config, client_secret="wrong-secret-0001")
    result = docker_run(images["destination"], ["check", "--config", mount("wrong.json", wrong)], mount)
    (status,) = of_type(result, "CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "FAILED" and "wrong-secret-0001" not in result.stdout.decode()


def test_destination_image_writes_the_examples(images, sense_emulator, mount):
    config = json.loads((ROOT / "examples" / "config.json").read_text())
    config.update(client_id=sense_emulator.client_id, client_secret=sense_emulator.client_secret,
                  api_url=sense_emulator.api_url, token_url=sense_emulator.token_url)
    catalog = (ROOT / "examples" / "configured_catalog.json").read_text()
    lines = (ROOT / "examples" / "messages.jsonl").read_bytes()
    result = docker_run(images["destination"], ["write", "--config", mount("config.json", config), "--catalog", mount("catalog.json", catalog)],
                        mount, stdin=lines)
    assert result.returncode == 0, result.stdout.decode()[-3000:] + result.stderr.decode()[-3000:]
    states = [m["state"] for m in of_type(result, "STATE")]
    assert [s["destinationStats"]["recordCount"] for s in states] == [2, 3]
    assert set(sense_emulator.admin.entities_by_id("candidates")) == {"10", "11", "12"}
    assert set(sense_emulator.admin.entities_by_id("internal-users")) == {"1", "2"}


# source-ats -------------------------------------------------------------------------------------

def test_source_image_is_manifest_only_and_runs_as_airbyte(images):
    image = images["source"]
    assert image_user(image) == "airbyte"
    listing = docker_run(image, ["-c", "ls /airbyte/integration_code/source_declarative_manifest"], entrypoint="sh")
    assert {"manifest.yaml", "components.py"} <= set(listing.stdout.decode().split())
    shipped = docker_run(image, ["/airbyte/integration_code/source_declarative_manifest/manifest.yaml"], entrypoint="cat").stdout.decode()
    assert shipped == (ROOT / "source_ats" / "manifest.yaml").read_text()
    probe = "import importlib.util as u; print(bool(u.find_spec('source_ats')))"
    assert docker_run(image, ["-c", probe], entrypoint="python").stdout.decode().strip() == "False"


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
    full = json.loads((ROOT / "source_ats" / "integration_tests" / "configured_catalog.json").read_text())
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
