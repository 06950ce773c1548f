"""Secrets from the environment or from ``*_FILE`` files (Docker and Kubernetes secrets), for the
receiver's database URL and the forwarder's Bullhorn credentials alike."""
from __future__ import annotations

import argparse

import pytest

from sense_writeback.env_secrets import SecretFileError, secret
from sense_writeback.forward.command import store_target
from sense_writeback.forward.settings import SettingsError, credentials


def test_the_variable_first_then_the_file_it_names(tmp_path):
    path = tmp_path / "db-url"
    path.write_text("postgresql://u:p@db/writebacks\n")
    assert secret({"X_FILE": str(path)}, "X") == "postgresql://u:p@db/writebacks"
    assert secret({"X": "direct", "X_FILE": str(path)}, "X") == "direct"
    assert secret({}, "X") is None


def test_an_unreadable_file_names_the_variable_and_path_never_a_value(tmp_path):
    with pytest.raises(SecretFileError, match=r"SENSE_X file .*missing: No such file"):
        secret({"SENSE_X_FILE": str(tmp_path / "missing")}, "SENSE_X")


def test_bullhorn_credentials_from_files(tmp_path):
    env = {}
    for name, value in (("CLIENT_ID", "id-1"), ("CLIENT_SECRET", "s3cret"), ("REFRESH_TOKEN", "rt-1")):
        (tmp_path / name).write_text(value + "\n")
        env[f"SENSE_WRITEBACK_BULLHORN_{name}_FILE"] = str(tmp_path / name)
    assert credentials(env) == {"client_id": "id-1", "client_secret": "s3cret", "refresh_token": "rt-1"}
    env["SENSE_WRITEBACK_BULLHORN_CLIENT_SECRET_FILE"] = str(tmp_path / "nope")
    with pytest.raises(SettingsError, match="CLIENT_SECRET file"):
        credentials(env)


def test_the_forwarder_finds_the_database_as_the_receiver_does(tmp_path, monkeypatch):
    args = argparse.Namespace(database_url=None, db=None)
    monkeypatch.delenv("SENSE_WRITEBACK_DATABASE_URL", raising=False)
    monkeypatch.delenv("SENSE_WRITEBACK_DB", raising=False)
    assert store_target(args) == "sense-writeback.db"
    monkeypatch.setenv("SENSE_WRITEBACK_DB", "/var/lib/sense-writeback/writebacks.db")
    assert store_target(args) == "/var/lib/sense-writeback/writebacks.db"
    (tmp_path / "url").write_text("postgresql://u@db/w\n")
    monkeypatch.setenv("SENSE_WRITEBACK_DATABASE_URL_FILE", str(tmp_path / "url"))
    assert store_target(args) == "postgresql://u@db/w"
