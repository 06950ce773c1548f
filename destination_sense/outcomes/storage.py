"""Where sync outcomes are written: a directory or an S3-compatible bucket, behind one small interface.

An ``ObjectStore`` has ``put(key, data)``, ``delete(key)`` and ``location(key)``; keys are ``/``-separated
and relative to the store's root. ``put`` is durable when it returns (a local file is fsynced and renamed
into place; an S3 PUT answered 200), so a part that was put is never half-written.

``S3Store`` uses the MinIO Python SDK (``minio``): AWS Signature V4, any S3-compatible endpoint, about
1 MB installed with no AWS SDK (botocore alone is over 30 MB; the destination image must stay small).
The SDK's own HTTP retries are turned off: ``RetryingStore`` retries every storage request under the
destination's ``RetryPolicy`` (the same policy and budget as the Sense requests), then raises
``StorageError``, which fails the sync: a rejected record is never silently dropped.

Errors name the problem (bucket missing, access denied, bad credentials, endpoint unreachable) and never
the credentials.
"""
from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Callable, Optional, Protocol

from destination_sense.errors import SenseError
from destination_sense.outcomes.settings import STORAGE_LOCAL, STORAGE_S3, StorageSettings
from destination_sense.send.retry import RetryPolicy

#: S3 error codes that retrying cannot fix, with what the user should check.
_S3_CONFIG_ERRORS = {
    "NoSuchBucket": "the bucket does not exist",
    "AccessDenied": "access denied: the credentials may not write to this bucket and path",
    "AllAccessDisabled": "access denied: all access to this bucket is disabled",
    "InvalidAccessKeyId": "the access key id is not known to the store",
    "SignatureDoesNotMatch": "the secret access key does not match the access key id",
    "InvalidBucketName": "the bucket name is not valid",
    "AuthorizationHeaderMalformed": "the region does not match the bucket's region",
    "PermanentRedirect": "the bucket is in another region or behind another endpoint",
}
#: S3 error codes worth retrying (besides 5xx answers and connection failures).
_S3_RETRYABLE = frozenset({"SlowDown", "InternalError", "RequestTimeout", "ServiceUnavailable", "RequestTimeTooSkewed"})


class StorageError(SenseError):
    """The sync-outcomes storage refused or could not be reached (after retries)."""

    def __init__(self, message: str, failure_type: str = "system_error"):
        super().__init__(message)
        self.failure_type = failure_type


class _Retryable(Exception):
    """One storage request failed in a way that retrying may fix."""


class ObjectStore(Protocol):
    root: str

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...

    def delete(self, key: str) -> None: ...

    def location(self, key: str) -> str: ...


class LocalStore:
    """Files under a directory: each put written to a temporary file, fsynced, then renamed into place."""

    def __init__(self, directory: str):
        self.root = str(Path(directory).expanduser())

    def location(self, key: str) -> str:
        return os.path.join(self.root, *key.split("/"))

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self.location(key)
        temporary = f"{path}.partial"
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(temporary, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, path)
        except OSError as exc:
            kind = "config_error" if isinstance(exc, (PermissionError, NotADirectoryError, FileExistsError)) else "system_error"
            raise StorageError(f"Cannot write {path}: {exc.strerror or exc}.", kind) from None

    def delete(self, key: str) -> None:
        try:
            os.unlink(self.location(key))
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError(f"Cannot delete {self.location(key)}: {exc.strerror or exc}.") from None


class S3Store:
    """Objects in an S3 bucket (Amazon S3 or an S3-compatible store), through the MinIO SDK; one attempt per call."""

    def __init__(self, settings: StorageSettings, timeout: float = 60.0):
        import urllib3
        from minio import Minio
        from minio.credentials import ChainedProvider, EnvAWSProvider, IamAwsProvider

        endpoint = settings.endpoint or "https://s3.amazonaws.com"
        scheme, _, host = endpoint.partition("://")
        self.bucket = settings.bucket
        self.prefix = f"{settings.path}/" if settings.path else ""
        self.root = settings.root
        self.endpoint = endpoint
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(10.0, timeout), read=timeout),
            retries=urllib3.Retry(total=0, redirect=0, raise_on_status=False),
            maxsize=4,
        )
        credentials = None
        if not settings.access_key_id:
            credentials = ChainedProvider([EnvAWSProvider(), IamAwsProvider()])
        self._client = Minio(
            host, access_key=settings.access_key_id or None, secret_key=settings.secret_access_key or None,
            region=settings.region or None, secure=scheme == "https", http_client=http, credentials=credentials,
        )

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self._call(lambda: self._client.put_object(self.bucket, self.prefix + key, io.BytesIO(data), len(data), content_type=content_type))

    def delete(self, key: str) -> None:
        self._call(lambda: self._client.remove_object(self.bucket, self.prefix + key))

    def _call(self, request: Callable[[], object]) -> None:
        from minio.error import InvalidResponseError, S3Error, ServerError
        from urllib3.exceptions import HTTPError

        where = f"{self.root} (endpoint {self.endpoint})"
        try:
            request()
        except S3Error as exc:
            if exc.code in _S3_CONFIG_ERRORS:
                raise StorageError(f"The sync outcomes storage {where} answered {exc.code}: {_S3_CONFIG_ERRORS[exc.code]}.", "config_error") from None
            if exc.code in _S3_RETRYABLE or getattr(exc.response, "status", 0) >= 500:
                raise _Retryable(f"the storage answered {exc.code}") from None
            raise StorageError(f"The sync outcomes storage {where} answered {exc.code}: {exc.message}.") from None
        except ServerError as exc:
            raise _Retryable(f"the storage answered HTTP {exc.status_code}") from None
        except InvalidResponseError as exc:
            raise StorageError(f"The sync outcomes storage {where} did not answer as S3 does (HTTP {exc._code}): check s3_endpoint.", "config_error") from None
        except (HTTPError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise _Retryable(f"the storage could not be reached ({type(reason).__name__})") from None


class RetryingStore:
    """An ``ObjectStore`` whose requests are retried under a ``RetryPolicy``; the one retry loop of storage."""

    def __init__(self, store, policy: RetryPolicy, log: Callable[[str], None] = lambda message: None,
                 sleep: Callable[[float], None] = time.sleep):
        self.store = store
        self.root = store.root
        self.policy = policy
        self.log = log
        self.sleep = sleep
        self.retries = 0
        self.failed = False  # a request failed for good: a failed sync does not wait on this store again

    def location(self, key: str) -> str:
        return self.store.location(key)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self._retrying(f"writing {self.location(key)}", lambda: self.store.put(key, data, content_type))

    def delete(self, key: str) -> None:
        self._retrying(f"deleting {self.location(key)}", lambda: self.store.delete(key))

    def _retrying(self, what: str, once: Callable[[], None]) -> None:
        schedule = self.policy.start()
        while True:
            try:
                once()
                return
            except StorageError:
                self.failed = True
                raise
            except _Retryable as exc:
                wait = schedule.next_wait()
                if wait is None:
                    self.failed = True
                    raise StorageError(
                        f"The sync outcomes storage failed while {what}: {exc}; giving up after {schedule.failures} attempts in "
                        f"{schedule.elapsed:.0f} s ({schedule.why_not}).", "transient_error",
                    ) from None
                self.retries += 1
                self.log(f"Sync outcomes storage: {exc} while {what}; retry {schedule.retries} in {wait:.1f} s.")
                self.sleep(wait)


def open_store(settings: StorageSettings, policy: RetryPolicy, log: Callable[[str], None] = lambda message: None) -> Optional[RetryingStore]:
    """The store the settings name, with retries; None when no storage is configured."""
    if settings.storage_type == STORAGE_LOCAL:
        return RetryingStore(LocalStore(settings.local_path), policy, log)
    if settings.storage_type == STORAGE_S3:
        return RetryingStore(S3Store(settings), policy, log)
    return None


def probe(store: RetryingStore, key: str) -> None:
    """Write and delete a small object: raises ``StorageError`` naming the problem when the store is not writable."""
    store.put(key, b"destination-sense check\n", "text/plain")
    store.delete(key)
