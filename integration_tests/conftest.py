"""Fixtures of the integration tests: the emulators, source-ats and PostgreSQL.

Scoped to this folder, so the unit tests load none of them (the Bullhorn fixtures import source-ats,
hence the Airbyte CDK; the destination's unit tests run without it).
"""
from integration_tests.fixtures_bullhorn import bullhorn_emulator, bullhorn_emulator_factory  # noqa: F401
from integration_tests.fixtures_postgres import postgres_server, postgres_url  # noqa: F401
from integration_tests.fixtures_sense import sense_emulator, sense_emulator_factory, sense_emulator_server  # noqa: F401
