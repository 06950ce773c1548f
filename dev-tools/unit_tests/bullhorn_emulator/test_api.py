"""bullhorn-emulator: OAuth, REST login, query semantics and admin calls, over real HTTP (in-process server)."""
from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from bullhorn_emulator.data import DEFAULT_COUNTS, generate
from bullhorn_emulator.query import QueryError, parse_fields, parse_order_by, parse_where
from bullhorn_emulator.config import Settings
from bullhorn_emulator.transport import make_server

pytestmark = [pytest.mark.timeout(60)]

CLIENT = {"client_id": Settings.client_id, "client_secret": Settings.client_secret}


@pytest.fixture(scope="module")
def server():
    srv = make_server(Settings(seed=3, counts={**DEFAULT_COUNTS, "Candidate": 120}))
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    yield base, srv.state
    srv.shutdown()
    srv.server_close()


def _token(base, **params):
    return requests.post(f"{base}/oauth/token", data={**CLIENT, **params}, timeout=10)


def _session(base, state):
    refresh = requests.post(f"{base}/_admin/refresh-token", timeout=10).json()["refresh_token"]
    access = _token(base, grant_type="refresh_token", refresh_token=refresh).json()["access_token"]
    login = requests.post(f"{base}/rest-services/login", params={"version": "*", "access_token": access}, timeout=10)
    assert login.status_code == 200
    return login.json()


def _query(session, entity, **params):
    return requests.get(f"{session['restUrl']}query/{entity}", params=params,
                        headers={"BhRestToken": session["BhRestToken"]}, timeout=10)


def test_headless_authorize_code_flow(server):
    base, _ = server
    response = requests.get(f"{base}/oauth/authorize", allow_redirects=False, timeout=10, params={
        "client_id": Settings.client_id, "response_type": "code", "action": "Login",
        "username": Settings.username, "password": Settings.password, "state": "s1"})
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["state"] == ["s1"]
    tokens = _token(base, grant_type="authorization_code", code=query["code"][0])
    assert tokens.status_code == 200
    body = tokens.json()
    assert body["expires_in"] == 600 and body["access_token"] and body["refresh_token"]
    # Codes are single use.
    assert _token(base, grant_type="authorization_code", code=query["code"][0]).status_code == 400


def test_authorize_with_bad_password_shows_the_form_without_a_code(server):
    base, _ = server
    response = requests.get(f"{base}/oauth/authorize", allow_redirects=False, timeout=10, params={
        "client_id": Settings.client_id, "response_type": "code", "action": "Login",
        "username": Settings.username, "password": "nope"})
    assert response.status_code == 200 and "Location" not in response.headers
    assert "<form" in response.text and "Invalid username or password" in response.text


def test_refresh_tokens_rotate_and_a_used_one_is_rejected(server):
    base, state = server
    first = requests.post(f"{base}/_admin/refresh-token", timeout=10).json()["refresh_token"]
    second = _token(base, grant_type="refresh_token", refresh_token=first).json()["refresh_token"]
    assert second != first
    before = state.snapshot_stats()["refresh_token_reuse_rejected"]
    reused = _token(base, grant_type="refresh_token", refresh_token=first)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert state.snapshot_stats()["refresh_token_reuse_rejected"] == before + 1
    assert _token(base, grant_type="refresh_token", refresh_token=second).status_code == 200


def test_wrong_client_secret_is_401_invalid_client(server):
    base, _ = server
    response = requests.post(f"{base}/oauth/token", data={"client_id": Settings.client_id, "client_secret": "x",
                                                          "grant_type": "refresh_token", "refresh_token": "y"}, timeout=10)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_login_rejects_unknown_access_token(server):
    base, _ = server
    response = requests.post(f"{base}/rest-services/login", params={"version": "*", "access_token": "at-nope"}, timeout=10)
    assert response.status_code == 401
    assert "access token" in response.json()["errorMessage"]


def test_missing_session_is_412_and_bad_session_is_401(server):
    base, state = server
    session = _session(base, state)
    url = f"{session['restUrl']}query/Candidate"
    assert requests.get(url, params={"where": "id>0", "fields": "id"}, timeout=10).status_code == 412
    bad = requests.get(url, params={"where": "id>0", "fields": "id"}, headers={"BhRestToken": "nope"}, timeout=10)
    assert bad.status_code == 401
    # The token is also accepted as a query parameter or cookie.
    assert requests.get(url, params={"where": "id>0", "fields": "id", "BhRestToken": session["BhRestToken"]},
                        timeout=10).status_code == 200
    assert requests.get(url, params={"where": "id>0", "fields": "id"}, timeout=10,
                        cookies={"BhRestToken": session["BhRestToken"]}).status_code == 200


def test_expire_sessions_makes_calls_401(server):
    base, state = server
    session = _session(base, state)
    assert _query(session, "Lead", where="id>0", fields="id").status_code == 200
    requests.post(f"{base}/_admin/expire-sessions", timeout=10)
    assert _query(session, "Lead", where="id>0", fields="id").status_code == 401


def test_where_fields_order_and_paging(server):
    base, state = server
    session = _session(base, state)
    truth = {r["id"]: r for r in state.store.records["Candidate"]}
    lo, hi = sorted(r["dateLastModified"] for r in truth.values())[10], sorted(r["dateLastModified"] for r in truth.values())[90]
    where = f"dateLastModified>={lo} AND dateLastModified<={hi}"
    expected = sorted((r for r in truth.values() if lo <= r["dateLastModified"] <= hi),
                      key=lambda r: (r["dateLastModified"], r["id"]))
    got = []
    start = 0
    while True:
        page = _query(session, "Candidate", where=where, fields="id,dateLastModified,owner(id,firstName),address(city)",
                      orderBy="dateLastModified,id", start=start, count=7).json()
        got += page["data"]
        if page["count"] < 7:
            break
        start += 7
    assert [r["id"] for r in got] == [r["id"] for r in expected]
    owners = {u["id"]: u for u in state.store.records["CorporateUser"]}
    for record in got:
        assert set(record) == {"id", "dateLastModified", "owner", "address"}
        assert record["owner"] == {"id": truth[record["id"]]["owner"]["id"],
                                   "firstName": owners[record["owner"]["id"]]["firstName"]}
        assert set(record["address"]) == {"city"}


def test_or_in_null_and_descending_order(server):
    base, state = server
    session = _session(base, state)
    ids = [r["id"] for r in state.store.records["JobOrder"][:5]]
    body = _query(session, "JobOrder", where=f"id IN ({ids[0]},{ids[1]}) OR (id={ids[4]} AND title IS NOT NULL)",
                  fields="id,clientCorporation", orderBy="-id").json()
    assert [r["id"] for r in body["data"]] == [ids[4], ids[1], ids[0]]
    assert set(body["data"][0]["clientCorporation"]) == {"id"}


def test_count_is_capped_at_500_and_errors(server):
    base, state = server
    session = _session(base, state)
    body = _query(session, "Candidate", where="id>0", fields="id", count=900).json()
    assert body["count"] == 120  # only 120 candidates in this emulator
    assert state.snapshot_stats()["max_count_requested"] >= 900
    assert _query(session, "Candidate", where="id>0", fields="id,noSuchField").status_code == 404
    assert _query(session, "NoSuchEntity", where="id>0", fields="id").status_code == 404
    assert _query(session, "Candidate", where="id >> 3", fields="id").status_code == 400
    assert _query(session, "Candidate", fields="id").status_code == 400


def test_post_query_takes_where_from_json_body(server):
    base, state = server
    session = _session(base, state)
    first = state.store.records["Lead"][0]["id"]
    response = requests.post(f"{session['restUrl']}query/Lead", params={"fields": "id"}, json={"where": f"id={first}"},
                             headers={"BhRestToken": session["BhRestToken"]}, timeout=10)
    assert response.json()["data"] == [{"id": first}]


def test_touch_gives_new_later_date_last_modified(server):
    base, state = server
    latest = max(r["dateLastModified"] for rows in state.store.records.values() for r in rows)
    result = requests.post(f"{base}/_admin/touch", json={"entity": "Placement", "count": 3}, timeout=10).json()
    assert len(result["ids"]) == 3 and result["dateLastModified"] > latest
    for pid in result["ids"]:
        record = state.store.get("Placement", pid)
        assert record["dateLastModified"] == result["dateLastModified"]
        assert record["customText1"].startswith("touched-")


def test_throttle_every_answers_429(server):
    base, state = server
    session = _session(base, state)
    requests.post(f"{base}/_admin/config", json={"throttle_every": 2}, timeout=10)
    try:
        statuses = [_query(session, "Lead", where="id>0", fields="id").status_code for _ in range(4)]
    finally:
        requests.post(f"{base}/_admin/config", json={"throttle_every": 0}, timeout=10)
    assert statuses.count(429) == 2 and statuses.count(200) == 2


def test_session_max_calls_expires_the_session(server):
    base, state = server
    session = _session(base, state)
    requests.post(f"{base}/_admin/config", json={"session_max_calls": 2}, timeout=10)
    try:
        statuses = [_query(session, "Lead", where="id>0", fields="id").status_code for _ in range(3)]
    finally:
        requests.post(f"{base}/_admin/config", json={"session_max_calls": 0}, timeout=10)
    assert statuses == [200, 200, 401]


def test_data_is_deterministic_and_references_are_consistent():
    counts = {**DEFAULT_COUNTS, "Candidate": 50}
    a, b, c = generate(9, counts), generate(9, counts), generate(10, counts)
    assert a.records == b.records
    assert a.records != c.records
    users = set(a.by_id["CorporateUser"])
    for sub in a.records["JobSubmission"]:
        assert sub["candidate"]["id"] in a.by_id["Candidate"] and sub["jobOrder"]["id"] in a.by_id["JobOrder"]
        assert sub["sendingUser"]["id"] in users
    for placement in a.records["Placement"]:
        sub = a.get("JobSubmission", placement["jobSubmission"]["id"])
        assert placement["candidate"] == sub["candidate"] and placement["jobOrder"] == sub["jobOrder"]
    for record in a.records["Candidate"]:
        assert record["dateLastModified"] >= record["dateAdded"]
        assert isinstance(record["isDeleted"], bool)


def test_query_language_parsers():
    pred = parse_where("(a >= 2 AND a <= 4) OR b.c = 'x''y' OR d IS NULL")
    assert pred({"a": 3, "d": 1}) and pred({"a": 9, "b": {"c": "x'y"}, "d": 1}) and pred({"a": 9})
    assert not pred({"a": 9, "d": 0})
    assert parse_fields("id,owner(id,firstName),*") == {"id": None, "owner": {"id": None, "firstName": None}, "*": None}
    assert parse_order_by("-dateLastModified, id") == [("dateLastModified", True), ("id", False)]
    for bad in ("", "a = ", "a = 1 AND", "(a = 1", "a ~ 1"):
        with pytest.raises(QueryError):
            parse_where(bad)
    with pytest.raises(QueryError):
        parse_fields("id,owner(id")


def _reference_project(state, entity, record, spec):
    """The emulator's original, uncompiled projection: the compiled one must give the same output."""
    kinds = state.field_kinds[entity]
    if "*" in spec:
        spec = {**{name: None for name in kinds}, **{k: v for k, v in spec.items() if k != "*"}}
    out = {}
    for name, sub in spec.items():
        kind = kinds[name]
        value = record.get(name)
        if kind.startswith(("ref:", "ref_opt:")):
            if value is None:
                out[name] = None
            elif sub is None:
                out[name] = {"id": value["id"]}
            else:
                target = kind.split(":", 1)[1]
                target_record = state.store.get(target, value["id"]) or {"id": value["id"]}
                nested = {}
                for sub_name in sub:
                    sub_value = target_record.get(sub_name)
                    if isinstance(sub_value, dict) and state.field_kinds[target][sub_name].startswith(("ref", "obj")):
                        sub_value = {"id": sub_value["id"]}
                    nested[sub_name] = sub_value
                out[name] = nested
        elif isinstance(value, dict):
            if sub is None:
                out[name] = dict(value) if not kind.startswith("obj:") else {"id": value["id"]}
            else:
                out[name] = {k: value.get(k) for k in sub}
                if kind.startswith("obj:"):
                    out[name].setdefault("id", value["id"])
        else:
            out[name] = value
    return out


def test_compiled_projection_equals_the_reference_including_key_order(server):
    from pathlib import Path

    import yaml

    _, state = server
    manifest = yaml.safe_load((Path(__file__).resolve().parents[3] / "source-ats" / "source_ats" / "manifest.yaml").read_text())
    # entity streams stand at the top or inside ConditionalStreams (one list per update method)
    streams = [n for s in manifest["streams"] for n in (s["streams"] if s.get("type") == "ConditionalStreams" else [s])]
    specs = {s["$parameters"]["entity"]: s["$parameters"]["fields"] for s in streams if "entity" in s.get("$parameters", {})}
    assert set(specs) >= set(state.store.records), "every emulated entity is read by a manifest stream"
    for entity, rows in state.store.records.items():
        for fields_text in (specs[entity], "*", "id,*,address(city)" if "address" in state.fields[entity] else "*,id"):
            project = state.projector(entity, fields_text)
            spec = parse_fields(fields_text)
            for record in rows[:40]:
                got, want = project(record), _reference_project(state, entity, record, spec)
                assert got == want
                assert list(got) == list(want)
                for name, value in got.items():
                    if isinstance(value, dict):
                        assert value is not record.get(name)  # a copy: serving never aliases stored data


def test_unknown_field_is_404_even_when_nothing_matches(server):
    base, state = server
    session = _session(base, state)
    assert _query(session, "Candidate", where="id<0", fields="id").json()["data"] == []
    assert _query(session, "Candidate", where="id<0", fields="id,noSuchField").status_code == 404
    assert _query(session, "Candidate", where="id<0", fields="id,owner(noSuchField)").status_code == 404


def test_paging_after_touch_sees_the_new_order_and_values(server):
    """Query results are cached between pages; a touch must invalidate them."""
    base, state = server
    session = _session(base, state)
    params = dict(where="id>0", fields="id,dateLastModified,customText1", orderBy="dateLastModified,id", count=500)
    before = _query(session, "JobOrder", **params).json()["data"]
    victim = before[0]["id"]
    stamp = requests.post(f"{base}/_admin/touch", json={"entity": "JobOrder", "ids": [victim]}, timeout=10).json()
    after = _query(session, "JobOrder", **params).json()["data"]
    assert after[-1]["id"] == victim and after[-1]["dateLastModified"] == stamp["dateLastModified"]
    assert after[-1]["customText1"].startswith("touched-")
    assert [r["id"] for r in after[:-1]] == [r["id"] for r in before if r["id"] != victim]
    window = f"dateLastModified>={stamp['dateLastModified']}"
    assert [r["id"] for r in _query(session, "JobOrder", where=window, fields="id").json()["data"]] == [victim]
