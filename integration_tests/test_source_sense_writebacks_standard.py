"""The CDK's standard test suite for declarative sources, run on source-sense-writebacks against a
live sense-writeback receiver holding write-backs of every type.

Scenarios come from source_sense_writebacks/acceptance-test-config.yml; its configs point at the
placeholder `http://sense-writeback.invalid`, rendered with the receiver's real URL first.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import List

import pytest

from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import DeclarativeSourceTestSuite
from airbyte_cdk.test.standard_tests.pytest_hooks import pytest_generate_tests  # noqa: E402,F401

from integration_tests.writeback_source_data import READ_TOKEN, seeded_receiver


@pytest.fixture
def connector_image_override(request: pytest.FixtureRequest):
    return request.config.getoption("--connector-image", default=None)


@pytest.fixture
def connector_base_image_override(request: pytest.FixtureRequest):
    return request.config.getoption("--connector-base-image", default=None)


CONNECTOR_ROOT = Path(__file__).resolve().parents[1] / "source_sense_writebacks"
PLACEHOLDER = "http://sense-writeback.invalid"
RENDER_DIR = Path(tempfile.gettempdir()) / f"source-sense-writebacks-standard-{os.getpid()}"


def _docker_daemon_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _airbyte_checkout_found() -> bool:
    """The CDK builds connector images from inside an Airbyte repository checkout."""
    from airbyte_cdk.utils.connector_paths import resolve_airbyte_repo_root

    try:
        resolve_airbyte_repo_root(CONNECTOR_ROOT)
        return True
    except FileNotFoundError:
        return False


_DOCKER_AVAILABLE = _docker_daemon_available()
_IMAGE_BUILD_SKIP = (None if _DOCKER_AVAILABLE and _airbyte_checkout_found() else
                     "image tests need a reachable Docker daemon and an Airbyte repository checkout "
                     "(the CDK builds connector images from one)")

pytestmark = [pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def writeback_receiver(tmp_path_factory):
    with seeded_receiver(tmp_path_factory.mktemp("feed") / "wb.db") as (receiver, _docs):
        yield receiver


class TestSourceSenseWritebacksStandard(DeclarativeSourceTestSuite):
    @classmethod
    def get_connector_root_dir(cls) -> Path:
        return CONNECTOR_ROOT

    @classmethod
    def get_scenarios(cls) -> List[ConnectorTestScenario]:
        rendered = []
        for scenario in super().get_scenarios():
            if scenario.config_path is not None:
                scenario = scenario.model_copy(update={"config_path": RENDER_DIR / Path(scenario.config_path).name})
            rendered.append(scenario)
        return rendered

    @pytest.fixture(autouse=True, scope="class")
    def _rendered_configs(self, writeback_receiver):
        RENDER_DIR.mkdir(parents=True, exist_ok=True)
        for template in (CONNECTOR_ROOT / "integration_tests").glob("*config*.json"):
            if template.name == "configured_catalog.json":
                continue
            text = template.read_text().replace(PLACEHOLDER, writeback_receiver.base_url)
            (RENDER_DIR / template.name).write_text(text)
        yield
        shutil.rmtree(RENDER_DIR, ignore_errors=True)

    @pytest.fixture(autouse=True)
    def _skip_image_tests_without_docker(self, request: pytest.FixtureRequest):
        if request.node.name.startswith("test_docker_image") and _IMAGE_BUILD_SKIP:
            pytest.skip(_IMAGE_BUILD_SKIP)


def test_the_scenarios_use_the_receivers_read_token():
    scenarios = {s.id: s for s in TestSourceSenseWritebacksStandard.get_scenarios()}
    assert set(scenarios) == {"receiver_config", "invalid_config"}
    assert READ_TOKEN in (CONNECTOR_ROOT / "integration_tests" / "receiver_config.json").read_text()
    assert scenarios["invalid_config"].status == "failed"
