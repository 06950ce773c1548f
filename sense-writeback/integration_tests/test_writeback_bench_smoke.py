"""A tiny run of bench/writeback_receiver.py, so that it keeps working (its numbers are not asserted)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_writeback_bench_runs_on_a_few_requests():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "writeback_receiver.py"), "--storage", "sqlite", "--senders", "1", "4",
         "--requests", "40", "--seconds", "30", "--naive"],
        capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = [line for line in proc.stdout.splitlines() if " | sqlite |" in line]
    assert len(rows) == 8  # sense-writeback and the naive receiver, printed as measured, then in the table
    assert {row.split("|")[1].strip() for row in rows} == {"sense-writeback", "naive"}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[7] == cells[8]  # answered 200 == stored
        assert cells[9] == "0"  # nothing failed
