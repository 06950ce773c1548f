"""metadata.yaml, Dockerfile and setup.py agree with each other and with Airbyte's conventions."""
import pathlib
import re
import uuid

import yaml

import destination_sense

ROOT = pathlib.Path(__file__).resolve().parents[1]
REQUIRED = ("name", "definitionId", "connectorType", "dockerRepository", "dockerImageTag", "license",
            "documentationUrl", "githubIssueLabel", "connectorSubtype", "releaseStage")


def _metadata():
    return yaml.safe_load((ROOT / "metadata.yaml").read_text())


def test_metadata_follows_the_connector_metadata_schema():
    meta = _metadata()
    assert meta["metadataSpecVersion"] == "1.0"
    data = meta["data"]
    for key in REQUIRED:
        assert data.get(key), key
    uuid.UUID(data["definitionId"])
    assert data["connectorType"] == "destination" and data["connectorSubtype"] == "api"
    assert data["dockerRepository"] == "airbyte/destination-sense"
    assert data["releaseStage"] in ("alpha", "beta", "generally_available", "custom")
    assert data["supportLevel"] in ("community", "certified", "archived")
    assert {"language:python", "cdk:python"} <= set(data["tags"])
    assert data["supportsDataActivation"] is True
    assert data["supportsFileTransfer"] is True
    assert set(data["allowedHosts"]["hosts"]) == {"partner-api.sensehq.com", "partner-auth.sensehq.com"}
    assert re.fullmatch(r"docker\.io/airbyte/python-connector-base:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}", data["connectorBuildOptions"]["baseImage"])
    assert re.fullmatch(r"\d+\.\d+\.\d+", data["dockerImageTag"])


def test_versions_and_base_image_agree():
    data = _metadata()["data"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"ARG BASE_IMAGE={data['connectorBuildOptions']['baseImage']}" in dockerfile
    assert f"io.airbyte.version={data['dockerImageTag']}" in dockerfile
    assert 'ENV AIRBYTE_ENTRYPOINT="destination-sense"' in dockerfile
    assert 'ENTRYPOINT ["destination-sense"]' in dockerfile
    assert destination_sense.__version__ == data["dockerImageTag"]
    setup = (ROOT / "setup.py").read_text()
    assert f'version="{data["dockerImageTag"]}"' in setup
    assert "destination-sense=destination_sense.run:run" in setup


def test_names_agree_across_setup_metadata_and_docs():
    data = _metadata()["data"]
    setup = (ROOT / "setup.py").read_text()
    package = data["remoteRegistries"]["pypi"]["packageName"]
    assert package == "airbyte-destination-sense"
    assert f'name="{package}"' in setup
    assert data["dockerRepository"] == "airbyte/destination-sense"
    assert data["githubIssueLabel"] == "destination-sense"
    docs = (ROOT / "docs" / "destination-sense.md").read_text()
    assert package in docs and data["dockerRepository"] in docs


def test_destination_image_runs_as_airbyte():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.rstrip().splitlines().count("USER airbyte") == 1
    # what the image installs is the destination's own requirements, not the whole distribution
    assert "requirements-destination.txt" in dockerfile
    listed = [line.split(">")[0].strip() for line in (ROOT / "requirements-destination.txt").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert listed and "airbyte-cdk" not in listed


def test_source_ats_dockerfile_agrees_with_its_metadata():
    data = yaml.safe_load((ROOT / "source_ats" / "metadata.yaml").read_text())["data"]
    dockerfile = (ROOT / "source_ats" / "Dockerfile").read_text()
    assert f"ARG BASE_IMAGE={data['connectorBuildOptions']['baseImage']}" in dockerfile
    assert data["connectorBuildOptions"]["baseImage"].startswith("docker.io/airbyte/source-declarative-manifest:")
    assert f"io.airbyte.version={data['dockerImageTag']}" in dockerfile
    assert f"io.airbyte.name={data['dockerRepository']}" in dockerfile
    assert "COPY manifest.yaml components.py ./source_declarative_manifest/" in dockerfile
