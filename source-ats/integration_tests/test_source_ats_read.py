"""source-ats against a live bullhorn-emulator: paging, incremental, token rotation, session renewal,
rate limiting and secret hygiene. Every test runs the real `source-ats` console script.

Connector runs are expensive (~2-3 s each), so each module-scoped fixture runs one read and
several tests assert on it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest
import requests

from sense_testing.fixtures_bullhorn import (
    EMULATOR_CLIENT_ID,
    EMULATOR_CLIENT_SECRET,
    EMULATOR_PASSWORD,
    EMULATOR_USERNAME,
    STREAM_ENTITY,
    STREAM_ORDER,
    BullhornEmulator,
    SourceRun,
    configured_catalog,
    run_source_ats,
    start_bullhorn_emulator,
)

pytestmark = [pytest.mark.timeout(180)]


def _ground_truth(emulator: BullhornEmulator, stream: str) -> Dict[int, int]:
    response = requests.get(f"{emulator.base_url}/_admin/records", params={"entity": STREAM_ENTITY[stream]}, timeout=30)
    response.raise_for_status()
    return {r["id"]: r["dateLastModified"] for r in response.json()["records"]}


def _refresh_token_accepted(emulator: BullhornEmulator, refresh_token: str) -> bool:
    """Ask the emulator's token endpoint directly. NB: a valid token is consumed by this call."""
    response = requests.post(
        f"{emulator.auth_base_url}/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token,
              "client_id": EMULATOR_CLIENT_ID, "client_secret": EMULATOR_CLIENT_SECRET},
        timeout=30,
    )
    return response.status_code == 200


def _assert_no_secret_in_logs(emulator: BullhornEmulator, *runs: SourceRun, extra: List[str] = ()) -> None:
    response = requests.get(f"{emulator.base_url}/_admin/issued-secrets", timeout=30)
    response.raise_for_status()
    secrets = [s for s in response.json()["secrets"] + list(extra) if s]
    assert len(secrets) >= 3
    for run in runs:
        text = run.log_text
        leaked = [s[:6] + "…" for s in secrets if s in text]
        assert not leaked, f"secrets found in log output: {leaked}"


# --------------------------------------------------------------------------- full read + incremental


@pytest.fixture(scope="module")
def emulator() -> BullhornEmulator:
    emu = start_bullhorn_emulator("--seed", "11", "--candidates", "700", "--job-submissions", "450")
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("source-ats-read")


@pytest.fixture(scope="module")
def first_sync(emulator: BullhornEmulator, workdir: Path) -> Dict[str, Any]:
    """One incremental read of every stream from empty state, small pages and windows."""
    config = emulator.config(page_size=37, window_size_days=200)
    run = run_source_ats("read", config, workdir, catalog=configured_catalog())
    return {"config": config, "run": run, "stats": emulator.stats()}


def test_first_sync_succeeds(first_sync):
    run: SourceRun = first_sync["run"]
    assert run.returncode == 0, run.stderr[-3000:]
    assert not run.errors


@pytest.mark.parametrize("stream", STREAM_ORDER)
def test_paging_returns_every_record_exactly_once(first_sync, emulator, stream):
    records = first_sync["run"].records_by_stream().get(stream, [])
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), "a record was emitted twice"
    assert set(ids) == set(_ground_truth(emulator, stream)), "records missing or unexpected"


def test_reads_really_paged_and_windowed(first_sync):
    stats = first_sync["stats"]
    assert stats["max_count_requested"] == 37
    # 700 candidates at 37 per page need at least 19 calls.
    assert stats["query_by_entity"]["Candidate"] >= 19
    assert all(" AND " in w and "dateLastModified>=" in w and "dateLastModified<=" in w for w in stats["where_clauses"])


def test_records_keep_bullhorn_shapes_and_references(first_sync):
    by_stream = first_sync["run"].records_by_stream()
    user_ids = {u["id"] for u in by_stream["corporate_users"]}
    candidate_ids = {c["id"] for c in by_stream["candidates"]}
    job_ids = {j["id"] for j in by_stream["job_orders"]}
    corp_ids = {c["id"] for c in by_stream["client_corporations"]}
    for cand in by_stream["candidates"]:
        assert isinstance(cand["dateLastModified"], int) and cand["dateLastModified"] > 10**12
        assert isinstance(cand["isDeleted"], bool)
        assert set(cand["owner"]) == {"id", "firstName", "lastName"}
        assert cand["owner"]["id"] in user_ids
    for sub in by_stream["job_submissions"]:
        assert sub["candidate"]["id"] in candidate_ids and sub["jobOrder"]["id"] in job_ids
    for placement in by_stream["placements"]:
        assert placement["candidate"]["id"] in candidate_ids
    for contact in by_stream["client_contacts"]:
        assert contact["clientCorporation"]["id"] in corp_ids
    # The CDK's message serializer omits null fields, so look for each custom-field kind somewhere.
    for custom in ("customText1", "customTextBlock1", "customDate1", "customFloat1", "customInt1"):
        assert any(c.get(custom) is not None for c in by_stream["candidates"]), custom


def test_first_sync_rotated_the_refresh_token_once(first_sync, emulator):
    run: SourceRun = first_sync["run"]
    original = first_sync["config"]["refresh_token"]
    updates = run.config_updates
    assert len(updates) == 1
    rotated = updates[0]["refresh_token"]
    assert rotated and rotated != original
    # The rest of the config is preserved in the update.
    assert {k: v for k, v in updates[0].items() if k != "refresh_token"} == \
        {k: v for k, v in first_sync["config"].items() if k != "refresh_token"}
    assert first_sync["stats"]["refresh_token_reuse_rejected"] == 0
    assert first_sync["stats"]["token_refresh"] == 1
    assert first_sync["stats"]["rest_login"] == 1


@pytest.fixture(scope="module")
def second_sync(first_sync, emulator, workdir) -> Dict[str, Any]:
    """Modify a few records, then sync incrementally with the first sync's state and rotated config."""
    touched = {
        "candidates": emulator.admin("touch", {"entity": "Candidate", "count": 6})["ids"],
        "placements": emulator.admin("touch", {"entity": "Placement", "count": 2})["ids"],
        "appointments": emulator.admin("touch", {"entity": "Appointment", "count": 3})["ids"],
    }
    first: SourceRun = first_sync["run"]
    config = first.config_updates[-1]
    run = run_source_ats("read", config, workdir, catalog=configured_catalog(), state=first.final_states())
    return {"config": config, "run": run, "touched": touched, "stats": emulator.stats()}


def test_incremental_sync_returns_only_changed_records(second_sync):
    run: SourceRun = second_sync["run"]
    assert run.returncode == 0, run.stderr[-3000:]
    got = {stream: sorted(r["id"] for r in recs) for stream, recs in run.records_by_stream().items()}
    assert got == {stream: sorted(ids) for stream, ids in second_sync["touched"].items()}


def test_incremental_records_carry_the_change(second_sync):
    for record in second_sync["run"].records_by_stream()["candidates"]:
        assert record["customText1"].startswith("touched-")
        assert record["dateLastModified"] > 1_735_689_600_000  # after every seeded change


def test_incremental_state_advances(first_sync, second_sync):
    before = {s["stream"]["stream_descriptor"]["name"]: int(s["stream"]["stream_state"]["dateLastModified"])
              for s in first_sync["run"].final_states()}
    after = {s["stream"]["stream_descriptor"]["name"]: int(s["stream"]["stream_state"]["dateLastModified"])
             for s in second_sync["run"].final_states()}
    assert after["candidates"] > before["candidates"]
    assert after["corporate_users"] == before["corporate_users"]


def test_rotated_refresh_token_is_used_and_the_old_one_never_again(first_sync, second_sync, emulator):
    first_token = first_sync["config"]["refresh_token"]
    second_input = second_sync["config"]["refresh_token"]
    updates = second_sync["run"].config_updates
    assert len(updates) == 1
    newest = updates[0]["refresh_token"]
    assert len({first_token, second_input, newest}) == 3
    # No run ever presented a used refresh token.
    assert second_sync["stats"]["refresh_token_reuse_rejected"] == 0
    assert second_sync["stats"]["token_refresh_rejected"] == 0
    # Both earlier tokens are spent; the newest is still good (and this check spends it).
    assert not _refresh_token_accepted(emulator, first_token)
    assert not _refresh_token_accepted(emulator, second_input)
    assert _refresh_token_accepted(emulator, newest)


def test_state_in_the_future_reads_nothing(second_sync, emulator, workdir):
    """A saved cursor later than every record (abnormal state) yields no records and no error."""
    future = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": name},
                                            "stream_state": {"dateLastModified": "4102444800000"}}}
              for name in ("candidates", "leads")]
    config = dict(second_sync["config"], refresh_token=emulator.new_refresh_token())
    run = run_source_ats("read", config, workdir, catalog=configured_catalog(["candidates", "leads"]), state=future)
    assert run.returncode == 0 and not run.errors, run.stderr[-2000:]
    assert run.records == []


def test_no_secret_in_any_log_output(first_sync, second_sync, emulator):
    _assert_no_secret_in_logs(emulator, first_sync["run"], second_sync["run"])


# --------------------------------------------------------------------------- session renewal, 429


@pytest.fixture(scope="module")
def flaky_emulator() -> BullhornEmulator:
    # Every REST session dies after 15 calls; every 45th REST call is rate limited.
    emu = start_bullhorn_emulator("--seed", "5", "--session-max-calls", "15", "--throttle-every", "45")
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def flaky_sync(flaky_emulator, tmp_path_factory) -> Dict[str, Any]:
    config = flaky_emulator.config(page_size=25, num_workers=3)
    run = run_source_ats("read", config, tmp_path_factory.mktemp("flaky"), catalog=configured_catalog(),
                         extra_args=["--debug"])
    return {"config": config, "run": run, "stats": flaky_emulator.stats()}


def test_expired_sessions_are_renewed_mid_read(flaky_sync, flaky_emulator):
    run: SourceRun = flaky_sync["run"]
    stats = flaky_sync["stats"]
    assert run.returncode == 0, run.stderr[-3000:]
    assert stats["session_expired_401"] >= 3  # ~110 calls at most 15 per session
    assert stats["rest_login"] >= stats["session_expired_401"]
    # Re-login reuses the still-valid access token: one refresh, so one rotation, for the whole read.
    assert stats["token_refresh"] == 1 and len(run.config_updates) == 1
    assert stats["refresh_token_reuse_rejected"] == 0
    for stream in STREAM_ORDER:
        ids = [r["id"] for r in run.records_by_stream().get(stream, [])]
        assert len(ids) == len(set(ids)) and set(ids) == set(_ground_truth(flaky_emulator, stream)), stream


def test_rate_limited_calls_are_retried(flaky_sync):
    assert flaky_sync["stats"]["status_429"] >= 1
    assert flaky_sync["run"].returncode == 0


def test_debug_logging_does_not_leak_secrets(flaky_sync, flaky_emulator):
    # --debug makes the CDK log every request, headers included.
    assert "Making outbound API request" in flaky_sync["run"].log_text
    _assert_no_secret_in_logs(flaky_emulator, flaky_sync["run"])


# --------------------------------------------------------------------------- authorization paths


@pytest.fixture(scope="module")
def auth_emulator() -> BullhornEmulator:
    emu = start_bullhorn_emulator("--seed", "3", "--scale", "0.2")
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def auth_runs(auth_emulator, tmp_path_factory) -> Dict[str, Any]:
    wd = tmp_path_factory.mktemp("auth")
    headless = auth_emulator.config(username=EMULATOR_USERNAME, password=EMULATOR_PASSWORD)
    # A refresh token that was already used (e.g. by a crashed sync) plus username/password.
    spent = auth_emulator.new_refresh_token()
    assert _refresh_token_accepted(auth_emulator, spent)
    fallback = auth_emulator.config(refresh_token=spent, username=EMULATOR_USERNAME, password=EMULATOR_PASSWORD)
    only_spent = auth_emulator.config(refresh_token=spent)
    bad_secret = auth_emulator.config(client_secret="wrong-client-secret-0009")
    runs = {
        "headless": run_source_ats("check", headless, wd),
        "fallback": run_source_ats("check", fallback, wd),
        "only_spent": run_source_ats("check", only_spent, wd),
        "bad_secret": run_source_ats("check", bad_secret, wd),
    }
    return {"runs": runs, "configs": {"headless": headless, "fallback": fallback, "only_spent": only_spent,
                                      "bad_secret": bad_secret}, "stats": auth_emulator.stats()}


def _status(run: SourceRun) -> str:
    statuses = run.of_type("CONNECTION_STATUS")
    assert len(statuses) == 1, run.stdout[-2000:]
    return statuses[0]["connectionStatus"]["status"]


def test_headless_authorization_with_username_password(auth_runs):
    run = auth_runs["runs"]["headless"]
    assert _status(run) == "SUCCEEDED"
    assert len(run.config_updates) == 1 and run.config_updates[0]["refresh_token"]
    assert auth_runs["stats"]["authorize_code_issued"] >= 1


def test_spent_refresh_token_falls_back_to_headless_authorization(auth_runs):
    run = auth_runs["runs"]["fallback"]
    assert _status(run) == "SUCCEEDED"
    assert run.config_updates[-1]["refresh_token"] != auth_runs["configs"]["fallback"]["refresh_token"]


def test_spent_refresh_token_alone_fails_check_with_a_clear_message(auth_runs):
    run = auth_runs["runs"]["only_spent"]
    assert _status(run) == "FAILED"
    assert "single use" in run.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["message"]


@pytest.fixture(scope="module")
def spent_read(auth_emulator, tmp_path_factory) -> Dict[str, Any]:
    """A read of every stream with a refresh token that was already used, and no password."""
    spent = auth_emulator.new_refresh_token()
    assert _refresh_token_accepted(auth_emulator, spent)
    before = auth_emulator.stats()
    run = run_source_ats("read", auth_emulator.config(refresh_token=spent), tmp_path_factory.mktemp("spent"),
                         catalog=configured_catalog())
    return {"run": run, "before": before, "after": auth_emulator.stats(), "token": spent}


def test_spent_refresh_token_is_sent_once_by_a_read_of_every_stream(spent_read):
    before, after = spent_read["before"], spent_read["after"]
    assert after["token_refresh"] - before["token_refresh"] == 1
    assert after["refresh_token_reuse_rejected"] - before["refresh_token_reuse_rejected"] == 1
    assert after["query_calls"] == before["query_calls"]


def test_spent_refresh_token_fails_the_read_with_a_config_error_to_renew_it(spent_read, auth_emulator):
    run = spent_read["run"]
    assert run.returncode != 0 and not run.records
    assert run.errors and {e["failure_type"] for e in run.errors} == {"config_error"}
    assert all("must be renewed" in e["message"] for e in run.errors)
    _assert_no_secret_in_logs(auth_emulator, run, extra=[spent_read["token"]])


def test_wrong_client_secret_fails_check(auth_runs):
    run = auth_runs["runs"]["bad_secret"]
    assert _status(run) == "FAILED"
    assert "client" in run.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["message"].lower()


def test_no_secret_in_check_output(auth_runs, auth_emulator):
    extra = ["wrong-client-secret-0009"] + [c.get("refresh_token", "") for c in auth_runs["configs"].values()]
    _assert_no_secret_in_logs(auth_emulator, *auth_runs["runs"].values(), extra=extra)
