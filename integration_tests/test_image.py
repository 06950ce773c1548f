"""The destination image, built and run for real (``make image-test``; also part of ``make test``).

``scripts/build_images.py destination-sense`` builds airbyte/destination-sense:dev on the pinned base,
else on the stand-in of ``scripts/build_stand_in_base.sh``; without a Docker daemon or a base image every
test here skips with the reason (sense_testing.docker_images).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sense_testing.destination_harness import run_command
from sense_testing.docker_images import build_image, docker_run, image_user, importable, mount, of_type  # noqa: F401 (mount: fixture)

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.image, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def images():
    return {"destination": build_image("destination-sense")}



# destination-sense ------------------------------------------------------------------------------

def test_destination_image_runs_as_airbyte_and_holds_only_the_destination(images):
    image = images["destination"]
    assert image_user(image) == "airbyte"
    assert docker_run(image, [], entrypoint="whoami").stdout.decode().strip() == "airbyte"
    assert importable(image, ["destination_sense", "sense_api"]) == ["destination_sense", "sense_api"]
    assert importable(image, ["airbyte_cdk", "pandas", "numpy", "source_ats", "sense_emulator", "bullhorn_emulator",
                              "oidc_emulator", "sense_writeback", "sense_testing", "sense_demo"]) == []


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
