"""sense_writeback.console.sync_outcomes on the local layout: runs newest first, reports, rejected
records paged, and no path outside the root."""
import gzip

import pytest

from sense_testing.console_fixtures import write_run
from sense_writeback.console.sync_outcomes import LocalStorage, OutcomesUnavailable, SyncOutcomes, rejected_lines


def rejected(n, stream="candidates"):
    return [{"stream": stream, "position": i + 1, "id": str(i), "reasons": [{"field": "email", "problem": "not an email"}],
             "record": {"id": str(i), "email": "nope"}} for i in range(n)]


@pytest.fixture
def root(tmp_path):
    write_run(tmp_path, "conn-a", "20261207T100000Z", "r1", entities={"Candidate": {"sent": 10, "rejected": 3,
                                                                                      "requests": 1, "retries": 0}},
              rejected=rejected(3))
    write_run(tmp_path, "conn-b", "20261208T090000Z", "r2", status="failed", rejected=rejected(250, "ats/job orders"))
    write_run(tmp_path, "conn-a", "20261208T100000Z", "r3", write_report=False)
    (tmp_path / "conn-a" / "not-a-run").mkdir()
    return tmp_path


def test_runs_newest_first_with_counts(root):
    runs = SyncOutcomes(LocalStorage(str(root))).runs()
    assert [(r.connection_id, r.name) for r in runs] == [
        ("conn-a", "20261208T100000Z-r3"), ("conn-b", "20261208T090000Z-r2"), ("conn-a", "20261207T100000Z-r1")]
    running, failed, ok = runs
    assert running.report is None and "no report.json" in running.problem and running.status == "unknown"
    assert failed.status == "failed" and failed.rejected_total == 250
    assert ok.entities["Candidate"]["rejected"] == 3 and ok.started == "2026-12-07T10:00:00Z"


def test_rejected_records_paged(root):
    outcomes = SyncOutcomes(LocalStorage(str(root)))
    run = outcomes.run("conn-b", "20261208T090000Z-r2")
    [file] = run.rejected_files()
    assert file["key"] == "rejected/ats%2Fjob%20orders/part-00001.jsonl.gz"
    data = outcomes.rejected_file(run, file["key"])
    first, more = rejected_lines(data, 0, 100)
    assert len(first) == 100 and more and first[0]["position"] == 1
    last, more = rejected_lines(data, 200, 100)
    assert len(last) == 50 and not more and last[-1]["position"] == 250


def test_nothing_outside_the_root_or_unlisted_is_opened(root, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.json").write_text("{}")
    outcomes = SyncOutcomes(LocalStorage(str(root)))
    assert outcomes.run("..", "20261207T100000Z-r1") is None
    assert outcomes.run("conn-a", "../../etc") is None
    assert outcomes.run("conn-a", "20261207T100000Z-nope") is None
    run = outcomes.run("conn-a", "20261207T100000Z-r1")
    for key in ("report.json", "rejected/../../../conn-b/x", "/etc/passwd", "rejected/other/part-00001.jsonl.gz",
                "rejected/%2e%2e/x"):
        with pytest.raises(FileNotFoundError):
            outcomes.rejected_file(run, key)


def test_a_missing_root_is_a_clear_error_and_bad_lines_are_shown(tmp_path):
    with pytest.raises(OutcomesUnavailable, match="does not exist"):
        SyncOutcomes(LocalStorage(str(tmp_path / "missing"))).runs()
    data = gzip.compress(b'{"position": 1}\nnot json\n\n[1]\n')
    lines, more = rejected_lines(data)
    assert lines == [{"position": 1}, {"unreadable_line": "not json\n"}, {"value": [1]}] and not more
