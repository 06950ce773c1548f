"""bullhorn-emulator console script: --port 0 prints the URL first, loopback only, clean SIGTERM."""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

pytestmark = [pytest.mark.timeout(60)]

SCRIPT = str(Path(sys.executable).parent / "bullhorn-emulator")


def test_port_zero_prints_url_serves_and_stops_on_sigterm():
    proc = subprocess.Popen([SCRIPT, "--port", "0", "--seed", "2", "--scale", "0.1"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and int(url.rsplit(":", 1)[1]) > 0
        stats = requests.get(f"{url}/_admin/stats", timeout=10).json()
        assert stats["counts"]["Candidate"] == 40  # 400 x 0.1
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_refuses_non_loopback_host():
    result = subprocess.run([SCRIPT, "--host", "0.0.0.0", "--port", "0"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "loopback" in result.stderr
