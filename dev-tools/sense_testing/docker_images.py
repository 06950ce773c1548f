"""Build a connector image with ``scripts/build_images.py`` and run it, for each suite's image tests.

Where no Docker daemon is reachable or no base image can be had, ``build_image`` skips the test with the
reason the build script gives. Containers run with ``--network host`` so they reach the emulators on the
host's 127.0.0.1. Inputs go in through a directory mounted read-only at /data (``Mount``).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPOSITORY / "scripts" / "build_images.py"
BUILD_UNAVAILABLE = 3  # scripts/build_images.py: no daemon or no base image


def build_image(name: str) -> str:
    """Build image ``name`` (a key of build_images.IMAGES) and return its tag; skip the test when Docker cannot."""
    result = subprocess.run([sys.executable, str(BUILD_SCRIPT), name], capture_output=True, text=True, timeout=1800)
    if result.returncode == BUILD_UNAVAILABLE:
        pytest.skip(result.stderr.strip().splitlines()[-1])
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result.stdout.split()[0]


class Mount:
    """A directory the container's user (airbyte) can read, mounted at /data."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="image-test-"))
        self.path.chmod(0o755)

    def __call__(self, name: str, data: Any) -> str:
        target = self.path / name
        target.write_text(data if isinstance(data, str) else json.dumps(data))
        target.chmod(0o644)
        return f"/data/{name}"

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def docker_run(image: str, args: List[str], mount: Optional[Mount] = None, stdin: Optional[bytes] = None,
               entrypoint: Optional[str] = None) -> subprocess.CompletedProcess:
    cmd = ["docker", "run", "--rm", "-i", "--network", "host"]
    if mount is not None:
        cmd += ["-v", f"{mount.path}:/data:ro"]
    if entrypoint:
        cmd += ["--entrypoint", entrypoint]
    return subprocess.run([*cmd, image, *args], input=stdin or b"", capture_output=True, timeout=300)


def messages(result: subprocess.CompletedProcess) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.decode().splitlines() if line.startswith("{")]


def of_type(result: subprocess.CompletedProcess, kind: str) -> List[Dict[str, Any]]:
    return [m for m in messages(result) if m["type"] == kind]


def image_user(image: str) -> str:
    return subprocess.run(["docker", "image", "inspect", "-f", "{{.Config.User}}", image],
                          capture_output=True, text=True, check=True).stdout.strip()


def importable(image: str, modules: List[str]) -> List[str]:
    """Which of ``modules`` the image's python can import."""
    probe = f"import importlib.util as u; print(','.join(m for m in {modules!r} if u.find_spec(m)))"
    result = docker_run(image, ["-c", probe], entrypoint="python")
    assert result.returncode == 0, result.stderr.decode()
    return [m for m in result.stdout.decode().strip().split(",") if m]


@pytest.fixture
def mount():
    """A fresh ``Mount`` per test, removed after it; image test modules import this fixture."""
    directory = Mount()
    yield directory
    directory.remove()
