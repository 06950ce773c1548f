"""Pytest fixtures for a real S3-compatible server (moto's standalone server; see ``sense_testing.s3_server``).

- ``s3_server`` (session): one shared server; tests make their own bucket with ``s3_server.create_bucket()``.
- ``s3_server_factory`` (function): ``start()`` gives a server of the test's own (to stop mid-test); every
  server it started is stopped at the end of the test.
"""
from __future__ import annotations

import pytest

from sense_testing.s3_server import S3Unavailable, start_s3_server


def _start():
    try:
        return start_s3_server()
    except S3Unavailable as exc:
        pytest.fail(f"no S3-compatible server could be started: {exc}")


@pytest.fixture(scope="session")
def s3_server():
    server = _start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_server_factory():
    started = []

    class Factory:
        @staticmethod
        def start():
            server = _start()
            started.append(server)
            return server

    try:
        yield Factory
    finally:
        for server in started:
            server.stop()
