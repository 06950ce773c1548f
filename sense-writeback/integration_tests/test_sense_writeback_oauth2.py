"""sense-writeback's OAuth2 mode through real HTTP: bearer JWTs from oidc-emulator (a local OpenID provider).

Good tokens (RS256, ES256, rotated keys, within clock skew) pass; expired, not yet valid, foreign
audience or issuer, bad signature, ``alg: none``, HMAC algorithm confusion, unknown ``kid`` and a
missing scope get the guide's 401; an unknown ``kid`` causes exactly one, rate-limited, JWKS refresh.
"""
from __future__ import annotations

import time

import pytest
import requests

from sense_testing.writeback_samples import writeback
from oidc_emulator.testing import start_oidc_emulator
from sense_writeback.store import open_store
from sense_testing.writeback_receiver import start_receiver

AUDIENCE = "https://receiver.example/event"
CLIENT = ("sense-sender", "client-secret-value-0123456789")
TOKEN = "pre-shared-0123456789abcdef"
UNAUTHORIZED = {"error": "invalid token or session"}


@pytest.fixture(scope="module")
def idp():
    with start_oidc_emulator(clients=[CLIENT], audience=AUDIENCE, scopes=["writeback:send", "other"]) as process:
        yield process


def oidc_args(idp, *extra):
    return ["--oidc-discovery-url", idp.discovery_url, "--oidc-audience", AUDIENCE, *extra]


@pytest.fixture(scope="module")
def receiver(idp, tmp_path_factory):
    db = str(tmp_path_factory.mktemp("oauth2") / "r.db")
    with start_receiver(db=db, tokens=[TOKEN], extra_args=oidc_args(idp, "--oidc-jwks-refresh-interval", "600")) as proc:
        proc.db = db
        yield proc


counter = iter(range(1, 10_000))


def send(receiver, token):
    return requests.post(receiver.event_url, json=writeback("GENERIC_EVENT", f"jwt-{next(counter)}"),
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_client_credentials_token_is_accepted_and_recorded_as_oauth2(receiver, idp):
    token = idp.client_token()["access_token"]
    response = send(receiver, token)
    assert response.status_code == 200, response.text
    with open_store(receiver.db, writer=False) as store:
        assert store.get(f"jwt-{next(counter) - 1}").auth_mode == "oauth2"


def test_es256_token_and_small_clock_skew_are_accepted(receiver, idp):
    assert send(receiver, idp.admin.token(alg="ES256")).status_code == 200
    assert send(receiver, idp.admin.token(not_before=5)).status_code == 200  # nbf 5 s ahead: within the skew


def test_pre_shared_token_still_works_alongside(receiver):
    assert send(receiver, TOKEN).status_code == 200


@pytest.mark.parametrize("spec", [
    {"lifetime": -120},  # expired beyond the skew
    {"not_before": 600},  # not valid yet
    {"claims": {"aud": "https://someone-else.example"}},
    {"claims": {"iss": "https://evil.example"}},
    {"claims": {"exp": None}},  # no expiry
    {"tamper": True},  # signature altered
    {"untrusted": True, "kid": "__current_rs256__"},  # a known kid, a foreign key
    {"alg": "none"},
    {"alg": "HS256"},  # HMAC keyed with the RSA public key: algorithm confusion
], ids=["expired", "not-yet-valid", "wrong-audience", "wrong-issuer", "no-exp", "bad-signature", "foreign-key",
        "alg-none", "alg-confusion"])
def test_bad_tokens_get_401(receiver, idp, spec):
    spec = dict(spec)
    if spec.get("kid") == "__current_rs256__":
        spec["kid"] = idp.admin.keys()["current"]["RS256"]
    before = receiver.metric("sense_writeback_auth_failures_total", mode="oauth2")
    response = send(receiver, idp.admin.token(**spec))
    assert response.status_code == 401 and response.json() == UNAUTHORIZED
    assert receiver.metric("sense_writeback_auth_failures_total", mode="oauth2") == before + 1


def test_unknown_kid_causes_one_rate_limited_jwks_refresh(idp, tmp_path):
    with start_receiver(db=str(tmp_path / "kid.db"), tokens=[],
                        extra_args=oidc_args(idp, "--oidc-jwks-refresh-interval", "1")) as proc:
        assert send(proc, idp.client_token()["access_token"]).status_code == 200  # keys loaded
        time.sleep(1.1)  # past the refresh interval
        idp.admin.reset_counters()
        for _ in range(4):  # forged kids: one refresh, then the rate limit holds
            assert send(proc, idp.admin.token(untrusted=True)).status_code == 401
        assert idp.admin.counters()["jwks"] == 1


def test_key_rotation_is_followed(idp, tmp_path):
    with start_receiver(db=str(tmp_path / "rot.db"), tokens=[],
                        extra_args=oidc_args(idp, "--oidc-jwks-refresh-interval", "0.5")) as proc:
        assert send(proc, idp.client_token()["access_token"]).status_code == 200
        idp.admin.rotate(keep_previous=False)
        time.sleep(0.6)
        rotated = idp.client_token()["access_token"]  # signed with a kid the receiver has not seen
        assert send(proc, rotated).status_code == 200


def test_required_scope(idp, tmp_path):
    with start_receiver(db=str(tmp_path / "scope.db"), tokens=[],
                        extra_args=oidc_args(idp, "--oidc-required-scope", "writeback:send")) as proc:
        assert send(proc, idp.client_token(scope="writeback:send")["access_token"]).status_code == 200
        assert send(proc, idp.client_token(scope="other")["access_token"]).status_code == 401


def test_unreachable_provider_is_a_server_issue_not_a_bad_credential(idp, tmp_path):
    with start_receiver(db=str(tmp_path / "down.db"), tokens=[], extra_args=oidc_args(idp)) as proc:
        idp.admin.faults(discovery=1)
        response = send(proc, idp.client_token()["access_token"])
        assert response.status_code == 503 and "id" not in response.json()
        assert send(proc, idp.client_token()["access_token"]).status_code == 200  # next attempt fetches again
