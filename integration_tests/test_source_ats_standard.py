"""The CDK's standard test suite for declarative sources, run against a live bullhorn-emulator.

Scenarios come from source_ats/acceptance-test-config.yml. Its configs point at the placeholder
host `http://bullhorn-emulator.invalid`; the class fixture below starts an emulator and renders
each config with the emulator's real URL before any scenario runs.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import List

import pytest

from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import DeclarativeSourceTestSuite

from integration_tests.fixtures_bullhorn import BullhornEmulator

# The CDK's scenario parametrization, scoped to this module (as a module-level hook) rather than
# loaded as a session-wide plugin that would also act on other test modules.
from airbyte_cdk.test.standard_tests.pytest_hooks import pytest_generate_tests  # noqa: E402,F401


@pytest.fixture
def connector_image_override(request: pytest.FixtureRequest):
    return request.config.getoption("--connector-image", default=None)


@pytest.fixture
def connector_base_image_override(request: pytest.FixtureRequest):
    return request.config.getoption("--connector-base-image", default=None)


CONNECTOR_ROOT = Path(__file__).resolve().parents[1] / "source_ats"
PLACEHOLDER = "http://bullhorn-emulator.invalid"
RENDER_DIR = Path(tempfile.gettempdir()) / f"source-ats-standard-tests-{os.getpid()}"


def _docker_daemon_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


_DOCKER_AVAILABLE = _docker_daemon_available()
_NO_DOCKER = "no reachable Docker daemon: image tests need to build the connector image"

pytestmark = [pytest.mark.timeout(120)]


class TestSourceAtsStandard(DeclarativeSourceTestSuite):
    @classmethod
    def get_connector_root_dir(cls) -> Path:
        return CONNECTOR_ROOT

    @classmethod
    def get_scenarios(cls) -> List[ConnectorTestScenario]:
        scenarios = super().get_scenarios()
        rendered = []
        for scenario in scenarios:
            if scenario.config_path is not None:
                scenario = scenario.model_copy(
                    update={"config_path": RENDER_DIR / Path(scenario.config_path).name}
                )
            rendered.append(scenario)
        return rendered

    @pytest.fixture(autouse=True, scope="class")
    def _rendered_configs(self, bullhorn_emulator: BullhornEmulator):
        RENDER_DIR.mkdir(parents=True, exist_ok=True)
        for template in (CONNECTOR_ROOT / "integration_tests").glob("*config*.json"):
            if template.name == "configured_catalog.json":
                continue
            text = template.read_text().replace(PLACEHOLDER, bullhorn_emulator.base_url)
            (RENDER_DIR / template.name).write_text(text)
        yield
        shutil.rmtree(RENDER_DIR, ignore_errors=True)

    @pytest.fixture(autouse=True)
    def _skip_image_tests_without_docker(self, request: pytest.FixtureRequest):
        # Image tests build the connector image; they run where a Docker daemon is reachable.
        if request.node.name.startswith("test_docker_image") and not _DOCKER_AVAILABLE:
            pytest.skip(_NO_DOCKER)


def test_rendered_scenarios_cover_the_required_commands():
    """The standard suite must exercise spec, check ok/failed, discover, read and bad catalog."""
    scenarios = TestSourceAtsStandard.get_scenarios()
    by_id = {s.id: s for s in scenarios}
    assert set(by_id) == {"emulator_config", "invalid_config"}
    ok, bad = by_id["emulator_config"], by_id["invalid_config"]
    assert {"spec", "check", "discover", "read"} <= set(ok.commands)
    assert ok.status in (None, "succeed")
    assert bad.status == "failed" and "check" in bad.commands
    for scenario in scenarios:
        assert str(scenario.config_path).startswith(str(RENDER_DIR))
    assert json.loads((CONNECTOR_ROOT / "integration_tests" / "emulator_config.json").read_text())["auth_base_url"].startswith(PLACEHOLDER)
