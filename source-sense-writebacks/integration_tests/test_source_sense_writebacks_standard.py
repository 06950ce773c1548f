"""The CDK's standard test suite for declarative sources, run on source-sense-writebacks against a
live sense-writeback receiver holding write-backs of every type.

Scenarios come from acceptance-test-config.yml; its configs point at the
placeholder `http://sense-writeback.invalid`, rendered with the receiver's real URL first.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from airbyte_cdk.test.standard_tests.pytest_hooks import pytest_generate_tests  # noqa: E402,F401

from sense_testing.standard_suite import LiveServerSourceSuite
from sense_testing.standard_suite import connector_base_image_override, connector_image_override  # noqa: F401
from integration_tests.writeback_source_data import READ_TOKEN, seeded_receiver

pytestmark = [pytest.mark.timeout(120)]


@pytest.fixture(scope="class")
def live_server_url(tmp_path_factory) -> str:
    with seeded_receiver(tmp_path_factory.mktemp("feed") / "wb.db") as (receiver, _docs):
        yield receiver.base_url


class TestSourceSenseWritebacksStandard(LiveServerSourceSuite):
    connector_root = Path(__file__).resolve().parents[1]
    package = "source_sense_writebacks"
    placeholder = "http://sense-writeback.invalid"


CONNECTOR_ROOT = TestSourceSenseWritebacksStandard.connector_root


def test_the_scenarios_use_the_receivers_read_token():
    scenarios = {s.id: s for s in TestSourceSenseWritebacksStandard.get_scenarios()}
    assert set(scenarios) == {"receiver_config", "invalid_config"}
    assert READ_TOKEN in (CONNECTOR_ROOT / "integration_tests" / "receiver_config.json").read_text()
    assert scenarios["invalid_config"].status == "failed"
