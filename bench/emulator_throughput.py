#!/usr/bin/env python3
"""Measure the Sense emulator's ingest rate: 500-record gzip batches of candidate-like records.

    python bench/emulator_throughput.py                 # starts its own emulator (in-memory store)
    python bench/emulator_throughput.py --db /tmp/x.db  # ... with a SQLite file
    python bench/emulator_throughput.py --url http://127.0.0.1:8765 --batches 400

Batches are built and compressed before the clock starts, then posted one after the other over
one keep-alive connection (requests.Session), as a destination does. Prints requests/s and
records/s. Not a test: no thresholds.
"""
from __future__ import annotations

import argparse
import gzip
import os
import pathlib
import random
import sys
import time

import orjson
import requests

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from sense_api.entities import load_schema  # noqa: E402
from sense_api.field_types import base_type  # noqa: E402
from sense_api.limits import MAX_BATCH_COMPRESSED_BYTES, MAX_BATCH_RECORDS  # noqa: E402
from sense_emulator.testing import start_emulator  # noqa: E402

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar "
         "papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu").split()


def _value(rng: random.Random, name: str, prop: dict):
    base = base_type(prop)
    fmt = prop.get("format")
    if base == "string":
        if fmt == "date":
            return f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if fmt in ("date-time", "date-or-date-time"):
            return f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+0000"
        if name.endswith("_id") or name[-1].isdigit() and "_id" in name:
            return str(rng.randint(1, 10**6))
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9)))
    if base == "integer":
        return rng.randint(0, 10**6)
    if base == "number":
        return round(rng.uniform(0, 10**5), 2)
    if base == "boolean":
        return rng.random() < 0.5
    if base == "array":
        return [rng.choice(WORDS) for _ in range(rng.randint(1, 4))]
    raise ValueError(base)


def candidate_records(count: int, fields: int = 60, seed: int = 7, random_shapes: bool = False) -> list:
    """Candidate-like records with ``fields`` populated fields (plus id), ~2.5 kB of JSON each.

    Like a stream's records, they share one set of fields (drawn at random from the schema)
    unless ``random_shapes``, which draws a new set for every record (a harder case).
    """
    rng = random.Random(seed)
    props = {k: v for k, v in load_schema("candidates")["properties"].items() if k != "id"}
    names = sorted(props)
    shared = rng.sample(names, fields)
    records = []
    for i in range(count):
        chosen = rng.sample(names, fields) if random_shapes else shared
        record = {"id": f"c{i}"}
        for name in chosen:
            record[name] = _value(rng, name, props[name])
        records.append(record)
    return records


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), 0.0 where unavailable."""
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="base URL of a running emulator (default: start one)")
    parser.add_argument("--client-id", default="sandbox-client")
    parser.add_argument("--client-secret", default="sandbox-secret")
    parser.add_argument("--db", help="SQLite file for the emulator this script starts")
    parser.add_argument("--batches", type=int, default=200, help="batches to post (default %(default)s)")
    parser.add_argument("--distinct", type=int, default=40, help="distinct pre-built batches cycled through")
    parser.add_argument("--fields", type=int, default=60, help="populated fields per record")
    parser.add_argument("--random-shapes", action="store_true", help="a different field set for every record")
    args = parser.parse_args(argv)

    distinct = min(args.distinct, args.batches)
    records = candidate_records(distinct * MAX_BATCH_RECORDS, args.fields, random_shapes=args.random_shapes)
    batches = []
    for b in range(distinct):
        raw = orjson.dumps(records[b * MAX_BATCH_RECORDS:(b + 1) * MAX_BATCH_RECORDS])
        batches.append((raw, gzip.compress(raw, 6)))
    raw_mean = sum(len(r) for r, _ in batches) / len(batches)
    gz_mean = sum(len(g) for _, g in batches) / len(batches)
    assert max(len(g) for _, g in batches) <= MAX_BATCH_COMPRESSED_BYTES, "a batch is over the compressed limit"
    print(f"batches: {MAX_BATCH_RECORDS} records, {raw_mean / MAX_BATCH_RECORDS:,.0f} B/record raw, "
          f"{raw_mean:,.0f} B raw, {gz_mean:,.0f} B gzip per batch")

    emulator = None
    base = args.url
    if base is None:
        emulator = start_emulator(client_id=args.client_id, client_secret=args.client_secret, db=args.db)
        base = emulator.base_url
    try:
        session = requests.Session()
        token = session.post(f"{base}/oauth2/token", data={
            "client_id": args.client_id, "client_secret": args.client_secret, "grant_type": "client_credentials",
        }).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Content-Encoding": "gzip"}
        url = f"{base}/v1/candidates"
        # warm-up
        session.post(url, data=batches[0][1], headers=headers).raise_for_status()
        cpu_before = cpu_seconds(emulator.proc.pid) if emulator else 0.0
        started = time.perf_counter()
        for i in range(args.batches):
            response = session.post(url, data=batches[i % distinct][1], headers=headers)
            if response.status_code != 201:
                print(f"batch {i}: {response.status_code} {response.text[:300]}", file=sys.stderr)
                return 1
        elapsed = time.perf_counter() - started
        server_cpu = cpu_seconds(emulator.proc.pid) - cpu_before if emulator else 0.0
    finally:
        if emulator is not None:
            emulator.stop()
    rps = args.batches / elapsed
    print(f"{args.batches} requests in {elapsed:.2f} s: {rps:,.1f} requests/s, "
          f"{rps * MAX_BATCH_RECORDS:,.0f} records/s, {rps * gz_mean / 1e6:,.1f} MB/s gzip")
    if server_cpu:
        per_request = server_cpu / args.batches
        print(f"emulator CPU: {per_request * 1000:.1f} ms per request (all threads), "
              f"{server_cpu / elapsed:.0%} of one core; load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
