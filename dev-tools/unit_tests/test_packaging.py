"""sense-dev-tools is a distribution of its own: the emulators, the demo and the test support, no connector."""
import pathlib

from sense_testing.distribution import DOCS, changelog_versions, setup_field, wheel_packages

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_wheel_holds_the_tools_only():
    assert wheel_packages(ROOT) == {"sense_emulator", "bullhorn_emulator", "oidc_emulator", "emulator_http", "console_scripts", "sense_demo",
                                    "sense_testing"}


def test_the_metadata_schema_copy_ships_with_the_test_support():
    from sense_testing.airbyte_metadata import SCHEMAS
    assert (SCHEMAS / "ConnectorMetadataDefinitionV0.yaml").is_file() and (SCHEMAS / "SOURCE.md").is_file()


def test_its_docs_page_has_this_version_in_the_changelog():
    assert changelog_versions(DOCS / "dev-tools.md")[:1] == [setup_field(ROOT, "version")]
