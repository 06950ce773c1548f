"""object_storage_config, record_results and max_rejected_percent: parsed as the spec declares them."""
import pytest

from destination_sense.config import CONNECTION_SPECIFICATION
from destination_sense.errors import ConfigError
from destination_sense.outcomes.settings import parse, secrets_of

S3 = {"storage_type": "S3", "s3_bucket_name": "my-bucket", "s3_bucket_region": "eu-west-1", "bucket_path": "/a/b/",
      "s3_endpoint": "https://minio.example.com:9000/", "access_key_id": "AKIAEXAMPLE", "secret_access_key": "s3cr3t-value"}


def test_defaults_store_nothing_and_guard_at_half():
    settings = parse({})
    assert not settings.storage.enabled and settings.record_results == "rejected_only" and settings.max_rejected_percent == 50


def test_s3_settings_are_normalised_and_never_shown():
    storage = parse({"object_storage_config": S3}).storage
    assert (storage.bucket, storage.path, storage.endpoint, storage.root) == (
        "my-bucket", "a/b", "https://minio.example.com:9000", "s3://my-bucket/a/b")
    assert "s3cr3t" not in repr(storage) and "AKIA" not in repr(storage)
    assert secrets_of({"object_storage_config": S3}) == ["s3cr3t-value", "AKIAEXAMPLE"]


@pytest.mark.parametrize("config, words", [
    ({"object_storage_config": {"storage_type": "GCS"}}, "must be one of None, S3, Local"),
    ({"object_storage_config": {**S3, "s3_bucket_name": "My_Bucket"}}, "is not a bucket name"),
    ({"object_storage_config": {**S3, "s3_bucket_region": ""}}, "s3_bucket_region' is required"),
    ({"object_storage_config": {**S3, "secret_access_key": ""}}, "both access_key_id and secret_access_key"),
    ({"object_storage_config": {**S3, "s3_endpoint": "ftp://x"}}, "must be a URL"),
    ({"object_storage_config": {"storage_type": "Local"}}, "local_path' is required"),
    ({"record_results": "all"}, "needs an object_storage_config"),
    ({"record_results": "some"}, "must be one of rejected_only, all"),
    ({"max_rejected_percent": 101}, "between 0 and 100"),
    ({"max_rejected_percent": True}, "between 0 and 100"),
])
def test_bad_values_are_config_errors_naming_the_option(config, words):
    with pytest.raises(ConfigError) as caught:
        parse(config)
    assert words in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_the_spec_marks_the_credentials_secret_and_keeps_the_keys_airbyte_reads():
    storage = CONNECTION_SPECIFICATION["properties"]["object_storage_config"]
    s3 = next(option for option in storage["oneOf"] if option["title"] == "S3")["properties"]
    assert {"storage_type", "s3_bucket_name", "s3_bucket_region", "bucket_path", "s3_endpoint"} <= set(s3)
    assert s3["access_key_id"]["airbyte_secret"] and s3["secret_access_key"]["airbyte_secret"]
    assert [option["properties"]["storage_type"]["const"] for option in storage["oneOf"]] == ["None", "S3", "Local"]
