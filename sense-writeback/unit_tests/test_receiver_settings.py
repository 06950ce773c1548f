"""sense_writeback.receiver_settings, tokens, body and references: settings sources, secrets, body decoding, entity extraction."""
import pytest

from sense_writeback.body import BodyError, check_headers, parse_object
from sense_writeback.receiver_settings import ConfigError, build_config, load_file
from sense_writeback.references import entity_references
from sense_writeback.tokens import TokenSet

T1, T2 = "token-one-0123456789", "token-two-0123456789"


def test_precedence_file_env_cli_and_secret_sources(tmp_path):
    (tmp_path / "tokens").write_text(f"{T2}\n")
    (tmp_path / "dsn").write_text("postgresql://u:pw@db/x\n")
    file_values = {"port": 9000, "event_path": "/hook", "tokens_file": str(tmp_path / "tokens"),
                   "database_url_file": str(tmp_path / "dsn")}
    config = build_config(file_values, {"SENSE_WRITEBACK_TOKENS": T1, "SENSE_WRITEBACK_PORT": "9100"},
                          {"port": 9200, "host": None})
    assert config.port == 9200 and config.event_path == "/hook" and config.host == "127.0.0.1"
    assert config.tokens.matches(T1) and config.tokens.matches(T2) and len(config.tokens) == 2
    assert config.database_url == "postgresql://u:pw@db/x" and config.storage == "postgresql"
    assert "pw" not in repr(config) and T1 not in repr(config) and "pw" not in str(config.describe())


@pytest.mark.parametrize("values, env, message", [
    ({}, {}, "no authentication configured"),
    ({}, {"SENSE_WRITEBACK_TOKENS": "short"}, "shorter than 16"),
    ({"oidc": {"discovery_url": "http://idp/.well-known/openid-configuration"}}, {}, "oidc.audience is required"),
    ({"oidc": {"discovery_url": "http://idp", "audience": "a", "algorithms": ["HS256"]}}, {}, "only asymmetric"),
    ({"event_path": "/event/{candidate_id}"}, {"SENSE_WRITEBACK_TOKENS": T1}, "fixed path"),
    ({"unknown_type": "drop"}, {"SENSE_WRITEBACK_TOKENS": T1}, "unknown_type must be"),
    ({"token_modes": "query,cookie"}, {"SENSE_WRITEBACK_TOKENS": T1}, "unknown mode"),
    ({"colour": "blue"}, {"SENSE_WRITEBACK_TOKENS": T1}, "unknown config key"),
])
def test_refused_settings(values, env, message):
    with pytest.raises(ConfigError, match=message):
        build_config(values, env, {})


def test_config_file_must_not_hold_secrets(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("tokens: [x]\n")
    with pytest.raises(ConfigError, match="not in the config file itself"):
        load_file(str(path))


def test_token_set_matches_exactly_and_hides_its_tokens():
    tokens = TokenSet([T1, T2])
    assert tokens.matches(T1) and tokens.matches(T2)
    assert not tokens.matches(T1[:-1]) and not tokens.matches(T1 + "x") and not tokens.matches("")
    assert T1 not in repr(tokens)


def test_body_checks():
    with pytest.raises(BodyError) as too_big:
        check_headers({"content-length": "2000"}, 1024)
    assert too_big.value.status == 413
    check_headers({"content-type": "application/json; charset=UTF-8", "content-length": "10"}, 1024)
    with pytest.raises(BodyError) as bom:
        parse_object("\ufeff{}".encode())
    assert bom.value.status == 415
    assert parse_object(b'{"n": 123456789012345678901234567890}') == {"n": 123456789012345678901234567890}


def test_entity_references_from_every_place_once():
    data = {
        "associated_entities": [{"id": "1", "type": "AE_CANDIDATE"}, {"id": 2, "type": "AE_JOB_ORDER"}, {"id": ""}],
        "subject": {"id": "1", "type": "AE_CANDIDATE"},
        "sms": [{"from": {"entity": {"id": "9", "type": "AE_INTERNAL_USER"}}, "to": [{"entity": {"id": "1", "type": "AE_CANDIDATE"}}]}],
        "email": [{"cc": [{"entity": {"id": "3", "type": "AE_CLIENT_CONTACT"}}, {"email": "x@y"}]}],
        "conversation": [{"sender": None}, {"sender": {"id": "1", "type": "AE_CANDIDATE"}}],
    }
    assert entity_references(data) == [
        ("associated", "AE_CANDIDATE", "1"), ("associated", "AE_JOB_ORDER", "2"), ("subject", "AE_CANDIDATE", "1"),
        ("sender", "AE_INTERNAL_USER", "9"), ("recipient", "AE_CANDIDATE", "1"), ("recipient", "AE_CLIENT_CONTACT", "3"),
        ("sender", "AE_CANDIDATE", "1"),
    ]
