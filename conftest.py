"""Repository-wide pytest configuration: shared fixtures for the emulators."""

pytest_plugins = [
    "integration_tests.fixtures_sense",
    "integration_tests.fixtures_bullhorn",
    "integration_tests.fixtures_postgres",
]
