"""Fixtures for the Bullhorn emulator and helpers to run the real `source-ats` console script.

Loaded by integration_tests/conftest.py; the emulator's launcher is ``bullhorn_emulator.testing``. The emulator is a real subprocess
listening on a free loopback port; the connector is the installed `source-ats` console script.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import pytest

from bullhorn_emulator.testing import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, BullhornEmulator  # noqa: F401 (for the tests)
from bullhorn_emulator.testing import start_emulator as start_bullhorn_emulator
from console_scripts.finder import console_script
from sense_api.bullhorn import STREAM_ENTITY, STREAM_ORDER  # noqa: F401  (re-exported for the tests)
from sense_demo.pipe import connector_env

EMULATOR_USERNAME = "api.user"
EMULATOR_PASSWORD = "emulator-password-0001"


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
    cmd = [console_script("source-ats"), verb]
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
