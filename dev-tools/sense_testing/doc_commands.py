"""The shell commands a docs page shows, run as they are written: a quick start that breaks fails a test.

``shell_block`` finds the fenced ``sh``/``bash`` block that follows a heading of a Markdown page;
``run_shell`` runs it with bash in a directory of the test's, in a session of its own, and kills
whatever the commands left running (a server started with ``&``) when they end or time out.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, Optional

_FENCE = re.compile(r"^```(?:sh|bash)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def shell_block(page: Path, heading: str) -> str:
    """The first ``sh``/``bash`` code block after the line ``heading`` (e.g. ``"### Try it locally"``)."""
    text = page.read_text()
    marker = f"\n{heading}\n"
    if marker not in text:
        raise AssertionError(f"{page.name} has no heading {heading!r}")
    match = _FENCE.search(text, text.index(marker))
    if match is None:
        raise AssertionError(f"{page.name}: no sh/bash block after {heading!r}")
    return match.group(1)


def run_shell(script: str, cwd: Path, env: Optional[Dict[str, str]] = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """``bash -e`` on ``script`` in ``cwd``; once bash ends, every process it started is killed.

    Output goes to files, not pipes: a server left in the background keeps a pipe open, not bash.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(["bash", "-e", "-c", script], cwd=cwd, env={**os.environ, **(env or {})}, text=True,
                                stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # what the commands left in the background
            except ProcessLookupError:
                pass
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode == -signal.SIGKILL:
        raise AssertionError(f"the commands did not finish within {timeout:g} s:\n{stdout[-2000:]}\n{stderr[-2000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
