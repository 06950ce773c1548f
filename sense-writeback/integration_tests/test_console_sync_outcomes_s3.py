"""sense_writeback.console.sync_outcomes on an ``s3://`` root: a real S3-compatible server (moto's, from
``sense_testing.s3_server``) read with minio: runs listed newest first, a report and a rejected file read,
and a missing bucket or an unreachable endpoint named without the secret key."""
from pathlib import Path

import pytest

# the S3 server fixture comes with destination-sense's sync outcomes (sense_testing.fixtures_s3); until that
# is installed here the test says so instead of running
pytest.importorskip("sense_testing.fixtures_s3", reason="the S3 test fixture (sense_testing.fixtures_s3) is not installed")
pytest.importorskip("minio", reason="minio (the s3 extra) is not installed")

from sense_testing.console_fixtures import write_run  # noqa: E402
from sense_testing.fixtures_s3 import s3_server  # noqa: E402,F401  (the fixture)
from sense_writeback.console.settings import ConsoleSettings  # noqa: E402
from sense_writeback.console.sync_outcomes import (OutcomesUnavailable, SyncOutcomes, open_storage,  # noqa: E402
                                                   rejected_lines)


def settings(server, root):
    return ConsoleSettings(sync_outcomes=root, s3_endpoint=server.endpoint, s3_region=server.region,
                           s3_access_key=server.access_key_id, s3_secret_key=server.secret_access_key)


def upload(server, bucket, prefix, local: Path):
    client = server.client()
    for path in sorted(local.rglob("*")):
        if path.is_file():
            client.fput_object(bucket, f"{prefix}/{path.relative_to(local)}", str(path))


def test_runs_reports_and_rejected_records_from_s3(s3_server, tmp_path):
    bucket = s3_server.create_bucket()
    rejected = [{"stream": "candidates", "position": i, "id": str(i), "reasons": [{"field": "email", "problem": "bad"}],
                 "record": {"id": str(i)}} for i in range(1, 4)]
    write_run(tmp_path, "conn-1", "20261207T100000Z", "a1",
              entities={"Candidate": {"sent": 9, "rejected": 3, "requests": 1, "retries": 0}}, rejected=rejected)
    write_run(tmp_path, "conn-2", "20261208T100000Z", "b2", status="failed")
    upload(s3_server, bucket, "syncs/prod", tmp_path)
    outcomes = SyncOutcomes(open_storage(settings(s3_server, f"s3://{bucket}/syncs/prod")))
    runs = outcomes.runs()
    assert [(r.connection_id, r.name, r.status) for r in runs] == [
        ("conn-2", "20261208T100000Z-b2", "failed"), ("conn-1", "20261207T100000Z-a1", "succeeded")]
    assert runs[1].entities["Candidate"]["rejected"] == 3
    run = outcomes.run("conn-1", "20261207T100000Z-a1")
    lines, more = rejected_lines(outcomes.rejected_file(run, "rejected/candidates/part-00001.jsonl.gz"))
    assert [line["position"] for line in lines] == [1, 2, 3] and not more
    assert outcomes.run("conn-1", "20261207T100000Z-zz") is None


def test_missing_bucket_and_unreachable_endpoint_are_named_without_secrets(s3_server):
    for root, endpoint, expected in (("s3://no-such-bucket/x", s3_server.endpoint, "NoSuchBucket"),
                                     ("s3://outcomes", "http://127.0.0.1:9", "cannot reach")):
        config = settings(s3_server, root)
        config.s3_endpoint = endpoint
        with pytest.raises(OutcomesUnavailable, match=expected) as error:
            SyncOutcomes(open_storage(config)).runs()
        assert s3_server.secret_access_key not in str(error.value)
