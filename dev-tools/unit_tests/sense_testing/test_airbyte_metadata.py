"""sense_testing.airbyte_metadata is not vacuous: the copied schemas reject what Airbyte rejects."""
import pytest

from sense_testing.airbyte_metadata import metadata_errors

GOOD = {
    "metadataSpecVersion": "1.0",
    "data": {
        "name": "Example", "definitionId": "f55a98e0-4bae-4db6-b828-15441e953d46", "connectorType": "destination",
        "connectorSubtype": "api", "dockerRepository": "airbyte/destination-example", "dockerImageTag": "0.1.0",
        "documentationUrl": "https://docs.airbyte.com/integrations/destinations/example", "githubIssueLabel": "destination-example",
        "license": "MIT", "releaseStage": "alpha", "supportLevel": "community", "releaseDate": "2026-11-28",
        "supportsRefreshes": True, "connectorTestSuitesOptions": [{"suite": "unitTests"}],
        "releases": {"rolloutConfiguration": {"enableProgressiveRollout": False}},
        "remoteRegistries": {"pypi": {"enabled": False, "packageName": "airbyte-destination-example"}},
        "ab_internal": {"sl": 100, "ql": 100},
    },
}


def test_a_good_metadata_file_validates():
    assert metadata_errors(GOOD) == []


@pytest.mark.parametrize("change", [
    {"releaseStage": "stable"}, {"connectorType": "sink"}, {"releaseDate": "28 Nov 2026"}, {"supportLevels": "community"},
    {"githubIssueLabel": None}, {"resourceRequirements": {"jobSpecific": [{"jobType": "write", "resourceRequirements": {}}]}},
    {"connectorTestSuitesOptions": "unitTests"}, {"supportsRefreshes": "yes"},
    {"remoteRegistries": {"pypi": {"enabled": False}}},
    {"releases": {"rolloutConfiguration": {"enableProgressiveRollout": "no"}}},
    {"releases": {"rollout": {}}}, {"ab_internal": {"sl": 150, "ql": 100}},
], ids=lambda change: next(iter(change)))
def test_each_mistake_is_reported(change):
    data = {**GOOD["data"], **change}
    data = {k: v for k, v in data.items() if v is not None}
    assert metadata_errors({**GOOD, "data": data})
