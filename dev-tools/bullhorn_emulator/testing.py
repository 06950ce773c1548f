"""Run the real ``bullhorn-emulator`` console script as a subprocess: for tests, the demo and benchmarks.

``start_emulator(*args)`` starts ``bullhorn-emulator --port 0 ARGS``, waits for the base URL it prints
and returns a ``BullhornEmulator`` (URLs, admin calls, a connector config, ``stop``).
"""
from __future__ import annotations

import signal
import subprocess
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import requests

from bullhorn_emulator.config import Settings
from console_scripts.finder import console_command

EMULATOR_CLIENT_ID = Settings.client_id
EMULATOR_CLIENT_SECRET = Settings.client_secret


def emulator_command() -> List[str]:
    """The ``bullhorn-emulator`` console script of the running interpreter's environment."""
    return console_command("bullhorn-emulator", "bullhorn_emulator.cli")


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


def start_emulator(*args: str, stderr: Any = subprocess.PIPE) -> BullhornEmulator:
    """Start ``bullhorn-emulator --port 0 ARGS`` and wait for its base URL (its first stdout line)."""
    process = subprocess.Popen([*emulator_command(), "--port", "0", *args], stdout=subprocess.PIPE, stderr=stderr, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("http://127.0.0.1:"):
        process.kill()
        _, err = process.communicate(timeout=10)
        raise RuntimeError(f"bullhorn-emulator did not start: {line!r} {(err or '')[-2000:]!r}")
    return BullhornEmulator(process=process, base_url=line, args=list(args))
