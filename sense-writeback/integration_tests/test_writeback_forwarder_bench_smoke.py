"""A tiny run of bench/writeback_forwarder.py, so that it keeps working (its numbers are not asserted)."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_forwarder_bench_runs_on_a_few_writebacks():
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "writeback_forwarder.py"), "--count", "12",
                           "--latency-count", "5", "--rate", "50"], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "throughput: 12 notes of 12 write-backs (exit 0)" in proc.stdout
    assert re.search(r"latency \(Sense's send → note in Bullhorn\), 5 of 5 ", proc.stdout)
