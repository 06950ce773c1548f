"""The CDK's standard test suite for a declarative source, run against a live local server.

A connector's ``acceptance-test-config.yml`` names configs whose URLs point at a placeholder host;
``LiveServerSourceSuite`` renders each config with the running server's real URL (the test module
provides it as the ``live_server_url`` fixture) before any scenario runs. The CDK's image tests are
skipped with their reason unless they can run here (``image_tests_skip``).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import ClassVar, List, Optional

import pytest
from boltons.typeutils import classproperty
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import DeclarativeSourceTestSuite
from airbyte_cdk.utils.connector_paths import resolve_airbyte_repo_root

NO_DOCKER = "no reachable Docker daemon: image tests need to build the connector image"
NO_AIRBYTE_CHECKOUT = ("image tests need a reachable Docker daemon and an Airbyte repository checkout "
                       "(the CDK builds connector images from one)")


def docker_daemon_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


DOCKER_AVAILABLE = docker_daemon_available()


@pytest.fixture
def connector_image_override(request: pytest.FixtureRequest):
    return request.config.getoption("--connector-image", default=None)


@pytest.fixture
def connector_base_image_override(request: pytest.FixtureRequest):
    return request.config.getoption("--connector-base-image", default=None)


class LiveServerSourceSuite(DeclarativeSourceTestSuite):
    """Set ``connector_root`` (the connector's directory: acceptance-test-config.yml, integration_tests/),
    ``package`` (the directory in it that holds manifest.yaml and components.py) and ``placeholder``; the
    module defines the ``live_server_url`` fixture."""

    connector_root: ClassVar[Path]
    package: ClassVar[str]
    placeholder: ClassVar[str]

    @classproperty
    def manifest_yaml_path(cls) -> Path:
        return cls.connector_root / cls.package / "manifest.yaml"

    @classproperty
    def components_py_path(cls) -> Optional[Path]:
        path = cls.connector_root / cls.package / "components.py"
        return path if path.exists() else None

    @classmethod
    def render_dir(cls) -> Path:
        return Path(tempfile.gettempdir()) / f"{cls.connector_root.name}-standard-tests-{os.getpid()}"

    @classmethod
    def image_tests_skip(cls) -> Optional[str]:
        """Why the CDK's image tests cannot run here (``None`` when they can)."""
        if not DOCKER_AVAILABLE:
            return NO_DOCKER
        try:
            resolve_airbyte_repo_root(cls.connector_root)
        except FileNotFoundError:
            return NO_AIRBYTE_CHECKOUT
        return None

    @classmethod
    def get_connector_root_dir(cls) -> Path:
        return cls.connector_root

    @classmethod
    def get_scenarios(cls) -> List[ConnectorTestScenario]:
        rendered = []
        for scenario in super().get_scenarios():
            if scenario.config_path is not None:
                scenario = scenario.model_copy(update={"config_path": cls.render_dir() / Path(scenario.config_path).name})
            rendered.append(scenario)
        return rendered

    @pytest.fixture(autouse=True, scope="class")
    def _rendered_configs(self, live_server_url: str):
        render_dir = self.render_dir()
        render_dir.mkdir(parents=True, exist_ok=True)
        for template in (self.connector_root / "integration_tests").glob("*config*.json"):
            if template.name == "configured_catalog.json":
                continue
            (render_dir / template.name).write_text(template.read_text().replace(self.placeholder, live_server_url))
        yield
        shutil.rmtree(render_dir, ignore_errors=True)

    @pytest.fixture(autouse=True)
    def _skip_image_tests(self, request: pytest.FixtureRequest):
        reason = self.image_tests_skip()
        if request.node.name.startswith("test_docker_image") and reason:
            pytest.skip(reason)
