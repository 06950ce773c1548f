"""Drive the real ``destination-sense`` console script with real Airbyte protocol messages."""
from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import orjson

from console_scripts.finder import console_script
from sense_demo.pipe import connector_env

DESTINATION = console_script("destination-sense")


def config_for(emulator, **overrides) -> Dict[str, Any]:
    config = {
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "api_url": emulator.api_url,
        "token_url": emulator.token_url,
    }
    config.update(overrides)
    return config


def configured_stream(name: str, namespace: Optional[str] = None, **extra) -> Dict[str, Any]:
    stream = {"name": name, "json_schema": {"type": "object"}, "supported_sync_modes": ["full_refresh", "incremental"]}
    if namespace:
        stream["namespace"] = namespace
    return {"stream": stream, "sync_mode": "incremental", "destination_sync_mode": "append_dedup", **extra}


def catalog(*streams) -> Dict[str, Any]:
    return {"streams": [s if isinstance(s, dict) else configured_stream(s) for s in streams]}


def record(stream: str, data: Dict[str, Any], namespace: Optional[str] = None) -> Dict[str, Any]:
    rec = {"stream": stream, "data": data, "emitted_at": 1_700_000_000_000}
    if namespace:
        rec["namespace"] = namespace
    return {"type": "RECORD", "record": rec}


def stream_state(name: str, value: Any, **extra) -> Dict[str, Any]:
    return {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": {"cursor": value}}, **extra}}


def global_state(value: Any, **extra) -> Dict[str, Any]:
    return {"type": "STATE", "state": {"type": "GLOBAL", "global": {"shared_state": {"cursor": value}, "stream_states": []}, **extra}}


@dataclass
class RunResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def messages(self) -> List[Dict[str, Any]]:
        out = []
        for line in self.stdout.splitlines():
            line = line.strip()
            if line:
                out.append(json.loads(line))  # every stdout line must be a protocol message
        return out

    def of_type(self, kind: str) -> List[Dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    @property
    def states(self) -> List[Dict[str, Any]]:
        return [m["state"] for m in self.of_type("STATE")]

    @property
    def logs(self) -> List[str]:
        return [m["log"]["message"] for m in self.of_type("LOG")]

    @property
    def errors(self) -> List[Dict[str, Any]]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]


def _line(message: Any) -> bytes:
    return message if isinstance(message, bytes) else orjson.dumps(message)


def _write_json(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data))
    return str(path)


def run_write(
    tmp_path: Path,
    config: Dict[str, Any],
    catalog_: Dict[str, Any],
    messages: Iterable[Any],
    pace: Optional[float] = None,
    timeout: float = 240,
    env: Optional[Dict[str, str]] = None,
) -> RunResult:
    """Run ``destination-sense write``; with ``pace``, sleep that long between input lines; ``env``: variables
    added to its environment (e.g. what the Airbyte platform sets).

    A message is a dict (serialised here) or ``bytes``: a raw input line, sent as it is.
    """
    environment = {**connector_env(), **(env or {})}
    config_path = _write_json(tmp_path / "config.json", config)
    catalog_path = _write_json(tmp_path / "catalog.json", catalog_)
    args = [DESTINATION, "write", "--config", config_path, "--catalog", catalog_path]
    if pace is None:
        data = b"".join(_line(m) + b"\n" for m in messages)
        proc = subprocess.run(args, input=data, capture_output=True, timeout=timeout, env=environment)
        return RunResult(proc.returncode, proc.stdout.decode(), proc.stderr.decode())
    out_path, err_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=out, stderr=err, env=environment)
        # the pace starts once the destination has started (its first log line): on a busy machine its
        # start-up can take longer than the whole paced input, which would then arrive all at once
        started = time.monotonic()
        while out_path.stat().st_size == 0 and proc.poll() is None and time.monotonic() - started < 60:
            time.sleep(0.05)
        for message in messages:
            proc.stdin.write(_line(message) + b"\n")
            proc.stdin.flush()
            time.sleep(pace)
        proc.stdin.close()
        proc.wait(timeout=timeout)
    return RunResult(proc.returncode, out_path.read_text(), err_path.read_text())


def run_command(tmp_path: Path, command: str, config: Optional[Dict[str, Any]] = None, timeout: float = 120) -> RunResult:
    args = [DESTINATION, command]
    if config is not None:
        args += ["--config", _write_json(tmp_path / f"{command}-config.json", config)]
    proc = subprocess.run(args, capture_output=True, timeout=timeout, env=connector_env())
    return RunResult(proc.returncode, proc.stdout.decode(), proc.stderr.decode())
