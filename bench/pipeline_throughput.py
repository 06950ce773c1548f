#!/usr/bin/env python3
"""What the destination's pipeline itself can do: ``destination-sense write`` against a sink that is not the bottleneck.

    python bench/pipeline_throughput.py                          # this checkout, 50k candidates, STATE every 5,000
    python bench/pipeline_throughput.py --rev 134ea57 --repeat 5 # also a git revision of destination_sense, side by side
    python bench/pipeline_throughput.py --records 1000000 --state-every 0 --repeat 1 --no-baseline   # memory at 1M
    python bench/pipeline_throughput.py --profile                # where the CPU goes (every thread), top entries

The sink (``--serve``, started as a subprocess on loopback) answers the token request and every POST
with 201 and a ``request_id`` after reading the body, without decompressing or validating it: the
sense-emulator validates every record and so spends about as much CPU as the destination, which hides
what the pipeline can do. Baseline (b) of ``baselines.py`` (orjson parse → stdlib gzip → POST, one
thread) runs against the same sink; its CPU seconds ≈ its wall seconds shows it is CPU-bound there,
so the sink is not what limits it. Runs of the versions and the baseline are interleaved and repeated
(the machine is shared: CPU seconds are steadier than wall time); medians are printed. A revision is
exported with ``git archive`` into bench/out and run with PYTHONPATH pointing at it. Not a test.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

OUT = ROOT / "bench" / "out"
CATALOG = {"streams": [{"stream": {"name": "candidates", "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                        "sync_mode": "full_refresh", "destination_sync_mode": "append"}]}


# ---------------------------------------------------------------------------- the sink
class _Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # with delayed ACKs, Nagle would hold every answer back ~40-200 ms
    wbufsize = 64 * 1024  # headers and body leave in one write (flushed after each request)
    posts = 0
    bytes = 0
    tokens = 0
    cpu = 0.0  # the sink's own CPU seconds at the last /stats
    lock = threading.Lock()

    def log_message(self, *args):  # quiet
        pass

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path.endswith("/oauth2/token"):
            with _Sink.lock:
                _Sink.tokens += 1
            self._answer(200, b'{"access_token":"bench-token-0123456789","token_type":"Bearer","expires_in":3600}')
            return
        with _Sink.lock:
            _Sink.posts += 1
            _Sink.bytes += len(body)
            n = _Sink.posts
        self._answer(201, b'{"message":"ok","request_id":"r-%d"}' % n)

    def do_GET(self):
        if self.path == "/stats":
            usage = os.times()
            with _Sink.lock:
                cpu = usage.user + usage.system
                body = json.dumps({"posts": _Sink.posts, "bytes": _Sink.bytes, "tokens": _Sink.tokens, "sink_cpu": cpu - _Sink.cpu}).encode()
                _Sink.cpu = cpu
                _Sink.posts = _Sink.bytes = _Sink.tokens = 0
            self._answer(200, body)
            return
        self._answer(404, b"{}")


def serve() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    server.daemon_threads = True
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


class SinkProcess:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()

    def stats(self) -> Dict:
        import urllib.request

        with urllib.request.urlopen(self.url + "/stats") as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# ---------------------------------------------------------------------------- runs
def export_revision(rev: str) -> Path:
    """``destination_sense`` of a git revision, in bench/out/rev-<rev>/ (for PYTHONPATH)."""
    target = OUT / f"rev-{rev}"
    if not (target / "destination_sense").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "destination_sense"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def _measure(args: List[str], stdin_path: Optional[Path], env: Dict[str, str], cwd: Optional[Path] = None) -> Dict:
    from run import PeakRss, _wait_measured  # bench/run.py

    started = time.perf_counter()
    with open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb") as stdin, tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(args, stdin=stdin, stdout=out, stderr=subprocess.PIPE, env=env, cwd=cwd)
        rss = PeakRss(proc.pid)
        err = proc.stderr.read()
        peak = rss.stop()
        usage = _wait_measured(proc)
        seconds = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    if proc.returncode != 0:
        raise SystemExit(f"{args[:3]} failed ({proc.returncode}): {output[-3000:]!r} {err[-2000:]!r}")
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": peak, "output": output}


def run_destination(path: Path, sink: SinkProcess, tree: Optional[Path]) -> Dict:
    config = {"client_id": "bench", "client_secret": "bench-secret", "api_url": sink.url + "/v1", "token_url": sink.url + "/oauth2/token"}
    cfg, cat = OUT / "pipeline-config.json", OUT / "pipeline-catalog.json"
    cfg.write_text(json.dumps(config))
    cat.write_text(json.dumps(CATALOG))
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree) + os.pathsep + env.get("PYTHONPATH", "")
    # ``python -c`` puts its working directory first on sys.path: a revision runs from its own tree
    code = "import sys; from destination_sense.cli import main; sys.exit(main(sys.argv[1:]))"
    result = _measure([sys.executable, "-c", code, "write", "--config", str(cfg), "--catalog", str(cat)], path, env, cwd=tree or ROOT)
    result["states"] = result.pop("output").count(b'"type":"STATE"')
    result.update(sink.stats())
    return result


def run_baseline(path: Path, sink: SinkProcess, batch: int) -> Dict:
    args = [sys.executable, str(ROOT / "bench" / "baselines.py"), "pipeline", str(path), "--api", sink.url + "/v1",
            "--token-url", sink.url + "/oauth2/token", "--client-id", "bench", "--client-secret", "bench-secret", "--batch", str(batch)]
    result = _measure(args, None, dict(os.environ))
    result.pop("output")
    result.update(sink.stats())
    return result


def profile(path: Path, top: int, tree: Optional[Path] = None) -> None:
    """Run the write in this process with a profiler on every thread (CPU time of the thread, so waiting for
    the GIL, a lock or the network counts nothing); print the top entries by own time."""
    if tree is not None:  # a revision's destination_sense, ahead of this checkout's
        sys.path.insert(0, str(tree))
    from destination_sense.output import ProtocolOutput
    from destination_sense.sync import write_lines

    print(f"profile of {Path(sys.modules['destination_sense'].__file__).parent}")

    profiles: List[cProfile.Profile] = []
    original = threading.Thread.run

    def profiled(self):
        prof = cProfile.Profile(time.thread_time)
        profiles.append(prof)
        prof.runcall(original, self)

    sink = SinkProcess()
    try:
        config = {"client_id": "bench", "client_secret": "bench-secret", "api_url": sink.url + "/v1", "token_url": sink.url + "/oauth2/token"}
        threading.Thread.run = profiled
        main = cProfile.Profile(time.thread_time)
        profiles.append(main)
        with open(path, "rb") as stdin, open(os.devnull, "wb") as devnull:
            main.runcall(write_lines, config, CATALOG, stdin, ProtocolOutput(devnull))
    finally:
        threading.Thread.run = original
        sink.stop()
    stats = pstats.Stats(profiles[0])
    for prof in profiles[1:]:
        stats.add(prof)
    stats.sort_stats("tottime").print_stats(top)


def _median(rows: List[Dict], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--state-every", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rev", action="append", default=[], help="also run destination_sense of this git revision")
    parser.add_argument("--batch", type=int, default=490, help="baseline (b)'s fixed batch size")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--revs-only", action="store_true", help="run only the --rev revisions, not this checkout")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    from run import data_file, minimum_posts  # bench/run.py

    path = data_file("candidate", args.records, args.state_every)
    if args.profile:
        profile(path, args.top, export_revision(args.rev[0]) if args.rev else None)
        return
    versions = [(rev, export_revision(rev)) for rev in args.rev] + ([] if args.revs_only else [("this checkout", None)])
    minimum = minimum_posts(path)["posts"] if args.records <= 200_000 else None
    rows: Dict[str, List[Dict]] = {name: [] for name, _ in versions}
    baseline: List[Dict] = []
    sink = SinkProcess()
    try:
        for _ in range(args.repeat):
            for name, tree in versions:
                rows[name].append(run_destination(path, sink, tree))
            if not args.no_baseline:
                baseline.append(run_baseline(path, sink, args.batch))
    finally:
        sink.stop()
    n = args.records
    header = "| run | CPU s / 1k rec | records/s | vs (b) | wall s | CPU s / wall s | POSTs | min POSTs | states | peak RSS MB |"
    print(f"{n:,} candidate-like records, STATE every {args.state_every:,}, medians of {args.repeat} interleaved runs\n")
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    base_rate = n / _median(baseline, "seconds") if baseline else None
    for name, _ in versions:
        runs = rows[name]
        rate = n / _median(runs, "seconds")
        vs = f"{rate / base_rate:.2f}×" if base_rate else ""
        cpus = sorted(r["cpu"] / n * 1000 for r in runs)
        print(f"| destination-sense ({name}) | {statistics.median(cpus):.4f} (min {cpus[0]:.4f}) | {rate:,.0f} | {vs} | {_median(runs, 'seconds'):.2f} | "
              f"{_median(runs, 'cpu') / _median(runs, 'seconds'):.2f} | {runs[0]['posts']} | {minimum or ''} | {runs[0]['states']} | {max(r['rss_mb'] for r in runs):.0f} |")
    if baseline:
        cpus = sorted(r["cpu"] / n * 1000 for r in baseline)
        print(f"| (b) minimal pipeline, {args.batch}/batch | {statistics.median(cpus):.4f} (min {cpus[0]:.4f}) | {base_rate:,.0f} | 1.00× | "
              f"{_median(baseline, 'seconds'):.2f} | {_median(baseline, 'cpu') / _median(baseline, 'seconds'):.2f} | {baseline[0]['posts']} | | | "
              f"{max(r['rss_mb'] for r in baseline):.0f} |")
    print("\nper run (CPU s, wall s):")
    for name, runs in list(rows.items()) + [("(b)", baseline)]:
        print(f"  {name}: " + ", ".join(f"({r['cpu']:.2f}, {r['seconds']:.2f})" for r in runs))


if __name__ == "__main__":
    main()
