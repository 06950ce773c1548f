"""The one place that finds an installed console script: next to the running interpreter (the
project's virtualenv) first, then on PATH.

``console_command(name, module)`` falls back to ``python -m module`` when the script is not installed
(the emulators and the receiver run that way from a checkout); ``console_script(name)`` raises.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import List, Optional


def _installed(name: str) -> Optional[str]:
    bin_dir = Path(sys.executable).parent
    for candidate in (bin_dir / name, bin_dir / f"{name}.exe"):
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def console_script(name: str) -> str:
    """The path of the console script ``name``; ``RuntimeError`` when it is not installed."""
    found = _installed(name)
    if not found:
        raise RuntimeError(f"console script {name!r} is not installed; run pip install -e '.[dev]'")
    return found


def console_command(name: str, module: str) -> List[str]:
    """The command that runs the console script ``name``, else ``python -m module``."""
    found = _installed(name)
    return [found] if found else [sys.executable, "-m", module]
