#!/usr/bin/env python3
"""Bullhorn API calls and change-to-Sense latency: dateLastModified windows vs change events.

    python bench/change_events.py                    # 12 syncs per mode, 2,000 changes a day, 5-minute schedule
    python bench/change_events.py --syncs 24 --changes-per-day 10000 --json

For each update method, a seeded ``bullhorn-emulator`` and a ``sense-emulator`` are started, and the
real ``source-ats read | destination-sense write`` chain (sense_demo.pipe.run_sync) runs once to seed
Sense and the state. Then ``--syncs`` follow-up syncs run back to back, each after the changes one
schedule interval brings at ``--changes-per-day`` (updates, inserts, soft and hard deletes drawn with a
realistic entity mix, seeded). Before each sync the emulator's per-route REST call counter is reset;
after it, the calls it counted are compared with the documented formula (docs/source-ats.md,
"Change events"), computed from the changes actually made:

- windows: one `query` per entity stream per time window and page: Σ_e windows_e (+ a page per 500
  records changed in a window) — 10 per sync when every entity changed within a year (one window
  each, as here: one record of each entity is modified before the seeding sync);
- change events: floor(E / maxEvents) + 1 subscription reads, + 1 `lastRequestId` when there was no
  event, + Σ_e ceil(u_e / 500) fetches (u_e: distinct changed ids of entity e that still exist).

Calls per month = calls per sync × syncs per month (30 days at the schedule). The REST login (one per
sync, per process) is reported apart: it is a call to the login service, not to the data API.

Latency: before the last sync of each mode one candidate is modified (change events: also one placement
hard-deleted); the time from that change until Sense's emulator holds it is polled every 20 ms while
the sync runs. A change waits on average half the schedule interval for the next sync, so the expected
change-to-Sense time is interval / 2 + that figure.

Not a test: it asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests

from bullhorn_emulator.testing import start_emulator as start_bullhorn
from sense_demo.pipe import run_sync
from sense_emulator.testing import start_emulator as start_sense
from sense_api.bullhorn import STREAM_ENTITY, STREAM_ORDER

#: Share of a day's changes per entity (an agency's mix: candidates and their submissions dominate).
MIX = {"Candidate": 0.40, "JobSubmission": 0.15, "ClientContact": 0.10, "Appointment": 0.10, "JobOrder": 0.08,
       "Placement": 0.05, "Lead": 0.05, "CandidateCertification": 0.05, "ClientCorporation": 0.01,
       "CorporateUser": 0.01}
#: Of the changes: updates, inserts, soft deletes, hard deletes (Placement: hard only; ClientCorporation
#: and CorporateUser: updates only).
KINDS = (("update", 0.85), ("insert", 0.10), ("soft", 0.03), ("hard", 0.02))
SOFT_DELETABLE = {"ClientContact", "Candidate", "JobOrder", "JobSubmission", "Lead", "CandidateCertification", "Appointment"}
MAX_EVENTS = 500
PAGE = 500


def _catalog() -> Dict[str, Any]:
    return {"streams": [{"stream": {"name": s, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                         "sync_mode": "incremental", "cursor_field": ["dateLastModified"],
                         "destination_sync_mode": "append_dedup", "primary_key": [["id"]]} for s in STREAM_ORDER]}


def _ids(bullhorn, entity: str) -> List[int]:
    answer = requests.get(f"{bullhorn.base_url}/_admin/records", params={"entity": entity}, timeout=30)
    return [r["id"] for r in answer.json()["records"]]


def make_changes(bullhorn, rng: random.Random, count: int) -> Dict[str, Dict[str, set]]:
    """`count` changes drawn from MIX and KINDS: {entity: {"changed": ids, "gone": hard-deleted ids}}."""
    made: Dict[str, Dict[str, set]] = {e: {"changed": set(), "gone": set()} for e in MIX}
    entities, weights = list(MIX), list(MIX.values())
    for _ in range(count):
        entity = rng.choices(entities, weights)[0]
        kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
        if entity in ("ClientCorporation", "CorporateUser"):
            kind = "update"
        elif entity == "Placement" and kind == "soft":
            kind = "hard"
        elif kind == "soft" and entity not in SOFT_DELETABLE:
            kind = "update"
        if kind == "insert":
            made[entity]["changed"].update(bullhorn.admin("insert", {"entity": entity, "count": 1})["ids"])
            continue
        target = rng.choice(_ids(bullhorn, entity)[:50])
        if kind == "update":
            bullhorn.admin("touch", {"entity": entity, "ids": [target]})
        else:
            bullhorn.admin("delete", {"entity": entity, "ids": [target], "hard": kind == "hard"})
        made[entity]["changed"].add(target)
        if kind == "hard":
            made[entity]["gone"].add(target)
    return made


def windows(state: List[Dict[str, Any]], now_ms: int) -> Dict[str, int]:
    """Time windows each stream's next incremental read makes (one per `window_size_days`, 365)."""
    step = 365 * 86_400_000
    out = {}
    for message in state:
        stream = message["stream"]["stream_descriptor"]["name"]
        start = int(message["stream"]["stream_state"]["dateLastModified"]) + 1
        out[STREAM_ENTITY[stream]] = max(1, -(-(now_ms - start) // step))
    return out


def predicted_calls(method: str, made: Dict[str, Dict[str, set]], events: int, windows_by_entity: Dict[str, int]) -> int:
    if method == "date_last_modified":
        # Σ_e windows_e + extra pages (a window with ≥ 500 changes): none at these rates.
        return sum(windows_by_entity[e] + len(m["changed"]) // PAGE for e, m in made.items())
    fetch = sum(-(-len(m["changed"] - m["gone"]) // 500) for m in made.values())
    return events // MAX_EVENTS + 1 + (1 if events == 0 else 0) + fetch


def _stored(sense, collection: str, entity_id: int, check) -> bool:
    entity = sense.admin.entity(collection, str(entity_id))
    return entity is not None and check(entity)


def run_mode(method: str, syncs: int, per_sync: float, seed: int, workdir: Path) -> Dict[str, Any]:
    rng = random.Random(seed)
    bullhorn = start_bullhorn("--seed", str(seed), "--scale", "0.5")
    try:
        with start_sense() as sense:
            source = workdir / f"{method}-source.json"
            method_config = {"method": method, "subscription_id": "bench"} if method == "change_events" else {"method": method}
            source.write_text(json.dumps(bullhorn.config(num_workers=3, replication_method=method_config)))
            destination = workdir / f"{method}-destination.json"
            destination.write_text(json.dumps({"client_id": sense.client_id, "client_secret": sense.client_secret,
                                               "api_url": sense.api_url, "token_url": sense.token_url,
                                               "source_preset": "bullhorn"}))
            # A live agency changes every entity within a year: one recent record each, so every stream's
            # state is recent (the seeded records are years old) and a windows read makes one window each.
            for entity in MIX:
                bullhorn.admin("touch", {"entity": entity, "count": 1})
            seeded = run_sync(workdir / f"{method}-0", source, destination, _catalog())
            assert seeded.ok, (seeded.source_errors, seeded.destination_errors)
            state = seeded.next_state()
            rows, carry = [], 0.0
            latency: Optional[float] = None
            for n in range(1, syncs + 1):
                carry += per_sync
                count, carry = int(carry), carry - int(carry)
                made = make_changes(bullhorn, rng, count)
                events = sum(s["queued"] for s in requests.get(f"{bullhorn.base_url}/_admin/subscriptions",
                                                               timeout=30).json()["subscriptions"].values())
                probe = None
                if n == syncs:  # the latency probe: one more candidate update, timed until Sense holds it
                    candidate = _ids(bullhorn, "Candidate")[-1]
                    probe_before = (sense.admin.entity("candidates", str(candidate)) or {}).get("custom_text1")
                    touched = bullhorn.admin("touch", {"entity": "Candidate", "ids": [candidate]})
                    made["Candidate"]["changed"].add(candidate)
                    events += 1 if method == "change_events" else 0
                    probe = {"t0": time.monotonic(), "candidate": candidate, "ids": touched["ids"]}
                planned = windows(state, int(time.time() * 1000))
                bullhorn.admin("reset-stats")
                stop = threading.Event()
                seen: Dict[str, float] = {}
                if probe is not None:
                    def poll(p=probe) -> None:
                        while not stop.is_set():
                            entity = sense.admin.entity("candidates", str(p["candidate"]))
                            if entity and entity.get("custom_text1") != p["before"]:
                                seen["stored"] = time.monotonic()
                                return
                            time.sleep(0.02)
                    probe["before"] = probe_before
                    watcher = threading.Thread(target=poll, daemon=True)
                    watcher.start()
                started = time.monotonic()
                result = run_sync(workdir / f"{method}-{n}", source, destination, _catalog(), state=state)
                seconds = time.monotonic() - started
                stop.set()
                assert result.ok, (result.source_errors, result.destination_errors)
                state = result.next_state()
                stats = bullhorn.stats()
                calls = stats["rest_calls"]
                rows.append({"sync": n, "changes": count + (1 if probe else 0), "events": events, "records": result.records,
                             "calls": calls, "by_route": stats["rest_calls_by_route"], "logins": stats["rest_login"],
                             "predicted": predicted_calls(method, made, events, planned), "seconds": round(seconds, 2)})
                if probe is not None and "stored" in seen:
                    latency = seen["stored"] - probe["t0"]
            return {"method": method, "rows": rows, "latency_seconds": latency}
    finally:
        bullhorn.stop()


def summarise(result: Dict[str, Any], interval_minutes: float) -> Dict[str, Any]:
    rows = result["rows"]
    per_sync = statistics.mean(r["calls"] for r in rows)
    syncs_per_month = 30 * 24 * 60 / interval_minutes
    return {"method": result["method"], "syncs": len(rows), "calls_per_sync": round(per_sync, 2),
            "calls_per_month": round(per_sync * syncs_per_month),
            "logins_per_month": round(statistics.mean(r["logins"] for r in rows) * syncs_per_month),
            "formula_matches": all(r["calls"] == r["predicted"] for r in rows),
            "median_sync_seconds": round(statistics.median(r["seconds"] for r in rows), 2),
            "change_to_sense_seconds": None if result["latency_seconds"] is None else round(result["latency_seconds"], 2)}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--syncs", type=int, default=12)
    parser.add_argument("--changes-per-day", type=float, default=2000)
    parser.add_argument("--interval-minutes", type=float, default=5)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    per_sync = args.changes_per_day * args.interval_minutes / (24 * 60)
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-change-events-") as tmp:
        for method in ("date_last_modified", "change_events"):
            result = run_mode(method, args.syncs, per_sync, args.seed, Path(tmp))
            out.append({**summarise(result, args.interval_minutes), "rows": result["rows"]})
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"{args.changes_per_day:g} changes/day, a sync every {args.interval_minutes:g} min "
          f"({per_sync:.2f} changes per sync), {args.syncs} syncs per method\n")
    print("| update method | REST calls / sync | REST calls / month | logins / month | formula = counted | median sync s | change → Sense s (sync starting at the change) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for s in out:
        print(f"| {s['method']} | {s['calls_per_sync']} | {s['calls_per_month']:,} | {s['logins_per_month']:,} | "
              f"{'yes' if s['formula_matches'] else 'NO'} | {s['median_sync_seconds']} | {s['change_to_sense_seconds']} |")
    for s in out:
        print(f"\n{s['method']}: " + "; ".join(f"#{r['sync']} {r['changes']} changes → {r['calls']} calls "
                                                f"(predicted {r['predicted']}) {r['by_route']}" for r in s["rows"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
