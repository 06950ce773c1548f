"""Pytest fixtures for a real PostgreSQL server (loaded by integration_tests/conftest.py).

- ``postgres_server`` (session): one server from ``sense_testing.postgres_server``; the tests
  that use it are skipped, with the reason, only when none can be started on this machine.
- ``postgres_url`` (function): the URL of a fresh, empty database on that server.
"""
from __future__ import annotations

import itertools

import pytest

from sense_testing.postgres_server import PostgresUnavailable, start_postgres

_names = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server():
    try:
        server = start_postgres()
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL server could be started: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    return postgres_server.database(f"writeback_test_{next(_names)}")
