"""README "Trying it against the emulator", run as written: sense-emulator writes destination-sense's
config for itself, and destination-sense checks it."""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from sense_emulator.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from sense_testing.doc_commands import run_shell, shell_block

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.timeout(120)]


def test_the_readme_commands_give_a_config_that_checks(tmp_path):
    script = shell_block(ROOT / "README.md", "## Trying it against the emulator")
    (tmp_path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)  # the README's .venv/bin paths
    result = run_shell(script, tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()  # the emulator's URL line and the check's answer (the emulator runs in the background)
    (base_url,) = [line for line in lines if line.startswith("http://127.0.0.1:")]
    (status,) = [json.loads(line) for line in lines if line.startswith("{")]
    assert status == {"type": "CONNECTION_STATUS", "connectionStatus": {"status": "SUCCEEDED"}}
    path = tmp_path / "sense-config.json"
    assert json.loads(path.read_text()) == {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET,
                                            "api_url": f"{base_url}/v1", "token_url": f"{base_url}/oauth2/token"}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, "it holds the client secret"
