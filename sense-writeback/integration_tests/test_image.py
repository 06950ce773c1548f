"""The sense-writeback image (built by scripts/build_images.py; skipped with the reason where no Docker
daemon or base image is available): non-root, small, ``serve`` by default, a HEALTHCHECK, no Airbyte CDK
and no compiler inside, ``/healthz`` answering within 2 s of start, write-backs kept in the volume across
a restart, and the other commands (dead-letters, prune) run by the same image."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import pytest
import requests

from sense_testing.docker_images import BUILD_SCRIPT, BUILD_UNAVAILABLE, image_user
from sense_testing.writeback_samples import writeback

TOKEN = "image-token-0123456789abcdef"
STAND_IN_LIMIT = 150e6


@pytest.fixture(scope="module")
def built():
    """``(tag, base)`` of the freshly built image."""
    result = subprocess.run([sys.executable, str(BUILD_SCRIPT), "sense-writeback"], capture_output=True, text=True,
                            timeout=1800)
    if result.returncode == BUILD_UNAVAILABLE:
        pytest.skip(result.stderr.strip().splitlines()[-1])
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    line = result.stdout.strip().splitlines()[-1]
    return line.split()[0], line.split("(base ", 1)[1].rstrip(")")


@pytest.fixture
def volume():
    name = f"sense-writeback-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "volume", "create", name], check=True, capture_output=True)
    yield name
    subprocess.run(["docker", "volume", "rm", "-f", name], capture_output=True)


def _inspect(ref: str, template: str):
    return json.loads(subprocess.run(["docker", "inspect", "-f", "{{json " + template + "}}", ref],
                                     capture_output=True, text=True, check=True).stdout)


def _run(image: str, *args: str, entrypoint=None, volume=None) -> subprocess.CompletedProcess:
    cmd = ["docker", "run", "--rm"]
    if entrypoint:
        cmd += ["--entrypoint", entrypoint]
    if volume:
        cmd += ["-v", f"{volume}:/var/lib/sense-writeback"]
    return subprocess.run([*cmd, image, *args], capture_output=True, text=True, timeout=300)


def test_user_size_command_and_healthcheck(built):
    image, base = built
    assert image_user(image) == "10001:10001"
    assert _run(image, "-c", "import os; print(os.getuid(), os.getgid())", entrypoint="python3").stdout.split() == \
        ["10001", "10001"]
    config = _inspect(image, ".Config")
    assert config["Entrypoint"] == ["python3", "-m", "sense_writeback"] and config["Cmd"] == ["serve"]
    assert "/var/lib/sense-writeback" in config["Volumes"]
    assert config["Healthcheck"]["Test"] == ["CMD", "python3", "-m", "sense_writeback.healthcheck"]
    size = _inspect(image, ".Size")
    if base.endswith(":stand-in"):
        assert size <= STAND_IN_LIMIT, f"{size / 1e6:.0f} MB"


def test_no_cdk_no_connectors_no_compiler_inside(built):
    image, _ = built
    probe = ("import importlib.util as u, shutil; "
             "print([m for m in ('airbyte_cdk', 'destination_sense', 'source_ats', 'sense_writeback') if u.find_spec(m)], "
             "[c for c in ('gcc', 'cc', 'g++', 'clang', 'pip', 'pip3') if shutil.which(c)])")
    result = _run(image, "-c", probe, entrypoint="python3")
    assert result.stdout.strip() == "['sense_writeback'] []", result.stderr
    failed = _run(image, "-c", "import airbyte_cdk", entrypoint="python3")
    assert failed.returncode != 0 and "No module named 'airbyte_cdk'" in failed.stderr


def _start(image: str, volume: str, name: str) -> str:
    subprocess.run(["docker", "run", "-d", "--name", name, "-e", f"SENSE_WRITEBACK_TOKENS={TOKEN}",
                    "-v", f"{volume}:/var/lib/sense-writeback", "-p", "127.0.0.1::8088",
                    "--health-interval", "1s", image], check=True, capture_output=True, timeout=120)
    port = subprocess.run(["docker", "port", name, "8088/tcp"], capture_output=True, text=True,
                          check=True).stdout.split(":")[-1].strip()
    return f"http://127.0.0.1:{port}"


def _until_healthz(url: str, seconds: float = 30.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return time.monotonic() - start
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise AssertionError(f"/healthz did not answer within {seconds} s")


def test_serves_keeps_write_backs_in_its_volume_across_a_restart(built, volume):
    image, _ = built
    name = f"sense-writeback-test-{uuid.uuid4().hex[:8]}"
    try:
        url = _start(image, volume, name)
        assert _until_healthz(url) < 2.0
        doc = writeback("GENERIC_EVENT", "in-the-volume")
        first = requests.post(url + "/event", json=doc, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        assert first.status_code == 200, first.text
        assert requests.get(url + "/readyz", timeout=10).json() == {"ready": True, "storage": "sqlite"}
        deadline = time.monotonic() + 30
        while _inspect(name, ".State.Health.Status") != "healthy" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _inspect(name, ".State.Health.Status") == "healthy"
        subprocess.run(["docker", "restart", name], check=True, capture_output=True, timeout=120)
        url = "http://127.0.0.1:" + subprocess.run(["docker", "port", name, "8088/tcp"], capture_output=True, text=True,
                                                   check=True).stdout.split(":")[-1].strip()
        _until_healthz(url)
        again = requests.post(url + "/event", json=doc, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        assert again.json() == first.json()  # the same id: the first one was kept in the volume
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    count = _run(image, "-c", "import sqlite3; print(sqlite3.connect('/var/lib/sense-writeback/writebacks.db')"
                 ".execute('SELECT COUNT(*) FROM writebacks').fetchone()[0])", entrypoint="python3", volume=volume)
    assert count.stdout.strip() == "1", count.stderr
    assert _run(image, "dead-letters", volume=volume).returncode == 0
    pruned = _run(image, "prune", "--retention-days", "30", volume=volume)
    assert json.loads(pruned.stdout) == {"pruned": 0}, pruned.stderr
    assert _run(image, "forward", "--help").returncode == 0
