"""deploy/compose end to end: PostgreSQL, two receivers and nginx terminating TLS, started with the compose
CLI from a copy of deploy/compose; write-backs posted over HTTPS are stored once, and keep being stored
when one receiver stops. Skipped with the reason without a Docker daemon, a compose CLI or base images."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
import urllib3

from sense_testing.docker_images import build_image
from sense_testing.writeback_samples import writeback

COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "compose"
PINNED_DEBIAN = "debian:bookworm-slim@sha256:4b50eb66f977b4062683ff434ef18ac191da862dbe966961bc11990cf5791a8d"
STAND_IN_DEBIAN = "sense-local/debian-python:stand-in"


def _compose_cli():
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def _debian_base() -> str:
    for ref in (PINNED_DEBIAN, STAND_IN_DEBIAN):
        if subprocess.run(["docker", "image", "inspect", ref], capture_output=True).returncode == 0:
            return ref
    if subprocess.run(["docker", "pull", PINNED_DEBIAN], capture_output=True, timeout=300).returncode == 0:
        return PINNED_DEBIAN
    pytest.skip("no Debian base image: the pinned one cannot be pulled and scripts/build_stand_in_base.sh "
                "made no stand-in")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def deployment(tmp_path):
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no compose CLI (docker compose or docker-compose)")
    build_image("sense-writeback")  # skips without a daemon or base image
    project = tmp_path / "compose"
    shutil.copytree(COMPOSE, project)
    subprocess.run(["sh", str(project / "make-secrets.sh")], check=True, capture_output=True)
    port = _free_port()
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "DEBIAN_BASE_IMAGE": _debian_base(),
           "SENSE_WRITEBACK_HTTPS_PORT": str(port), "SENSE_WRITEBACK_IMAGE": "sense-writeback:dev"}
    name = f"swtest{uuid.uuid4().hex[:8]}"
    base = [*cli, "-p", name, "-f", str(project / "compose.yaml")]

    def compose(*args, check=True, timeout=900):
        return subprocess.run([*base, *args], env=env, capture_output=True, text=True, check=check, timeout=timeout)

    try:
        result = compose("up", "-d", "--build", check=False)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        yield compose, f"https://127.0.0.1:{port}", (project / "secrets" / "sense_tokens").read_text().strip()
    finally:
        compose("down", "-v", "--remove-orphans", check=False)


def test_compose_stores_over_tls_and_survives_one_receiver_stopping(deployment):
    compose, url, token = deployment
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    session = requests.Session()
    session.verify = False  # the proxy's self-signed certificate
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 180
    ready = None
    while time.monotonic() < deadline:
        try:
            ready = session.get(url + "/readyz", timeout=5)
            if ready.status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(1)
    assert ready is not None and ready.json() == {"ready": True, "storage": "postgres"}
    ids = {}
    for i in range(20):
        answer = session.post(url + "/event", json=writeback("GENERIC_EVENT", f"compose-{i}"), headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        ids[f"compose-{i}"] = answer.json()["id"]
    again = session.post(url + "/event", json=writeback("GENERIC_EVENT", "compose-0"), headers=headers, timeout=30)
    assert again.json()["id"] == ids["compose-0"]
    compose("stop", "receiver-1")
    for i in range(20, 30):
        answer = session.post(url + "/event", json=writeback("GENERIC_EVENT", f"compose-{i}"), headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
    count = compose("exec", "-T", "postgres", "psql", "-U", "postgres", "-d", "writebacks", "-Atc",
                    "SELECT COUNT(*), COUNT(DISTINCT sense_id) FROM writebacks")
    assert count.stdout.strip() == "30|30"
    assert session.get(url + "/metrics", timeout=10).status_code == 404  # kept inside
