"""Reading the destination's sync outcomes: runs, their ``report.json`` and their rejected records.

Layout (written by destination-sense, see docs/destination-sense.md "Sync outcomes")::

    <root>/<connection_id>/<start>-<run_id>/report.json
    <root>/<connection_id>/<start>-<run_id>/rejected/...   (gzip JSON Lines)

``<start>`` is ``YYYYMMDDTHHMMSSZ``, so names sort by time. The root is a local directory or
``s3://bucket/path`` (read with minio, the S3 client the destination writes with). Only names that
the listing itself returned, or keys named by a run's report, are ever opened: a request cannot
reach a path outside the root.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Tuple

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
RUN = re.compile(r"^(\d{8}T\d{6}Z)-([A-Za-z0-9._-]{1,100})$")
KEY = re.compile(r"^(rejected|results)/[A-Za-z0-9._/%-]{1,300}$")  # stream folders are percent-encoded


class OutcomesUnavailable(Exception):
    """The sync-outcomes location cannot be read (the message names the problem, never a secret)."""


@dataclass
class Run:
    connection_id: str
    name: str  # <start>-<run_id>
    report: Optional[Dict[str, Any]]
    problem: Optional[str] = None  # report.json missing or unreadable

    @property
    def started(self) -> str:
        start = RUN.match(self.name).group(1)
        return f"{start[0:4]}-{start[4:6]}-{start[6:8]}T{start[9:11]}:{start[11:13]}:{start[13:15]}Z"

    @property
    def status(self) -> str:
        return str((self.report or {}).get("status") or "unknown")

    @property
    def entities(self) -> Dict[str, Dict[str, Any]]:
        entities = (self.report or {}).get("entities")
        return entities if isinstance(entities, dict) else {}

    @property
    def rejected_total(self) -> int:
        streams = (self.report or {}).get("streams")
        if not isinstance(streams, dict):
            return 0
        return sum(int(s.get("rejected") or 0) for s in streams.values() if isinstance(s, dict))

    def rejected_files(self) -> List[Dict[str, Any]]:
        files = ((self.report or {}).get("files") or {}).get("rejected") or []
        return [f for f in files if isinstance(f, dict) and isinstance(f.get("key"), str) and KEY.match(f["key"])
                and ".." not in f["key"].split("/")]


class Storage:
    """What a root is asked: list names under a prefix, read an object."""

    def list(self, prefix: str) -> List[str]:
        raise NotImplementedError

    def read(self, key: str) -> bytes:
        raise NotImplementedError


class LocalStorage(Storage):
    def __init__(self, root: str):
        self.root = os.path.abspath(root)

    def list(self, prefix: str) -> List[str]:
        path = os.path.join(self.root, prefix)
        try:
            return sorted(os.listdir(path))
        except FileNotFoundError:
            if not prefix:
                raise OutcomesUnavailable("the sync-outcomes directory does not exist") from None
            return []
        except OSError as exc:
            raise OutcomesUnavailable(f"cannot list the sync-outcomes directory: {exc.strerror}") from None

    def read(self, key: str) -> bytes:
        try:
            with open(os.path.join(self.root, key), "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise FileNotFoundError(key) from exc


class S3Storage(Storage):
    """An ``s3://bucket/path`` root, read with minio (the MinIO Python SDK)."""

    def __init__(self, root: str, endpoint: Optional[str], region: Optional[str], access_key: Optional[str],
                 secret_key: Optional[str]):
        from urllib.parse import urlparse

        try:
            from minio import Minio
        except ImportError:
            raise OutcomesUnavailable("an s3:// sync-outcomes root needs the minio package "
                                      "(pip install 'sense-writeback[s3]')") from None
        import urllib3

        parsed = urlparse(root)
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        endpoint_url = urlparse(endpoint or "https://s3.amazonaws.com")
        # a page waits for this: short timeouts and a few quick retries, not minio's default patience
        http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=5, read=30), maxsize=4,
                                   retries=urllib3.Retry(total=2, backoff_factor=0.2,
                                                         status_forcelist=(500, 502, 503, 504)))
        self.client = Minio(endpoint_url.netloc, access_key=access_key, secret_key=secret_key, region=region,
                            secure=endpoint_url.scheme != "http", http_client=http)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def list(self, prefix: str) -> List[str]:
        from minio.error import S3Error

        full = self._key(prefix).rstrip("/") + "/" if (prefix or self.prefix) else ""
        try:
            names = []
            for item in self.client.list_objects(self.bucket, prefix=full):
                name = item.object_name[len(full):].rstrip("/")
                if name:
                    names.append(name)
            return sorted(names)
        except S3Error as exc:
            raise OutcomesUnavailable(f"cannot list the sync-outcomes bucket: {exc.code}") from None
        except Exception as exc:  # connection refused, DNS, TLS
            raise OutcomesUnavailable(f"cannot reach the sync-outcomes endpoint: {type(exc).__name__}") from None

    def read(self, key: str) -> bytes:
        from minio.error import S3Error

        try:
            response = self.client.get_object(self.bucket, self._key(key))
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                raise FileNotFoundError(key) from None
            raise OutcomesUnavailable(f"cannot read from the sync-outcomes bucket: {exc.code}") from None
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()


def open_storage(settings) -> Storage:
    root = settings.sync_outcomes
    if root.startswith("s3://"):
        return S3Storage(root, settings.s3_endpoint, settings.s3_region, settings.s3_access_key,
                         settings.s3_secret_key)
    return LocalStorage(root)


class SyncOutcomes:
    def __init__(self, storage: Storage):
        self.storage = storage

    def runs(self, limit: int = 100) -> List[Run]:
        """The newest ``limit`` runs over every connection, newest first."""
        found: List[Tuple[str, str]] = []
        for connection in self.storage.list(""):
            if not NAME.match(connection):
                continue
            found += [(name, connection) for name in self.storage.list(connection) if RUN.match(name)]
        found.sort(reverse=True)
        return [self._run(connection, name) for name, connection in found[:limit]]

    def run(self, connection_id: str, name: str) -> Optional[Run]:
        if not NAME.match(connection_id) or not RUN.match(name):
            return None
        if name not in self.storage.list(connection_id):
            return None
        return self._run(connection_id, name)

    def _run(self, connection_id: str, name: str) -> Run:
        try:
            report = json.loads(self.storage.read(f"{connection_id}/{name}/report.json"))
        except FileNotFoundError:
            return Run(connection_id, name, None, "no report.json (the sync may still be running)")
        except ValueError:
            return Run(connection_id, name, None, "report.json is not valid JSON")
        if not isinstance(report, dict):
            return Run(connection_id, name, None, "report.json is not an object")
        return Run(connection_id, name, report)

    def rejected_file(self, run: Run, key: str) -> bytes:
        """The gzip bytes of one rejected-records file named by the run's report."""
        if key not in {f["key"] for f in run.rejected_files()}:
            raise FileNotFoundError(key)
        return self.storage.read(f"{run.connection_id}/{run.name}/{key}")


def rejected_lines(data: bytes, offset: int = 0, limit: int = 100) -> Tuple[List[Dict[str, Any]], bool]:
    """Records ``offset``..``offset+limit`` of a gzip JSON Lines file, and whether more follow."""
    out: List[Dict[str, Any]] = []
    more = False
    for index, line in enumerate(_lines(data)):
        if index < offset:
            continue
        if len(out) == limit:
            more = True
            break
        try:
            record = json.loads(line)
        except ValueError:
            record = {"unreadable_line": line.decode("utf-8", "replace")[:2000]}
        out.append(record if isinstance(record, dict) else {"value": record})
    return out, more


def _lines(data: bytes) -> Iterator[bytes]:
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
        for line in handle:
            if line.strip():
                yield line
