"""sense-api is a distribution of its own: the contract package, its schemas, no dependencies."""
import pathlib

from sense_testing.distribution import DOCS, changelog_versions, requirements, setup_field, wheel_packages

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_wheel_holds_the_contract_only():
    assert wheel_packages(ROOT) == {"sense_api"}


def test_it_depends_on_nothing():
    assert requirements("sense-api") == []


def test_its_docs_page_has_this_version_in_the_changelog():
    assert changelog_versions(DOCS / "sense-api.md")[:1] == [setup_field(ROOT, "version")]
