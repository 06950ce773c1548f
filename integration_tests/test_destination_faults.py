"""Failures injected by the Sense emulator: retries, re-authentication, splitting, giving up."""
from __future__ import annotations

import json
import math
import time

from sense_testing.destination_harness import catalog, config_for, global_state, record, run_command, run_write, stream_state


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


# ---------------------------------------------------------------- polite retries (issue: rate-limited APIs)
import random  # noqa: E402
import re  # noqa: E402

import requests  # noqa: E402


def _retry_waits(result, status):
    """The waits the destination logged before retrying after ``status``."""
    return [float(m.group(1)) for line in result.logs if f"HTTP {status}" in line for m in [re.search(r"retry \d+ in ([\d.]+) s", line)] if m]


def test_429_with_retry_after_zero_waits_the_minimum_and_does_not_inflate_the_next_backoff(sense_emulator, tmp_path):
    sense_emulator.admin.faults(rate_limit={"count": 5, "retry_after": 0}, server_error={"count": 1, "status": 503})
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates"), _candidates(5) + [global_state(1)])
    assert result.returncode == 0, result.stdout[-3000:]
    assert [p["status"] for p in _posts(sense_emulator)] == [429] * 5 + [503, 201], "a capped, not a hammering, retry"
    assert _retry_waits(result, 429) == [1.0] * 5, "Retry-After: 0 still waits the minimum delay"
    (wait_503,) = _retry_waits(result, 503)
    assert wait_503 <= 1.0, "five 429s before must not raise the backoff of the first 5xx"


def test_a_permanently_failing_endpoint_fails_the_sync_after_max_retries(sense_emulator, tmp_path):
    sense_emulator.admin.faults(server_error={"probability": 1.0, "status": 500})
    result = run_write(tmp_path, config_for(sense_emulator, max_retries=2), catalog("candidates"), _candidates(3) + [global_state(1)])
    assert result.returncode != 0
    (error,) = result.errors
    assert error["failure_type"] == "transient_error" and "2 retries" in error["message"]
    assert len(_posts(sense_emulator)) == 3 and result.states == []


def test_retry_after_beyond_the_budget_fails_at_once(sense_emulator, tmp_path):
    sense_emulator.admin.faults(rate_limit={"count": 1, "retry_after": 3600})
    result = run_write(tmp_path, config_for(sense_emulator, retry_max_seconds=60), catalog("candidates"), _candidates(3) + [global_state(1)])
    assert result.returncode != 0
    assert "asked to wait 3600 s, beyond what is left of the retry budget" in result.errors[0]["message"]
    assert len(_posts(sense_emulator)) == 1


def _varied_candidates(n):
    rng = random.Random(5)
    return [record("candidates", {"id": i, "first_name": "%x" % rng.getrandbits(400), "last_name": "%x" % rng.getrandbits(400)}) for i in range(n)]


def test_a_413_teaches_the_batcher_to_start_below_the_size_that_failed(sense_emulator, tmp_path):
    sense_emulator.admin.faults(max_records=100)
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates"), _varied_candidates(4000) + [global_state(1)])
    assert result.returncode == 0, result.stdout[-3000:]
    posts = _posts(sense_emulator)
    assert sum(p["records"] for p in posts if p["status"] == 201) == 4000
    # Without learning, each of the 8 batches of 500 would be refused and split again (7 answers 413
    # each, to the very end). With it, nothing after a 413 is as large as what it refused.
    for i, post in enumerate(posts):
        if post["status"] == 413:
            assert all(p["bytes"] < post["bytes"] for p in posts[i + 1:]), [(p["status"], p["bytes"]) for p in posts]
    assert 0 < [p["status"] for p in posts].count(413) <= 7
    assert "later batches hold at most" in "\n".join(result.logs)
    assert len(sense_emulator.admin.entities_by_id("candidates")) == 4000


def test_a_state_after_every_record_still_fills_batches(sense_emulator, tmp_path):
    messages = []
    for i in range(1200):
        messages += [record("candidates", {"id": i}), stream_state("candidates", i)]
    result = run_write(tmp_path, config_for(sense_emulator), catalog("candidates"), messages)
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(_posts(sense_emulator)) == 3, "500 + 500 + 200, not one POST per record"
    assert [s["stream"]["stream_state"]["cursor"] for s in result.states] == list(range(1200))
    assert all(s["destinationStats"] == {"recordCount": 1.0, "rejectedRecordCount": 0.0} for s in result.states)


# ---------------------------------------------------------------- tokens (request-level server for the answers the emulator never gives)


def _proxy_token(emulator, **override):
    """A token endpoint that hands out real emulator tokens with a changed answer."""
    from werkzeug import Response

    calls = []

    def handler(request):
        calls.append(1)
        answer = requests.post(emulator.token_url, data=request.form).json()
        answer.update(override)
        for key, value in override.items():
            if value is None:
                answer.pop(key)
        return Response(json.dumps(answer), content_type="application/json")

    return handler, calls


def test_expires_in_zero_does_not_mean_a_token_request_per_post(sense_emulator, httpserver, tmp_path):
    handler, calls = _proxy_token(sense_emulator, expires_in=0)
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_handler(handler)
    config = config_for(sense_emulator, token_url=httpserver.url_for("/oauth2/token"), state_delay_seconds=0)
    messages = []
    for i in range(5):
        messages += [record("candidates", {"id": i}), global_state(i)]
    result = run_write(tmp_path, config, catalog("candidates"), messages)
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(_posts(sense_emulator)) == 5 and len(calls) == 1
    assert any("says expires_in '0'" in line for line in result.logs), result.logs


def test_a_missing_expires_in_falls_back_to_the_default(sense_emulator, httpserver, tmp_path):
    handler, calls = _proxy_token(sense_emulator, expires_in=None)
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_handler(handler)
    config = config_for(sense_emulator, token_url=httpserver.url_for("/oauth2/token"))
    result = run_write(tmp_path, config, catalog("candidates"), _candidates(3) + [global_state(1)])
    assert result.returncode == 0, result.stdout[-3000:]
    assert any("no usable expires_in" in line for line in result.logs) and len(calls) == 1


def test_one_garbage_token_answer_is_retried(sense_emulator, httpserver, tmp_path):
    handler, calls = _proxy_token(sense_emulator)
    httpserver.expect_ordered_request("/oauth2/token", method="POST").respond_with_data("<html>upstream busy</html>", content_type="text/html")
    httpserver.expect_ordered_request("/oauth2/token", method="POST").respond_with_handler(handler)
    config = config_for(sense_emulator, token_url=httpserver.url_for("/oauth2/token"))
    result = run_write(tmp_path, config, catalog("candidates"), _candidates(3) + [global_state(1)])
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(sense_emulator.admin.entities_by_id("candidates")) == 3


def _secret_forms(token):
    import base64
    from urllib.parse import quote, quote_plus

    core = token.strip()
    forms = {core, repr(token)[1:-1], quote(token, safe=""), quote_plus(token), base64.b64encode(token.encode()).decode()}
    forms.update(base64.b64encode((prefix + core).encode()).decode()[8:-4] for prefix in ("", "a", "ab"))
    return {form for form in forms if len(form) >= 8}


def test_a_token_ending_in_a_newline_is_refused_and_never_printed(sense_emulator, httpserver, tmp_path):
    for token in ("tok-Secret123456\n", "tok-Secret123456\r\n"):
        httpserver.clear()
        httpserver.expect_request("/oauth2/token", method="POST").respond_with_json({"access_token": token, "expires_in": 300})
        config = config_for(sense_emulator, token_url=httpserver.url_for("/oauth2/token"))
        result = run_write(tmp_path, config, catalog("candidates"), _candidates(2) + [global_state(1)])
        assert result.returncode != 0
        (error,) = result.errors
        assert error["failure_type"] == "config_error" and "whitespace or non-printable" in error["message"]
        everything = result.stdout + result.stderr
        for form in _secret_forms(token):
            assert form not in everything, (token, form)
        assert "Secret123456" not in everything
        assert _posts(sense_emulator) == [], "the token is never put in a header"
