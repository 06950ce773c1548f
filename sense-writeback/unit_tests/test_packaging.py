"""sense-writeback is a distribution of its own: the receiver, nothing of the connectors or the dev tools."""
import pathlib

import sense_writeback
from sense_testing.distribution import DOCS, changelog_versions, requirements, setup_field, undeclared_imports, wheel_packages

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_wheel_holds_the_receiver_only():
    assert wheel_packages(ROOT) == {"sense_writeback"}


CONNECTORS = {"airbyte-source-ats", "airbyte-destination-sense", "airbyte-cdk", "sense-dev-tools"}


def test_no_connector_in_any_install():
    for extra in (None, "forward"):
        assert not {r.name for r in requirements("sense-writeback", extra=extra)} & CONNECTORS, extra
    assert not {r.name for r in requirements("sense-writeback", extra="tests")} & (CONNECTORS - {"sense-dev-tools"})
    assert "sense-api" in {r.name for r in requirements("sense-writeback")}


def test_every_import_is_declared():
    """The receiver uses its own requirements; only ``sense_writeback.forward`` may use the ``forward`` extra."""
    assert undeclared_imports(ROOT, "sense-writeback", ["sense_writeback"], extras={"sense_writeback.forward": "forward",
                                                                             "sense_writeback.console.sync_outcomes": "s3"}) == []
    assert undeclared_imports(ROOT, "sense-writeback", ["unit_tests", "integration_tests"], also=("forward", "tests")) == []


def test_versions_agree():
    version = setup_field(ROOT, "version")
    assert sense_writeback.__version__ == version
    assert changelog_versions(DOCS / "sense-writeback.md")[:1] == [version]


def test_the_changelog_lists_each_version_once():
    versions = changelog_versions(DOCS / "sense-writeback.md")
    assert len(versions) == len(set(versions)), versions
