"""Fixtures of these integration tests: the emulators and PostgreSQL (sense_testing.fixtures).

Scoped to this folder, so the unit tests load none of them (the Bullhorn fixtures import the Airbyte CDK).
"""
from sense_testing.fixtures import *  # noqa: F401,F403
