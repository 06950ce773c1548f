#!/usr/bin/env python3
"""Measure sense-writeback: durable write-backs/s and p50/p99 latency with 1, 16 and 64 concurrent senders.

    python bench/writeback_receiver.py                         # SQLite, and PostgreSQL if a server can start
    python bench/writeback_receiver.py --storage sqlite --requests 3000
    python bench/writeback_receiver.py --senders 64 --seconds 5
    python bench/writeback_receiver.py --storage postgresql --replicas 2   # two receivers behind a proxy
    python bench/writeback_receiver.py --storage sqlite --naive            # the naive receiver too

The real ``sense-writeback serve`` runs as a subprocess (SQLite file in a temporary directory, or a
throwaway PostgreSQL server from ``sense_testing.postgres_server``). Each sender is one
keep-alive HTTP/1.1 connection posting realistic write-backs of every type one after the other,
with a pre-shared bearer token; every request is timed from send to full answer. A write-back
counts only when answered 200 with an id (the receiver answers that only after its commit), and
the stored row count is checked against it at the end. The client is a minimal asyncio HTTP client
so that the client's own cost stays small next to the server's on a 2-core machine.
``--replicas 2`` (PostgreSQL) runs two receivers on one database behind ``sense_testing.tcp_proxy``'s
round-robin proxy. ``--naive`` adds the same runs against ``bench/naive_writeback_receiver.py`` (one
fsync per request) on SQLite. The server CPU column is the receivers' user+system CPU seconds during the
measured load (after a warm-up of 200): on a shared machine it is steadier than the rate.
Prints a table; asserts nothing.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pathlib
import sqlite3
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from sense_testing.writeback_samples import DATA  # noqa: E402
from sense_writeback.store import open_store  # noqa: E402
from sense_testing.writeback_receiver import start_receiver  # noqa: E402
from sense_testing.tcp_proxy import RoundRobinProxy  # noqa: E402
from sense_testing.writeback_load import address, read_answer  # noqa: E402
from console_scripts.server_process import start_server, stop_process  # noqa: E402
from sense_writeback.validation import WRITEBACK_TYPES  # noqa: E402

TOKEN = "bench-token-0123456789abcdef0123"


def bodies(prefix: str, count: int) -> list:
    out = []
    for i in range(count):
        writeback_type = WRITEBACK_TYPES[i % len(WRITEBACK_TYPES)]
        doc = {"id": f"{prefix}-{i}", "type": writeback_type, "version": 1.0,
               "created_date": "2024-05-01T10:05:00+00:00", "data": DATA[writeback_type]}
        out.append(json.dumps(doc).encode())
    return out


async def sender(host: str, port: int, path: str, queue: list, latencies: list, failures: list, deadline: float):
    reader, writer = await asyncio.open_connection(host, port)
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Content-Type: application/json\r\nContent-Length: ").encode()
    try:
        while queue and time.perf_counter() < deadline:
            body = queue.pop()
            start = time.perf_counter()
            writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
            status, answer = await read_answer(reader)
            elapsed = time.perf_counter() - start
            if status == 200 and b'"id"' in answer:
                latencies.append(elapsed)
            else:
                failures.append(status)
    finally:
        writer.close()


async def load(base_url: str, senders: int, payloads: list, seconds: float):
    host, port = base_url.split("//", 1)[1].rsplit(":", 1)
    latencies: list = []
    failures: list = []
    queue = list(reversed(payloads))
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(*(sender(host, int(port), "/event", queue, latencies, failures, deadline)
                           for _ in range(senders)))
    return time.perf_counter() - start, latencies, failures


def percentile(values: list, q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@contextlib.contextmanager
def serving(storage: str, target: str, replicas: int, naive: bool):
    """``(base URL, pids)`` of the receiver(s) under test."""
    if naive:
        proc, url, _ = start_server("naive-receiver", [sys.executable, str(pathlib.Path(__file__).parent /
                                                                          "naive_writeback_receiver.py"), target, TOKEN])
        try:
            yield url, [proc.pid]
        finally:
            stop_process(proc)
        return
    kwargs = {"database_url": target} if storage == "postgresql" else {"db": target}
    with contextlib.ExitStack() as stack:
        receivers = [stack.enter_context(start_receiver(tokens=[TOKEN], **kwargs)) for _ in range(replicas)]
        if replicas == 1:
            yield receivers[0].base_url, [receivers[0].proc.pid]
            return
        proxy = stack.enter_context(RoundRobinProxy([address(r.base_url) for r in receivers]))
        yield proxy.base_url, [r.proc.pid for r in receivers]


def run_one(storage: str, target: str, senders: int, count: int, seconds: float, run: int, replicas: int = 1,
            naive: bool = False) -> dict:
    with serving(storage, target, replicas, naive) as (url, pids):
        warm = bodies(f"warm-{run}", 200)
        asyncio.run(load(url, min(senders, 8), warm, 30))
        payloads = bodies(f"run-{run}", count)
        before = sum(_cpu_seconds(pid) for pid in pids)
        elapsed, latencies, failures = asyncio.run(load(url, senders, payloads, seconds))
        cpu = sum(_cpu_seconds(pid) for pid in pids) - before
    if naive:
        with sqlite3.connect(target) as conn:
            stored = conn.execute("SELECT COUNT(*) FROM writebacks WHERE sense_id LIKE ?", (f"run-{run}-%",)).fetchone()[0]
    else:
        with open_store(target, writer=False) as store:
            stored = sum(1 for wb in store.iter_writebacks() if wb.sense_id.startswith(f"run-{run}-"))
    label = "naive" if naive else ("sense-writeback" if replicas == 1 else f"sense-writeback x{replicas}")
    return {"receiver": label, "storage": storage, "senders": senders, "ok": len(latencies), "failed": len(failures),
            "stored": stored, "seconds": elapsed, "rate": len(latencies) / elapsed,
            "p50": percentile(latencies, 0.50) * 1000, "p99": percentile(latencies, 0.99) * 1000,
            "mean": statistics.fmean(latencies) * 1000 if latencies else float("nan"), "server_cpu": cpu}


def _cpu_seconds(pid: int) -> float:
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--senders", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--requests", type=int, default=6000, help="write-backs per run (default 6000)")
    parser.add_argument("--seconds", type=float, default=20.0, help="time bound per run (default 20)")
    parser.add_argument("--uvloop", action="store_true", help="run the client on uvloop (default: asyncio's loop)")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1],
                        help="receivers on one PostgreSQL database behind a round-robin proxy (default 1)")
    parser.add_argument("--naive", action="store_true", help="also run the naive receiver (SQLite)")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop

        uvloop.install()
    rows = []
    storages = ["sqlite", "postgresql"] if args.storage == "both" else [args.storage]
    with tempfile.TemporaryDirectory(prefix="writeback-bench-") as tmp:
        for storage in storages:
            server = None
            if storage == "postgresql":
                from sense_testing.postgres_server import PostgresUnavailable, start_postgres

                try:
                    server = start_postgres()
                except PostgresUnavailable as exc:
                    print(f"PostgreSQL skipped: {exc}")
                    continue
            try:
                setups = [(1, False)] + ([(1, True)] if args.naive and storage == "sqlite" else [])
                if storage == "postgresql":
                    setups = [(replicas, False) for replicas in args.replicas]
                run = 0
                for replicas, naive in setups:
                    for senders in args.senders:
                        run += 1
                        target = server.database(f"bench_{run}") if server else os.path.join(tmp, f"bench-{run}.db")
                        count = args.requests if senders > 1 else max(500, args.requests // 6)
                        rows.append(run_one(storage, target, senders, count, args.seconds, run, replicas, naive))
                        print(_row(rows[-1]), flush=True)
            finally:
                if server:
                    server.stop()
    print()
    print("| receiver | storage | senders | write-backs/s | p50 ms | p99 ms | mean ms | answered 200 | stored | failed "
          "| server CPU s | CPU ms per write-back |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(_row(row))
    return 0


def _row(r: dict) -> str:
    per = r["server_cpu"] * 1000 / r["ok"] if r["ok"] else float("nan")
    return (f"| {r['receiver']} | {r['storage']} | {r['senders']} | {r['rate']:,.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
            f"{r['mean']:.1f} | {r['ok']} | {r['stored']} | {r['failed']} | {r['server_cpu']:.1f} | {per:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
