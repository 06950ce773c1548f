"""Sync outcomes, end to end: the real console script, the Sense emulator and a real S3-compatible server
(moto's standalone server, ``sense_testing.fixtures_s3``) or a local directory.

Rejected records of every kind land with their reasons; the report's numbers are the destination's own
(the STATE counts and the end-of-sync table); a storage that stops mid-sync fails the sync with no STATE
echoed past a rejected record that is not stored; max_rejected_percent stops a misconfigured stream.
"""
from __future__ import annotations

import gzip
import json
import subprocess
import time

import orjson

from console_scripts.finder import console_script
from sense_demo.pipe import connector_env
from sense_testing.destination_harness import (
    RunResult, catalog, config_for, configured_stream, global_state, record, run_command, run_write, stream_state,
)

DESTINATION = console_script("destination-sense")


def _raw(data: str, stream: str = "candidates") -> bytes:
    return ('{"type":"RECORD","record":{"stream":"' + stream + '","data":' + data + ',"emitted_at":1}}').encode()


def _report(server, bucket):
    (key,) = [k for k in server.objects(bucket) if k.endswith("/report.json")]
    return key.rsplit("/", 1)[0], json.loads(server.read(bucket, key))


def _rejected_lines(server, bucket, run_dir, report):
    lines = []
    for entry in report["files"]["rejected"]:
        lines += server.json_lines(bucket, f"{run_dir}/{entry['key']}")
    return lines


def test_rejected_records_of_every_kind_land_in_s3_with_their_reasons(sense_emulator, s3_server, tmp_path):
    bucket = s3_server.create_bucket()
    cat = catalog("candidates", "job_orders",
                  configured_stream("candidate_changes", destination_object_name="candidates", destination_sync_mode="update"))
    messages = [
        record("candidates", {"id": 1, "first_name": "Ok"}),
        record("candidates", {"first_name": "No id"}),                                  # invalid: no id
        record("candidates", {"id": 3, "date_added": "next tuesday"}),                  # invalid: not a date
        _raw('"not an object"'),                                                         # data is no object
        _raw('{"id":"5","custom_float1":NaN}'),                                          # NaN (exact parser)
        _raw('{"id":"6","first_name":"Bo"}').replace(b"Bo", b"B\xffo"),                 # not UTF-8
        b'{"type":"RECORD","record":{"stream":"candidates","data":{"id":"7",',         # unreadable, stream guessed
        record("job_orders", {"id": 4, "description": "x" * 1_500_001}),               # larger than a request
        record("candidate_changes", {"id": "404", "first_name": "Nobody"}),             # Sense: no such entity (PATCH 404)
        global_state("end"),
    ]
    config = config_for(sense_emulator, object_storage_config=s3_server.storage_config(bucket, "sense/outcomes"))
    result = run_write(tmp_path, config, cat, messages, env={"WORKER_JOB_ID": "4242"})
    assert result.returncode == 0, result.stdout[-3000:]
    run_dir, report = _report(s3_server, bucket)
    # Airbyte links the sync's rejected records to <bucket_path>/<job id>/: a pointer to the run is there
    pointer = json.loads(s3_server.read(bucket, "sense/outcomes/4242/sync-outcomes.json"))
    assert pointer["run_path"] == report["run_path"] and report["airbyte_job_id"] == "4242"
    assert pointer["report"] == f"s3://{bucket}/{run_dir}/report.json"
    assert run_dir.startswith("sense/outcomes/sense-") and report["status"] == "succeeded"
    lines = _rejected_lines(s3_server, bucket, run_dir, report)
    by_position = {(line["stream"], line["position"]): line for line in lines}
    assert sorted(by_position) == [("candidate_changes", 1), ("candidates", 2), ("candidates", 3), ("candidates", 4),
                                   ("candidates", 5), ("candidates", 6), ("candidates", 7), ("job_orders", 1)]
    no_id = by_position[("candidates", 2)]
    assert no_id["record"]["data"] == {"first_name": "No id"} and no_id["record"]["emitted_at"] == 1_700_000_000_000
    assert no_id["reasons"] == [{"field": "id", "problem": "is required"}] and no_id["id"] is None
    date = by_position[("candidates", 3)]
    assert date["id"] == "3" and date["reasons"][0]["field"] == "date_added" and "next tuesday" in date["reasons"][0]["problem"]
    assert by_position[("candidates", 4)]["record"]["data"] == "not an object"
    nan = by_position[("candidates", 5)]
    assert nan["raw_line"].endswith('"custom_float1":NaN},"emitted_at":1}}') and nan["reasons"][0]["field"] == "custom_float1"
    assert "raw_line_base64" in by_position[("candidates", 6)]
    assert "input line 7" in by_position[("candidates", 7)]["reasons"][0]["problem"]
    large = by_position[("job_orders", 1)]
    assert large["record"]["data"]["description"] == "x" * 1_500_001 and "1,500,000" in large["reasons"][0]["problem"]
    patch = by_position[("candidate_changes", 1)]
    assert patch["record"]["data"] == {"id": "404", "first_name": "Nobody"}  # as received, though Sense refused it while delivering
    assert patch["record_sent"] == {"first_name": "Nobody"}  # and as sent (a PATCH body has no id)
    assert "no entity with this id" in patch["reasons"][0]["problem"]
    assert report["streams"]["candidates"]["rejected"] == 6 and report["streams"]["candidates"]["received"] == 7
    assert report["streams"]["candidates"]["sent"] == 1
    assert any("Rejected records (8)" in line and f"s3://{bucket}/{run_dir}/rejected/" in line for line in result.logs)
    assert any(f"Sync report: s3://{bucket}/{run_dir}/report.json" in line for line in result.logs)
    assert s3_server.secret_access_key not in result.stdout + json.dumps(report)


def test_the_report_numbers_are_the_destinations_own_counts(sense_emulator, tmp_path):
    messages = []
    for window in range(3):
        for i in range(window * 50, window * 50 + 50):
            data = {"id": i, "first_name": f"n{i}"} if i % 7 else {"id": i, "date_added": "never"}
            messages.append(record("candidates", data))
        messages.append(stream_state("candidates", window))
    config = config_for(sense_emulator, object_storage_config={"storage_type": "Local", "local_path": str(tmp_path / "out")},
                        record_results="all", batch_size=40)
    result = run_write(tmp_path, config, catalog("candidates"), messages)
    assert result.returncode == 0, result.stdout[-3000:]
    (report_path,) = (tmp_path / "out").glob("*/*/report.json")
    report = json.loads(report_path.read_text())
    sent = sum(int(s["destinationStats"]["recordCount"]) for s in result.states)
    rejected = sum(int(s["destinationStats"]["rejectedRecordCount"]) for s in result.states)
    stream = report["streams"]["candidates"]
    assert (stream["sent"], stream["rejected"], stream["received"]) == (sent, rejected, 150) == (128, 22, 150)
    assert report["states_committed"] == len(result.states) == 3
    table = next(line for line in result.logs if line.startswith("candidates "))
    received, sent_t, rejected_t, batches = (int(v.replace(",", "")) for v in table.split()[1:5])
    entity = report["entities"]["candidates"]
    assert (entity["received"], entity["sent"], entity["rejected"], entity["requests"]) == (received, sent_t, rejected_t, batches)
    assert entity["requests"] == len([r for r in sense_emulator.admin.requests() if r["method"] == "POST" and r.get("status") == 201])
    assert stream["top_reasons"][0]["count"] == 22 and "date_added" in stream["top_reasons"][0]["reason"]
    run_dir = report_path.parent
    results = []
    for entry in report["files"]["results"]:
        with gzip.open(run_dir / entry["key"]) as f:
            results += [json.loads(line) for line in f]
    assert sorted(r["position"] for r in results) == list(range(1, 151))
    outcomes = {r["position"]: r for r in results}
    assert outcomes[1]["outcome"] == outcomes[8]["outcome"] == "rejected" and outcomes[2]["outcome"] == "sent"  # ids 0, 7: no date
    request_ids = {r["request_id"] for r in results if r["outcome"] == "sent"}
    assert None not in request_ids and len(request_ids) == entity["requests"]
    assert any(f"Sync report: {report_path}" in line for line in result.logs)


def test_check_names_a_missing_bucket_and_bad_credentials_without_the_secret(sense_emulator, s3_server, tmp_path):
    bucket = s3_server.create_bucket()
    cases = {
        "the bucket does not exist": s3_server.storage_config("no-such-bucket-here"),
        "the secret access key does not match": s3_server.storage_config(bucket, secret_access_key="wrong-secret-value-123"),
        "access key id is not known": s3_server.storage_config(bucket, access_key_id="AKIAUNKNOWN0000000000"),
        "could not be reached": s3_server.storage_config(bucket, s3_endpoint="http://127.0.0.1:9"),
    }
    for expected, storage in cases.items():
        result = run_command(tmp_path, "check", config_for(sense_emulator, object_storage_config=storage))
        (status,) = [m["connectionStatus"] for m in result.of_type("CONNECTION_STATUS")]
        assert status["status"] == "FAILED" and expected in status["message"], status
        assert storage["secret_access_key"] not in result.stdout and s3_server.secret_access_key not in result.stdout
    ok = run_command(tmp_path, "check", config_for(sense_emulator, object_storage_config=s3_server.storage_config(bucket, "p")))
    assert [m["connectionStatus"]["status"] for m in ok.of_type("CONNECTION_STATUS")] == ["SUCCEEDED"]
    assert s3_server.objects(bucket) == []  # the check's object is deleted


def test_a_storage_that_stops_mid_sync_fails_it_and_no_state_passes_an_unstored_rejection(sense_emulator, s3_server_factory, tmp_path):
    server = s3_server_factory.start()
    bucket = server.create_bucket()
    config = config_for(sense_emulator, object_storage_config=server.storage_config(bucket), retry_max_seconds=3, max_retries=2)
    config_path, catalog_path = tmp_path / "config.json", tmp_path / "catalog.json"
    config_path.write_text(json.dumps(config))
    catalog_path.write_text(json.dumps(catalog("candidates")))
    proc = subprocess.Popen([DESTINATION, "write", "--config", str(config_path), "--catalog", str(catalog_path)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=connector_env())

    def send(*messages):
        for message in messages:
            proc.stdin.write(json.dumps(message).encode() + b"\n")
        proc.stdin.flush()

    try:
        send(record("candidates", {"id": 1}), record("candidates", {"first_name": "no id"}), stream_state("candidates", "first"))
        echoed = []
        while not echoed:
            message = json.loads(proc.stdout.readline())
            if message["type"] == "STATE":
                echoed.append(message)
        run_dir, report = _report(server, bucket)
        assert report["status"] == "running"
        (part,) = server.objects(bucket, f"{run_dir}/rejected/")
        assert [line["position"] for line in server.json_lines(bucket, part)] == [2]  # stored before the STATE was echoed
        server.stop()
        send(record("candidates", {"id": 3}), record("candidates", {"date_added": "no id either"}), stream_state("candidates", "second"))
        proc.stdin.close()
        rest = RunResult(proc.wait(timeout=120), proc.stdout.read().decode(), "")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rest.returncode == 1
    assert rest.states == [], "no STATE after a rejected record that could not be stored"
    (error,) = rest.errors
    assert error["failure_type"] == "transient_error" and "sync outcomes storage failed" in error["message"]
    assert "giving up after 3 attempts" in error["message"]  # the first and max_retries: 2
    assert "Sync outcomes incomplete" in "\n".join(rest.logs)
    assert server.secret_access_key not in rest.stdout


def test_max_rejected_percent_fails_a_misconfigured_stream_after_the_states_it_handled(sense_emulator, tmp_path):
    good = [record("candidates", {"id": i, "date_added": "2024-01-02"}) for i in range(100)]
    epoch = [record("candidates", {"id": i, "date_added": 1_700_000_000_000 + i}) for i in range(100, 400)]
    messages = good + [stream_state("candidates", "good")] + epoch + [stream_state("candidates", "epoch")]
    out = tmp_path / "out"
    config = config_for(sense_emulator, object_storage_config={"storage_type": "Local", "local_path": str(out)})
    result = run_write(tmp_path, config, catalog("candidates"), messages)
    assert result.returncode == 1
    assert [s["stream"]["stream_state"]["cursor"] for s in result.states] == ["good"]
    (error,) = result.errors
    assert error["failure_type"] == "config_error"
    assert "Stream 'candidates' rejected" in error["message"] and "max_rejected_percent (50 %)" in error["message"]
    assert "field 'date_added'" in error["message"]
    (report_path,) = out.glob("*/*/report.json")
    report = json.loads(report_path.read_text())
    assert report["status"] == "failed" and report["failure"]["failure_type"] == "config_error"
    assert report["states_committed"] == 1
    # off: the same input ends green, every rejection counted
    off = run_write(tmp_path, config_for(sense_emulator, max_rejected_percent=100), catalog("candidates"), messages)
    assert off.returncode == 0 and int(off.states[-1]["destinationStats"]["rejectedRecordCount"]) == 300


def test_local_storage_is_checked_and_written_like_s3(sense_emulator, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    bad = run_command(tmp_path, "check", config_for(sense_emulator, object_storage_config={"storage_type": "Local", "local_path": str(blocked)}))
    (status,) = [m["connectionStatus"] for m in bad.of_type("CONNECTION_STATUS")]
    assert status["status"] == "FAILED" and "not writable" in status["message"]
    out = tmp_path / "out"
    config = config_for(sense_emulator, object_storage_config={"storage_type": "Local", "local_path": str(out)})
    secret = config["client_secret"]
    messages = [record("candidates", {"first_name": "x"}), record("candidates", {"id": 2, "custom_integer1": secret}), global_state(1)]
    result = run_write(tmp_path, config, catalog("candidates"), messages)
    assert result.returncode == 0
    (run_dir,) = [p for p in out.glob("*/*") if p.is_dir()]
    assert sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*") if p.is_file()) == [
        "rejected/candidates/part-00001.jsonl.gz", "report.json"]
    assert not list(out.glob("**/*.partial"))
    with gzip.open(run_dir / "rejected/candidates/part-00001.jsonl.gz") as f:
        lines = [json.loads(line) for line in f]
    assert lines[1]["record"]["data"] == {"id": 2, "custom_integer1": "****"}, "a secret is never written, even in a record"
    assert secret not in (run_dir / "report.json").read_text()


MEMORY_BOUND_MB = 150  # the destination's bound at any sync size (docs/destination-sense.md)


def _peak_rss_mb(proc: subprocess.Popen) -> float:
    """The process's peak resident memory (VmHWM), read until it exits."""
    peak = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                peak = max([peak] + [int(line.split()[1]) for line in f if line.startswith("VmHWM:")])
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    return peak / 1024


def test_100000_records_with_10_percent_rejected_stay_within_the_memory_bound(sense_emulator, s3_server, tmp_path):
    bucket = s3_server.create_bucket()
    input_path = tmp_path / "input.jsonl"
    with open(input_path, "wb") as f:
        for i in range(100_000):
            data = {"id": i, "first_name": f"first{i}", "last_name": f"last{i}", "email": f"c{i}@example.com"}
            if i % 10 == 3:
                data["date_added"] = f"day {i}"  # rejected: not a date (each reason distinct)
            f.write(orjson.dumps(record("candidates", data)) + b"\n")
            if i % 5000 == 4999:
                f.write(orjson.dumps(stream_state("candidates", i)) + b"\n")
    config = config_for(sense_emulator, object_storage_config=s3_server.storage_config(bucket), record_results="all")
    config_path, catalog_path = tmp_path / "config.json", tmp_path / "catalog.json"
    config_path.write_text(json.dumps(config))
    catalog_path.write_text(json.dumps(catalog("candidates")))
    with open(input_path, "rb") as stdin, open(tmp_path / "stdout", "wb") as stdout:
        proc = subprocess.Popen([DESTINATION, "write", "--config", str(config_path), "--catalog", str(catalog_path)],
                                stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL, env=connector_env())
        peak = _peak_rss_mb(proc)
    result = RunResult(proc.returncode, (tmp_path / "stdout").read_text(), "")
    print(f"peak RSS of destination-sense, 100,000 records, 10,000 rejected, record_results all, S3: {peak:.1f} MB")
    assert result.returncode == 0, result.stdout[-3000:]
    assert 0 < peak <= MEMORY_BOUND_MB
    run_dir, report = _report(s3_server, bucket)
    assert report["streams"]["candidates"]["rejected"] == 10_000 == sum(int(s["destinationStats"]["rejectedRecordCount"]) for s in result.states)
    assert sum(entry["records"] for entry in report["files"]["results"]) == 100_000
    lines = _rejected_lines(s3_server, bucket, run_dir, report)
    assert [line["record"]["data"]["id"] for line in lines] == list(range(3, 100_000, 10))
    # 10,000 distinct reasons: the first 1,000 are counted apart, the rest together
    assert report["streams"]["candidates"]["top_reasons"][0] == {"reason": "(other reasons)", "count": 9_000}
