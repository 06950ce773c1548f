"""The emulator's admin surface, fault injection, dangling-reference check and process lifecycle."""
from __future__ import annotations

import gzip
import signal
import sqlite3
import subprocess
import sys
import time

import orjson
import pytest
import requests

from sense_api.entities import COLLECTIONS
from sense_emulator.testing import emulator_command


@pytest.fixture
def session(sense_emulator):
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {sense_emulator.token()}"
    yield s
    s.close()


def post(session, emulator, collection, items, **kwargs):
    headers = {"Content-Type": "application/json"}
    return session.post(f"{emulator.api_url}/{collection}", data=orjson.dumps(items), headers=headers, timeout=30, **kwargs)


# -- stats, log, entities, reset --------------------------------------------------------------

def test_stats_count_requests_records_bytes_and_statuses(sense_emulator, session):
    raw = orjson.dumps([{"id": str(i)} for i in range(7)])
    body = gzip.compress(raw)
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    assert session.post(f"{sense_emulator.api_url}/leads", data=body, headers=headers).status_code == 201
    assert post(session, sense_emulator, "leads", [{"id": "x", "bogus": 1}, {"id": "y"}]).status_code == 400
    assert session.get(f"{sense_emulator.api_url}/leads/3").status_code == 200
    stats = sense_emulator.admin.stats()
    leads = stats["collections"]["leads"]
    assert leads["requests"] == 3 and leads["records"] == 7 and leads["largest_batch"] == 7
    assert leads["rejected"] == 2 and leads["rejected_requests"] == 1
    assert leads["status"] == {"201": 1, "400": 1, "200": 1}
    assert leads["methods"] == {"POST": 2, "GET": 1}
    bad_len = len(orjson.dumps([{"id": "x", "bogus": 1}, {"id": "y"}]))
    assert leads["bytes_compressed"] == len(body) + bad_len
    assert leads["bytes_raw"] == len(raw) + bad_len
    assert stats["totals"]["records"] == 7 and stats["totals"]["requests"] == 3
    assert stats["token_requests"] == 1 and stats["tokens_issued"] == 1
    assert stats["stored"]["leads"] == 7
    assert all(stats["collections"][c]["requests"] == 0 for c in COLLECTIONS if c != "leads")


def test_request_log_and_since(sense_emulator, session):
    for i in range(3):
        post(session, sense_emulator, "companies", [{"id": str(i)}])
    log = sense_emulator.admin.requests()
    assert [e["operation"] for e in log] == ["token", "upsert", "upsert", "upsert"]
    entry = log[1]
    assert entry["method"] == "POST" and entry["path"] == "/v1/companies" and entry["status"] == 201
    assert entry["records"] == 1 and entry["content_encoding"] == "identity" and entry["request_id"]
    assert isinstance(entry["time"], float) and entry["bytes"] == len(orjson.dumps([{"id": "0"}]))
    since = log[2]["seq"]
    assert [e["seq"] for e in sense_emulator.admin.requests(since=since)] == [log[3]["seq"]]
    text = requests.get(f"{sense_emulator.base_url}/_admin/requests").text
    assert sense_emulator.client_secret not in text and session.headers["Authorization"][7:] not in text


def test_entities_dump_keeps_first_received_order_and_filters_ids(sense_emulator, session):
    post(session, sense_emulator, "candidates", [{"id": "b"}, {"id": "a"}])
    post(session, sense_emulator, "candidates", [{"id": "c"}, {"id": "b", "first_name": "B"}])
    assert [e["id"] for e in sense_emulator.admin.entities("candidates")] == ["b", "a", "c"]
    assert sense_emulator.admin.entities("candidates", ids=["c", "zz", "b"]) == [{"id": "c"}, {"id": "b", "first_name": "B"}]
    assert sense_emulator.admin.entity("candidates", "zz") is None
    assert sense_emulator.admin.counts()["candidates"] == 3
    assert requests.get(f"{sense_emulator.base_url}/_admin/entities/nope").status_code == 404


def test_reset_clears_store_stats_log_faults_and_dangling(sense_emulator, session):
    post(session, sense_emulator, "placements", [{"id": "p", "candidate_id": "ghost"}])
    session.put(f"{sense_emulator.api_url}/placements/possible-values/status", json=[{"label": "a", "value": "a"}])
    sense_emulator.admin.faults(latency_ms=1, max_records=3)
    assert sense_emulator.admin.dangling()["total"] == 1
    sense_emulator.admin.reset()
    assert sense_emulator.admin.counts()["placements"] == 0
    assert sense_emulator.admin.stats()["totals"]["requests"] == 0
    assert sense_emulator.admin.requests() == []
    assert sense_emulator.admin.dangling()["total"] == 0
    faults = sense_emulator.admin.get_faults()
    assert faults["latency_ms"] == 0 and faults["max_records"] is None
    values = session.get(f"{sense_emulator.api_url}/placements/possible-values/status").json()["data"]["values"]
    assert values is None
    # the token survives a reset unless asked
    assert session.get(f"{sense_emulator.api_url}/placements/p").status_code == 404
    sense_emulator.admin.reset(tokens=True)
    assert session.get(f"{sense_emulator.api_url}/placements/p").status_code == 401


def test_admin_config_hides_the_secret(sense_emulator):
    config = sense_emulator.admin.config()
    assert config["client_id"] == sense_emulator.client_id and config["token_ttl"] == sense_emulator.token_ttl
    assert sense_emulator.client_secret not in orjson.dumps(config).decode()


def test_unknown_admin_endpoint(sense_emulator):
    assert requests.get(f"{sense_emulator.base_url}/_admin/nothing").status_code == 404
    assert requests.get(f"{sense_emulator.base_url}/elsewhere").status_code == 404


# -- faults -----------------------------------------------------------------------------------

def test_rate_limit_fault(sense_emulator, session):
    sense_emulator.admin.faults(rate_limit={"count": 2, "retry_after": 3})
    for _ in range(2):
        response = post(session, sense_emulator, "candidates", [{"id": "1"}])
        assert response.status_code == 429 and response.headers["Retry-After"] == "3"
    assert post(session, sense_emulator, "candidates", [{"id": "1"}]).status_code == 201
    assert sense_emulator.admin.counts()["candidates"] == 1
    assert [e["fault"] for e in sense_emulator.admin.requests()[-3:]] == ["rate_limit", "rate_limit", None]


def test_server_error_fault_per_collection(sense_emulator, session):
    sense_emulator.admin.faults(server_error={"collection": "companies", "count": 2})
    assert post(session, sense_emulator, "candidates", [{"id": "1"}]).status_code == 201
    assert [post(session, sense_emulator, "companies", [{"id": "1"}]).status_code for _ in range(3)] == [503, 503, 201]
    sense_emulator.admin.faults(server_error={"count": 1, "status": 500})  # any collection
    assert post(session, sense_emulator, "leads", [{"id": "1"}]).status_code == 500


def test_server_error_probability(sense_emulator, session):
    sense_emulator.admin.faults(server_error={"collection": "leads", "probability": 1.0}, seed=1)
    assert {post(session, sense_emulator, "leads", [{"id": "1"}]).status_code for _ in range(3)} == {503}
    sense_emulator.admin.faults(server_error={"collection": "leads", "probability": 0.5}, seed=7)
    statuses = [post(session, sense_emulator, "leads", [{"id": "1"}]).status_code for _ in range(40)]
    assert 0 < statuses.count(503) < 40 and statuses.count(201) + statuses.count(503) == 40
    sense_emulator.admin.faults(server_error=None)
    assert post(session, sense_emulator, "leads", [{"id": "1"}]).status_code == 201


def test_unauthorized_once_fault(sense_emulator, session):
    sense_emulator.admin.faults(unauthorized_once=True)
    assert post(session, sense_emulator, "candidates", [{"id": "1"}]).status_code == 401
    assert post(session, sense_emulator, "candidates", [{"id": "1"}]).status_code == 201


def test_max_records_fault(sense_emulator, session):
    sense_emulator.admin.faults(max_records=2)
    response = post(session, sense_emulator, "candidates", [{"id": "1"}, {"id": "2"}, {"id": "3"}])
    assert response.status_code == 413
    assert response.json()["warnings"] == [] and response.json()["errors"][0]["message"]
    assert post(session, sense_emulator, "candidates", [{"id": "1"}, {"id": "2"}]).status_code == 201
    assert sense_emulator.admin.counts()["candidates"] == 2


def test_latency_fault(sense_emulator, session):
    sense_emulator.admin.faults(latency_ms=150)
    started = time.monotonic()
    assert post(session, sense_emulator, "candidates", [{"id": "1"}]).status_code == 201
    assert time.monotonic() - started >= 0.15  # a lower bound of the injected delay, not a speed check


def test_drop_connections_fault(sense_emulator, session):
    sense_emulator.admin.faults(drop_connections=1)
    with pytest.raises(requests.ConnectionError):
        post(session, sense_emulator, "candidates", [{"id": "1"}])
    assert post(session, sense_emulator, "candidates", [{"id": "1"}]).status_code == 201
    assert sense_emulator.admin.requests()[-2]["fault"] == "drop_connection"


def test_token_failures_fault(sense_emulator):
    sense_emulator.admin.faults(token_failures={"count": 2, "status": 503})
    form = {"client_id": sense_emulator.client_id, "client_secret": sense_emulator.client_secret,
            "grant_type": "client_credentials"}
    assert [requests.post(sense_emulator.token_url, data=form).status_code for _ in range(3)] == [503, 503, 200]


@pytest.mark.parametrize("spec", [{"nonsense": 1}, {"rate_limit": {"count": -1}}, {"server_error": {"probability": 2}},
                                  {"server_error": {"collection": "nope", "count": 1}}, {"max_records": 0},
                                  {"token_failures": {"status": 200}}, {"latency_ms": "slow"}, [1]])
def test_invalid_fault_specs_are_refused_and_change_nothing(sense_emulator, spec):
    before = sense_emulator.admin.get_faults()
    response = requests.post(f"{sense_emulator.base_url}/_admin/faults", json=spec)
    assert response.status_code == 400 and response.json()["error"]
    assert sense_emulator.admin.get_faults() == before


def test_clear_faults(sense_emulator, session):
    sense_emulator.admin.faults(rate_limit={"count": 5}, latency_ms=10)
    sense_emulator.admin.clear_faults()
    assert post(session, sense_emulator, "candidates", [{"id": "1"}]).status_code == 201


# -- dangling references ----------------------------------------------------------------------

def test_dangling_references_follow_the_sync_order(sense_emulator, session):
    # client-contacts.company_id points to a later collection: allowed, never counted
    post(session, sense_emulator, "client-contacts", [{"id": "cc1", "company_id": "co1", "internal_user_id": "u1"}])
    post(session, sense_emulator, "internal-users", [{"id": "u1"}])
    post(session, sense_emulator, "companies", [{"id": "co1", "internal_user_id": "u1"}])
    post(session, sense_emulator, "placements", [
        {"id": "p1", "candidate_id": "cand-missing", "internal_user_id": "u1", "company_id": "co1", "submission_id": None,
         "job_order_id": ""},
    ])
    post(session, sense_emulator, "candidates", [{"id": "cand-missing"}])
    post(session, sense_emulator, "placements", [{"id": "p2", "candidate_id": "cand-missing"}])
    dangling = sense_emulator.admin.dangling()
    assert dangling["counts"]["client-contacts"] == 1  # internal_user_id u1 sent before its user
    assert dangling["counts"]["placements"] == 1  # candidate_id before the candidate; null and "" not counted
    assert dangling["counts"]["companies"] == 0
    assert dangling["total"] == 2
    assert dangling["examples"]["placements"] == [
        {"id": "p1", "field": "candidate_id", "target": "candidates", "value": "cand-missing"}
    ]
    assert set(dangling["counts"]) == set(COLLECTIONS)


def test_rejected_batches_do_not_count_as_received(sense_emulator, session):
    post(session, sense_emulator, "candidates", [{"id": "c1"}, {"id": "bad", "bogus": 1}])
    post(session, sense_emulator, "submissions", [{"id": "s1", "candidate_id": "c1"}])
    assert sense_emulator.admin.dangling()["counts"]["submissions"] == 1


# -- process lifecycle ------------------------------------------------------------------------

def test_port_zero_prints_the_url_and_sigterm_stops_cleanly(tmp_path):
    proc = subprocess.Popen(emulator_command() + ["--port", "0", "--db", str(tmp_path / "x.db")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode().strip()
        assert line.startswith("http://127.0.0.1:") and int(line.rsplit(":", 1)[1]) > 0
        assert requests.get(f"{line}/_admin/health").json() == {"ok": True}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert b"sandbox-secret" not in proc.stderr.read()


def test_db_file_persists_and_is_reloaded(sense_emulator_factory, tmp_path):
    db = tmp_path / "sense.db"
    first = sense_emulator_factory(db=str(db))
    headers = {"Authorization": f"Bearer {first.token()}"}
    requests.post(f"{first.api_url}/internal-users", json=[{"id": "u1", "first_name": "Ace"}], headers=headers)
    requests.post(f"{first.api_url}/candidates", json=[{"id": "c1", "internal_user_id": "u1"}], headers=headers)
    assert first.stop() == 0
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT collection, id, json_extract(body, '$.first_name') FROM entities ORDER BY rowid").fetchall()
    assert rows == [("internal-users", "u1", "Ace"), ("candidates", "c1", None)]
    second = sense_emulator_factory(db=str(db))
    assert second.admin.entity("internal-users", "u1") == {"id": "u1", "first_name": "Ace"}
    headers = {"Authorization": f"Bearer {second.token()}"}
    requests.post(f"{second.api_url}/submissions", json=[{"id": "s1", "candidate_id": "c1"}], headers=headers)
    assert second.admin.dangling()["total"] == 0  # ids in the file count as received


def test_port_in_use_is_a_clear_error(sense_emulator):
    result = subprocess.run(emulator_command() + ["--port", str(sense_emulator.port)], capture_output=True, timeout=30)
    assert result.returncode == 2
    assert b"cannot listen" in result.stderr


def test_module_entry_point_help():
    result = subprocess.run([sys.executable, "-m", "sense_emulator", "--help"], capture_output=True, timeout=30)
    assert result.returncode == 0
    for flag in (b"--port", b"--client-id", b"--client-secret", b"--token-ttl", b"--db", b"--missing-entity"):
        assert flag in result.stdout
