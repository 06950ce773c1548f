"""The local OpenID provider through real HTTP: discovery, JWKS, client credentials, rotation, test tokens.

Tokens are verified with PyJWT's own ``PyJWKClient`` fetching the emulator's JWKS, as a receiver would.
"""
from __future__ import annotations

import base64
import json

import jwt
import pytest
import requests

from oidc_emulator.testing import start_oidc_emulator

CLIENT = ("sense-sender", "client-secret-value-0123456789")
AUDIENCE = "https://receiver.example/event"


@pytest.fixture(scope="module")
def idp():
    with start_oidc_emulator(clients=[CLIENT, ("second", "other-secret-value")], audience=AUDIENCE,
                             scopes=["writeback:send", "other"], token_ttl=120) as process:
        yield process


def _header(token: str) -> dict:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def _verify(idp, token: str, **options):
    key = jwt.PyJWKClient(idp.jwks_url, cache_keys=False).get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256", "ES256"], audience=AUDIENCE, issuer=idp.issuer, **options)


def test_discovery_document_names_issuer_jwks_and_token_endpoint(idp):
    doc = requests.get(idp.discovery_url, timeout=10).json()
    assert doc["issuer"] == idp.base_url
    assert doc["jwks_uri"] == f"{idp.base_url}/jwks"
    assert doc["token_endpoint"] == f"{idp.base_url}/oauth2/token"
    assert set(doc["id_token_signing_alg_values_supported"]) == {"RS256", "ES256"}
    assert doc["grant_types_supported"] == ["client_credentials"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}


def test_jwks_publishes_one_rs256_and_one_es256_key_with_kids(idp):
    keys = requests.get(idp.jwks_url, timeout=10).json()["keys"]
    current = idp.admin.keys()["current"]
    by_kid = {k["kid"]: k for k in keys}
    assert by_kid[current["RS256"]]["kty"] == "RSA" and by_kid[current["RS256"]]["alg"] == "RS256"
    assert by_kid[current["ES256"]]["kty"] == "EC" and by_kid[current["ES256"]]["crv"] == "P-256"
    assert all("d" not in k for k in keys)  # public parts only


@pytest.mark.parametrize("method", ["basic", "post"])
def test_client_credentials_token_verifies_against_the_jwks(idp, method):
    form = {"grant_type": "client_credentials"}
    if method == "basic":
        response = requests.post(idp.token_url, data=form, auth=CLIENT, timeout=10)
    else:
        response = requests.post(idp.token_url, data={**form, "client_id": CLIENT[0], "client_secret": CLIENT[1]}, timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 120
    claims = _verify(idp, body["access_token"])
    assert claims["sub"] == CLIENT[0] and claims["client_id"] == CLIENT[0]
    assert claims["exp"] - claims["iat"] == 120
    assert claims["scope"] == "writeback:send other"
    assert _header(body["access_token"])["kid"] == idp.admin.keys()["current"]["RS256"]


def test_requested_scope_is_granted_and_unknown_scope_refused(idp):
    token = idp.client_token(scope="writeback:send")["access_token"]
    assert _verify(idp, token)["scope"] == "writeback:send"
    refused = requests.post(idp.token_url, data={"grant_type": "client_credentials", "scope": "admin"}, auth=CLIENT, timeout=10)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"


@pytest.mark.parametrize("auth, form", [
    (("sense-sender", "wrong-secret"), {}),
    (("nobody", "client-secret-value-0123456789"), {}),
    (None, {"client_id": "sense-sender", "client_secret": "wrong-secret"}),
    (None, {}),
])
def test_bad_client_credentials_get_401_invalid_client_without_echoing_the_secret(idp, auth, form):
    response = requests.post(idp.token_url, data={"grant_type": "client_credentials", **form}, auth=auth, timeout=10)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "wrong-secret" not in response.text and CLIENT[1] not in response.text


def test_other_grant_types_are_unsupported(idp):
    response = requests.post(idp.token_url, data={"grant_type": "password", "username": "u"}, auth=CLIENT, timeout=10)
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


def test_token_lifetime_and_algorithm_are_configurable(idp):
    idp.admin.configure(token_ttl=7, token_alg="ES256")
    try:
        body = idp.client_token()
        assert body["expires_in"] == 7
        assert _header(body["access_token"])["alg"] == "ES256"
        claims = _verify(idp, body["access_token"])
        assert claims["exp"] - claims["iat"] == 7
    finally:
        idp.admin.configure(token_ttl=120, token_alg="RS256")


def test_rotation_keeps_or_drops_the_previous_key(idp):
    old_token = idp.client_token()["access_token"]
    old_kid = _header(old_token)["kid"]
    rotated = idp.admin.rotate(algs=["RS256"], keep_previous=True)
    new_kid = rotated["rotated"]["RS256"]
    assert new_kid != old_kid
    kids = {k["kid"] for k in requests.get(idp.jwks_url, timeout=10).json()["keys"]}
    assert {old_kid, new_kid} <= kids
    _verify(idp, old_token)  # still verifiable while the old key is published
    new_token = idp.client_token()["access_token"]
    assert _header(new_token)["kid"] == new_kid
    idp.admin.rotate(algs=["RS256"], keep_previous=False)
    kids = {k["kid"] for k in requests.get(idp.jwks_url, timeout=10).json()["keys"]}
    assert old_kid not in kids and new_kid not in kids
    with pytest.raises(jwt.PyJWKClientError):
        _verify(idp, old_token)


def test_minted_tokens_cover_the_failure_cases(idp):
    good = idp.admin.mint()
    assert _verify(idp, good["token"])["iss"] == idp.issuer
    with pytest.raises(jwt.ExpiredSignatureError):
        _verify(idp, idp.admin.token(lifetime=-60))
    with pytest.raises(jwt.ImmatureSignatureError):
        _verify(idp, idp.admin.token(not_before=600))
    with pytest.raises(jwt.InvalidAudienceError):
        _verify(idp, idp.admin.token(claims={"aud": "someone-else"}))
    with pytest.raises(jwt.InvalidIssuerError):
        _verify(idp, idp.admin.token(claims={"iss": "https://evil.example"}))
    with pytest.raises(jwt.InvalidSignatureError):
        _verify(idp, idp.admin.token(tamper=True))
    with pytest.raises(jwt.PyJWKClientError):  # a key no JWKS publishes, under a kid nobody knows
        _verify(idp, idp.admin.token(untrusted=True))
    with pytest.raises(jwt.InvalidSignatureError):  # a foreign key under a published kid
        _verify(idp, idp.admin.token(untrusted=True, kid=idp.admin.keys()["current"]["RS256"]))
    without_exp = idp.admin.mint(claims={"exp": None})
    assert "exp" not in without_exp["claims"]
    with pytest.raises(jwt.MissingRequiredClaimError):
        _verify(idp, without_exp["token"], options={"require": ["exp"]})
    es = idp.admin.mint(alg="ES256", claims={"scope": "custom"})
    assert _verify(idp, es["token"])["scope"] == "custom"


def test_alg_none_and_hs256_confusion_tokens_are_well_formed_attacks(idp):
    none = idp.admin.token(alg="none")
    assert _header(none)["alg"] == "none" and none.endswith(".")
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(none, "irrelevant", algorithms=["RS256", "ES256"])
    confused = idp.admin.token(alg="HS256")
    header = _header(confused)
    assert header["alg"] == "HS256" and header["kid"] == idp.admin.keys()["current"]["RS256"]
    # The attack works against a verifier that lets the token choose HMAC with the public key...
    pem = _rsa_public_pem(idp, header["kid"])
    import hashlib, hmac
    signing_input, signature = confused.rsplit(".", 1)
    expected = base64.urlsafe_b64encode(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    assert signature == expected
    # ...and fails against one that pins the asymmetric algorithms.
    key = jwt.PyJWKClient(idp.jwks_url, cache_keys=False).get_signing_key_from_jwt(confused)
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(confused, key.key, algorithms=["RS256", "ES256"], audience=AUDIENCE)


def _rsa_public_pem(idp, kid):
    from cryptography.hazmat.primitives import serialization

    jwk = next(k for k in requests.get(idp.jwks_url, timeout=10).json()["keys"] if k["kid"] == kid)
    public = jwt.algorithms.RSAAlgorithm.from_jwk(jwk)
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_mint_refuses_unknown_fields_and_algorithms(idp):
    for spec in ({"alg": "HS512"}, {"colour": "red"}, {"lifetime": "soon"}):
        response = requests.post(f"{idp.base_url}/_admin/tokens", json=spec, timeout=10)
        assert response.status_code == 400, spec


def test_counters_count_jwks_discovery_and_token_requests(idp):
    idp.admin.reset_counters()
    for _ in range(3):
        requests.get(idp.jwks_url, timeout=10)
    requests.get(idp.discovery_url, timeout=10)
    idp.client_token()
    requests.post(idp.token_url, data={"grant_type": "client_credentials"}, auth=("x", "y"), timeout=10)
    counters = idp.admin.counters()
    assert counters["jwks"] == 3 and counters["discovery"] == 1 and counters["token"] == 2
    assert counters["token_issued"] == 1 and counters["token_refused"] == 1


def test_faults_make_the_next_requests_answer_503(idp):
    idp.admin.faults(token=1, jwks=2)
    assert requests.post(idp.token_url, data={"grant_type": "client_credentials"}, auth=CLIENT, timeout=10).status_code == 503
    assert requests.post(idp.token_url, data={"grant_type": "client_credentials"}, auth=CLIENT, timeout=10).status_code == 200
    assert [requests.get(idp.jwks_url, timeout=10).status_code for _ in range(3)] == [503, 503, 200]


def test_secrets_never_reach_the_log_or_the_admin_config(idp):
    assert CLIENT[1] not in idp.log()
    config = idp.admin.config()
    assert config["clients"] == ["second", "sense-sender"]
    assert CLIENT[1] not in json.dumps(config)


def test_cli_refuses_a_malformed_client_without_printing_it(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "oidc_emulator", "--port", "0", "--client", "no-colon-secretvalue"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "ID:SECRET" in result.stderr and "secretvalue" not in result.stderr


def test_a_chunked_body_is_refused_with_411_and_the_connection_closed(idp):
    def chunks():
        yield b"grant_type=client_credentials"

    response = requests.post(idp.token_url, data=chunks(), auth=CLIENT, timeout=10,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 411 and response.headers["Connection"] == "close"
