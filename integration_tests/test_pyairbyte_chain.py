"""End to end through PyAirbyte (offline): `source-ats` -> `destination-sense` (bullhorn preset).

PyAirbyte (the `airbyte` package) drives the two real console scripts as subprocesses
(`local_executable`), the way a PyAirbyte user would run this pair; the Bullhorn emulator serves
the source and the Sense emulator receives the writes. No registry, no Docker, no telemetry. Every
stream goes through it: the ten entity streams, then `picklist_options` and `candidate_files` (Airbyte
file transfer: both connectors run on this host with the same `AIRBYTE_STAGING_DIRECTORY`, which
PyAirbyte passes on to them, so the destination opens the files the source staged).

Run it with `make test-pyairbyte` (it installs PyAirbyte in its own virtualenv, `.venv-pyairbyte`,
and runs the connectors of the project's `.venv`, named by PYAIRBYTE_CONNECTOR_BIN). Where `airbyte`
is not importable the module is skipped, unless PYAIRBYTE_REQUIRED=1 (set by that target), when a
missing PyAirbyte is an error rather than a silent skip.
"""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List

import pytest
import requests

from sense_api.bullhorn import STREAM_COLLECTION
from sense_testing.bullhorn_truth import acceptable_resume, picklists_stored
from sense_testing.fixtures_bullhorn import STREAM_ENTITY, STREAM_ORDER, BullhornEmulator

# PyAirbyte reads these when it is imported: offline (no registry lookups), no telemetry, and its
# project dir (caches, temp files) outside the work tree. DEPLOYMENT_MODE=cloud would change the
# connectors' behaviour; it must never reach them.
os.environ["AIRBYTE_OFFLINE_MODE"] = "1"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.pop("DEPLOYMENT_MODE", None)
if not os.environ.get("AIRBYTE_PROJECT_DIR"):
    _project_dir = tempfile.mkdtemp(prefix="pyairbyte-project-")
    atexit.register(shutil.rmtree, _project_dir, ignore_errors=True)
    os.environ["AIRBYTE_PROJECT_DIR"] = _project_dir

if os.environ.get("PYAIRBYTE_REQUIRED") == "1":
    import airbyte as ab  # noqa: E402  (an ImportError here fails the run, on purpose)
else:
    ab = pytest.importorskip(
        "airbyte", reason="PyAirbyte (the `airbyte` package) is not installed here; `make test-pyairbyte` runs this test"
    )

pytestmark = pytest.mark.pyairbyte


# Small counts (at most a few dozen per entity), so the run stays well under two minutes.
BULLHORN_ARGS = ("--seed", "23", "--scale", "0.08", "--candidates", "45", "--job-submissions", "30")


def _connector(name: str) -> str:
    """Absolute path of a connector console script (PyAirbyte needs an absolute local_executable)."""
    bin_dir = Path(os.environ.get("PYAIRBYTE_CONNECTOR_BIN") or Path(sys.executable).parent)
    path = bin_dir.absolute() / name
    assert path.is_file(), f"{name} is not installed in {bin_dir}"
    return str(path)


def _ground_truth(emulator: BullhornEmulator, stream: str) -> Dict[int, int]:
    """Every id of the stream's entity in the Bullhorn emulator, with its dateLastModified."""
    response = requests.get(f"{emulator.base_url}/_admin/records", params={"entity": STREAM_ENTITY[stream]}, timeout=30)
    response.raise_for_status()
    return {r["id"]: r["dateLastModified"] for r in response.json()["records"]}


def _iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _ref(value: Any) -> Any:
    """A Bullhorn to-one reference `{"id": n, ...}` as the Sense id string (None stays None)."""
    return str(value["id"]) if isinstance(value, dict) and value.get("id") is not None else None


def _read_all(source: Any, stream: str) -> Dict[int, Dict[str, Any]]:
    """All records of one stream, by id, as source-ats emits them (undeclared fields kept)."""
    # Hold the LazyDataset while iterating: when it is garbage-collected PyAirbyte cancels the read,
    # so `for r in source.get_records(...)` in a comprehension silently yields nothing.
    dataset = source.get_records(stream, prune_undeclared_fields=False)
    records = {record["id"]: dict(record) for record in dataset}
    dataset.close()
    return records


@pytest.fixture(scope="module")
def bullhorn(bullhorn_emulator_factory) -> BullhornEmulator:
    return bullhorn_emulator_factory(*BULLHORN_ARGS)


def test_pyairbyte_runs_source_ats_into_destination_sense(bullhorn: BullhornEmulator, sense_emulator):
    truth = {stream: _ground_truth(bullhorn, stream) for stream in STREAM_ORDER}
    assert all(truth.values()), {s: len(ids) for s, ids in truth.items()}

    # The source rotates its single-use refresh token on every run and says so with a
    # CONNECTOR_CONFIG control message; like any PyAirbyte user, keep the rotated config.
    rotations: List[Dict[str, Any]] = []

    def keep_rotated_config(new_config: Dict[str, Any]) -> None:
        rotations.append(new_config)
        source.set_config(dict(new_config), validate=False)

    source = ab.get_source(
        "source-ats",
        config=bullhorn.config(page_size=8, window_size_days=400),
        local_executable=_connector("source-ats"),
        config_change_callback=keep_rotated_config,
    )
    assert sorted(source.get_available_streams()) == sorted([*STREAM_ORDER, "picklist_options", "candidate_files"])
    source.select_streams(list(STREAM_ORDER))  # the entity streams; picklists and files: the next test

    destination = ab.get_destination(
        "destination-sense",
        config={
            "client_id": sense_emulator.client_id,
            "client_secret": sense_emulator.client_secret,
            "api_url": sense_emulator.api_url,
            "token_url": sense_emulator.token_url,
            "source_preset": "bullhorn",
        },
        local_executable=_connector("destination-sense"),
    )
    destination.check()

    # Straight from the source's stdout into the destination's stdin: no DuckDB cache, no state store.
    result = destination.write(source, cache=False, state_cache=False)

    total = sum(len(ids) for ids in truth.values())
    assert result.processed_records == total
    assert len(rotations) >= 1, "source-ats rotated no refresh token through PyAirbyte"

    # Each Sense collection holds exactly the ids of its Bullhorn entity: none missing, none extra.
    stored = {stream: sense_emulator.admin.entities_by_id(STREAM_COLLECTION[stream]) for stream in STREAM_ORDER}
    for stream in STREAM_ORDER:
        assert set(stored[stream]) == {str(i) for i in truth[stream]}, stream
        # date_last_modified is mapped (epoch ms -> ISO 8601) on every entity: compare all of them.
        for bullhorn_id, modified_ms in truth[stream].items():
            assert stored[stream][str(bullhorn_id)]["date_last_modified"].startswith(_iso(modified_ms)), (stream, bullhorn_id)
    assert sense_emulator.admin.dangling()["total"] == 0, sense_emulator.admin.dangling()

    # Field-level checks on sample records, against what source-ats itself reads through PyAirbyte
    # (a second run, which must use the rotated refresh token: the first one is spent).
    source_records = {
        stream: _read_all(source, stream) for stream in ("candidates", "client_corporations", "job_submissions", "placements")
    }
    for stream, records in source_records.items():
        assert set(records) == set(truth[stream]), stream
    assert len(rotations) >= 1 + len(source_records)  # each source-ats process rotated the token it was given

    for bullhorn_id, record in list(source_records["candidates"].items())[:5]:
        sense = stored["candidates"][str(bullhorn_id)]
        assert (sense["first_name"], sense["last_name"]) == (record["firstName"], record["lastName"])
        assert sense.get("email") == record.get("email")
        assert sense.get("internal_user_id") == _ref(record.get("owner"))
        assert sense["date_added"].startswith(_iso(record["dateAdded"]))
    for bullhorn_id, record in list(source_records["client_corporations"].items())[:5]:
        assert stored["client_corporations"][str(bullhorn_id)]["company_name"] == record["name"]
    for bullhorn_id, record in list(source_records["job_submissions"].items())[:5]:
        sense = stored["job_submissions"][str(bullhorn_id)]
        assert sense["candidate_id"] == _ref(record["candidate"]) and sense["candidate_id"] in stored["candidates"]
        assert sense["job_order_id"] == _ref(record["jobOrder"]) and sense["job_order_id"] in stored["job_orders"]
        assert sense.get("status") == record.get("status")
    for bullhorn_id, record in list(source_records["placements"].items())[:5]:
        sense = stored["placements"][str(bullhorn_id)]
        assert sense["candidate_id"] == _ref(record["candidate"])
        assert sense["job_order_id"] == _ref(record["jobOrder"])


def test_pyairbyte_runs_picklists_and_files_through_file_transfer(bullhorn_emulator_factory, sense_emulator, tmp_path, monkeypatch):
    staging = tmp_path / "staging"
    staging.mkdir()
    monkeypatch.setenv("AIRBYTE_STAGING_DIRECTORY", str(staging))  # inherited by both connector processes
    bullhorn = bullhorn_emulator_factory("--seed", "4", "--scale", "0.05", "--candidates", "30")
    files = requests.get(f"{bullhorn.base_url}/_admin/files", timeout=60).json()["files"]
    good = {str(f["id"]): f for f in files if acceptable_resume(f)}
    bad = {str(f["id"]) for f in files if not acceptable_resume(f)}
    assert good and bad, "the emulator's files include some Sense refuses"

    def keep_rotated_config(new_config: Dict[str, Any]) -> None:
        source.set_config(dict(new_config), validate=False)

    source = ab.get_source("source-ats", config=bullhorn.config(num_workers=1), local_executable=_connector("source-ats"),
                           config_change_callback=keep_rotated_config)
    source.select_streams(["picklist_options", "candidates", "candidate_files"])
    destination = ab.get_destination("destination-sense", local_executable=_connector("destination-sense"), config={
        "client_id": sense_emulator.client_id, "client_secret": sense_emulator.client_secret,
        "api_url": sense_emulator.api_url, "token_url": sense_emulator.token_url, "source_preset": "bullhorn"})
    result = destination.write(source, cache=False, state_cache=False)

    candidates = _ground_truth(bullhorn, "candidates")
    assert result.processed_records == 22 + len(candidates) + len(files)  # 22 picklist options records
    assert picklists_stored(sense_emulator) == 22
    stored = {r["resume_id"]: r for r in sense_emulator.admin.resumes()}
    assert set(stored) == set(good)
    for resume_id, attachment in good.items():
        assert stored[resume_id]["sha256"] == attachment["sha256"], resume_id
        assert stored[resume_id]["candidate_id"] == str(attachment["candidate"]["id"])
    left = {p.stem for p in (staging / "candidate_files").rglob("*") if p.is_file()}
    assert left == bad, "uploaded files are deleted from the staging directory, refused ones kept"
