"""examples/: the README's first run (config, configured catalog, messages) works against the Sense emulator.

The files are used as they are, except for the emulator's address and credentials: the example config
names the emulator's defaults (127.0.0.1:8765, sandbox-client); the test's emulator listens on a free port.
"""
import json
import subprocess
from pathlib import Path

from sense_testing.destination_harness import DESTINATION

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _config(tmp_path, emulator):
    config = json.loads((EXAMPLES / "config.json").read_text())
    assert config["api_url"] == "http://127.0.0.1:8765/v1" and config["client_id"] == "sandbox-client"
    config.update(client_id=emulator.client_id, client_secret=emulator.client_secret, api_url=emulator.api_url, token_url=emulator.token_url)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def _run(*args, stdin=None):
    result = subprocess.run([DESTINATION, *args], stdin=stdin, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_the_examples_check_and_write_into_the_emulator(sense_emulator, tmp_path):
    config = _config(tmp_path, sense_emulator)
    (status,) = [m for m in _run("check", "--config", str(config)) if m["type"] == "CONNECTION_STATUS"]
    assert status["connectionStatus"]["status"] == "SUCCEEDED"

    sent = [json.loads(line) for line in (EXAMPLES / "messages.jsonl").read_text().splitlines()]
    with open(EXAMPLES / "messages.jsonl", "rb") as stdin:
        out = _run("write", "--config", str(config), "--catalog", str(EXAMPLES / "configured_catalog.json"), stdin=stdin)

    states = [m["state"] for m in out if m["type"] == "STATE"]
    assert [s["stream"]["stream_descriptor"]["name"] for s in states] == ["internal_users", "candidates"]
    assert [s["destinationStats"]["recordCount"] for s in states] == [2, 3]
    records = [m["record"] for m in sent if m["type"] == "RECORD"]
    stored = {c: sense_emulator.admin.entities_by_id(c) for c in ("internal-users", "candidates")}
    assert set(stored["internal-users"]) == {str(r["data"]["id"]) for r in records if r["stream"] == "internal_users"}
    assert set(stored["candidates"]) == {str(r["data"]["id"]) for r in records if r["stream"] == "candidates"}
    assert stored["candidates"]["12"]["last_name"] == "Hopper"
