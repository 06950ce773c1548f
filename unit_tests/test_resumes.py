"""resume_upload: routing, the preset's field mapping and the checks before an upload."""
from __future__ import annotations

import base64
import os

import pytest

from destination_sense.mapping import load_preset
from destination_sense.sinks.resumes import ResumeRoute, StagedFileUnreadable, is_resume_name, prepare, routes_from_catalog
from sense_api.limits import MAX_RESUME_BYTES

KEY = (None, "resumes")


def _record(data, staged=None):
    message = {"stream": "resumes", "data": data}
    if staged:
        message["file_reference"] = {"staging_file_url": staged}
    return message


def _fields(**extra):
    return {"candidate_id": 5, "resume_id": "R1", "date_created": "2024-05-06T07:08:09Z", **extra}


def test_names_and_routes():
    assert is_resume_name("resumes") and is_resume_name("Candidate-Resumes") and not is_resume_name("candidates")
    catalog = {"streams": [{"stream": {"name": "candidate_files"}}, {"stream": {"name": "cvs"}, "destination_object_name": "resumes"},
                           {"stream": {"name": "candidates"}}]}
    routes = routes_from_catalog(catalog, "bullhorn", load_preset("bullhorn"))
    assert set(routes) == {(None, "candidate_files"), (None, "cvs")}
    assert routes[(None, "candidate_files")].getters and routes[(None, "cvs")].getters is None
    assert routes_from_catalog(catalog, "none", load_preset("none")) == {(None, "cvs"): ResumeRoute((None, "cvs"))}


def test_bullhorn_file_attachment_maps_onto_the_upload(tmp_path):
    staged = tmp_path / "700001.pdf"
    staged.write_bytes(b"%PDF-1.4 x")
    route = routes_from_catalog({"streams": [{"stream": {"name": "candidate_files"}}]}, "bullhorn", load_preset("bullhorn"))[(None, "candidate_files")]
    data = {"id": 700001, "name": "Jo_Doe_cv1.pdf", "fileExtension": ".PDF", "dateAdded": 1_700_000_000_000, "candidate": {"id": 100001}}
    upload, problems, record_id = prepare(route, 1, _record(data, str(staged)))
    assert problems == [] and record_id == "100001/700001"
    assert (upload.candidate_id, upload.resume_id, upload.extension, upload.file_name) == ("100001", "700001", "pdf", "Jo_Doe_cv1.pdf")
    assert upload.date_created == upload.date_updated == "2023-11-14T22:13:20+00:00"
    assert upload.delete_after_upload and upload.size == 10


def test_checks(tmp_path):
    route = ResumeRoute(KEY)
    big = tmp_path / "big.pdf"
    big.write_bytes(b"x" * (MAX_RESUME_BYTES + 1))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    cases = {
        "missing ids": (_fields(candidate_id=None, resume_id="", file_path=str(big)), ["candidate_id", "resume_id"]),
        "extension": (_fields(file_path=str(tmp_path / "a.exe")), ["file_extension"]),
        "no extension": (_fields(file_path=str(tmp_path / "noext")), ["file_extension"]),
        "too large": (_fields(file_path=str(big)), [None]),
        "empty": (_fields(file_path=str(empty)), [None]),
        "missing file": (_fields(file_path=str(tmp_path / "gone.pdf")), [None]),
        "no file": (_fields(file_extension="pdf"), [None]),
        "bad date": (_fields(file_path=str(big), date_created="soon"), ["date_created"]),  # the file is checked once the rest is right
        "no dates": (_fields(file_path=str(empty), date_created=None), ["date_created"]),
        "bad base64": (_fields(file_extension="txt", file_base64="@@"), ["file_base64"]),
        "base64 too large": (_fields(file_extension="txt", file_base64="A" * (MAX_RESUME_BYTES * 4 // 3 + 8)), ["file_base64"]),
    }
    for name, (data, fields) in cases.items():
        upload, problems, _ = prepare(route, 1, _record(data))
        assert upload is None, name
        assert [p[0] for p in problems] == fields, (name, problems)
    assert prepare(route, 1, _record("x"))[1] == [(None, "the record has no data object")]


def test_base64_becomes_a_temporary_file_and_dates_stand_in_for_each_other(tmp_path):
    content = b"hello resume"
    upload, problems, _ = prepare(ResumeRoute(KEY, epoch_unit="seconds"), 1, _record(_fields(file_extension=".TXT", date_created=None, date_updated=1_700_000_000,
                                                                     file_base64=base64.b64encode(content).decode())), str(tmp_path))
    assert problems == []
    assert upload.temporary and not upload.delete_after_upload and open(upload.path, "rb").read() == content
    assert upload.extension == "txt" and upload.date_created == upload.date_updated == "2023-11-14T22:13:20+00:00"
    assert upload.form() == {"resume_id": "R1", "file_extension": "txt", "date_created": upload.date_created,
                             "date_updated": upload.date_updated, "file_name": os.path.basename(upload.path)}
    rejected = prepare(ResumeRoute(KEY), 1, _record(_fields(file_extension="png", file_base64=base64.b64encode(content).decode())), str(tmp_path))
    assert rejected[0] is None and os.listdir(tmp_path) == [os.path.basename(upload.path)]  # nothing left behind


@pytest.mark.parametrize("value", [True, {"id": 1}, [1]])
def test_ids_must_be_scalars(value, tmp_path):
    problems = prepare(ResumeRoute(KEY), 1, _record(_fields(candidate_id=value, file_path=str(tmp_path / "a.pdf"))))[1]
    assert problems[0][0] == "candidate_id"


@pytest.mark.parametrize("make", ["missing", "directory", "unreadable"])
def test_a_staged_file_that_cannot_be_read_fails_the_sync_instead_of_rejecting_the_record(make, tmp_path):
    staged = tmp_path / "staging" / "cv.pdf"
    if make == "directory":
        staged.mkdir(parents=True)
    elif make == "unreadable":
        staged.parent.mkdir()
        staged.write_bytes(b"%PDF-1.4")
        staged.chmod(0)
        if os.access(staged, os.R_OK):  # root reads everything
            pytest.skip("running as root: a mode-0 file is still readable")
    # other problems of the record do not turn it into a rejection either: the file decides first
    with pytest.raises(StagedFileUnreadable) as failure:
        prepare(ResumeRoute(KEY), 3, _record(_fields(file_extension="exe"), str(staged)))
    assert failure.value.failure_type == "system_error"
    message = str(failure.value)
    assert message.startswith(f"Stream 'resumes' record #3 (id '5/R1'): the staged file {str(staged)!r} cannot be read (")
    assert "AIRBYTE_STAGING_DIRECTORY" in message and "next sync reads the file again" in message
