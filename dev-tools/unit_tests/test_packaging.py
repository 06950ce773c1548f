"""sense-dev-tools is a distribution of its own: the emulators, the demo and the test support, no connector."""
import pathlib

from sense_testing.distribution import DOCS, changelog_versions, requirements, setup_field, undeclared_imports, wheel_packages

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("sense_emulator", "bullhorn_emulator", "oidc_emulator", "emulator_http", "console_scripts", "sense_demo", "sense_testing")
CONNECTORS = {"airbyte-destination-sense", "airbyte-source-ats", "airbyte-cdk", "sense-writeback"}


def test_the_wheel_holds_the_tools_only():
    assert wheel_packages(ROOT) == set(PACKAGES)


def test_every_import_is_declared_and_connectors_only_in_extras():
    assert undeclared_imports(ROOT, "sense-dev-tools", PACKAGES,
                              extras={"sense_demo.__main__": "demo", "sense_testing.bullhorn_truth": "demo",
                                      "sense_testing.standard_suite": "cdk", "sense_testing.s3_server": "tests"}) == []
    assert undeclared_imports(ROOT, "sense-dev-tools", ("unit_tests", "integration_tests"), also=("tests",)) == []
    assert not {r.name for r in requirements("sense-dev-tools")} & CONNECTORS
    assert not {r.name for r in requirements("sense-dev-tools", extra="tests")} & CONNECTORS


def test_the_metadata_schema_copy_ships_with_the_test_support():
    from sense_testing.airbyte_metadata import SCHEMAS
    assert (SCHEMAS / "ConnectorMetadataDefinitionV0.yaml").is_file() and (SCHEMAS / "SOURCE.md").is_file()


def test_its_docs_page_has_this_version_in_the_changelog():
    assert changelog_versions(DOCS / "dev-tools.md")[:1] == [setup_field(ROOT, "version")]
