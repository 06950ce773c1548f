"""`sense-writeback --help` and `serve --help` point to the published documentation, the docs path as a hint."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = str(Path(sys.executable).parent / "sense-writeback")
SETUP = Path(__file__).resolve().parents[1] / "setup.py"


def _documentation_url() -> str:
    """setup.py's ``project_urls["Documentation"]``, which the installed distribution's metadata carries."""
    return re.search(r'project_urls=\{"Documentation": "([^"]+)"\}', SETUP.read_text()).group(1)


def test_the_help_shows_the_documentation_url_of_the_distribution_metadata():
    url = _documentation_url()
    assert url.startswith("https://")
    for args in (["--help"], ["serve", "--help"]):
        text = subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=60, check=True).stdout
        assert f"Documentation: {url}\n(docs/sense-writeback.md in a source checkout)" in text, text
