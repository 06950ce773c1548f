"""A tiny run of the benchmark, so that it keeps working (it measures nothing that is asserted)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_runs_end_to_end_on_tiny_data(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "300", "--kinds", "candidate",
         "--source-ats-scale", "0", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| destination-sense candidate 300 ")]
    (row,) = rows
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "300"  # every record stored by the emulator
    assert cells[8] == cells[9] == "1"  # POSTs == the minimum for 300 records
    assert any(line.startswith("| (b) minimal pipeline") for line in proc.stdout.splitlines())
    assert (tmp_path / "latest.md").exists()
