"""Picklists and resume files end to end: bullhorn-emulator → source-ats (file transfer) →
destination-sense (preset bullhorn) → sense-emulator, checked against both emulators' ground truth."""
from __future__ import annotations

import json
import os

import pytest
import requests

from sense_api.limits import MAX_RESUME_BYTES
from sense_testing.bullhorn_truth import acceptable_resume, picklists_stored
from sense_testing.fixtures_bullhorn import start_bullhorn_emulator
from sense_demo.pipe import run_sync

pytestmark = [pytest.mark.timeout(600)]

STREAMS = (("picklist_options", "full_refresh"), ("candidates", "incremental"), ("candidate_files", "incremental"))


def _catalog():
    return {"streams": [{"stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                         "sync_mode": mode, "destination_sync_mode": "append_dedup" if name == "candidates" else "append",
                         "cursor_field": ["dateLastModified"] if name == "candidates" else [], "primary_key": [["id"]]}
                        for name, mode in STREAMS]}


@pytest.fixture(scope="module")
def chain(tmp_path_factory, sense_emulator_server):
    sense = sense_emulator_server
    sense.admin.reset()
    bullhorn = start_bullhorn_emulator("--seed", "4", "--candidates", "70")
    workdir = tmp_path_factory.mktemp("chain-files")
    staging = workdir / "staging"
    staging.mkdir()
    previous = os.environ.get("AIRBYTE_STAGING_DIRECTORY")
    os.environ["AIRBYTE_STAGING_DIRECTORY"] = str(staging)  # where the CDK's file uploader stages files
    try:
        source_config = workdir / "source.json"
        source_config.write_text(json.dumps(bullhorn.config(num_workers=1)))
        destination_config = workdir / "destination.json"
        destination_config.write_text(json.dumps({"client_id": sense.client_id, "client_secret": sense.client_secret,
                                                  "api_url": sense.api_url, "token_url": sense.token_url, "source_preset": "bullhorn"}))
        first = run_sync(workdir / "sync-1", source_config, destination_config, _catalog())
        requests_after_first = len(sense.admin.requests())
        second = run_sync(workdir / "sync-2", source_config, destination_config, _catalog(), state=first.next_state())
        second_requests = sense.admin.requests()[requests_after_first:]
        files = requests.get(f"{bullhorn.base_url}/_admin/files", timeout=60).json()["files"]
        yield first, second, sense, files, staging, second_requests
    finally:
        if previous is None:
            os.environ.pop("AIRBYTE_STAGING_DIRECTORY", None)
        else:
            os.environ["AIRBYTE_STAGING_DIRECTORY"] = previous
        bullhorn.stop()


def test_sense_stores_the_picklists_under_the_mapped_fields(chain):
    first, _, sense, _, _, _ = chain
    assert first.ok, (first.source_errors, first.destination_errors, first.destination_logs[-5:])
    assert picklists_stored(sense) == 22
    log = sense.admin.requests()
    puts = [i for i, r in enumerate(log) if r["operation"] == "possible_values_put" and r["path"].startswith("/v1/candidates/")]
    first_candidates = next(i for i, r in enumerate(log) if r["operation"] == "upsert" and r["path"] == "/v1/candidates")
    assert puts and max(puts) < first_candidates  # the candidates' picklists before the candidates


def test_each_acceptable_resume_is_stored_byte_for_byte_and_the_others_are_rejected(chain):
    first, _, sense, files, staging, _ = chain
    good = {str(f["id"]): f for f in files if acceptable_resume(f)}
    bad = {str(f["id"]): f for f in files if not acceptable_resume(f)}
    assert len(good) >= 20 and any(f["fileSize"] > MAX_RESUME_BYTES for f in bad.values()) and any(f["fileSize"] <= MAX_RESUME_BYTES for f in bad.values())
    stored = {r["resume_id"]: r for r in sense.admin.resumes()}
    assert set(stored) == set(good)
    for resume_id, f in good.items():
        assert stored[resume_id]["sha256"] == f["sha256"], resume_id
        assert stored[resume_id]["candidate_id"] == str(f["candidate"]["id"])
        assert stored[resume_id]["file_name"] == f["name"] and stored[resume_id]["file_extension"] == f["fileExtension"][1:]
    final = [s for s in first.states_out if s["stream"]["stream_descriptor"]["name"] == "candidate_files"][-1]
    assert final["destinationStats"] == {"recordCount": float(len(good)), "rejectedRecordCount": float(len(bad))}
    logs = "\n".join(first.destination_logs)
    assert "Sense accepts resumes of at most 4,194,304 bytes" in logs and "is not accepted by Sense" in logs
    left = {p.stem for p in (staging / "candidate_files").rglob("*") if p.is_file()}
    assert left == set(bad)  # uploaded files were deleted from the staging directory, refused ones kept


def test_the_next_incremental_sync_sends_no_file_and_no_unchanged_picklist_again(chain):
    first, second, sense, files, _, later = chain
    assert second.ok, (second.source_errors, second.destination_errors)
    assert [r for r in later if r["operation"] in ("resume", "possible_values_put")] == []
    assert sum(r["operation"] == "possible_values_get" for r in later) == 22
    uploads = [r["resume_id"] for r in sense.admin.resumes()]
    assert len(uploads) == len(set(uploads))
