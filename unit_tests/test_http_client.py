"""Edge cases of the HTTP client that need exact control of the answers (request-level mocks)."""
import pytest
import requests_mock

from destination_sense.send.auth import TokenProvider
from destination_sense.errors import ConfigError, TransientError
from destination_sense.send.http_client import SenseClient
from destination_sense.send.retry import RetryPolicy

TOKEN_URL = "https://auth.example/oauth2/token"
API = "https://api.example/v1"


def _client(m, max_elapsed=60.0):
    counter = iter(range(1, 100))
    m.post(TOKEN_URL, json=lambda r, c: {"access_token": f"t{next(counter)}", "expires_in": 300})
    waits = []
    client = SenseClient(
        API, TokenProvider(TOKEN_URL, "id", "secret"), RetryPolicy(base_delay=1, max_elapsed=max_elapsed),
        sleep=waits.append, log=lambda message: None,
    )
    return client, waits


def test_401_renews_the_token_once():
    with requests_mock.Mocker() as m:
        client, _ = _client(m)
        m.post(f"{API}/candidates", [{"status_code": 401}, {"status_code": 201, "json": {"message": "ok"}}])
        assert client.post_batch("candidates", b"x").accepted
        auths = [r.headers["Authorization"] for r in m.request_history if r.url.endswith("/candidates")]
        assert auths == ["Bearer t1", "Bearer t2"]


def test_401_twice_is_a_config_error():
    with requests_mock.Mocker() as m:
        client, _ = _client(m)
        m.post(f"{API}/candidates", status_code=401)
        with pytest.raises(ConfigError, match="401"):
            client.post_batch("candidates", b"x")


def test_429_honours_retry_after_and_5xx_backs_off():
    with requests_mock.Mocker() as m:
        client, waits = _client(m)
        m.post(
            f"{API}/leads",
            [
                {"status_code": 429, "headers": {"Retry-After": "7"}},
                {"status_code": 503},
                {"status_code": 201, "json": {}},
            ],
        )
        outcome = client.post_batch("leads", b"x")
        assert outcome.accepted and outcome.retries == 2
        assert waits[0] == 7 and 0.5 <= waits[1] <= 2


def test_retries_stop_when_the_budget_is_spent():
    with requests_mock.Mocker() as m:
        client, waits = _client(m, max_elapsed=5)
        client.clock = iter(range(0, 1000, 2)).__next__  # each look at the clock: +2 s
        m.post(f"{API}/leads", status_code=502)
        with pytest.raises(TransientError, match="giving up"):
            client.post_batch("leads", b"x")


def test_400_errors_are_parsed():
    with requests_mock.Mocker() as m:
        client, _ = _client(m)
        m.post(
            f"{API}/candidates",
            status_code=400,
            json={"errors": [{"entity_id": "7", "message": "bad email", "path": ["2", "email"]}], "warnings": []},
        )
        outcome = client.post_batch("candidates", b"x")
        assert outcome.rejected
        (error,) = outcome.errors
        assert (error.entity_id, error.index, error.field_name, error.message) == ("7", 2, "email", "bad email")


def test_wrong_api_url_is_a_config_error():
    with requests_mock.Mocker() as m:
        client, _ = _client(m)
        m.post(f"{API}/candidates", status_code=404, text="Not Found")
        with pytest.raises(ConfigError, match="api_url"):
            client.post_batch("candidates", b"x")


def test_timeouts_and_connection_errors_are_retried():
    import requests

    with requests_mock.Mocker() as m:
        client, waits = _client(m)
        m.post(f"{API}/leads", [{"exc": requests.exceptions.ReadTimeout}, {"exc": requests.exceptions.ConnectionError}, {"status_code": 201, "json": {}}])
        outcome = client.post_batch("leads", b"x")
        assert outcome.accepted and outcome.retries == 2 and len(waits) == 2


def test_429_with_retry_after_zero_waits_the_minimum_and_is_capped():
    with requests_mock.Mocker() as m:
        counter = iter(range(1, 100))
        m.post(TOKEN_URL, json=lambda r, c: {"access_token": f"t{next(counter)}", "expires_in": 300})
        waits = []
        policy = RetryPolicy(max_rate_limited=4, min_rate_limit_delay=1.0)
        client = SenseClient(API, TokenProvider(TOKEN_URL, "id", "secret"), policy, sleep=waits.append)
        m.post(f"{API}/leads", status_code=429, headers={"Retry-After": "0"})
        with pytest.raises(TransientError, match="429"):
            client.post_batch("leads", b"x")
        assert waits == [1.0] * 4
        assert len([r for r in m.request_history if r.url.endswith("/leads")]) == 5


def test_a_permanent_500_gives_up_after_max_retries():
    with requests_mock.Mocker() as m:
        client, waits = _client(m, max_elapsed=600)
        m.post(f"{API}/leads", status_code=500)
        with pytest.raises(TransientError, match="5 retries"):
            client.post_batch("leads", b"x")
        assert len(waits) == 5 and sum(waits) <= 31


def test_token_fetch_and_request_share_one_retry_policy():
    """The token endpoint's failures are retried by the same schedule as the request's (one loop)."""
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, [{"status_code": 503}, {"status_code": 503}, {"json": {"access_token": "tok-1", "expires_in": 300}}])
        m.post(f"{API}/leads", [{"status_code": 500}, {"status_code": 201, "json": {}}])
        waits = []
        client = SenseClient(API, TokenProvider(TOKEN_URL, "id", "secret"), RetryPolicy(base_delay=1, jitter=0.0, max_retries=3), sleep=waits.append)
        outcome = client.post_batch("leads", b"x")
        assert outcome.accepted and outcome.retries == 3
        assert waits == [1.0, 2.0, 4.0], "token failures and the 500 count in one schedule"


def test_a_garbage_token_answer_is_retried_like_a_5xx_then_a_config_error():
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, [{"text": "<html>"}, {"json": {"access_token": "tok-1", "expires_in": 300}}])
        client = SenseClient(API, TokenProvider(TOKEN_URL, "id", "secret"), RetryPolicy(), sleep=lambda s: None)
        client.authenticate()
        assert client.retries == 1
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, text="<html>")
        client = SenseClient(API, TokenProvider(TOKEN_URL, "id", "secret"), RetryPolicy(), sleep=lambda s: None)
        with pytest.raises(ConfigError, match="twice in a row"):
            client.authenticate()
