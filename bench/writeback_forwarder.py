#!/usr/bin/env python3
"""Measure ``sense-writeback forward``: notes/s into the Bullhorn emulator, and the end-to-end latency
from Sense's send to the note in Bullhorn (p50/p99).

    python bench/writeback_forwarder.py                       # 500 for throughput, 200 for latency
    python bench/writeback_forwarder.py --count 2000 --latency-count 400 --rate 20

Throughput: ``--count`` write-backs (the seven note types, about the emulator's own records) are
stored through the real receiver first; then ``forward --once`` runs and notes/s is counted from
the first note's creation to the last (the forwarder's start-up, ~2 s of importing the CDK, is
printed apart). Latency: a forwarder runs continuously beside the receiver while write-backs are
posted at ``--rate`` per second; each latency is the note's ``dateAdded`` in the emulator minus the
moment its POST was sent (same machine clock). Prints numbers; asserts nothing.
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from sense_testing.fixtures_bullhorn import start_bullhorn_emulator  # noqa: E402
from sense_testing.forwarder_harness import notes, run_forward, start_forward, writebacks  # noqa: E402
from sense_writeback.forward.settings import NOTE_TYPES  # noqa: E402
from sense_testing.writeback_receiver import start_receiver  # noqa: E402


def _note_docs(emulator, count: int, seed: int):
    docs = [d for d in writebacks(emulator, count * 2, seed=seed) if d["type"] in NOTE_TYPES]
    while len(docs) < count:
        docs += [d for d in writebacks(emulator, count, seed=seed + len(docs)) if d["type"] in NOTE_TYPES]
    return docs[:count]


def throughput(emulator, workdir: pathlib.Path, count: int) -> None:
    docs = _note_docs(emulator, count, seed=1)
    db = str(workdir / "throughput.db")
    with start_receiver(db=db) as receiver:
        for doc in docs:
            receiver.post(doc)
    before = {n["id"] for n in notes(emulator)}
    started = time.time()
    result = run_forward(emulator, db, str(workdir / "state-1.json"), emulator.new_refresh_token(), timeout=3600)
    wall = time.time() - started
    made = sorted(n["dateAdded"] for n in notes(emulator) if n["id"] not in before)
    span = (made[-1] - made[0]) / 1000 if len(made) > 1 else float("nan")
    print(f"throughput: {len(made)} notes of {count} write-backs (exit {result.returncode})")
    print(f"  {len(made) / span:,.0f} notes/s from the first note to the last ({span:.2f} s); "
          f"{len(made) / wall:,.0f} notes/s over the whole run ({wall:.2f} s, start-up "
          f"{(made[0] / 1000 - started) if made else float('nan'):.2f} s)")


def latency(emulator, workdir: pathlib.Path, count: int, rate: float) -> None:
    docs = _note_docs(emulator, count, seed=2)
    db = str(workdir / "latency.db")
    sent = {}
    with start_receiver(db=db) as receiver:
        forwarder = start_forward(emulator, db, str(workdir / "state-2.json"), emulator.new_refresh_token(),
                                  str(workdir / "forward.log"), extra=("--poll-interval", "0.02"))
        try:
            time.sleep(4)  # the forwarder's start-up (the CDK import), not part of any latency
            for doc in docs:
                sent[f"sense:{doc['id']}"] = time.time()
                receiver.post(doc)
                time.sleep(1 / rate)
            deadline = time.time() + 120
            while time.time() < deadline:
                made = {n["externalID"]: n["dateAdded"] for n in notes(emulator) if n["externalID"] in sent}
                if len(made) == len(sent):
                    break
                time.sleep(0.2)
        finally:
            forwarder.terminate()
            forwarder.wait(30)
    latencies = sorted(made[key] / 1000 - sent[key] for key in made)
    if not latencies:
        print("latency: no note arrived")
        return
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"latency (Sense's send → note in Bullhorn), {len(latencies)} of {count} at {rate:g}/s: "
          f"p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=500, help="write-backs for the throughput run")
    parser.add_argument("--latency-count", type=int, default=200, help="write-backs for the latency run")
    parser.add_argument("--rate", type=float, default=20.0, help="write-backs per second in the latency run")
    args = parser.parse_args()
    emulator = start_bullhorn_emulator("--seed", "7")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-forwarder-") as tmp:
            workdir = pathlib.Path(tmp)
            if args.count:
                throughput(emulator, workdir, args.count)
            if args.latency_count:
                latency(emulator, workdir, args.latency_count, args.rate)
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
