"""destination-sense ships as Airbyte ships connectors: its own wheel, metadata.yaml, Dockerfile, docs, icon."""
import pathlib

import yaml

import destination_sense
from sense_testing.distribution import connector_problems, setup_field, wheel_packages

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _data():
    return yaml.safe_load((ROOT / "metadata.yaml").read_text())["data"]


def test_the_connector_directory_follows_airbytes_conventions():
    assert connector_problems(ROOT) == []


def test_the_wheel_holds_the_destination_only():
    assert wheel_packages(ROOT) == {"destination_sense"}


def test_what_only_a_destination_has():
    data = _data()
    assert data["connectorType"] == "destination" and data["connectorSubtype"] == "api"
    assert data["supportsDataActivation"] is True and data["supportsRefreshes"] is True and data["supportsFileTransfer"] is True
    assert data["resourceRequirements"]["jobSpecific"][0]["jobType"] == "sync"
    assert data["connectorBuildOptions"]["baseImage"].startswith("docker.io/airbyte/python-connector-base:")
    assert {"language:python", "cdk:python"} <= set(data["tags"])
    assert set(data["allowedHosts"]["hosts"]) == {"partner-api.sensehq.com", "partner-auth.sensehq.com"}
    assert destination_sense.__version__ == data["dockerImageTag"] == setup_field(ROOT, "version")


def test_the_image_runs_the_console_script_as_airbyte():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.rstrip().splitlines().count("USER airbyte") == 1
    assert 'ENV AIRBYTE_ENTRYPOINT="destination-sense"' in dockerfile
    assert 'ENTRYPOINT ["destination-sense"]' in dockerfile
    assert "destination-sense=destination_sense.run:run" in (ROOT / "setup.py").read_text()
    # the image installs this distribution and the contract package, nothing else of the repository
    assert "--prefix=/install --no-deps --no-build-isolation ${PIP_INSTALL_ARGS} ./sense-api . " in dockerfile
