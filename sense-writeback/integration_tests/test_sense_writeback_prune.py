"""``sense-writeback prune``: the retention job as a command of its own (a Kubernetes CronJob runs it)."""
from __future__ import annotations

import json
import os
import subprocess
import time

from sense_testing.writeback_receiver import receiver_command, start_receiver
from sense_testing.writeback_samples import writeback
from sense_writeback.store import open_store


def test_prune_deletes_what_is_older_than_the_retention_and_reads_the_database_from_the_environment(tmp_path):
    db = str(tmp_path / "wb.db")
    with start_receiver(db=db) as receiver:
        for i in range(3):
            assert receiver.post(writeback("GENERIC_EVENT", f"old-{i}")).status_code == 200
    time.sleep(1.0)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENSE_WRITEBACK_")}
    env["SENSE_WRITEBACK_DB"] = db
    keep = subprocess.run(receiver_command() + ["prune", "--retention-days", "30"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert (keep.returncode, json.loads(keep.stdout)) == (0, {"pruned": 0}), keep.stderr
    prune = subprocess.run(receiver_command() + ["prune", "--retention-days", "0.00001"], env=env,
                           capture_output=True, text=True, timeout=60)  # 0.864 s
    assert (prune.returncode, json.loads(prune.stdout)) == (0, {"pruned": 3}), prune.stderr
    with open_store(db, writer=False) as store:
        assert store.count() == 0
    (tmp_path / "a-file").write_text("")
    env["SENSE_WRITEBACK_DB"] = str(tmp_path / "a-file" / "wb.db")  # storage that cannot be opened
    failed = subprocess.run(receiver_command() + ["prune", "--retention-days", "1"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert failed.returncode == 1 and "sense-writeback prune: storage failed" in failed.stderr
