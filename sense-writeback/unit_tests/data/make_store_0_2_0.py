"""Make ``store_0_2_0.db`` (SQLite) or ``store_0_2_0_postgres.sql`` (a ``pg_dump``) with release 0.2.0.

Run it with sense-writeback 0.2.0 importable (a checkout of the release tag on ``PYTHONPATH`` ahead
of the installed package), from a virtualenv with the repository's test extras::

    PYTHONPATH=<0.2.0 checkout>/sense-writeback python make_store_0_2_0.py sqlite store_0_2_0.db
    PYTHONPATH=<0.2.0 checkout>/sense-writeback python make_store_0_2_0.py postgres store_0_2_0_postgres.sql

It starts the 0.2.0 receiver (``sense-writeback serve``), posts one write-back of every type (one
with entity references of several roles), a resend with the same content (duplicate) and one with
other content (conflict), reads the feed as a registered consumer, then writes forwarder rows with
0.2.0's ``Ledger`` (results, a parked write-back, note states, the lease). The upgrade tests
(``unit_tests/store/test_schema_upgrade.py`` and ``integration_tests/test_store_upgrade_postgres.py``)
check that every row survives an upgrade unchanged.
"""
from __future__ import annotations

import os
import subprocess
import sys

import requests

import sense_writeback
from sense_testing.writeback_receiver import start_receiver
from sense_testing.writeback_samples import writeback
from sense_writeback.store import open_store

TOKEN = "upgrade-fixture-token-0123456789"
READ_TOKEN = "upgrade-fixture-read-token-0123456789"
TYPES = ("GENERIC_EVENT", "ENGAGE_SENT_EVENT", "MESSAGING_INCOMING_MESSAGE", "ENTITY_UPDATE", "ENTITY_CREATE",
         "CHATBOT_RESPONSE_SUMMARY")


def fill(target: str) -> None:
    location = {"database_url": target} if "://" in target else {"db": target}
    with start_receiver(tokens=[TOKEN], env={"SENSE_WRITEBACK_READ_TOKENS": READ_TOKEN,
                                             "PYTHONPATH": os.environ.get("PYTHONPATH", "")}, **location) as proc:
        for writeback_type in TYPES:
            assert proc.post(writeback(writeback_type, f"fixture-{writeback_type}")).status_code == 200
        assert proc.post(writeback("GENERIC_EVENT", "fixture-GENERIC_EVENT")).status_code == 200  # duplicate
        changed = writeback("GENERIC_EVENT", "fixture-GENERIC_EVENT")
        changed["data"]["summary"] = "changed by a resend"
        assert proc.post(changed).status_code == 200  # conflict
        assert proc.post(changed).status_code == 200  # the same conflict again (attempts 2)
        feed = requests.get(proc.base_url + "/writebacks", params={"after": "3", "consumer": "crm-sync"},
                            headers={"Authorization": f"Bearer {READ_TOKEN}"}, timeout=30)
        assert feed.status_code == 200, feed.text
    from sense_writeback.forward.ledger import Ledger

    with open_store(target, writer=False) as store:
        rows = list(store.iter_writebacks())
        ledger = Ledger(store)
        try:
            assert ledger.claim("fixture-owner", 30.0)
            first, second, third = rows[:3]
            ledger.note_creating(first.sense_id)
            ledger.note_created(first.sense_id, 9001)
            ledger.association_done(first.sense_id, [("candidate", 1001), ("jobOrder", 2002)])
            ledger.finish(first.seq, first.sense_id, first.type, "note", "Note", 9001, "note 9001", 1)
            ledger.finish(second.seq, second.sense_id, second.type, "parked", None, None, "", 6,
                          reason="Bullhorn answered 400: no such candidate")
            ledger.note_creating(third.sense_id)  # a create in doubt
        finally:
            ledger.close()


def main(kind: str, output: str) -> None:
    assert sense_writeback.__file__ and os.path.exists(sense_writeback.__file__)
    if kind == "sqlite":
        if os.path.exists(output):
            os.remove(output)
        fill(output)
        return
    from sense_testing.postgres_server import find_bin_dir, start_postgres

    with start_postgres() as server:
        url = server.database("store_0_2_0")
        fill(url)
        dump = subprocess.run([os.path.join(find_bin_dir(), "pg_dump"), "--no-owner", "--no-privileges",
                               "--inserts", url], check=True, capture_output=True, text=True).stdout
    with open(output, "w", encoding="utf-8") as out:
        out.write(dump)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
