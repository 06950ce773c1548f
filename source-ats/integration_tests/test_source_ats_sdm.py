"""The manifest and components.py run unchanged in the CDK's generic `source-declarative-manifest`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sense_testing.fixtures_bullhorn import configured_catalog, start_bullhorn_emulator

ROOT = Path(__file__).resolve().parents[1] / "source_ats"

pytestmark = [pytest.mark.timeout(120)]


def test_source_declarative_manifest_reads_with_the_same_manifest(tmp_path):
    emulator = start_bullhorn_emulator("--seed", "4", "--scale", "0.2")
    try:
        config = emulator.config(page_size=20)
        (tmp_path / "config.json").write_text(json.dumps(config))
        streams = ["corporate_users", "placements"]
        (tmp_path / "catalog.json").write_text(json.dumps(configured_catalog(streams, "full_refresh")))
        result = subprocess.run(
            [str(Path(sys.executable).parent / "source-declarative-manifest"), "read",
             "--config", str(tmp_path / "config.json"), "--catalog", str(tmp_path / "catalog.json"),
             "--manifest-path", str(ROOT / "manifest.yaml"), "--components-path", str(ROOT / "components.py")],
            capture_output=True, text=True, timeout=90, env={**__import__("os").environ, "AIRBYTE_ENABLE_UNSAFE_CODE": "true"},
        )
        messages = [json.loads(l) for l in result.stdout.splitlines() if l.startswith("{")]
        records = [m["record"] for m in messages if m["type"] == "RECORD"]
        counts = emulator.stats()["counts"]
    finally:
        emulator.stop()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    by_stream = {}
    for record in records:
        by_stream.setdefault(record["stream"], set()).add(record["data"]["id"])
    assert len(by_stream["corporate_users"]) == counts["CorporateUser"]
    assert len(by_stream["placements"]) == counts["Placement"]
    updates = [m for m in messages if m["type"] == "CONTROL"]
    assert len(updates) == 1 and updates[0]["control"]["connectorConfig"]["config"]["refresh_token"] != config["refresh_token"]
