"""destination-sense resume uploads, through the real console script into the Sense emulator."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import orjson
import pytest

from sense_api.limits import MAX_RESUME_BYTES
from sense_testing.destination_harness import DESTINATION, catalog, config_for, record, run_write, stream_state
from sense_demo.pipe import connector_env

pytestmark = [pytest.mark.timeout(240)]


def _candidate(i):
    return record("candidates", {"id": i, "first_name": f"C{i}", "last_name": "Test"})


def _staged(directory: Path, name: str, content: bytes) -> str:
    path = directory / "candidate_files" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return str(path)


def _file_record(candidate_id, resume_id, path, extension="pdf", **extra):
    message = record("resumes", {"candidate_id": candidate_id, "resume_id": resume_id, "file_extension": extension,
                                 "date_created": "2024-01-02T03:04:05Z", "date_updated": 1_704_164_645_000, **extra})
    if path is not None:
        message["record"]["file_reference"] = {"staging_file_url": path, "source_file_relative_path": os.path.basename(path),
                                               "file_size_bytes": os.path.getsize(path)}
    return message


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def test_staged_files_are_uploaded_after_their_candidates_and_then_deleted(sense_emulator, tmp_path):
    staging = tmp_path / "staging"
    files = {f"R{i}": os.urandom(1000 * i) for i in range(1, 6)}
    paths = {rid: _staged(staging, f"{rid}.pdf", content) for rid, content in files.items()}
    messages = []
    for i, rid in enumerate(files, start=1):
        messages += [_candidate(i), _file_record(i, rid, paths[rid], file_name=f"cv-{rid}.pdf")]  # each file right after its candidate
    messages.append(stream_state("resumes", 1))
    result = run_write(tmp_path, config_for(sense_emulator, epoch_unit="milliseconds"), catalog("candidates", "resumes"), messages)
    assert result.returncode == 0, result.stderr + "\n".join(result.logs[-10:])
    stored = {r["resume_id"]: r for r in sense_emulator.admin.resumes()}
    assert {rid: r["sha256"] for rid, r in stored.items()} == {rid: _sha(c) for rid, c in files.items()}
    assert stored["R2"]["candidate_id"] == "2" and stored["R2"]["file_name"] == "cv-R2.pdf" and stored["R2"]["file_extension"] == "pdf"
    assert stored["R2"]["date_created"] == "2024-01-02T03:04:05Z" and stored["R2"]["date_updated"].startswith("2024-01-02T03:04:05")
    assert not any(os.path.exists(p) for p in paths.values()), "staged files are deleted after 201"
    assert result.states[-1]["destinationStats"] == {"recordCount": 5.0, "rejectedRecordCount": 0.0}


def test_fallbacks_base64_and_local_path(sense_emulator, tmp_path):
    local = tmp_path / "kept.docx"
    local.write_bytes(b"PK\x03\x04 a docx" * 50)
    encoded = b"plain text resume\n" * 40
    messages = [
        _candidate(1),
        _file_record(1, "B64", None, extension="txt", file_base64=base64.b64encode(encoded).decode()),
        _file_record(1, "PATH", None, extension=None, file_path=str(local), file_name="kept.docx"),
        stream_state("resumes", 1),
    ]
    result = run_write(tmp_path, config_for(sense_emulator, epoch_unit="milliseconds"), catalog("candidates", "resumes"), messages)
    assert result.returncode == 0, result.stderr
    stored = {r["resume_id"]: r for r in sense_emulator.admin.resumes("1")}
    assert stored["B64"]["sha256"] == _sha(encoded) and stored["B64"]["file_extension"] == "txt"
    assert stored["PATH"]["sha256"] == _sha(local.read_bytes()) and stored["PATH"]["file_extension"] == "docx"
    assert local.exists(), "a file given by path is the user's: never deleted"


def test_bad_files_are_rejected_with_a_reason_counted_and_the_sync_goes_on(sense_emulator, tmp_path):
    staging = tmp_path / "staging"
    big = _staged(staging, "big.pdf", b"%" * (MAX_RESUME_BYTES + 1))
    image = _staged(staging, "photo.png", b"\x89PNG....")
    good = _staged(staging, "good.rtf", b"{\\rtf1 fine}")
    orphan = _staged(staging, "orphan.pdf", b"%PDF-1.4 nobody's")
    messages = [
        _candidate(1),
        _file_record(1, "BIG", big),
        _file_record(1, "PNG", image, extension="png"),
        _file_record(404404, "ORPHAN", orphan),
        _file_record(None, "NOCAND", good, extension="rtf"),
        _file_record(1, "BADB64", None, extension="txt", file_base64="***"),
        _file_record(1, "NOFILE", None, file_path=str(tmp_path / "missing.pdf")),
        _file_record(1, "GOOD", good, extension="rtf"),
        stream_state("resumes", 1),
    ]
    result = run_write(tmp_path, config_for(sense_emulator, epoch_unit="milliseconds"), catalog("candidates", "resumes"), messages)
    assert result.returncode == 0, result.stderr
    assert result.states[-1]["destinationStats"] == {"recordCount": 1.0, "rejectedRecordCount": 6.0}
    text = "\n".join(result.logs)
    assert "record #1 (id '1/BIG'): the file is 4,194,305 bytes; Sense accepts resumes of at most 4,194,304 bytes" in text
    assert "record #2 (id '1/PNG'): field 'file_extension' 'png' is not accepted by Sense" in text
    assert "record #3 (id '404404/ORPHAN'): Sense knows no candidate '404404' (404)" in text
    assert "record #4" in text and "field 'candidate_id' is missing" in text
    assert "record #5 (id '1/BADB64'): field 'file_base64' is not valid base64" in text
    assert "record #6 (id '1/NOFILE'): the file" in text and "cannot be read" in text
    assert [r["resume_id"] for r in sense_emulator.admin.resumes()] == ["GOOD"]
    assert os.path.exists(big) and os.path.exists(orphan), "a rejected staged file is left for inspection"
    assert not os.path.exists(good)


def test_a_staging_directory_the_destination_cannot_see_fails_the_sync_before_the_state_after_its_files(sense_emulator, tmp_path):
    staging = tmp_path / "staging"
    first = _staged(staging, "first.pdf", b"%PDF-1.4 first")
    second = _staged(staging, "second.pdf", b"%PDF-1.4 second")
    messages = [_candidate(1), stream_state("candidates", "after-candidate"), _file_record(1, "FIRST", first), stream_state("resumes", "after-first"),
                _file_record(1, "SECOND", second), stream_state("resumes", "after-second")]
    os.rename(staging, tmp_path / "moved")  # a wrong mount: the source staged the files where the destination cannot see them
    result = run_write(tmp_path, config_for(sense_emulator, epoch_unit="milliseconds"), catalog("candidates", "resumes"), messages)
    assert result.returncode == 1
    (error,) = result.errors
    assert error["failure_type"] == "system_error"
    assert f"Stream 'resumes' record #1 (id '1/FIRST'): the staged file {first!r} cannot be read (No such file or directory)" in error["message"]
    assert [s["stream"]["stream_state"]["cursor"] for s in result.states] == ["after-candidate"], "no state is echoed past a file that was not sent"
    assert sense_emulator.admin.resumes() == []
    assert not any(line.startswith("Rejected") for line in result.logs), "a file the destination cannot see is no rejected record"
    # the same messages once the directory is where the source put it: every file goes
    os.rename(tmp_path / "moved", staging)
    again = run_write(tmp_path, config_for(sense_emulator, epoch_unit="milliseconds"), catalog("candidates", "resumes"), messages)
    assert again.returncode == 0, again.stderr
    assert [s["stream"]["stream_state"]["cursor"] for s in again.states] == ["after-candidate", "after-first", "after-second"]
    assert sorted(r["resume_id"] for r in sense_emulator.admin.resumes()) == ["FIRST", "SECOND"]


def test_uploads_are_retried_and_restreamed(sense_emulator, tmp_path):
    first = tmp_path / "first"
    first.mkdir()
    assert run_write(first, config_for(sense_emulator, epoch_unit="milliseconds"), catalog("candidates"), [_candidate(7)]).returncode == 0
    content = os.urandom(300_000)
    path = _staged(tmp_path / "staging", "cv.pdf", content)
    sense_emulator.admin.faults(server_error={"count": 2, "status": 503, "collection": "candidates"})
    result = run_write(tmp_path, config_for(sense_emulator, epoch_unit="milliseconds"), catalog("resumes"), [_file_record(7, "R", path), stream_state("resumes", 1)])
    assert result.returncode == 0, result.stderr
    assert sum("503" in line and "retry" in line for line in result.logs) == 2
    (stored,) = sense_emulator.admin.resumes("7")
    assert stored["sha256"] == _sha(content) and stored["size"] == len(content)


def test_a_sync_resumed_after_a_kill_does_not_upload_a_file_twice_once_its_state_was_echoed(sense_emulator, tmp_path):
    staging = tmp_path / "staging"
    contents = {f"F{i}": os.urandom(2000 + i) for i in range(1, 7)}
    paths = {rid: _staged(staging, f"{rid}.pdf", c) for rid, c in contents.items()}
    config_path, catalog_path = tmp_path / "config.json", tmp_path / "catalog.json"
    config_path.write_text(json.dumps(config_for(sense_emulator, epoch_unit="milliseconds")))
    catalog_path.write_text(json.dumps(catalog("candidates", "resumes")))
    args = [DESTINATION, "write", "--config", str(config_path), "--catalog", str(catalog_path)]

    first_part = [_candidate(1), _candidate(2), stream_state("candidates", 1)]
    first_part += [_file_record(1, "F1", paths["F1"]), _file_record(2, "F2", paths["F2"]), _file_record(1, "F3", paths["F3"])]
    first_part += [stream_state("resumes", "after-F3")]
    in_flight = [_file_record(2, "F4", paths["F4"]), _file_record(1, "F5", paths["F5"])]  # read, state not yet echoed
    rest = [stream_state("resumes", "after-F5"), _file_record(2, "F6", paths["F6"]), stream_state("resumes", "after-F6")]

    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=connector_env())
    for message in first_part + in_flight:
        proc.stdin.write(orjson.dumps(message) + b"\n")
    proc.stdin.flush()
    echoed = None
    deadline = time.monotonic() + 60
    while echoed is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        message = orjson.loads(line) if line.strip() else {}
        if message.get("type") == "STATE" and message["state"]["stream"]["stream_state"] == {"cursor": "after-F3"}:
            echoed = message["state"]
    proc.send_signal(signal.SIGKILL)  # the platform's worker dies
    proc.wait(timeout=10)
    assert echoed is not None and echoed["destinationStats"]["recordCount"] == 3.0
    assert not any(os.path.exists(paths[r]) for r in ("F1", "F2", "F3"))

    # The platform restarts the sync from the last echoed state: the source re-reads what came after it.
    result = run_write(tmp_path, config_for(sense_emulator, epoch_unit="milliseconds"), catalog("candidates", "resumes"), in_flight + rest)
    assert result.returncode == 0, result.stderr
    uploads = [r["resume_id"] for r in sense_emulator.admin.resumes()]
    assert sorted(set(uploads)) == sorted(contents)  # nothing lost
    assert all(uploads.count(r) == 1 for r in ("F1", "F2", "F3")), uploads  # nothing sent twice after its state
    by_id = {r["resume_id"]: r["sha256"] for r in sense_emulator.admin.resumes()}
    assert by_id == {rid: _sha(c) for rid, c in contents.items()}
