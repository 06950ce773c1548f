"""source-ats components: OAuth rotation, REST login, session renewal, backoff, secrets.

Edge cases the emulator cannot produce deterministically (an access token rejected at login, a
restUrl that moves, concurrent 401s) use requests-mock.
"""
from __future__ import annotations

import json

import pytest
import requests
import requests_mock as rm
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_ats import components as c

AUTH = "https://auth.example.test/oauth"
REST = "https://rest.example.test/rest-services"

pytestmark = [pytest.mark.timeout(30)]


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch):
    monkeypatch.setattr(c.time, "sleep", lambda s: None)
    c._SESSIONS.clear()


def _config(**extra):
    return {"client_id": "cid", "client_secret": "csecret-123456", "refresh_token": "rt-0000001",
            "start_date": "2020-01-01T00:00:00Z", **extra}


def _token_body(n, expires_in=600):
    return {"access_token": f"at-{n:07d}", "refresh_token": f"rt-{n:07d}x", "expires_in": expires_in}


def _login_body(n, url=f"{REST}/e999/"):
    return {"BhRestToken": f"bh-{n:07d}", "restUrl": url}


def _config_updates(capsys):
    out = capsys.readouterr().out
    return [json.loads(l)["control"]["connectorConfig"]["config"] for l in out.splitlines()
            if l.startswith("{") and '"CONNECTOR_CONFIG"' in l]


def test_refresh_then_login_rotates_and_emits_the_new_refresh_token(capsys):
    config = _config()
    with rm.Mocker() as m:
        token = m.post(f"{AUTH}/token", json=_token_body(1))
        login = m.post(f"{REST}/login", json=_login_body(1))
        session = c.BullhornSession(config, AUTH, REST)
        assert session.current() == ("bh-0000001", f"{REST}/e999/")
        assert session.current() == ("bh-0000001", f"{REST}/e999/")  # cached
    assert token.call_count == 1 and login.call_count == 1
    sent = dict(token.last_request.qs)
    body = dict(x.split("=", 1) for x in token.last_request.text.split("&"))
    assert body["grant_type"] == "refresh_token" and body["refresh_token"] == "rt-0000001"
    assert not sent, "credentials must not travel in the token URL"
    assert login.last_request.qs["version"] == ["*"] and login.last_request.qs["access_token"] == ["at-0000001"]
    updates = _config_updates(capsys)
    assert len(updates) == 1 and updates[0]["refresh_token"] == "rt-0000001x"
    assert updates[0]["client_id"] == "cid" and updates[0]["start_date"] == config["start_date"]
    assert config["refresh_token"] == "rt-0000001x"  # the in-memory config follows


def test_renew_reuses_a_valid_access_token_and_dedupes_concurrent_401s(capsys):
    with rm.Mocker() as m:
        token = m.post(f"{AUTH}/token", json=_token_body(1))
        login = m.post(f"{REST}/login", [{"json": _login_body(1)}, {"json": _login_body(2)}])
        session = c.BullhornSession(_config(), AUTH, REST)
        first, _ = session.current()
        session.renew(first)            # the first thread to see the 401 logs in again
        session.renew(first)            # a second thread with the same stale token does not
        assert session.current()[0] == "bh-0000002"
    assert login.call_count == 2 and token.call_count == 1
    assert len(_config_updates(capsys)) == 1


def test_login_rejecting_the_access_token_refreshes_once_then_logs_in(capsys):
    with rm.Mocker() as m:
        token = m.post(f"{AUTH}/token", [{"json": _token_body(1)}, {"json": _token_body(2)}])
        login = m.post(f"{REST}/login", [{"json": _login_body(1)}, {"status_code": 401, "json": {}},
                                         {"json": _login_body(3)}])
        session = c.BullhornSession(_config(), AUTH, REST)
        stale, _ = session.current()
        session.renew(stale)
        assert session.current()[0] == "bh-0000003"
        bodies = [dict(x.split("=", 1) for x in r.text.split("&")) for r in token.request_history]
    assert [b["refresh_token"] for b in bodies] == ["rt-0000001", "rt-0000001x"]  # never a used token
    assert [u["refresh_token"] for u in _config_updates(capsys)] == ["rt-0000001x", "rt-0000002x"]
    assert login.call_count == 3


def test_expired_access_token_is_refreshed_before_login():
    with rm.Mocker() as m:
        token = m.post(f"{AUTH}/token", [{"json": _token_body(1, expires_in=10)}, {"json": _token_body(2)}])
        m.post(f"{REST}/login", [{"json": _login_body(1)}, {"json": _login_body(2)}])
        session = c.BullhornSession(_config(), AUTH, REST)
        stale, _ = session.current()
        session.renew(stale)  # 10 s lifetime is inside the 30 s safety margin
    assert token.call_count == 2


def test_rejected_refresh_token_without_password_is_a_config_error():
    with rm.Mocker() as m:
        m.post(f"{AUTH}/token", status_code=400, json={"error": "invalid_grant"})
        session = c.BullhornSession(_config(), AUTH, REST)
        with pytest.raises(AirbyteTracedException) as err:
            session.current()
    assert err.value.failure_type.value == "config_error"
    assert "single use" in err.value.message


def test_a_spent_refresh_token_is_sent_once_whatever_the_number_of_callers():
    with rm.Mocker() as m:
        token = m.post(f"{AUTH}/token", status_code=400, json={"error": "invalid_grant"})
        session = c.BullhornSession(_config(), AUTH, REST)
        messages = []
        for _ in range(10):  # every stream of a read asks for the session
            with pytest.raises(AirbyteTracedException) as err:
                session.current()
            assert err.value.failure_type.value == "config_error"
            messages.append(err.value.message)
    assert token.call_count == 1
    assert len(set(messages)) == 1 and "must be renewed" in messages[0]


def test_a_spent_refresh_token_is_not_sent_again_after_the_password_fallback(capsys):
    with rm.Mocker() as m:
        token = m.post(f"{AUTH}/token", [{"status_code": 400, "json": {"error": "invalid_grant"}},
                                         {"status_code": 400, "json": {"error": "invalid_grant"}}])
        authorize = m.get(f"{AUTH}/authorize", status_code=200, text="<form>Invalid username or password</form>")
        session = c.BullhornSession(_config(username="api", password="bad-pw-1"), AUTH, REST)
        for _ in range(3):
            with pytest.raises(AirbyteTracedException):
                session.current()
    assert token.call_count == 1 and authorize.call_count == 1


def test_rejected_refresh_token_falls_back_to_headless_authorize(capsys):
    with rm.Mocker() as m:
        m.post(f"{AUTH}/token", [{"status_code": 400, "json": {"error": "invalid_grant"}}, {"json": _token_body(5)}])
        authorize = m.get(f"{AUTH}/authorize", status_code=302,
                          headers={"Location": "https://cb.example.test/?code=code-42&state="})
        m.post(f"{REST}/login", json=_login_body(5))
        session = c.BullhornSession(_config(username="api", password="pw-123456"), AUTH, REST)
        assert session.current()[0] == "bh-0000005"
        assert authorize.last_request.qs["action"] == ["login"]  # requests-mock lower-cases query values
        code_exchange = dict(x.split("=", 1) for x in m.request_history[-2].text.split("&"))
    assert code_exchange["grant_type"] == "authorization_code" and code_exchange["code"] == "code-42"
    assert _config_updates(capsys)[-1]["refresh_token"] == "rt-0000005x"


def test_headless_authorize_without_code_is_a_config_error():
    with rm.Mocker() as m:
        m.get(f"{AUTH}/authorize", status_code=200, text="<form>Invalid username or password</form>")
        session = c.BullhornSession(_config(refresh_token=None, username="api", password="bad-pw-1"), AUTH, REST)
        with pytest.raises(AirbyteTracedException) as err:
            session.current()
    assert err.value.failure_type.value == "config_error" and "username and password" in err.value.message


def test_invalid_client_is_a_config_error():
    with rm.Mocker() as m:
        m.post(f"{AUTH}/token", status_code=401, json={"error": "invalid_client"})
        with pytest.raises(AirbyteTracedException) as err:
            c.BullhornSession(_config(username="u", password="p-1234567"), AUTH, REST).current()
    assert "client_id/client_secret" in err.value.message


def test_connection_errors_do_not_leak_the_url_with_credentials():
    with rm.Mocker() as m:
        m.get(f"{AUTH}/authorize", exc=requests.exceptions.ConnectionError(f"{AUTH}/authorize?password=pw-7654321"))
        session = c.BullhornSession(_config(refresh_token=None, username="api", password="pw-7654321"), AUTH, REST)
        with pytest.raises(AirbyteTracedException) as err:
            session.current()
    assert "pw-7654321" not in str(err.value.message) + str(err.value.internal_message)
    assert err.value.failure_type.value == "transient_error"


def test_runtime_credentials_are_masked_in_logs():
    with rm.Mocker() as m:
        m.post(f"{AUTH}/token", json=_token_body(9))
        m.post(f"{REST}/login", json=_login_body(9))
        c.BullhornSession(_config(), AUTH, REST).current()
    text = "at-0000009 rt-0000009x bh-0000009 csecret-123456"
    assert filter_secrets(text) == "**** **** **** ****"


def _authenticator(config):
    return c.BullhornAuthenticator(config=config, parameters={}, auth_base_url=AUTH, rest_login_url=REST)


def test_authenticator_signs_requests_and_renews_on_401_only():
    config = _config()
    with rm.Mocker() as m:
        m.post(f"{AUTH}/token", json=_token_body(1))
        m.post(f"{REST}/login", [{"json": _login_body(1)}, {"json": _login_body(2, url=f"{REST}-moved/e999/")}])
        auth = _authenticator(config)
        request = requests.Request("GET", f"{REST}/e999/query/Candidate?where=x").prepare()
        auth(request)
        assert request.headers["BhRestToken"] == "bh-0000001"
        ok = requests.Response()
        ok.status_code = 200
        auth.update_from_response(request, ok)
        assert auth.session.current()[0] == "bh-0000001"
        expired = requests.Response()
        expired.status_code = 401
        auth.update_from_response(request, expired)
        auth.update_from_response(request, expired)  # a second 401 for the same old token: no new login
        auth(request)  # the HttpClient re-signs before retrying
    assert request.headers["BhRestToken"] == "bh-0000002"
    assert request.url == f"{REST}-moved/e999/query/Candidate?where=x"  # followed the new restUrl
    assert auth.get_auth_header() == {"BhRestToken": "bh-0000002"}


def test_streams_share_one_session_per_connection():
    config = _config()
    a, b = _authenticator(config), _authenticator(config)
    assert a.session is b.session
    assert _authenticator(_config(client_secret="other-secret-1")).session is not a.session


def test_requester_url_base_is_the_sessions_rest_url():
    config = _config()
    with rm.Mocker() as m:
        m.post(f"{AUTH}/token", json=_token_body(1))
        m.post(f"{REST}/login", json=_login_body(1, url="https://rest42.example.test/rest-services/abc"))
        requester = c.BullhornRequester(name="candidates", config=config, parameters={"entity": "Candidate"},
                                        url_base="https://placeholder.invalid", path="query/Candidate",
                                        authenticator=_authenticator(config),
                                        request_parameters={"orderBy": "dateLastModified,id"})
        assert requester.get_url_base() == "https://rest42.example.test/rest-services/abc/"
        assert requester.get_request_params() == {"orderBy": "dateLastModified,id"}


@pytest.mark.parametrize("status,headers,attempt,expected", [
    (401, {}, 1, 0.01),
    (429, {}, 1, 1.0),
    (429, {"Retry-After": "3"}, 1, 3.0),
    (500, {}, 1, 2.0),
    (503, {}, 3, 8.0),
    (503, {}, 10, 60.0),
])
def test_backoff_strategy(status, headers, attempt, expected):
    strategy = c.BullhornBackoffStrategy(config={}, parameters={})
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    assert strategy.backoff_time(response, attempt) == expected


# --------------------------------------------------------------------------- throughput components


def _response(body: bytes, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers["Content-Type"] = "application/json"
    return response


@pytest.mark.parametrize("body", [
    b'{"start":0,"count":2,"data":[{"id":1,"address":{"city":"Boston"},"owner":{"id":3}},{"id":2,"tags":[1,2]}]}',
    b'{"start":0,"count":0,"data":[]}',
    b'{"data":{"id":7,"name":"one object"}}',
    b'{"data":{}}',
    b'{"data":null}',
    b'{"errorMessage":"no data key"}',
    b'[{"data":[{"id":1}]}]',
    b'',
    b'not json',
])
def test_record_extractor_gives_what_the_dpath_extractor_gives(body):
    from airbyte_cdk.sources.declarative.extractors.dpath_extractor import DpathExtractor

    dpath = DpathExtractor(field_path=["data"], config={}, parameters={})
    ours = c.BullhornRecordExtractor(field_path=["data"], config={}, parameters={})
    assert list(ours.extract_records(_response(body))) == list(dpath.extract_records(_response(body)))


def test_record_extractor_follows_a_nested_interpolated_path_and_rejects_wildcards():
    ours = c.BullhornRecordExtractor(field_path=["{{ parameters['outer'] }}", "rows"], config={}, parameters={"outer": "result"})
    assert list(ours.extract_records(_response(b'{"result":{"rows":[{"id":1},{"id":2}]}}'))) == [{"id": 1}, {"id": 2}]
    with pytest.raises(ValueError):
        c.BullhornRecordExtractor(field_path=["data", "*"], config={}, parameters={})


class _CountingDecoder:
    def __init__(self):
        self.calls = 0

    def is_stream_response(self):
        return False

    def decode(self, response):
        self.calls += 1
        yield {}


def test_offset_increment_evaluates_the_configured_page_size_without_decoding_responses():
    decoder = _CountingDecoder()
    strategy = c.BullhornOffsetIncrement(config={"page_size": 37}, page_size="{{ config.get('page_size', 500) }}",
                                         parameters={}, decoder=decoder, inject_on_first_request=True)
    page = _response(b'{"data":[]}')
    assert strategy.initial_token == 0
    assert strategy.get_page_size() == 37
    assert strategy.next_page_token(page, last_page_size=37, last_record=None, last_page_token_value=0) == 37
    assert strategy.next_page_token(page, last_page_size=37, last_record=None, last_page_token_value=37) == 74
    assert strategy.next_page_token(page, last_page_size=36, last_record=None, last_page_token_value=74) is None
    assert strategy.next_page_token(page, last_page_size=0, last_record=None, last_page_token_value=74) is None
    assert decoder.calls == 0
    default = c.BullhornOffsetIncrement(config={}, page_size="{{ config.get('page_size', 500) }}", parameters={},
                                        decoder=decoder)
    assert default.next_page_token(page, last_page_size=499, last_record=None, last_page_token_value=0) is None
    assert default.next_page_token(page, last_page_size=500, last_record=None, last_page_token_value=0) == 500
    assert decoder.calls == 0


def test_picklist_extractor_gives_one_record_per_field_with_options():
    body = {
        "entity": "Candidate",
        "fields": [
            {"name": "status", "label": "Status", "options": [{"value": "Active", "label": "Active"}, {"value": 3, "label": "Three"}]},
            {"name": "firstName", "type": "SCALAR"},
            {"name": "source", "options": []},
            "not a field",
        ],
    }
    extractor = c.BullhornPicklistExtractor(config={}, parameters={})
    records = list(extractor.extract_records(_response(json.dumps(body).encode())))
    assert records == [
        {"entity": "Candidate", "field_name": "status", "label": "Status",
         "values": [{"label": "Active", "value": "Active"}, {"label": "Three", "value": 3}]},
        {"entity": "Candidate", "field_name": "source", "label": None, "values": []},
    ]
    assert list(extractor.extract_records(_response(b"not json"))) == []
    assert list(extractor.extract_records(_response(b"[]"))) == []
