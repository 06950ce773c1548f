#!/usr/bin/env python3
"""Benchmark destination-sense against the Sense emulator, with baselines, in one run.

    python bench/run.py                         # candidate-like 100k and 1M, small 100k; baselines at 100k
    python bench/run.py --sizes 100000 --kinds candidate --token-ttl 20
    python bench/run.py --write-docs            # also rewrite docs/benchmarks.md with the table

For every data set (deterministic, cached in bench/out/): the real ``destination-sense write`` runs as
a subprocess, its stdin the Airbyte JSONL file, into a fresh ``sense-emulator`` on loopback. Reported:
records/s; destination CPU seconds (user+sys) per 1,000 records; POSTs vs the minimum the 500-record /
256,000-byte limits allow for the same data (greedy packing of the same records, each candidate
request compressed in one shot by the standard library's zlib at level 6, independent of the
destination's own compressor); mean records and compressed
kB per POST; token requests vs ceil(duration / token lifetime); peak RSS of the destination process.
Baselines on the same data and emulator: (a) a hand-written client from the docs' sample, (b) a
minimal single-thread orjson → gzip → POST pipeline, (c) parsing only. Not a test: no thresholds.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Dict, List, Optional

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sense_api.limits import MAX_BATCH_COMPRESSED_BYTES, MAX_BATCH_RECORDS  # noqa: E402
from generators import airbyte_lines  # noqa: E402
from sense_emulator.testing import start_emulator  # noqa: E402

OUT = ROOT / "bench" / "out"
REFERENCE_LEVEL = 6
NOTES_MARKER = "<!-- hand-written notes below; --write-docs keeps them -->"
BIN = Path(sys.executable).parent
CATALOG = {"streams": [{"stream": {"name": "candidates", "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                        "sync_mode": "full_refresh", "destination_sync_mode": "append"}]}


def data_file(kind: str, count: int, state_every: int) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{kind}-{count}-s{state_every}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            for line in airbyte_lines(kind, count, state_every=state_every):
                f.write(line)
        tmp.rename(path)
    return path


def _gzip_size(records: List[bytes]) -> int:
    """The reference: the standard library's zlib at gzip's usual level 6, in one shot."""
    comp = zlib.compressobj(REFERENCE_LEVEL, zlib.DEFLATED, 31)
    return len(comp.compress(b"[" + b",".join(records) + b"]") + comp.flush(zlib.Z_FINISH))


def minimum_posts(path: Path) -> Dict:
    """Greedy contiguous packing (optimal for order-preserving batches) with exact sizes.

    Batches are cut at state messages too, as a destination must flush there. Streams the file with
    a window of at most one batch, so memory stays small for a million records."""
    cache = path.with_suffix(".min.json")
    if cache.exists():
        return json.loads(cache.read_text())
    totals = {"posts": 0, "bytes": 0, "min_batch": MAX_BATCH_RECORDS}
    guess = MAX_BATCH_RECORDS

    def take(window: List[bytes], final: bool) -> List[bytes]:
        """Cut batches off the front of the window while it holds more than a batch (or at the end)."""
        nonlocal guess
        while window and (final or len(window) > MAX_BATCH_RECORDS):
            k = min(guess, len(window), MAX_BATCH_RECORDS)
            size = _gzip_size(window[:k])
            if size <= MAX_BATCH_COMPRESSED_BYTES:
                while k < min(MAX_BATCH_RECORDS, len(window)):
                    bigger = _gzip_size(window[:k + 1])
                    if bigger > MAX_BATCH_COMPRESSED_BYTES:
                        break
                    k, size = k + 1, bigger
            else:
                while size > MAX_BATCH_COMPRESSED_BYTES:
                    k -= 1
                    size = _gzip_size(window[:k])
            totals["posts"] += 1
            totals["bytes"] += size
            if k < len(window):  # a batch cut by a limit, not by the end of the data
                totals["min_batch"] = min(totals["min_batch"], k)
            guess = k
            window = window[k:]
        return window

    window: List[bytes] = []
    with open(path, "rb") as f:
        for line in f:
            message = orjson.loads(line)
            if message["type"] == "RECORD":
                window.append(orjson.dumps(message["record"]["data"]))
                if len(window) > 2 * MAX_BATCH_RECORDS:
                    window = take(window, final=False)
            elif message["type"] == "STATE":
                window = take(window, final=True)
    take(window, final=True)
    cache.write_text(json.dumps(totals))
    return totals


class PeakRss:
    """Peak resident memory of a process, from /proc/<pid>/status VmHWM (rusage's maxrss would include
    the forked copy of this benchmark process before exec)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        path = f"/proc/{self.pid}/status"
        while not self._stop.is_set():
            try:
                with open(path) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            except (OSError, ValueError):
                return
            self._stop.wait(0.05)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024


def _wait_measured(proc: subprocess.Popen):
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage


def run_destination(path: Path, emulator, extra_config: Optional[Dict] = None) -> Dict:
    config = {"client_id": emulator.client_id, "client_secret": emulator.client_secret,
              "api_url": emulator.api_url, "token_url": emulator.token_url, **(extra_config or {})}
    cfg_path, cat_path = OUT / "bench-config.json", OUT / "bench-catalog.json"
    cfg_path.write_text(json.dumps(config))
    cat_path.write_text(json.dumps(CATALOG))
    summary: List[str] = []
    states = 0
    started = time.perf_counter()
    with open(path, "rb") as stdin:
        proc = subprocess.Popen([str(BIN / "destination-sense"), "write", "--config", str(cfg_path), "--catalog", str(cat_path)],
                                stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def drain_stdout():
            nonlocal states
            for line in proc.stdout:
                message = orjson.loads(line)
                if message["type"] == "STATE":
                    states += 1
                elif message["type"] == "LOG":
                    summary.append(message["log"]["message"])
                elif message["type"] == "TRACE":
                    summary.append(json.dumps(message))

        reader = threading.Thread(target=drain_stdout)
        reader.start()
        rss = PeakRss(proc.pid)
        err = proc.stderr.read()
        reader.join()
        peak = rss.stop()
        usage = _wait_measured(proc)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"destination-sense failed ({proc.returncode}):\n" + "\n".join(summary[-20:]) + err.decode()[-2000:])
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": peak, "states": states, "log": summary}


def run_baseline(kind: str, path: Path, emulator, batch: int) -> Dict:
    args = [sys.executable, str(ROOT / "bench" / "baselines.py"), kind, str(path), "--api", emulator.api_url,
            "--token-url", emulator.token_url, "--client-id", emulator.client_id, "--client-secret", emulator.client_secret,
            "--batch", str(batch)]
    started = time.perf_counter()
    err_path = OUT / f"baseline-{kind}.stderr"
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err)
        rss = PeakRss(proc.pid)
        out = proc.stdout.read()
        peak = rss.stop()
        usage = _wait_measured(proc)
    if proc.returncode != 0:
        raise SystemExit(f"baseline {kind} failed: {err_path.read_text()[-2000:]}")
    result = json.loads(out.splitlines()[-1])
    result.update(seconds=time.perf_counter() - started, cpu=usage.ru_utime + usage.ru_stime, rss_mb=peak)
    return result


def emulator_counts(emulator) -> Dict:
    stats = emulator.admin.stats()
    posts = [r for r in emulator.admin.requests() if r["method"] == "POST" and r.get("collection")]
    accepted = [r for r in posts if r["status"] == 201]
    return {
        "posts": len(posts),
        "accepted_posts": len(accepted),
        "stored": sum(r["records"] for r in accepted),
        "tokens": stats["token_requests"],
        "max_bytes": max((r["bytes"] for r in posts), default=0),
        "max_records": max((r["records"] for r in posts), default=0),
        "bytes": sum(r["bytes"] for r in accepted),
    }


def main() -> None:
    global OUT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--kinds", nargs="+", default=["candidate", "small"])
    parser.add_argument("--state-every", type=int, default=0, help="a STATE every N records (0: only at the end)")
    parser.add_argument("--token-ttl", type=int, default=300)
    parser.add_argument("--baselines", choices=("smallest", "all", "none"), default="smallest")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--source-ats-scale", type=float, default=70, help="bullhorn-emulator --scale for the source-ats read (0: skip)")
    parser.add_argument("--out", default=str(OUT), help="folder for the generated data and results (default bench/out)")
    args = parser.parse_args()
    OUT = Path(args.out)

    rows = []
    notes = []
    for kind in args.kinds:
        sizes = args.sizes if kind == "candidate" else args.sizes[:1]
        for size in sizes:
            path = data_file(kind, size, args.state_every)
            minimum = minimum_posts(path)
            with start_emulator(token_ttl=args.token_ttl, extra_args=["--log-limit", "1000000"]) as emulator:
                ours = run_destination(path, emulator)
                counts = emulator_counts(emulator)
            expected_tokens = max(1, math.ceil(ours["seconds"] / args.token_ttl))
            row = {"run": f"destination-sense {kind} {size:,}", "records": counts["stored"], **ours, **counts,
                   "min_posts": minimum["posts"], "expected_tokens": expected_tokens}
            rows.append(row)
            print(_format_row(row), flush=True)
            if counts["stored"] != size:
                notes.append(f"{row['run']}: {counts['stored']:,} records stored, expected {size:,}")
            if args.baselines == "all" or (args.baselines == "smallest" and size == sizes[0]):
                batch = int(minimum["min_batch"] * 0.98)  # a fixed batch that nearly always fits
                for baseline in ("naive", "pipeline", "parse"):
                    with start_emulator(token_ttl=args.token_ttl, extra_args=["--log-limit", "1000000"]) as emulator:
                        result = run_baseline(baseline, path, emulator, batch)
                        counts_b = emulator_counts(emulator) if baseline != "parse" else {}
                    label = {"naive": "(a) hand-written client", "pipeline": f"(b) minimal pipeline, {batch}/batch", "parse": "(c) parse only"}[baseline]
                    brow = {"run": f"{label} {kind} {size:,}", **result, **counts_b, "baseline_of": row["run"]}
                    rows.append(brow)
                    print(_format_row(brow), flush=True)
    table = render(rows)
    if args.source_ats_scale:
        import source_ats_read

        result = source_ats_read.run(scale=args.source_ats_scale, repeats=3, modes=["full_refresh", "incremental-from-state"],
                                     log=lambda text: print(text, flush=True))
        table += "\n\n" + render_source_ats(result)
    print()
    print(table)
    for note in notes:
        print("NOTE:", note)
    (OUT / "latest.md").write_text(table + "\n")
    if args.write_docs:
        write_docs(table, args)


def _format_row(row: Dict) -> str:
    rate = row["records"] / row["seconds"]
    return f"{row['run']}: {rate:,.0f} records/s, {row['seconds']:.1f} s, cpu {row['cpu']:.1f} s, rss {row['rss_mb']:.0f} MB, posts {row.get('posts', 0)}"


def render(rows: List[Dict]) -> str:
    header = ("| run | records | s | records/s | vs (a) | vs (b) | vs (c) | CPU s / 1k rec | POSTs | min POSTs | POSTs / min "
              "| rec / POST | kB / POST | max kB | tokens (⌈t/ttl⌉) | peak RSS MB |")
    lines = [header, "|" + "---|" * 16]
    by_run = {r["run"]: r for r in rows}
    baselines: Dict[str, Dict[str, Dict]] = {}
    for r in rows:
        if "baseline_of" in r:
            baselines.setdefault(r["baseline_of"], {})[r["run"][:3]] = r
    # ratios for every destination run against the baselines of the same kind (measured at the smallest size)
    for r in rows:
        rate = r["records"] / r["seconds"]
        ratio = {}
        if "baseline_of" not in r:
            kind = r["run"].split()[1]
            base = next((b for run, b in baselines.items() if run.split()[1] == kind), {})
            for key, label in (("(a)", "a"), ("(b)", "b"), ("(c)", "c")):
                if key in base:
                    ratio[label] = rate / (base[key]["records"] / base[key]["seconds"])
        posts = r.get("posts")
        lines.append(
            f"| {r['run']} | {r['records']:,} | {r['seconds']:.1f} | {rate:,.0f} | "
            + " | ".join(f"{ratio[k]:.2f}×" if k in ratio else "" for k in ("a", "b", "c"))
            + f" | {1000 * r['cpu'] / max(r['records'], 1):.3f} | {posts if posts is not None else ''} | {r.get('min_posts', '')} | "
            + (f"{posts / r['min_posts']:.3f}" if r.get("min_posts") else "")
            + (f" | {r['records'] / posts:.1f} | {r['bytes'] / max(r.get('accepted_posts', posts), 1) / 1000:.1f} | {r['max_bytes'] / 1000:.1f}" if posts else " | | | ")
            + (f" | {r['tokens']} ({r['expected_tokens']})" if "expected_tokens" in r else (f" | {r['tokens']}" if "tokens" in r else " | "))
            + f" | {r['rss_mb']:.0f} |"
        )
    del by_run
    return "\n".join(lines)


def render_source_ats(result: Dict) -> str:
    lines = [
        f"source-ats read from bullhorn-emulator ({result['emulator_records']:,} records, page size {result['page_size']}, "
        f"{result['workers']} workers; medians of 3 runs):",
        "",
        "| mode | records | s | records/s | records/s after start-up | source CPU s | HTTP requests |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode, data in result["modes"].items():
        m = data["median"]
        lines.append(f"| {mode} | {m['records']:,.0f} | {m['wall_s']:.1f} | {m['records_per_s']:,.0f} | "
                     f"{m['records_per_s_after_startup']:,.0f} | {m['source_cpu_s']:.1f} | {m['http_requests']:.0f} |")
    return "\n".join(lines)


def write_docs(table: str, args) -> None:
    machine = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, {platform.system()}"
    text = f"""# Benchmarks

Latest run of `make bench` (`python bench/run.py{' --write-docs' if args.write_docs else ''}`), on {machine}, with the emulator on the
same machine. Token lifetime {args.token_ttl} s. States: {'every ' + str(args.state_every) + ' records' if args.state_every else 'one at the end'}.

{table}

How to read it, and how to reproduce: see [bench/README.md](../bench/README.md).
"""
    path = ROOT / "docs" / "benchmarks.md"
    if path.exists() and NOTES_MARKER in path.read_text():
        text += "\n" + NOTES_MARKER + path.read_text().split(NOTES_MARKER, 1)[1]
    path.write_text(text)


if __name__ == "__main__":
    main()
