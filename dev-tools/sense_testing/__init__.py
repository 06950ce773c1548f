"""Test support shared by the suites of every distribution: fixtures for the emulators and PostgreSQL,
harnesses that run the connectors' console scripts, Airbyte's metadata schema, the CDK's standard suite
against a live server. Development tool only; no connector imports it at run time."""
