#!/usr/bin/env python3
"""Benchmark resume uploads: the real ``destination-sense write`` into a fresh ``sense-emulator``.

    python bench/resume_upload.py                      # 200 files of 1 MB, 20 of 4 MB, and no files
    python bench/resume_upload.py --files 50 --size-kb 512

For each case: candidates (one per file) and one file record each (``file_reference`` into a staging
directory, as Airbyte file transfer gives them), one STATE at the end. Reported: wall seconds, files/s,
MB/s of file content, and the destination's peak RSS (wait4), which should not grow with the file
size (files are streamed from disk). The emulator keeps every file in memory (SQLite), so keep the
totals modest. Not a test: no thresholds. ``run()`` returns the rows.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from console_scripts.finder import console_script  # noqa: E402
from sense_demo.pipe import connector_env  # noqa: E402
from sense_emulator.testing import start_emulator  # noqa: E402


def _lines(staging: Path, files: int, size: int) -> bytes:
    out = []
    for i in range(1, files + 1):
        out.append({"type": "RECORD", "record": {"stream": "candidates", "data": {"id": i, "first_name": f"C{i}"}, "emitted_at": 0}})
    for i in range(1, files + 1):
        path = staging / f"{i}.pdf"
        with open(path, "wb") as handle:
            handle.write(b"%PDF-1.4\n" + os.urandom(size - 9))
        out.append({"type": "RECORD", "record": {
            "stream": "resumes", "emitted_at": 0,
            "data": {"candidate_id": i, "resume_id": f"R{i}", "date_created": "2024-01-01T00:00:00Z"},
            "file_reference": {"staging_file_url": str(path), "source_file_relative_path": path.name, "file_size_bytes": size},
        }})
    out.append({"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "resumes"}, "stream_state": {"n": files}}}})
    return b"".join(orjson.dumps(m) + b"\n" for m in out)


def one(files: int, size: int) -> Dict[str, float]:
    emulator = start_emulator()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-resumes-") as tmp:
            workdir = Path(tmp)
            staging = workdir / "staging"
            staging.mkdir()
            data = _lines(staging, files, size) if files else b""
            config = {"client_id": emulator.client_id, "client_secret": emulator.client_secret,
                      "api_url": emulator.api_url, "token_url": emulator.token_url}
            streams = [{"stream": {"name": n, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                        "sync_mode": "full_refresh", "destination_sync_mode": "append"} for n in ("candidates", "resumes")]
            (workdir / "config.json").write_text(json.dumps(config))
            (workdir / "catalog.json").write_text(json.dumps({"streams": streams}))
            args = [console_script("destination-sense"), "write", "--config", str(workdir / "config.json"), "--catalog", str(workdir / "catalog.json")]
            started = time.monotonic()
            proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=connector_env())
            proc.stdin.write(data)
            proc.stdin.close()
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.monotonic() - started
            stored = len(emulator.admin.resumes())
    finally:
        emulator.stop()
    megabytes = files * size / 1e6
    return {"files": files, "size_kb": size // 1000, "stored": stored, "exit": os.waitstatus_to_exitcode(status),
            "seconds": round(seconds, 2), "files_per_s": round(files / seconds, 1), "mb_per_s": round(megabytes / seconds, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def run(cases=((200, 1_000_000), (20, 4_000_000), (0, 0))) -> List[Dict[str, float]]:
    return [one(files, size) for files, size in cases]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int)
    parser.add_argument("--size-kb", type=int, default=1000)
    args = parser.parse_args()
    rows = run(((args.files, args.size_kb * 1000),)) if args.files else run()
    print(f"{'files':>6}{'kB':>7}{'stored':>8}{'s':>8}{'files/s':>9}{'MB/s':>7}{'peak RSS MB':>13}")
    for r in rows:
        print(f"{r['files']:>6}{r['size_kb']:>7}{r['stored']:>8}{r['seconds']:>8}{r['files_per_s']:>9}{r['mb_per_s']:>7}{r['peak_rss_mb']:>13}")


if __name__ == "__main__":
    main()
