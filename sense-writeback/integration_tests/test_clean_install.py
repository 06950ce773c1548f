"""The receiver and its forwarder install from this repository into a fresh virtualenv, and run there, with
no connector: ``airbyte_cdk``, ``destination_sense`` and ``source_ats`` cannot be imported, ``pip check``
is clean, every module imports, and a write-back goes in through ``serve`` and out into Bullhorn through
``forward``, both run from that virtualenv.

One virtualenv per test session (regular, not editable installs of copies of ``sense-api/`` and
``sense-writeback/``, through pip's cache).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from sense_testing.forwarder_harness import notes, run_forward, writebacks
from sense_testing.writeback_receiver import start_receiver

REPOSITORY = Path(__file__).resolve().parents[2]
CONNECTOR_MODULES = ("airbyte_cdk", "destination_sense", "source_ats")


def _copy_distribution(name: str, target: Path) -> Path:
    """setup.py and the packages of a distribution, without build/ or *.egg-info (pip builds in the source tree)."""
    source, copy = REPOSITORY / name, target / name
    copy.mkdir(parents=True)
    shutil.copy2(source / "setup.py", copy / "setup.py")
    for package in source.iterdir():
        if (package / "__init__.py").is_file() and package.name not in ("unit_tests", "integration_tests"):
            shutil.copytree(package, copy / package.name, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture(scope="session")
def clean_venv(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("clean-install")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    api, receiver = _copy_distribution("sense-api", root), _copy_distribution("sense-writeback", root)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(api), f"{receiver}[forward]"],
                   check=True, timeout=900, env=env)
    return venv


def _python(venv: Path, code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([str(venv / "bin" / "python"), "-c", code], check=True, capture_output=True, text=True,
                          timeout=120, env=env, cwd=venv).stdout


def test_no_connector_can_be_imported(clean_venv):
    found = _python(clean_venv, "import importlib.util, json; "
                                f"print(json.dumps([m for m in {CONNECTOR_MODULES!r} if importlib.util.find_spec(m)]))")
    assert json.loads(found) == []


def test_pip_check_is_clean(clean_venv):
    result = subprocess.run([str(clean_venv / "bin" / "python"), "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_module_imports_without_a_connector(clean_venv):
    code = ("import importlib, json, pkgutil, sys, sense_writeback\n"
            "names = [m.name for m in pkgutil.walk_packages(sense_writeback.__path__, 'sense_writeback.')]\n"
            "for name in names:\n    if not name.endswith('.__main__'): importlib.import_module(name)\n"
            f"print(json.dumps({{'modules': names, 'connectors': [m for m in sys.modules if m.split('.')[0] in {CONNECTOR_MODULES!r}]}}))")
    loaded = json.loads(_python(clean_venv, code))
    assert loaded["connectors"] == []
    assert {"sense_writeback.app", "sense_writeback.forward.worker", "sense_writeback.forward.bullhorn_client"} <= set(loaded["modules"])


def test_a_writeback_goes_in_and_out_into_bullhorn_from_the_clean_install(clean_venv, bullhorn_emulator, tmp_path):
    program = [str(clean_venv / "bin" / "sense-writeback")]
    db = str(tmp_path / "writebacks.db")
    docs = [d for d in writebacks(bullhorn_emulator, 40) if d["type"] == "MESSAGING_INCOMING_MESSAGE"][:3]
    assert docs
    with start_receiver(db=db, program=program) as receiver:
        for doc in docs:
            assert receiver.post(doc).status_code == 200
    before = len(notes(bullhorn_emulator))
    result = run_forward(bullhorn_emulator, db, str(tmp_path / "bullhorn-token.json"),
                         bullhorn_emulator.new_refresh_token(), program=program)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1])["counts"].get("note") == len(docs)
    assert len(notes(bullhorn_emulator)) == before + len(docs)
    assert requests.get(f"{bullhorn_emulator.base_url}/_admin/health", timeout=10).ok
