"""docs/sense-writeback.md's local quick start, run exactly as written: a receiver on a free port with its
database in the current directory, a write-back posted with curl and read back from the feed."""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from sense_testing.distribution import DOCS
from sense_testing.doc_commands import run_shell, shell_block

pytestmark = [pytest.mark.timeout(120), pytest.mark.skipif(shutil.which("curl") is None, reason="the quick start uses curl")]


def test_the_local_quick_start_stores_a_write_back_and_reads_it_back(tmp_path):
    script = shell_block(DOCS / "sense-writeback.md", "### Try it locally")
    assert "--port 0" in script and "--db ./writebacks.db" in script and "/var/lib" not in script
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}  # the console script, as after make install
    result = run_shell(script, tmp_path, env, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    answer, feed = (json.loads(line) for line in result.stdout.splitlines())
    assert answer["id"].startswith("wb_")
    (item,) = feed["writebacks"]
    assert (item["id"], item["receiver_id"], item["type"]) == ("wb-0001", answer["id"], "GENERIC_EVENT")
    assert item["entities"] == [{"role": "subject", "type": "AE_CANDIDATE", "id": "5001"}]
    assert (feed["has_more"], feed["next"]) == (False, "1")
    assert (tmp_path / "writebacks.db").is_file(), "the database is a file in the current directory"
