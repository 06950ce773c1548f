"""A minimal Airbyte orchestrator: pipe a source's ``read`` into a destination's ``write``.

What the platform does for one sync, and no more: RECORD and STATE lines go from the source to the
destination unchanged; the source's CONTROL messages (a rotated refresh token) update the saved
source config; the destination's echoed STATEs are collected as the state of the next sync; LOG
and TRACE lines of both sides are kept for the caller.
"""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import orjson

from console_scripts.finder import console_script


@dataclass
class SyncResult:
    records: int = 0
    states_in: int = 0
    states_out: List[Dict[str, Any]] = field(default_factory=list)
    source_errors: List[Dict[str, Any]] = field(default_factory=list)
    destination_errors: List[Dict[str, Any]] = field(default_factory=list)
    destination_logs: List[str] = field(default_factory=list)
    samples: Dict[str, List[Dict[str, Any]]] = field(default_factory=dict)  # first records per stream
    config_updates: int = 0
    seconds: float = 0.0
    source_exit: Optional[int] = None
    destination_exit: Optional[int] = None

    @property
    def ok(self) -> bool:
        return self.source_exit == 0 and self.destination_exit == 0

    def next_state(self) -> List[Dict[str, Any]]:
        """The destination's echoed states, the last per stream, as the source's ``--state`` input."""
        latest: Dict[Any, Dict[str, Any]] = {}
        for state in self.states_out:
            state = {k: v for k, v in state.items() if k not in ("destinationStats", "sourceStats", "id")}
            if state.get("type") == "STREAM":
                descriptor = state["stream"]["stream_descriptor"]
                latest[(descriptor.get("namespace"), descriptor["name"])] = state
            else:
                latest[None] = state
        return list(latest.values())


def connector_env() -> Dict[str, str]:
    """The environment to run a connector in: this one, without DEPLOYMENT_MODE (the CDK's cloud
    mode refuses loopback hosts such as the emulators)."""
    env = dict(os.environ)
    env.pop("DEPLOYMENT_MODE", None)
    return env


def run_sync(
    workdir: Path,
    source_config_path: Path,
    destination_config_path: Path,
    catalog: Dict[str, Any],
    state: Optional[List[Dict[str, Any]]] = None,
    on_progress: Optional[Callable[[SyncResult], None]] = None,
    source: str = "source-ats",
    destination: str = "destination-sense",
    keep_samples: int = 0,
) -> SyncResult:
    workdir.mkdir(parents=True, exist_ok=True)
    catalog_path = workdir / "configured_catalog.json"
    catalog_path.write_text(json.dumps(catalog, indent=1))
    source_cmd = [console_script(source), "read", "--config", str(source_config_path), "--catalog", str(catalog_path)]
    if state:
        state_path = workdir / "state.json"
        state_path.write_text(json.dumps(state, indent=1))
        source_cmd += ["--state", str(state_path)]
    destination_cmd = [console_script(destination), "write", "--config", str(destination_config_path), "--catalog", str(catalog_path)]
    result = SyncResult()
    started = time.monotonic()
    with open(workdir / "source.stderr", "wb") as source_err, open(workdir / "destination.stderr", "wb") as dest_err:
        src = subprocess.Popen(source_cmd, stdout=subprocess.PIPE, stderr=source_err, env=connector_env())
        dst = subprocess.Popen(destination_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=dest_err, env=connector_env())

        def read_destination() -> None:
            for line in dst.stdout:
                message = orjson.loads(line)
                kind = message.get("type")
                if kind == "STATE":
                    result.states_out.append(message["state"])
                elif kind == "LOG":
                    result.destination_logs.append(message["log"]["message"])
                elif kind == "TRACE" and message["trace"].get("type") == "ERROR":
                    result.destination_errors.append(message["trace"]["error"])

        reader = threading.Thread(target=read_destination, daemon=True)
        reader.start()
        last_progress = time.monotonic()
        try:
            for line in src.stdout:
                kind = _message_type(line)
                if kind == "RECORD":
                    result.records += 1
                    dst.stdin.write(line)
                    if keep_samples:
                        record = orjson.loads(line)["record"]
                        kept = result.samples.setdefault(record["stream"], [])
                        if len(kept) < keep_samples:
                            kept.append(record["data"])
                elif kind == "STATE":
                    result.states_in += 1
                    dst.stdin.write(line)
                elif kind == "CONTROL":
                    _apply_control(orjson.loads(line), source_config_path)
                    result.config_updates += 1
                elif kind == "TRACE":
                    message = orjson.loads(line)
                    if message["trace"].get("type") == "ERROR":
                        result.source_errors.append(message["trace"]["error"])
                if on_progress and time.monotonic() - last_progress >= 1.0:
                    last_progress = time.monotonic()
                    result.seconds = last_progress - started
                    on_progress(result)
        except BrokenPipeError:
            pass
        finally:
            try:
                dst.stdin.close()
            except BrokenPipeError:
                pass
        result.source_exit = src.wait()
        result.destination_exit = dst.wait()
        reader.join()
    result.seconds = time.monotonic() - started
    return result


def _message_type(line: bytes) -> Optional[str]:
    # The type is read without parsing the whole record: each line is forwarded as it came.
    head = line[:40]
    for kind in ("RECORD", "STATE", "CONTROL", "TRACE", "LOG"):
        if f'"type":"{kind}"'.encode() in head or f'"type": "{kind}"'.encode() in head:
            return kind
    try:
        return orjson.loads(line).get("type")
    except (orjson.JSONDecodeError, AttributeError):
        return None


def _apply_control(message: Dict[str, Any], config_path: Path) -> None:
    control = message.get("control") or {}
    new_config = (control.get("connectorConfig") or {}).get("config")
    if control.get("type") == "CONNECTOR_CONFIG" and isinstance(new_config, dict):
        tmp = config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(new_config, indent=1))
        tmp.replace(config_path)
