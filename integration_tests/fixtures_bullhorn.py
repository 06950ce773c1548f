"""Fixtures for the Bullhorn emulator and helpers to run the real `source-ats` console script.

Loaded by the repository-root conftest.py (`pytest_plugins`). The emulator is a real subprocess
listening on a free loopback port; the connector is the installed `source-ats` console script.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import pytest
import requests

from sense_demo.pipe import connector_env
from source_ats.streams import STREAM_ENTITY, STREAM_ORDER  # noqa: F401  (re-exported for the tests)

EMULATOR_CLIENT_ID = "emulator-client-id"
EMULATOR_CLIENT_SECRET = "emulator-client-secret-0001"
EMULATOR_USERNAME = "api.user"
EMULATOR_PASSWORD = "emulator-password-0001"
EMULATOR_REFRESH_TOKEN = "emulator-refresh-token-0001"



def _script(name: str) -> str:
    """The console script installed next to the running interpreter (the project's venv)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"console script {name!r} is not installed; run pip install -e '.[dev]'")
    return found


@dataclass
class BullhornEmulator:
    """A running bullhorn-emulator subprocess."""

    process: subprocess.Popen
    base_url: str
    args: List[str] = field(default_factory=list)

    @property
    def auth_base_url(self) -> str:
        return f"{self.base_url}/oauth"

    @property
    def rest_login_url(self) -> str:
        return f"{self.base_url}/rest-services"

    def admin(self, action: str, payload: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        response = requests.post(f"{self.base_url}/_admin/{action}", json=payload or {}, timeout=30)
        response.raise_for_status()
        return response.json()

    def stats(self) -> Dict[str, Any]:
        response = requests.get(f"{self.base_url}/_admin/stats", timeout=30)
        response.raise_for_status()
        return response.json()

    def new_refresh_token(self) -> str:
        return self.admin("refresh-token")["refresh_token"]

    def config(self, **overrides: Any) -> Dict[str, Any]:
        """A connector config for this emulator (refresh-token auth unless overridden)."""
        config: Dict[str, Any] = {
            "client_id": EMULATOR_CLIENT_ID,
            "client_secret": EMULATOR_CLIENT_SECRET,
            "auth_base_url": self.auth_base_url,
            "rest_login_url": self.rest_login_url,
            "start_date": "2020-06-01T00:00:00Z",
        }
        if "refresh_token" not in overrides and "username" not in overrides:
            config["refresh_token"] = self.new_refresh_token()
        config.update(overrides)
        return {k: v for k, v in config.items() if v is not None}

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return self.process.wait(timeout=10)
        return self.process.returncode


def start_bullhorn_emulator(*args: str) -> BullhornEmulator:
    """Start `bullhorn-emulator --port 0 ARGS` and wait for its base URL (first stdout line)."""
    cmd = [_script("bullhorn-emulator"), "--port", "0", *args]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("http://127.0.0.1:"):
        process.kill()
        _, err = process.communicate(timeout=10)
        raise RuntimeError(f"bullhorn-emulator did not start: {line!r} {err[-2000:]!r}")
    return BullhornEmulator(process=process, base_url=line, args=list(args))


@pytest.fixture(scope="module")
def bullhorn_emulator() -> Iterator[BullhornEmulator]:
    """A default, seeded emulator for the test module."""
    emulator = start_bullhorn_emulator("--seed", "7")
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="module")
def bullhorn_emulator_factory() -> Iterator[Any]:
    """Start extra emulators with custom options; all are stopped at module teardown."""
    started: List[BullhornEmulator] = []

    def factory(*args: str) -> BullhornEmulator:
        emulator = start_bullhorn_emulator(*args)
        started.append(emulator)
        return emulator

    try:
        yield factory
    finally:
        for emulator in started:
            emulator.stop()


@dataclass
class SourceRun:
    """The parsed output of one `source-ats` run."""

    returncode: int
    messages: List[Dict[str, Any]]
    stdout: str
    stderr: str

    def of_type(self, kind: str) -> List[Dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]

    @property
    def records(self) -> List[Dict[str, Any]]:
        return [m["record"] for m in self.of_type("RECORD")]

    def records_by_stream(self) -> Dict[str, List[Dict[str, Any]]]:
        out: Dict[str, List[Dict[str, Any]]] = {}
        for record in self.records:
            out.setdefault(record["stream"], []).append(record["data"])
        return out

    @property
    def config_updates(self) -> List[Dict[str, Any]]:
        return [m["control"]["connectorConfig"]["config"] for m in self.of_type("CONTROL")
                if m["control"].get("type") == "CONNECTOR_CONFIG"]

    @property
    def errors(self) -> List[Dict[str, Any]]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"].get("type") == "ERROR"]

    @property
    def log_text(self) -> str:
        """Everything but data and config messages: LOG, TRACE, DEBUG lines, any other stdout, stderr.

        RECORD, STATE and CONTROL messages are excluded: a CONNECTOR_CONFIG control message carries
        the full config, secrets included, by design of the Airbyte protocol.
        """
        parts = []
        for line in self.stdout.splitlines():
            try:
                kind = json.loads(line).get("type") if line.startswith("{") else None
            except ValueError:
                kind = None
            if kind not in ("RECORD", "STATE", "CONTROL"):
                parts.append(line)
        parts.append(self.stderr)
        return "\n".join(parts)

    def final_states(self) -> List[Dict[str, Any]]:
        """The last STATE message per stream (as the platform would persist it)."""
        last: Dict[str, Dict[str, Any]] = {}
        for message in self.of_type("STATE"):
            state = message["state"]
            last[state["stream"]["stream_descriptor"]["name"]] = state
        return [{"type": "STREAM", "stream": s["stream"]} for s in last.values()]


def run_source_ats(verb: str, config: Dict[str, Any], workdir: Path, catalog: Optional[Dict[str, Any]] = None,
                   state: Optional[Sequence[Dict[str, Any]]] = None, timeout: float = 120,
                   env: Optional[Dict[str, str]] = None, extra_args: Sequence[str] = ()) -> SourceRun:
    """Run the installed `source-ats` console script once and parse its Airbyte messages."""
    workdir.mkdir(parents=True, exist_ok=True)
    fd, config_path = tempfile.mkstemp(prefix="config-", suffix=".json", dir=workdir)
    with os.fdopen(fd, "w") as handle:
        json.dump(config, handle)
    cmd = [_script("source-ats"), verb]
    if verb != "spec":
        cmd += ["--config", config_path]
    if catalog is not None:
        catalog_path = workdir / f"catalog-{os.path.basename(config_path)}"
        catalog_path.write_text(json.dumps(catalog))
        cmd += ["--catalog", str(catalog_path)]
    if state is not None:
        state_path = workdir / f"state-{os.path.basename(config_path)}"
        state_path.write_text(json.dumps(list(state)))
        cmd += ["--state", str(state_path)]
    cmd += list(extra_args)
    run_env = connector_env()
    run_env.update(env or {})
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=run_env)
    messages = []
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            try:
                messages.append(json.loads(line))
            except ValueError:
                pass
    return SourceRun(returncode=proc.returncode, messages=messages, stdout=proc.stdout, stderr=proc.stderr)


def configured_catalog(streams: Sequence[str] = tuple(STREAM_ORDER), sync_mode: str = "incremental") -> Dict[str, Any]:
    """A configured catalog for the given streams (schemas are not needed by a declarative read)."""
    return {
        "streams": [
            {
                "stream": {
                    "name": name,
                    "json_schema": {},
                    "supported_sync_modes": ["full_refresh", "incremental"],
                    "source_defined_cursor": True,
                    "default_cursor_field": ["dateLastModified"],
                    "source_defined_primary_key": [["id"]],
                },
                "sync_mode": sync_mode,
                "destination_sync_mode": "append_dedup" if sync_mode == "incremental" else "overwrite",
                "cursor_field": ["dateLastModified"],
                "primary_key": [["id"]],
            }
            for name in streams
        ]
    }
