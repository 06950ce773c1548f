"""bullhorn-emulator as a server, through the real console script and real sockets: a burst of
clients is accepted, every client error is a 400 (never a 500, never a blocked handler)."""
from __future__ import annotations

import shutil
import subprocess
import threading
from typing import Any, Dict, List

import pytest
import requests

from sense_testing.fixtures_bullhorn import (
    EMULATOR_CLIENT_ID,
    EMULATOR_CLIENT_SECRET,
    BullhornEmulator,
    start_bullhorn_emulator,
)
from sense_testing.raw_http import RawConnection, exchange, thread_count, trickle

pytestmark = [pytest.mark.timeout(180)]

BURST_CLIENTS = 1000
#: this module's emulator: 1 s for headers, body and idle connections, at most 64 connections at once
LIMITS = ("--header-timeout", "1", "--body-timeout", "1", "--idle-timeout", "1", "--max-connections", "64")
MAX_CONNECTIONS = 64
OWN_THREADS = 4
CLIENT_TIMEOUT = 30.0  # seconds each client of the burst waits (only ever hits 127.0.0.1)


@pytest.fixture(scope="module")
def emulator() -> BullhornEmulator:
    emu = start_bullhorn_emulator("--seed", "5", "--scale", "0.05", *LIMITS)
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def port(emulator) -> int:
    return int(emulator.base_url.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def session(emulator) -> Dict[str, Any]:
    refresh = emulator.new_refresh_token()
    access = requests.post(f"{emulator.auth_base_url}/token", timeout=30, data={
        "grant_type": "refresh_token", "refresh_token": refresh,
        "client_id": EMULATOR_CLIENT_ID, "client_secret": EMULATOR_CLIENT_SECRET}).json()["access_token"]
    login = requests.post(f"{emulator.rest_login_url}/login", params={"version": "*", "access_token": access}, timeout=30)
    return login.json()


def _query(session: Dict[str, Any], **params: str) -> requests.Response:
    return requests.get(f"{session['restUrl']}query/Candidate", params=params,
                        headers={"BhRestToken": session["BhRestToken"]}, timeout=30)


def _assert_400(response: requests.Response, *words: str) -> None:
    assert response.status_code == 400, response.text[:300]
    message = response.json()["errorMessage"]
    assert all(w in message for w in words), message


def test_a_burst_of_a_thousand_clients_is_answered(port):
    answers: List[int] = []
    failures: List[str] = []
    start = threading.Barrier(BURST_CLIENTS)

    def client() -> None:
        start.wait()
        try:
            answer = exchange(port, b"GET /_admin/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                              timeout=CLIENT_TIMEOUT)
            answers.append(answer.status if answer else 0)
        except OSError as exc:
            failures.append(type(exc).__name__)

    threads = [threading.Thread(target=client) for _ in range(BURST_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures and answers == [200] * BURST_CLIENTS, (len(answers), failures[:5])


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2) to read the listen backlog")
def test_the_listen_backlog_holds_a_thousand_pending_connections(port):
    listing = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    backlog = int(listing.split()[2])  # Send-Q of a listening socket: its backlog
    with open("/proc/sys/net/core/somaxconn") as handle:
        assert backlog >= min(BURST_CLIENTS, int(handle.read()))


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "0x10", "+5"])
def test_a_content_length_that_is_not_a_non_negative_integer_is_400(port, length):
    with RawConnection(port) as connection:  # the socket stays open: a handler waiting for EOF would hang
        connection.send(f"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\nabc".encode())
        answer = connection.response()
        assert answer is not None and answer.status == 400
        assert "Content-Length" in answer.json()["errorMessage"]
        assert connection.closed_by_server()


def test_conflicting_content_length_headers_are_400(port):
    answer = exchange(port, b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde")
    assert answer is not None and answer.status == 400 and "conflicting" in answer.json()["errorMessage"]


def test_three_hundred_trickling_clients_are_all_cut_off_on_a_bounded_number_of_threads(emulator, port):
    baseline = thread_count(emulator.process.pid)
    result = trickle(port, 300, seconds=60, pid=emulator.process.pid, request=b"GET /rest-services/login HTTP/1.1\r\nX-Slow: ")
    assert (result.closed, result.open_at_end) == (300, 0), "every trickling client is cut off by the header timeout"
    # one thread per served connection, at most --max-connections of them (plus the few of the emulator's own it may
    # start meanwhile); without the bound it was one per client: 300
    assert result.most_threads <= baseline + MAX_CONNECTIONS + OWN_THREADS, result


@pytest.mark.parametrize("request_bytes,status,words", [
    (b"GET /rest-services/login HTTP/1.1\r\nX-Slow: a", 408, "headers not received within 1 s"),  # the header timeout
    (b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nclient_id=", 400, "shorter"),  # the body timeout
])
def test_a_request_still_incomplete_at_its_timeout_is_answered_and_its_connection_closed(port, request_bytes, status, words):
    with RawConnection(port) as connection:
        connection.send(request_bytes)
        answer = connection.response()
        assert answer is not None and answer.status == status and words in answer.json()["errorMessage"]
        assert connection.closed_by_server()


def test_a_chunked_body_is_refused_not_misread(port):
    answer = exchange(port, b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    assert answer is not None and answer.status == 501


def test_a_body_that_is_not_utf8_is_400(emulator):
    response = requests.post(f"{emulator.auth_base_url}/token", data=b"client_id=\xff\xfe", timeout=30,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    _assert_400(response, "UTF-8")


@pytest.mark.parametrize("body", [b"{not json", b"[" * 100_000])
def test_a_json_body_that_cannot_be_read_is_400(emulator, body):
    response = requests.post(f"{emulator.base_url}/_admin/config", data=body, timeout=30,
                             headers={"Content-Type": "application/json"})
    _assert_400(response, "JSON")


@pytest.mark.parametrize("where", ["(" * 5000 + "id=1" + ")" * 5000, "NOT " * 5000 + "id=1"])
def test_a_where_nested_thousands_deep_is_400(session, where):
    _assert_400(_query(session, where=where, fields="id"), "nested deeper")


def test_fields_nested_thousands_deep_are_400(session):
    _assert_400(_query(session, where="id>0", fields="owner(" * 5000 + "id" + ")" * 5000), "nested deeper")


@pytest.mark.parametrize("name, value", [("start", str(10**30)), ("count", str(10**30)), ("start", "ten"),
                                         ("count", "-1"), ("start", "2147483648")])
def test_start_and_count_out_of_range_are_400(session, name, value):
    _assert_400(_query(session, where="id>0", fields="id", **{name: value}), name)


def test_the_largest_start_is_an_empty_page(session):
    response = _query(session, where="id>0", fields="id", start="2147483647")
    assert response.status_code == 200 and response.json()["data"] == []


@pytest.mark.parametrize("change", [{"throttle_every": "often"}, {"session_max_calls": -1}, {"latency_ms": "nan"},
                                    {"access_token_ttl": 0}, {"session_ttl": [1]}, {"throttle_every": 1.5},
                                    {"rate_limit_per_minute": True}, {"no_such_setting": 1}, {"latency_ms": 10**30}])
def test_bad_admin_config_values_are_400_and_change_nothing(emulator, change):
    before = requests.post(f"{emulator.base_url}/_admin/config", json={}, timeout=30).json()
    response = requests.post(f"{emulator.base_url}/_admin/config", json={"latency_ms": 5, **change}, timeout=30)
    _assert_400(response, next(iter(change)))
    assert requests.post(f"{emulator.base_url}/_admin/config", json={}, timeout=30).json() == before


@pytest.mark.parametrize("payload", [{"entity": "Candidate", "count": "some"}, {"entity": "Candidate", "ids": ["a"]},
                                     {"entity": "Candidate", "ids": 5}, {"entity": "Candidate", "count": -2}])
def test_bad_admin_touch_values_are_400(emulator, payload):
    response = requests.post(f"{emulator.base_url}/_admin/touch", json=payload, timeout=30)
    assert response.status_code == 400, response.text


def test_the_server_still_serves_after_every_bad_request(emulator, session):
    assert requests.get(f"{emulator.base_url}/_admin/health", timeout=30).json() == {"ok": True}
    assert _query(session, where="id>0", fields="id", count="3").json()["count"] == 3
