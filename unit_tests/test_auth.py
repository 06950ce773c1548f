import threading

import pytest
import requests_mock

from destination_sense.send.auth import TokenProvider, safety_margin
from destination_sense.errors import ConfigError, TransientError

URL = "https://auth.example/oauth2/token"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _provider(clock, m, lifetimes):
    tokens = iter(range(1, 100))
    lifetimes = iter(lifetimes)
    m.post(URL, json=lambda req, ctx: {"access_token": f"t{next(tokens)}", "expires_in": next(lifetimes), "token_type": "Bearer"})
    return TokenProvider(URL, "id", "secret", clock=clock)


def test_token_is_reused_until_the_margin_before_expiry():
    clock = Clock()
    with requests_mock.Mocker() as m:
        provider = _provider(clock, m, [300, 300])
        assert provider.get() == "t1"
        clock.now += 269
        assert provider.get() == "t1"
        assert m.call_count == 1
        clock.now += 2  # 271 s: inside the 30 s margin
        assert provider.get() == "t2"
        assert m.call_count == 2
        body = m.request_history[0].text
        assert "grant_type=client_credentials" in body and "refresh_token" not in body


def test_short_lived_token_is_still_reused_and_lifetime_is_not_hardcoded():
    clock = Clock()
    with requests_mock.Mocker() as m:
        provider = _provider(clock, m, [2, 2])
        assert provider.get() == "t1"
        clock.now += 1.5
        assert provider.get() == "t1"
        clock.now += 0.4
        assert provider.get() == "t2"
    assert safety_margin(2) == pytest.approx(0.2)
    assert safety_margin(3600) == 60


def test_invalidate_forces_one_refresh():
    clock = Clock()
    with requests_mock.Mocker() as m:
        provider = _provider(clock, m, [300, 300])
        provider.invalidate(provider.get())
        assert provider.get() == "t2"
        provider.invalidate("t1")  # stale: ignored
        assert provider.get() == "t2"
        assert m.call_count == 2


def test_one_refresh_at_a_time():
    clock = Clock()
    with requests_mock.Mocker() as m:
        provider = _provider(clock, m, [300] * 10)
        results = []
        threads = [threading.Thread(target=lambda: results.append(provider.get())) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == ["t1"] * 8
        assert m.call_count == 1


@pytest.mark.parametrize("status,error", [(401, ConfigError), (400, ConfigError), (500, TransientError), (404, ConfigError)])
def test_token_endpoint_errors(status, error):
    with requests_mock.Mocker() as m:
        m.post(URL, status_code=status, text="nope")
        with pytest.raises(error) as info:
            TokenProvider(URL, "id", "s3cr3t-value").get()
        assert "s3cr3t-value" not in str(info.value)


def test_non_token_answer_is_retried_once_then_a_config_error():
    with requests_mock.Mocker() as m:
        m.post(URL, text="<html>hello</html>")
        tokens = TokenProvider(URL, "id", "s")
        with pytest.raises(TransientError):
            tokens.get()
        with pytest.raises(ConfigError, match="token_url"):
            tokens.get()


def test_one_garbage_answer_then_a_good_one_is_a_token():
    with requests_mock.Mocker() as m:
        m.post(URL, [{"text": "<html>busy</html>"}, {"json": {"access_token": "good-token", "expires_in": 60}}])
        tokens = TokenProvider(URL, "id", "s")
        with pytest.raises(TransientError):
            tokens.get()
        assert tokens.get() == "good-token"


@pytest.mark.parametrize("token", ["tok-abcdef\n", "tok-abcdef\r\n", "tok abcdef", "tok-\x00abcdef", "tök-abcdef"])
def test_a_token_with_whitespace_or_unprintable_characters_is_refused_without_showing_it(token):
    seen = []
    with requests_mock.Mocker() as m:
        m.post(URL, json={"access_token": token, "expires_in": 60})
        tokens = TokenProvider(URL, "id", "s", on_new_token=seen.append)
        with pytest.raises(TransientError) as first:
            tokens.get()
        with pytest.raises(ConfigError) as second:
            tokens.get()
    assert seen == [token, token], "the token is registered for masking before it is refused"
    for info in (first, second):
        assert "abcdef" not in str(info.value)


@pytest.mark.parametrize("expires_in,lifetime", [(0, 60.0), (-5, 60.0), ("NaN", 60.0), (None, 3600.0), ("soon", 3600.0), (0.2, 1.0), (120, 120.0)])
def test_unusable_expires_in_gets_a_floor_or_the_default_with_a_warning(expires_in, lifetime):
    warnings = []
    body = {"access_token": "tok-1234"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    with requests_mock.Mocker() as m:
        m.post(URL, json=body)
        tokens = TokenProvider(URL, "id", "s", warn=warnings.append)
        tokens.get()
        tokens.get()
        assert m.call_count == 1, "the token is reused, not requested for every call"
    assert tokens.last_lifetime == lifetime
    assert bool(warnings) == (lifetime != 120.0)
