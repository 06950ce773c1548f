"""source-sense-writebacks ships as Airbyte ships manifest-only connectors (see source-ats)."""
import pathlib

import yaml

from sense_testing.distribution import connector_problems, wheel_packages

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_connector_directory_follows_airbytes_conventions():
    assert connector_problems(ROOT) == []


def test_the_wheel_holds_the_source_only():
    assert wheel_packages(ROOT) == {"source_sense_writebacks"}


def test_the_image_is_manifest_only_on_the_declarative_manifest_base():
    data = yaml.safe_load((ROOT / "metadata.yaml").read_text())["data"]
    assert data["connectorBuildOptions"]["baseImage"].startswith("docker.io/airbyte/source-declarative-manifest:")
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert ("COPY source_sense_writebacks/manifest.yaml source_sense_writebacks/components.py ./source_declarative_manifest/"
            in dockerfile)
