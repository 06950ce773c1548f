"""Failures injected by the Sense emulator: retries, re-authentication, splitting, giving up."""
from __future__ import annotations

import math
import time

from integration_tests.destination_harness import catalog, config_for, global_state, record, run_command, run_write, stream_state


def _candidates(n, start=0):
    return [record("candidates", {"id": i, "first_name": f"name{i}", "notes_ignored": None}) for i in range(start, start + n)]


def _posts(emulator):
    return [r for r in emulator.admin.requests() if r["method"] == "POST" and r.get("collection")]


def test_429_503_401_and_dropped_connections_are_survived(sense_emulator, tmp_path):
    sense_emulator.admin.faults(
        rate_limit={"count": 1, "retry_after": 1},
        server_error={"collection": "candidates", "count": 2, "status": 503},
        unauthorized_once=True,
        drop_connections=1,
    )
    messages = _candidates(1200) + [global_state(1)]
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates"), messages)
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(sense_emulator.admin.entities_by_id("candidates")) == 1200
    statuses = [r["status"] for r in _posts(sense_emulator)]
    assert statuses.count(201) == 3  # 500 + 500 + 200, each accepted once
    assert 429 in statuses and statuses.count(503) == 2 and 401 in statuses
    logs = "\n".join(result.logs)
    assert "retry" in logs and "renewing the access token" in logs
    assert result.states[0]["destinationStats"]["recordCount"] == 1200.0
    assert sense_emulator.admin.stats()["token_requests"] == 2  # the first token, one renewal after the 401


def test_413_splits_the_batch(sense_emulator, tmp_path):
    sense_emulator.admin.faults(max_records=120)
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates"), _candidates(500) + [global_state(1)])
    assert result.returncode == 0, result.stdout[-3000:]
    posts = _posts(sense_emulator)
    accepted = [p["records"] for p in posts if p["status"] == 201]
    assert sum(accepted) == 500 and max(accepted) <= 120
    assert posts[0]["status"] == 413 and posts[0]["records"] == 500
    assert len(sense_emulator.admin.entities_by_id("candidates")) == 500


def test_token_endpoint_failures_are_retried(sense_emulator, tmp_path):
    sense_emulator.admin.faults(token_failures={"count": 2, "status": 503})
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates"), _candidates(3) + [global_state(1)])
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(sense_emulator.admin.entities_by_id("candidates")) == 3


def test_exhausted_retries_fail_with_a_transient_error_and_no_unaccepted_state(sense_emulator, tmp_path):
    messages = _candidates(10) + [stream_state("candidates", "first")] + _candidates(10, start=10) + [stream_state("candidates", "second")]
    sense_emulator.admin.faults(server_error={"collection": "candidates", "probability": 1.0, "status": 503})
    config = config_for(sense_emulator, retry_max_seconds=3)
    result = run_write(tmp_path, config, catalog("candidates"), messages)
    assert result.returncode != 0
    (error,) = result.errors
    assert error["failure_type"] == "transient_error"
    assert "503" in error["message"] and "giving up" in error["message"]
    assert result.states == []  # no record was accepted, so no state may be echoed
    assert sense_emulator.admin.entities_by_id("candidates") == {}


def test_token_is_cached_and_renewed_on_expiry(sense_emulator_factory, tmp_path):
    emulator = sense_emulator_factory(token_ttl=2)
    # ~6 s of paced input; a record every 0.05 s, flushed every second
    messages = []
    for i in range(120):
        messages.append(record("candidates", {"id": i}))
        if i % 20 == 19:
            messages.append(stream_state("candidates", i))
    started = time.monotonic()
    result = run_write(tmp_path, config_for(emulator, flush_interval_seconds=1), catalog("candidates"), messages, pace=0.05)
    duration = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-3000:]
    stats = emulator.admin.stats()
    posts = [r for r in emulator.admin.requests() if r["method"] == "POST" and r.get("collection")]
    assert all(p["status"] == 201 for p in posts), "no request may go out with an expired token"
    # renewed as the 2-second tokens expire, but reused in between: far fewer tokens than requests
    assert stats["token_requests"] >= 2
    assert stats["token_requests"] <= math.ceil(duration / 1.8) + 1
    assert stats["token_requests"] < len(posts) + 1
    assert len(emulator.admin.entities_by_id("candidates")) == 120
    assert len(result.states) == 6


def test_partial_batches_are_flushed_by_age(sense_emulator, tmp_path):
    messages = [record("candidates", {"id": i}) for i in range(5)]
    result = run_write(tmp_path, config_for(sense_emulator, flush_interval_seconds=1), catalog("candidates"), messages, pace=0.6)
    assert result.returncode == 0
    posts = _posts(sense_emulator)
    assert len(posts) >= 2, "batches younger than the input must have been flushed by age"
    assert sum(p["records"] for p in posts) == 5


def test_secrets_never_appear_in_any_output(sense_emulator_factory, tmp_path):
    secret = "SeCrEt-7f3a9c-do-not-print"
    emulator = sense_emulator_factory(client_secret=secret, token_ttl=2)
    emulator.admin.faults(unauthorized_once=True, server_error={"count": 1, "status": 500})
    outputs = []
    config = config_for(emulator)
    outputs.append(run_write(tmp_path, config, catalog("candidates"), _candidates(50) + [global_state(1)]))
    outputs.append(run_write(tmp_path, config, catalog("candidates"), _candidates(3) + [record("candidates", {"id": 9, "custom_integer1": secret})]))
    outputs.append(run_command(tmp_path, "check", config))
    outputs.append(run_command(tmp_path, "check", dict(config, client_secret=secret + "-wrong")))
    outputs.append(run_write(tmp_path, dict(config, client_secret=secret + "-wrong"), catalog("candidates"), _candidates(1)))
    tokens = [r for r in emulator.admin.requests() if r["path"] == "/oauth2/token"]
    assert tokens, "the runs talked to the emulator"
    for result in outputs:
        assert secret not in result.stdout and secret not in result.stderr
    assert outputs[0].returncode == 0 and outputs[4].returncode != 0
    assert outputs[4].errors[0]["failure_type"] == "config_error"
