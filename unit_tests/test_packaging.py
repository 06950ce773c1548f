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
