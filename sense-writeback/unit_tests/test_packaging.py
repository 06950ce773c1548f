"""sense-writeback is a distribution of its own: the receiver, nothing of the connectors or the dev tools."""
import pathlib

import sense_writeback
from sense_testing.distribution import DOCS, changelog_versions, requirements, setup_field, wheel_packages

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_wheel_holds_the_receiver_only():
    assert wheel_packages(ROOT) == {"sense_writeback"}


def test_the_connectors_are_needed_only_to_forward():
    runtime = {r.name for r in requirements("sense-writeback")}
    forward = {r.name for r in requirements("sense-writeback", extra="forward")}
    assert {"airbyte-source-ats", "airbyte-destination-sense"} <= forward
    assert not runtime & {"airbyte-source-ats", "airbyte-destination-sense", "sense-dev-tools"}
    assert "sense-api" in runtime


def test_versions_agree():
    version = setup_field(ROOT, "version")
    assert sense_writeback.__version__ == version
    assert changelog_versions(DOCS / "sense-writeback.md")[:1] == [version]


def test_the_changelog_lists_each_version_once():
    versions = changelog_versions(DOCS / "sense-writeback.md")
    assert len(versions) == len(set(versions)), versions
