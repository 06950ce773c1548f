"""The pytest fixtures every suite's ``integration_tests/conftest.py`` imports: the emulators, PostgreSQL and S3.

Integration-only: the Bullhorn fixtures import source-ats, hence the Airbyte CDK, so no unit-test folder
loads this module.
"""
from sense_testing.fixtures_bullhorn import bullhorn_emulator, bullhorn_emulator_factory
from sense_testing.fixtures_postgres import postgres_server, postgres_url
from sense_testing.fixtures_s3 import s3_server, s3_server_factory
from sense_testing.fixtures_sense import sense_emulator, sense_emulator_factory, sense_emulator_server

__all__ = ["bullhorn_emulator", "bullhorn_emulator_factory", "postgres_server", "postgres_url", "s3_server", "s3_server_factory",
           "sense_emulator", "sense_emulator_factory", "sense_emulator_server"]
