"""Pytest fixtures for the Sense emulator (loaded by integration_tests/conftest.py).

- ``sense_emulator_server`` (session): one ``sense-emulator --port 0`` subprocess, the real
  console script of this interpreter's environment.
- ``sense_emulator`` (function): that server, reset (store, stats, request log, faults); an
  ``EmulatorProcess`` with ``.base_url``, ``.api_url``, ``.token_url``, ``.client_id``,
  ``.client_secret``, ``.token_ttl``, ``.admin`` (``stats()``, ``requests()``,
  ``entities(collection)``, ``reset()``, ``faults(**spec)``, ``dangling()``...), ``.token()``.
- ``sense_emulator_factory`` (function): ``start(token_ttl=2, client_id=..., db=..., ...)`` starts
  a separate emulator with its own options; every one is stopped at the end of the test.
"""
from __future__ import annotations

import pytest

from sense_emulator.testing import EmulatorProcess, start_emulator


@pytest.fixture(scope="session")
def sense_emulator_server():
    emulator = start_emulator()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def sense_emulator(sense_emulator_server) -> EmulatorProcess:
    if not sense_emulator_server.running():
        pytest.fail("the session's sense-emulator exited:\n" + sense_emulator_server.log()[-2000:])
    sense_emulator_server.admin.reset()
    yield sense_emulator_server
    sense_emulator_server.admin.clear_faults()


@pytest.fixture
def sense_emulator_factory():
    started = []

    def start(**options) -> EmulatorProcess:
        emulator = start_emulator(**options)
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()
