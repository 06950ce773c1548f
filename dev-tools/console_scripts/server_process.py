"""A server of this project run as a subprocess: started, its base URL read, stopped.

Every server here (the emulators, the OpenID provider, the receiver) prints its base URL as the first
stdout line; ``start_server`` waits for that line (bounded), keeps stderr in a log file, and on failure
raises with the log's tail. ``stop_process`` is SIGTERM, then SIGKILL after a grace period.
"""
from __future__ import annotations

import os
import select
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple


def read_first_line(proc: subprocess.Popen, timeout: float) -> str:
    """The first stdout line of ``proc``, without waiting past ``timeout`` seconds (``""`` if none)."""
    deadline = time.monotonic() + timeout
    line = b""
    while time.monotonic() < deadline and not line.endswith(b"\n"):
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(proc.stdout.fileno(), 1)
        if not chunk:
            break
        line += chunk
    return line.decode(errors="replace").strip()


def read_log(path: Optional[str]) -> str:
    try:
        return Path(path).read_text(errors="replace") if path else ""
    except OSError:
        return ""


def start_server(name: str, args: List[str], env: Optional[Dict[str, str]] = None, timeout: float = 15.0,
                 log_path: Optional[str] = None) -> Tuple[subprocess.Popen, str, str]:
    """Run ``args``; returns ``(process, base URL, log path)`` once the URL line arrived."""
    if log_path is None:
        fd, log_path = tempfile.mkstemp(prefix=f"{name}-", suffix=".log")
        os.close(fd)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, env=env)
    base_url = read_first_line(proc, timeout)
    if not base_url.startswith("http"):
        proc.kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()
        raise RuntimeError(f"{name} did not start (exit {proc.returncode}): {read_log(log_path)[-2000:]}")
    return proc, base_url, log_path


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> Optional[int]:
    """SIGTERM, then SIGKILL if it does not exit in ``timeout`` seconds; returns the exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    if proc.stdout:
        proc.stdout.close()
    return proc.returncode
