"""source-ats in change-event mode against the Bullhorn emulator, through real HTTP and the real console
script: destructive reads survived by requestId re-gets, lost subscriptions and batches answered by a
dateLastModified window, 429/5xx on event reads and record fetches, and the calls each sync makes."""
from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest
import requests

from console_scripts.finder import console_script
from sense_demo.pipe import connector_env
from sense_testing.fixtures_bullhorn import configured_catalog, run_source_ats

STREAMS = ["candidates", "placements", "leads"]
DELETED = "_ab_cdc_deleted_at"


class Connection:
    """One source connection as the platform keeps it: its config (refresh tokens rotate) and state."""

    def __init__(self, emulator, workdir, streams=STREAMS, **method):
        self.emulator = emulator
        self.workdir = workdir
        self.catalog = configured_catalog(streams)
        self.config = emulator.config(num_workers=2, replication_method={
            "method": "change_events", "subscription_id": "tests", **method})
        self.state = None

    def sync(self, commit=True):
        run = run_source_ats("read", self.config, self.workdir, catalog=self.catalog, state=self.state)
        assert run.returncode == 0, (run.errors, run.stderr[-2000:])
        if run.config_updates:
            self.config = run.config_updates[-1]
        if commit:
            self.state = run.final_states()
        return run

    def calls(self):
        return self.emulator.stats()["rest_calls_by_route"]


def _ids(emulator, entity):
    answer = requests.get(f"{emulator.base_url}/_admin/records", params={"entity": entity}, timeout=30)
    return [r["id"] for r in answer.json()["records"]]


def _changes(emulator):
    """A touch of 2 candidates, a hard-deleted placement, 1 new lead: {stream: ids}."""
    touched = emulator.admin("touch", {"entity": "Candidate", "count": 2})["ids"]
    placement = _ids(emulator, "Placement")[0]
    emulator.admin("delete", {"entity": "Placement", "ids": [placement], "hard": True})
    lead = emulator.admin("insert", {"entity": "Lead", "count": 1})["ids"]
    return {"candidates": set(touched), "placements": {placement}, "leads": set(lead)}


def _seen(run):
    return {stream: {r["id"] for r in rows} for stream, rows in run.records_by_stream().items()}


@pytest.fixture()
def emulator(bullhorn_emulator_factory):
    return bullhorn_emulator_factory("--seed", "11", "--scale", "0.05")


def test_a_sync_killed_after_reading_the_events_loses_nothing(emulator, tmp_path):
    # Streams that all need a fetch, so none can finish (and checkpoint) before the kill.
    connection = Connection(emulator, tmp_path, streams=["candidates", "leads"])
    connection.sync()
    changed = _changes(emulator)
    del changed["placements"]
    # Slow record fetches down so the kill lands after the destructive read, before any state.
    emulator.admin("config", {"latency_ms": 1500})
    config_path = tmp_path / "killed-config.json"
    config_path.write_text(json.dumps(connection.config))
    (tmp_path / "killed-catalog.json").write_text(json.dumps(connection.catalog))
    (tmp_path / "killed-state.json").write_text(json.dumps(connection.state))
    process = subprocess.Popen([console_script("source-ats"), "read", "--config", str(config_path), "--catalog",
                                str(tmp_path / "killed-catalog.json"), "--state", str(tmp_path / "killed-state.json")],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=connector_env())
    states = 0
    for line in process.stdout:
        states += '"type":"STATE"' in line.replace(" ", "")
        if "new event(s)" in line:
            break
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert states == 0
    subscription = requests.get(f"{emulator.base_url}/_admin/subscriptions", timeout=30).json()["subscriptions"]["tests"]
    assert subscription["queued"] == 0 and subscription["lastRequestId"] == 1  # the events were taken
    emulator.admin("config", {"latency_ms": 0})
    # The killed run may have spent the refresh token (single use): an administrator's new one.
    connection.config = {**connection.config, "refresh_token": emulator.new_refresh_token()}
    emulator.admin("reset-stats")
    again = connection.sync()
    assert _seen(again) == changed  # re-got by requestId
    assert connection.calls()["event"] == 3  # new read (empty) + lastRequestId + re-get of batch 1


def test_an_expired_subscription_falls_back_to_a_window_and_loses_no_change(emulator, tmp_path):
    connection = Connection(emulator, tmp_path)
    connection.sync()
    changed = _changes(emulator)
    emulator.admin("expire-subscription", {"subscription": "tests"})
    fallback = connection.sync()
    assert "subscription 'tests' does not exist" in fallback.log_text
    assert "reading the dateLastModified window" in fallback.log_text
    seen = _seen(fallback)
    assert changed["candidates"] <= seen["candidates"] and changed["leads"] <= seen["leads"]
    # Then events again, from the new subscription.
    later = emulator.admin("touch", {"entity": "Candidate", "count": 1})["ids"]
    assert _seen(connection.sync()) == {"candidates": set(later)}


def test_a_batch_no_longer_retained_falls_back_to_a_window(emulator, tmp_path):
    connection = Connection(emulator, tmp_path)
    connection.sync()
    changed = _changes(emulator)
    connection.sync(commit=False)  # reads batch 1, then dies before its state is committed
    emulator.admin("config", {"event_retention": 1})
    time.sleep(1.2)  # batch 1 is older than the retention now
    run = connection.sync()
    assert "batch 1 is no longer retained by Bullhorn" in run.log_text
    seen = _seen(run)
    assert changed["candidates"] <= seen["candidates"] and changed["leads"] <= seen["leads"]


def test_429_and_5xx_on_event_reads_and_record_fetches_are_retried(emulator, tmp_path):
    connection = Connection(emulator, tmp_path)
    connection.sync()
    changed = _changes(emulator)
    emulator.admin("faults", {"route": "event", "status": 429, "count": 1})
    emulator.admin("faults", {"route": "query", "status": 503, "count": 1})
    emulator.admin("reset-stats")
    run = connection.sync()
    assert _seen(run) == changed
    assert connection.calls() == {"event": 2, "query": 2 + 1}  # each fault cost one more call


def test_first_sync_then_only_changes_in_the_documented_number_of_calls(emulator, tmp_path):
    connection = Connection(emulator, tmp_path, max_events_per_read=2)
    first = connection.sync()
    assert set(_seen(first)) == set(STREAMS)
    assert "no checkpoint in the stream's state; reading the dateLastModified window" in first.log_text
    for state in connection.state:
        checkpoint = state["stream"]["stream_state"]["change_events"]
        assert checkpoint["subscription_id"] == "tests" and checkpoint["request_id"] == 0
    emulator.admin("reset-stats")
    assert connection.sync().records == []
    assert connection.calls() == {"event": 2}  # quiet: an empty read and lastRequestId
    changed = _changes(emulator)  # 4 events: 2 candidates updated, 1 placement deleted, 1 lead inserted
    emulator.admin("reset-stats")
    run = connection.sync()
    # floor(4 / 2) + 1 = 3 reads (the last one finds the queue empty); one fetch per entity with
    # changed records that still exist (the hard-deleted placement is known from its DELETED event).
    assert connection.calls() == {"event": 3, "query": 2}
    assert _seen(run) == changed
    (deleted,) = run.records_by_stream()["placements"]
    assert set(deleted) == {"id", "dateLastModified", DELETED} and deleted[DELETED].endswith("Z")
    assert all(s["stream"]["stream_state"]["change_events"]["request_id"] == 2 for s in connection.state)
