"""``make demo`` / ``python -m sense_demo``: the main job on an embedded default.

1. starts ``bullhorn-emulator`` (seeded: thousands of candidates and consistent related entities)
   and ``sense-emulator`` (SQLite file in ``demo-output/``);
2. runs ``source-ats`` → ``destination-sense`` (preset ``bullhorn``) through the Airbyte protocol,
   showing progress, and prints a per-entity table read back from the Sense emulator;
3. modifies a few Bullhorn records and hard-deletes one placement, and syncs again through Bullhorn's
   change events (source-ats's change-event mode), showing that only those were sent and that the
   deleted placement is marked `is_deleted` in Sense;
4. the round trip (``sense_demo/round_trip.py``): the Sense emulator dispatches write-backs about
   the synced records to a ``sense-writeback`` receiver, ``sense-writeback forward`` writes them
   into the Bullhorn emulator as notes and field updates, and a per-type table and one note are shown;
5. stops the servers and says where the SQLite files are.
"""
from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import requests

from bullhorn_emulator.testing import start_emulator as start_bullhorn_emulator
from destination_sense.mapping import build_mappings
from sense_api.bullhorn import STREAM_ENTITY as BULLHORN_ENTITIES  # stream → Bullhorn entity
from sense_api.entities import ENTITIES
from sense_demo.pipe import SyncResult, run_sync
from sense_emulator.testing import start_emulator

TOUCHED = {"Candidate": 5, "Placement": 3, "JobOrder": 2}


def start_bullhorn(seed: int, scale: float):
    emulator = start_bullhorn_emulator("--seed", str(seed), "--scale", str(scale), stderr=subprocess.DEVNULL)
    return emulator.process, emulator.base_url


def catalog(streams: List[str]) -> Dict:
    return {
        "streams": [
            {
                "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"],
                           "source_defined_cursor": True, "default_cursor_field": ["dateLastModified"],
                           "source_defined_primary_key": [["id"]]},
                "sync_mode": "incremental", "cursor_field": ["dateLastModified"],
                "destination_sync_mode": "append_dedup", "primary_key": [["id"]],
            }
            for name in streams
        ]
    }


def progress(result: SyncResult) -> None:
    print(f"   … {result.records:,} records read, {len(result.states_out)} checkpoints committed ({result.seconds:.0f} s)", flush=True)


def table(emulator, bullhorn_url: str, mappings, before: Dict[str, Dict] = None) -> Dict[str, Dict]:
    stats = emulator.admin.stats()["collections"]
    stored = emulator.admin.counts()
    stored = stored.get("counts", stored)
    dangling = emulator.admin.dangling()["counts"]
    truth = {}
    for stream, entity in BULLHORN_ENTITIES.items():
        records = requests.get(f"{bullhorn_url}/_admin/records", params={"entity": entity}, timeout=30).json()
        truth[mappings[stream].collection] = (stream, len(records.get("records", records.get("ids", []))))
    print(f"   {'Sense entity':<16}{'from stream':<26}{'in Bullhorn':>12}{'stored':>9}{'sent now':>10}{'rejected':>10}{'dangling':>10}")
    rows = {}
    for entity in ENTITIES:
        c = entity.collection
        s = stats.get(c, {})
        sent_total = s.get("records", 0)
        sent_now = sent_total - (before or {}).get(c, {}).get("sent_total", 0)
        stream, in_bullhorn = truth.get(c, ("-", 0))
        rows[c] = {"sent_total": sent_total, "stored": stored.get(c, 0)}
        print(f"   {c:<16}{stream:<26}{in_bullhorn:>12,}{stored.get(c, 0):>9,}{sent_now:>10,}{s.get('rejected', 0):>10,}{dangling.get(c, 0):>10,}")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default="demo-output", help="folder for the SQLite file, configs and logs")
    parser.add_argument("--scale", type=float, default=10, help="Bullhorn data scale (10: 4,000 candidates)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    out = Path(args.output).resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    db = out / "sense.sqlite"

    print("== Starting the emulators")
    bullhorn, bullhorn_url = start_bullhorn(args.seed, args.scale)
    sense = start_emulator(db=str(db))
    print(f"   bullhorn-emulator at {bullhorn_url}\n   sense-emulator   at {sense.base_url} (SQLite: {db})")
    try:
        refresh_token = requests.post(f"{bullhorn_url}/_admin/refresh-token", timeout=30).json()["refresh_token"]
        source_config = out / "source-config.json"
        source_config.write_text(json.dumps({
            "client_id": "emulator-client-id", "client_secret": "emulator-client-secret-0001",
            "refresh_token": refresh_token, "auth_base_url": f"{bullhorn_url}/oauth",
            "rest_login_url": f"{bullhorn_url}/rest-services", "start_date": "2015-01-01T00:00:00Z",
            "num_workers": 1, "replication_method": {"method": "change_events", "subscription_id": "sense-demo"},
        }, indent=1))
        destination_config = out / "destination-config.json"
        destination_config.write_text(json.dumps({
            "client_id": sense.client_id, "client_secret": sense.client_secret, "api_url": sense.api_url,
            "token_url": sense.token_url, "source_preset": "bullhorn",
            # each sync's report.json and rejected records, in the layout an S3 bucket would hold
            "object_storage_config": {"storage_type": "Local", "local_path": str(out / "sync-outcomes")},
        }, indent=1))
        mappings = build_mappings("bullhorn")
        streams = list(BULLHORN_ENTITIES)

        print("\n== Sync 1: full load, source-ats → destination-sense (preset bullhorn); subscribes to Bullhorn's change events")
        first = run_sync(out / "sync-1", source_config, destination_config, catalog(streams), on_progress=progress)
        report(first)
        if not first.ok:
            return 1
        before = table(sense, bullhorn_url, mappings)

        print("\n== Modifying Bullhorn records: " + ", ".join(f"{n} {e}" for e, n in TOUCHED.items()))
        touched = 0
        touched_placements: set = set()
        for entity, count in TOUCHED.items():
            answer = requests.post(f"{bullhorn_url}/_admin/touch", json={"entity": entity, "count": count}, timeout=30).json()
            touched += len(answer["ids"])
            print(f"   {entity}: ids {answer['ids']}")
            if entity == "Placement":
                touched_placements = set(answer["ids"])
        placements = requests.get(f"{bullhorn_url}/_admin/records", params={"entity": "Placement"}, timeout=30).json()
        deleted = next(r["id"] for r in placements["records"] if r["id"] not in touched_placements)
        requests.post(f"{bullhorn_url}/_admin/delete", json={"entity": "Placement", "ids": [deleted], "hard": True},
                      timeout=30).raise_for_status()
        touched += 1
        print(f"   Placement {deleted}: deleted for good (a hard delete: gone from every Bullhorn query)")

        print("\n== Sync 2: change events, from the state committed by sync 1")
        second = run_sync(out / "sync-2", source_config, destination_config, catalog(streams), state=first.next_state(), on_progress=progress)
        report(second)
        if not second.ok:
            return 1
        table(sense, bullhorn_url, mappings, before)
        print(f"\n   Sync 2 read {second.records} records: the {touched} modified or deleted ones"
              + (" — only those were sent." if second.records == touched else f" (expected {touched})."))
        if second.records != touched:
            return 1
        stored = sense.admin.entity(mappings["placements"].collection, str(deleted))
        print(f"   The hard-deleted placement in Sense: {json.dumps(stored)}")
        if not stored or stored.get("is_deleted") is not True:
            print("   FAILED: the deleted placement is not marked is_deleted")
            return 1
        from sense_demo.round_trip import round_trip

        return 0 if round_trip(out, sense, bullhorn_url) else 1
    finally:
        print("\n== Stopping the emulators")
        sense.stop()
        bullhorn.send_signal(signal.SIGTERM)
        bullhorn.wait(timeout=10)
        print(f"   The Sense emulator's data is in {db}\n   (e.g. sqlite3 {db} 'select collection, count(*) from entities group by 1')")


def report(result: SyncResult) -> None:
    print(f"   {result.records:,} records in {result.seconds:.1f} s; {len(result.states_out)} states committed; "
          f"{result.config_updates} refresh-token rotation(s) saved")
    for line in result.destination_logs:
        if line.startswith(("total:", "Rejected", "Sync report", "Sync outcomes")):
            print(f"   destination: {line}")
    for error in result.source_errors + result.destination_errors:
        print(f"   ERROR ({error.get('failure_type')}): {error.get('message')}")
    if not result.ok:
        print(f"   FAILED: source exit {result.source_exit}, destination exit {result.destination_exit}")


if __name__ == "__main__":
    sys.exit(main())
