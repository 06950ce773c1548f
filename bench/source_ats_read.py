#!/usr/bin/env python3
"""Benchmark source-ats reading from bullhorn-emulator (loopback), end to end.

    python bench/source_ats_read.py                       # scale 70 (~105k records), 3 repeats
    python bench/source_ats_read.py --scale 30 --repeats 5 --workers 3 --page-size 500
    python bench/source_ats_read.py --json                # one JSON document instead of the table

A seeded ``bullhorn-emulator`` is started once; the real ``source-ats read --config … --catalog …``
runs as a subprocess for (1) a full refresh of all ten streams, (2) an incremental read of all ten
streams from empty state and (3) a follow-up incremental read from the state of (2) after
``--touch`` records per entity were modified. Its stdout is read here; RECORD lines are counted.

Reported per run: records; wall seconds; records/s end to end and after start-up (from the first
RECORD line to the end); start-up seconds (process start → first RECORD); CPU seconds (user+sys) of
the source process (from wait4) and of the emulator (from /proc), HTTP requests and query calls
(from the emulator's admin stats). With ``--repeats`` > 1 the medians are reported as well.

``run(...) -> dict`` is the entry point for bench/run.py. Not a test: no thresholds.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests

from bullhorn_emulator.testing import start_emulator
from console_scripts.finder import console_script
from sense_api.bullhorn import STREAM_ENTITY

STREAMS = list(STREAM_ENTITY)
ENTITIES = list(STREAM_ENTITY.values())
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    """user+sys CPU seconds of a running process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return float("nan")


def catalog(sync_mode: str) -> Dict[str, Any]:
    return {"streams": [{
        "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"],
                   "source_defined_cursor": True, "default_cursor_field": ["dateLastModified"],
                   "source_defined_primary_key": [["id"]]},
        "sync_mode": sync_mode,
        "destination_sync_mode": "append_dedup" if sync_mode == "incremental" else "overwrite",
        "cursor_field": ["dateLastModified"], "primary_key": [["id"]],
    } for name in STREAMS]}


class Emulator:
    def __init__(self, args: List[str]):
        started = start_emulator(*args, stderr=subprocess.DEVNULL)
        self.process, self.base_url = started.process, started.base_url
        self.http = requests.Session()

    def admin(self, action: str, payload: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        if action == "stats":
            response = self.http.get(f"{self.base_url}/_admin/stats", timeout=60)
        else:
            response = self.http.post(f"{self.base_url}/_admin/{action}", json=payload or {}, timeout=60)
        response.raise_for_status()
        return response.json()

    def cpu(self) -> float:
        return _proc_cpu(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def read_once(emulator: Emulator, workdir: Path, sync_mode: str, page_size: int, workers: int,
              state: Optional[List[Dict[str, Any]]] = None, extra_config: Optional[Dict[str, Any]] = None,
              env: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """One `source-ats read`; returns its measurements and the last STATE per stream."""
    config = {
        "client_id": "emulator-client-id", "client_secret": "emulator-client-secret-0001",
        "refresh_token": emulator.admin("refresh-token")["refresh_token"],
        "auth_base_url": f"{emulator.base_url}/oauth", "rest_login_url": f"{emulator.base_url}/rest-services",
        "start_date": "2020-06-01T00:00:00Z", "page_size": page_size, "num_workers": workers,
    }
    config.update(extra_config or {})
    config_path = workdir / "config.json"
    catalog_path = workdir / f"catalog-{sync_mode}.json"
    config_path.write_text(json.dumps(config))
    catalog_path.write_text(json.dumps(catalog(sync_mode)))
    cmd = [console_script("source-ats"), "read", "--config", str(config_path), "--catalog", str(catalog_path)]
    if state is not None:
        state_path = workdir / "state.json"
        state_path.write_text(json.dumps(state))
        cmd += ["--state", str(state_path)]
    emulator.admin("reset-stats")
    emulator_cpu0 = emulator.cpu()
    run_env = dict(os.environ)
    run_env.pop("DEPLOYMENT_MODE", None)
    run_env.update(env or {})

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=run_env, bufsize=1 << 20)
    stderr_chunks: List[bytes] = []
    drain = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
    drain.start()
    records = 0
    first_record = None
    last_states: Dict[str, Dict[str, Any]] = {}
    errors: List[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(b'{"type":"RECORD"'):
            if first_record is None:
                first_record = time.perf_counter()
            records += 1
        elif b'"type":"STATE"' in line[:40]:
            message = json.loads(line)["state"]
            last_states[message["stream"]["stream_descriptor"]["name"]] = message
        elif b'"type":"TRACE"' in line[:40] and b'"ERROR"' in line:
            errors.append(json.loads(line)["trace"]["error"].get("message", ""))
        elif line.startswith(b"{") and b'"RECORD"' in line[:60]:  # tolerate other key orders
            if first_record is None:
                first_record = time.perf_counter()
            records += 1
    _, status, rusage = os.wait4(proc.pid, 0)
    t_end = time.perf_counter()
    proc.returncode = os.waitstatus_to_exitcode(status)
    drain.join(timeout=10)
    emulator_cpu = emulator.cpu() - emulator_cpu0
    stats = emulator.admin("stats")
    wall = t_end - t0
    startup = (first_record - t0) if first_record is not None else wall
    after = t_end - first_record if first_record is not None else 0.0
    return {
        "mode": sync_mode if state is None else f"{sync_mode}-from-state",
        "returncode": proc.returncode,
        "errors": errors,
        "records": records,
        "wall_s": round(wall, 3),
        "startup_s": round(startup, 3),
        "records_per_s": round(records / wall, 1) if wall else 0.0,
        "records_per_s_after_startup": round(records / after, 1) if after > 0 else 0.0,
        "source_cpu_s": round(rusage.ru_utime + rusage.ru_stime, 2),
        "source_cpu_per_1k_records_ms": round(1000 * (rusage.ru_utime + rusage.ru_stime) / records * 1000, 1) if records else None,
        "source_peak_rss_mb": round(rusage.ru_maxrss / 1024, 1),
        "emulator_cpu_s": round(emulator_cpu, 2),
        "http_requests": stats.get("requests"),
        "query_calls": stats.get("query_calls"),
        "records_served": stats.get("records_served"),
        "stderr_tail": (b"".join(stderr_chunks)[-2000:].decode(errors="replace") if proc.returncode else ""),
        "state": [{"type": "STREAM", "stream": s["stream"]} for s in last_states.values()],
    }


def _median(runs: List[Dict[str, Any]], key: str) -> Any:
    values = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
    return round(statistics.median(values), 3) if values else None


def run(scale: float = 70.0, seed: int = 7, repeats: int = 3, page_size: int = 500, workers: int = 3,
        touch: int = 200, modes: Optional[List[str]] = None, emulator_args: Optional[List[str]] = None,
        extra_config: Optional[Dict[str, Any]] = None, env: Optional[Dict[str, str]] = None,
        log=None) -> Dict[str, Any]:
    """Start an emulator, read `repeats` times per mode; return every run and the medians per mode.

    modes: any of "full_refresh", "incremental" (from empty state) and "incremental-from-state"
    (after `touch` records per entity were modified). Default: all three.
    """
    modes = modes or ["full_refresh", "incremental", "incremental-from-state"]
    emulator = Emulator(["--seed", str(seed), "--scale", str(scale), *(emulator_args or [])])
    results: Dict[str, Any] = {"scale": scale, "seed": seed, "page_size": page_size, "workers": workers,
                               "cpu_count": os.cpu_count(), "modes": {}}
    try:
        counts = emulator.admin("stats")["counts"]
        results["emulator_records"] = sum(counts.values())
        with tempfile.TemporaryDirectory(prefix="bench-source-ats-") as tmp:
            workdir = Path(tmp)
            for mode in modes:
                runs = []
                for _ in range(repeats):
                    if mode == "incremental-from-state":
                        base = read_once(emulator, workdir, "incremental", page_size, workers,
                                         extra_config=extra_config, env=env)
                        for entity in ENTITIES:
                            emulator.admin("touch", {"entity": entity, "count": touch})
                        result = read_once(emulator, workdir, "incremental", page_size, workers,
                                           state=base["state"], extra_config=extra_config, env=env)
                    else:
                        result = read_once(emulator, workdir, mode, page_size, workers,
                                           extra_config=extra_config, env=env)
                    result.pop("state")
                    runs.append(result)
                    if log:
                        log(_line(result))
                medians = {key: _median(runs, key) for key in (
                    "records", "wall_s", "startup_s", "records_per_s", "records_per_s_after_startup",
                    "source_cpu_s", "source_cpu_per_1k_records_ms", "emulator_cpu_s", "http_requests",
                    "query_calls", "source_peak_rss_mb")}
                results["modes"][mode] = {"runs": runs, "median": medians}
    finally:
        emulator.stop()
    return results


def _line(r: Dict[str, Any]) -> str:
    status = "ok" if r["returncode"] == 0 and not r["errors"] else f"FAILED rc={r['returncode']} {r['errors'][:1]} {r['stderr_tail'][-300:]}"
    return (f"{r['mode']:<24} {r['records']:>7} rec  {r['wall_s']:>6.2f} s  {r['records_per_s']:>7.0f} rec/s "
            f"({r['records_per_s_after_startup']:>7.0f} after {r['startup_s']:.2f} s start-up)  "
            f"src CPU {r['source_cpu_s']:>5.2f} s  emu CPU {r['emulator_cpu_s']:>5.2f} s  "
            f"{r['http_requests']} req / {r['query_calls']} queries  {status}")


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=70.0, help="emulator --scale (70 ≈ 105k records)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--page-size", type=int, default=500)
    p.add_argument("--workers", type=int, default=3, help="num_workers in the connector config")
    p.add_argument("--touch", type=int, default=200, help="records touched per entity before the follow-up read")
    p.add_argument("--modes", default="full_refresh,incremental,incremental-from-state")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    args = p.parse_args(argv)
    log = None if args.json else (lambda text: print(text, flush=True))
    results = run(scale=args.scale, seed=args.seed, repeats=args.repeats, page_size=args.page_size,
                  workers=args.workers, touch=args.touch, modes=args.modes.split(","), log=log)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"\nemulator records: {results['emulator_records']}  (scale {args.scale}, seed {args.seed}, "
          f"page_size {args.page_size}, workers {args.workers}, {results['cpu_count']} CPUs)")
    print("medians over", args.repeats, "runs:")
    for mode, data in results["modes"].items():
        m = data["median"]
        print(f"  {mode:<24} {m['records']:>7.0f} rec  {m['records_per_s']:>7.0f} rec/s end to end, "
              f"{m['records_per_s_after_startup']:>7.0f} after start-up ({m['startup_s']:.2f} s)  "
              f"src CPU {m['source_cpu_s']:.2f} s  emu CPU {m['emulator_cpu_s']:.2f} s  "
              f"{m['http_requests']:.0f} requests")
    failed = [r for d in results["modes"].values() for r in d["runs"] if r["returncode"] or r["errors"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
