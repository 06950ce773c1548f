"""sense-writeback is a distribution of its own: the receiver, nothing of the connectors or the dev tools."""
import importlib.metadata
import pathlib

import sense_writeback
from sense_testing.distribution import DOCS, changelog_versions, setup_field, wheel_packages

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_wheel_holds_the_receiver_only():
    assert wheel_packages(ROOT) == {"sense_writeback"}


def _requirements(name):
    return [r for r in importlib.metadata.requires("sense-writeback") or []
            if r.split(";")[0].split(" ")[0].split(">")[0].split("=")[0].split("[")[0] == name]


def test_the_connectors_are_needed_only_to_forward():
    for connector in ("airbyte-source-ats", "airbyte-destination-sense"):
        found = _requirements(connector)
        assert any('extra == "forward"' in r for r in found), found
        assert all("extra ==" in r for r in found), found
    assert all("extra ==" in r for r in _requirements("sense-dev-tools"))


def test_versions_agree():
    version = setup_field(ROOT, "version")
    assert sense_writeback.__version__ == version
    assert changelog_versions(DOCS / "sense-writeback.md")[:1] == [version]
