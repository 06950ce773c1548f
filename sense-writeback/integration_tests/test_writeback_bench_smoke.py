"""A tiny run of bench/writeback_receiver.py, so that it keeps working (its numbers are not asserted)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_writeback_bench_runs_on_a_few_requests():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "writeback_receiver.py"), "--storage", "sqlite", "--senders", "1", "4",
         "--requests", "40", "--seconds", "30"],
        capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| sqlite |")]
    assert len(rows) == 4  # printed as measured, then in the table
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[6] == cells[7]  # answered 200 == stored
        assert cells[8] == "0"  # nothing failed
