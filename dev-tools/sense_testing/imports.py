"""What a fresh interpreter has imported after some code: for the tests that keep the CDK off a path."""
from __future__ import annotations

import subprocess
import sys
from typing import Set


def modules_after(code: str) -> Set[str]:
    """The names in ``sys.modules`` of a new interpreter once ``code`` has run."""
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    return set(out.split())


def imports_cdk(modules: Set[str]) -> bool:
    return any(name == "airbyte_cdk" or name.startswith("airbyte_cdk.") for name in modules)
