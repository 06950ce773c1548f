"""The specification `destination-sense spec` prints is integration_tests/spec.json, the file the acceptance
test configuration names: a change to the spec is a visible change to that file."""
import json
from pathlib import Path

from destination_sense.cli import spec_message

SNAPSHOT = Path(__file__).resolve().parents[1] / "integration_tests" / "spec.json"


def test_the_spec_is_the_snapshot():
    assert spec_message()["spec"] == json.loads(SNAPSHOT.read_text()), (
        "the spec changed: if that is intended, write the new one to integration_tests/spec.json")
