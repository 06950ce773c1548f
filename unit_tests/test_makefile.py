"""The Makefile's test targets, run by make itself with an echo in place of pytest (nothing is installed or tested)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _make(tmp_path: Path, target: str, suites: str) -> list:
    stamp = tmp_path / "installed"
    stamp.touch()  # newer than every setup.py: make installs nothing
    result = subprocess.run(["make", "-s", "-C", str(ROOT), target, f"SUITES={suites}", "PY=/bin/echo", f"STAMP={stamp}"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_test_runs_unit_tests_before_integration_tests_under_one_header_per_suite(tmp_path):
    assert _make(tmp_path, "test", "sense-api dev-tools") == [
        "==> sense-api: unit_tests",  # sense-api has no integration tests
        "-m pytest unit_tests",
        "==> dev-tools: unit_tests integration_tests",
        "-m pytest unit_tests integration_tests",
        "==> all suites passed: sense-api dev-tools",
    ]
    assert _make(tmp_path, "integration", "sense-api dev-tools") == [
        "==> dev-tools: integration_tests", "-m pytest integration_tests", "==> all suites passed: sense-api dev-tools"]
