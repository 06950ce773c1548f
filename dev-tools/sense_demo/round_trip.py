"""The demo's round trip: Sense → write-back receiver → forwarder → Bullhorn.

After the sync, the Sense emulator holds Bullhorn's records under their Bullhorn ids. Its
write-back dispatcher sends write-backs of every type about them to a ``sense-writeback``
receiver (a few are re-delivered, as after a lost answer, to show the duplicates); the forwarder
(``sense-writeback forward --once``) writes them into the Bullhorn emulator. Printed: a per-type
table (sent by Sense, stored, duplicates, forwarded, parked) and one note read back from Bullhorn.
"""
from __future__ import annotations

import collections
import json
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import List

import requests

from sense_demo.pipe import console_script
from sense_testing.writeback_receiver import start_receiver

SENSE_TOKEN = "demo-sense-token-0123456789abcdef"
READ_TOKEN = "demo-read-token-0123456789abcdef"
PER_TYPE = 4
REDELIVER = 3


def _forward(out: Path, db: Path, bullhorn_url: str) -> subprocess.CompletedProcess:
    refresh = requests.post(f"{bullhorn_url}/_admin/refresh-token", timeout=30).json()["refresh_token"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENSE_WRITEBACK_")}
    env.update({"SENSE_WRITEBACK_BULLHORN_CLIENT_ID": "emulator-client-id",
                "SENSE_WRITEBACK_BULLHORN_CLIENT_SECRET": "emulator-client-secret-0001",
                "SENSE_WRITEBACK_BULLHORN_REFRESH_TOKEN": refresh})
    with open(out / "forwarder.log", "w") as log:
        return subprocess.run([console_script("sense-writeback"), "forward", "--once", "--db", str(db),
                               "--bullhorn-auth-url", f"{bullhorn_url}/oauth",
                               "--bullhorn-login-url", f"{bullhorn_url}/rest-services",
                               "--state-file", str(out / "bullhorn-state.json")],
                              env=env, stdout=subprocess.PIPE, stderr=log, text=True, timeout=600)


def writeback_table(sent, stored, duplicates, forwarded, parked) -> List[str]:
    """The per-type table of the round trip, then what its columns mean (``duplicates`` above all)."""
    lines = [f"   {'type':<28}{'sent by Sense':>14}{'stored':>8}{'duplicates':>12}{'forwarded':>11}{'parked':>8}"]
    for name in sorted(set(sent) | set(stored)):
        lines.append(f"   {name:<28}{sent[name]:>14}{stored[name]:>8}{duplicates[name]:>12}{forwarded[name]:>11}{parked[name]:>8}")
    lines.append(f"   {'total':<28}{sum(sent.values()):>14}{sum(stored.values()):>8}{sum(duplicates.values()):>12}"
                 f"{sum(forwarded.values()):>11}{sum(parked.values()):>8}")
    lines += [
        "   duplicates: deliveries of a write-back the receiver had already stored. The demo re-delivers "
        f"{sum(duplicates.values())} on purpose,",
        "   as Sense does when the receiver's answer is lost; each got the same receiver id and is stored once.",
        "   parked: not forwarded to Bullhorn, with the reason below (sense-writeback replay sends them again).",
    ]
    return lines


def round_trip(out: Path, sense, bullhorn_url: str) -> bool:
    """Run the round trip; True when every write-back Sense sent ended forwarded or parked."""
    db = out / "writebacks.db"
    print("\n== Round trip: Sense write-backs → sense-writeback → forwarder → Bullhorn notes")
    with start_receiver(db=str(db), tokens=[SENSE_TOKEN], env={"SENSE_WRITEBACK_READ_TOKENS": READ_TOKEN},
                        log_path=str(out / "receiver.log")) as receiver:
        print(f"   sense-writeback receiver at {receiver.base_url} (SQLite: {db})")
        sense.admin.configure_writebacks(url=receiver.event_url, auth={"mode": "header", "token": SENSE_TOKEN})
        ids = sense.admin.enqueue_writebacks(count=PER_TYPE * 10, seed=7)
        sense.admin.wait_writebacks(timeout=120)
        for writeback_id in ids[:REDELIVER]:  # as if Sense lost our answer: sent again, stored once
            sense.admin.redeliver_writeback(writeback_id)
        sense.admin.wait_writebacks(timeout=120)
    result = _forward(out, db, bullhorn_url)
    if result.returncode != 0:
        print(f"   FAILED: the forwarder exited {result.returncode} (see {out / 'forwarder.log'})")
        return False
    sent, duplicates = collections.Counter(), collections.Counter()
    for item in sense.admin.writebacks():
        if item["status"] == "delivered":
            sent[item["type"]] += 1
        oks = sum(1 for attempt in item.get("attempts", []) if attempt.get("status") == 200)
        duplicates[item["type"]] += max(0, oks - 1)
    with sqlite3.connect(db) as conn:
        stored = collections.Counter(dict(conn.execute("SELECT type, COUNT(*) FROM writebacks GROUP BY type")))
        outcomes = list(conn.execute("SELECT type, outcome, bullhorn_id FROM forward_results"))
        reasons = list(conn.execute("SELECT type, reason FROM forward_dead_letters WHERE replayed_at IS NULL"))
    forwarded = collections.Counter(t for t, outcome, _ in outcomes if outcome != "parked")
    parked = collections.Counter(t for t, outcome, _ in outcomes if outcome == "parked")
    for line in writeback_table(sent, stored, duplicates, forwarded, parked):
        print(line)
    for name, reason in reasons[:3]:
        print(f"   parked {name}: {reason}")
    replies = {str(bid) for t, outcome, bid in outcomes if outcome == "note" and t == "ENGAGE_EVENT_RESPONSE"}
    notes = [n for n in requests.get(f"{bullhorn_url}/_admin/notes", timeout=30).json()["notes"] if str(n["id"]) in replies]
    if notes:
        note = max(notes, key=lambda n: len(n["entities"]))  # the best-connected reply
        note_id = note["id"]
        print(f"\n   A note read back from Bullhorn (Note {note_id}, action {note['action']!r}, on "
              f"{note['personReference']['_subtype']} {note['personReference']['id']}, attached to "
              + ", ".join(f"{e['targetEntityName']} {e['targetEntityID']}" for e in note["entities"]) + "):")
        for line in note["comments"].splitlines():
            print(f"     | {line}")
    complete = sum(sent.values()) == sum(stored.values()) == sum(forwarded.values()) + sum(parked.values())
    print("\n   Every write-back Sense sent was stored once and forwarded or parked with a reason."
          if complete else "\n   MISMATCH between sent, stored and forwarded + parked.")
    print(f"   Forwarder summary: {json.dumps(json.loads(result.stdout.strip().splitlines()[-1]))}")
    return complete
