"""A real S3-compatible server for tests: moto's standalone server (``moto[server]``) as a subprocess.

``start_s3_server()`` starts one on a free loopback port with request signing enforced (moto checks
credentials once its first few unauthenticated calls are spent: here, creating the test user, its access
key and its policy), and returns an ``S3Server``: its endpoint, a valid access key pair, ``create_bucket``,
``objects``/``read`` to look at what a test wrote, and ``stop``. Stopping it is how a test makes the
storage fail mid-sync (moto keeps everything in memory: read what you need before stopping it).
"""
from __future__ import annotations

import gzip
import io
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List

from console_scripts.server_process import read_log, stop_process

REGION = "us-east-1"
#: moto answers this many calls without checking credentials: the three that create the test user below.
UNAUTHENTICATED_SETUP_CALLS = 3
_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
_buckets = itertools.count(1)


class S3Unavailable(RuntimeError):
    """moto's server could not be started here."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class S3Server:
    proc: subprocess.Popen
    endpoint: str
    access_key_id: str
    secret_access_key: str
    log_path: str
    region: str = REGION
    buckets: List[str] = field(default_factory=list)

    def client(self):
        """A MinIO client with the valid key (the library the destination uses)."""
        from minio import Minio

        return Minio(self.endpoint.split("://", 1)[1], access_key=self.access_key_id, secret_key=self.secret_access_key,
                     region=self.region, secure=False)

    def create_bucket(self, prefix: str = "outcomes") -> str:
        name = f"{prefix}-{next(_buckets)}-{os.getpid()}"
        self.client().make_bucket(name)
        self.buckets.append(name)
        return name

    def storage_config(self, bucket: str, path: str = "", **overrides: Any) -> Dict[str, Any]:
        """The destination's ``object_storage_config`` for ``bucket`` on this server."""
        config = {"storage_type": "S3", "s3_bucket_name": bucket, "s3_bucket_region": self.region, "bucket_path": path,
                  "s3_endpoint": self.endpoint, "access_key_id": self.access_key_id, "secret_access_key": self.secret_access_key}
        config.update(overrides)
        return config

    def objects(self, bucket: str, prefix: str = "") -> List[str]:
        return sorted(o.object_name for o in self.client().list_objects(bucket, prefix=prefix, recursive=True))

    def read(self, bucket: str, key: str) -> bytes:
        response = self.client().get_object(bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def json_lines(self, bucket: str, key: str) -> List[Dict[str, Any]]:
        """The lines of a gzip JSON Lines object."""
        with gzip.open(io.BytesIO(self.read(bucket, key))) as f:
            return [json.loads(line) for line in f]

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        stop_process(self.proc)


def start_s3_server(timeout: float = 30.0) -> S3Server:
    """Start moto's server with credentials enforced; raises ``S3Unavailable`` with its log when it cannot."""
    try:
        import boto3  # moto[server] brings it: the IAM calls that create the test user
    except ImportError as exc:  # pragma: no cover - moto[server] is a test requirement
        raise S3Unavailable(f"moto[server] is not installed: {exc}") from None
    port = _free_port()
    fd, log_path = tempfile.mkstemp(prefix="moto-server-", suffix=".log")
    os.close(fd)
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(UNAUTHENTICATED_SETUP_CALLS))
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise S3Unavailable(f"moto's server exited ({proc.returncode}): {read_log(log_path)[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                stop_process(proc)
                raise S3Unavailable(f"moto's server did not listen within {timeout:.0f} s: {read_log(log_path)[-2000:]}") from None
            time.sleep(0.1)
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="setup", aws_secret_access_key="setup")
    iam.create_user(UserName="sense-outcomes")
    key = iam.create_access_key(UserName="sense-outcomes")["AccessKey"]
    iam.put_user_policy(UserName="sense-outcomes", PolicyName="s3", PolicyDocument=json.dumps(_POLICY))
    return S3Server(proc, endpoint, key["AccessKeyId"], key["SecretAccessKey"], log_path)
