"""Start ``sense-writeback serve`` as a subprocess (for tests, benchmarks and demos).

    with start_receiver(db=path, tokens=["a-long-random-token-1"]) as receiver:
        requests.post(receiver.event_url, json=writeback, headers=receiver.bearer())
        receiver.metric("sense_writeback_stored_total", type="GENERIC_EVENT")

Tokens and the database URL are passed through the environment, never on the command line.
No pytest import here.
"""
from __future__ import annotations

import os
import signal
import subprocess
from typing import Dict, Iterable, List, Optional

import requests
from prometheus_client.parser import text_string_to_metric_families

from console_scripts.finder import console_command
from console_scripts.server_process import read_log, start_server, stop_process


def receiver_command() -> List[str]:
    """The ``sense-writeback`` console script of the running interpreter's environment."""
    return console_command("sense-writeback", "sense_writeback")


def sample_writeback(sense_id: str = "wb-1", writeback_type: str = "GENERIC_EVENT", **overrides) -> dict:
    """A small valid write-back (GENERIC_EVENT unless another type and its ``data`` are given)."""
    doc = {
        "id": sense_id,
        "type": writeback_type,
        "version": 1.0,
        "created_date": "2024-05-01T10:00:00+00:00",
        "data": {"summary": "Candidate replied", "subject": {"id": "1001", "type": "AE_CANDIDATE"},
                 "associated_entities": [{"id": "2002", "type": "AE_JOB_ORDER"}], "user_defined_data": {}},
    }
    doc.update(overrides)
    return doc


class ReceiverProcess:
    def __init__(self, proc: subprocess.Popen, base_url: str, tokens: List[str], log_path: str,
                 event_path: str = "/event"):
        self.proc = proc
        self.base_url = base_url
        self.event_url = base_url + event_path
        self.tokens = tokens
        self.log_path = log_path
        self.session = requests.Session()

    def bearer(self, token: Optional[str] = None) -> Dict[str, str]:
        return {"Authorization": f"Bearer {token or self.tokens[0]}"}

    def post(self, doc, *, token: Optional[str] = None, query: bool = False, **kwargs) -> requests.Response:
        """POST a write-back (a dict as JSON, bytes as is) with the first token in the header (or query)."""
        params = {"token": token or self.tokens[0]} if query else None
        headers = dict(kwargs.pop("headers", {}) or {})
        if not query and "Authorization" not in headers and (token or self.tokens):
            headers.update(self.bearer(token))
        body = doc if isinstance(doc, (bytes, str)) else None
        return self.session.post(self.event_url, params=params, headers=headers,
                                 json=None if body is not None else doc, data=body, timeout=30, **kwargs)

    def metrics(self) -> Dict[tuple, float]:
        """Every sample of ``/metrics`` as ``{(name, (label pairs...)): value}``."""
        text = self.session.get(self.base_url + "/metrics", timeout=30).text
        samples = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    def metric(self, name: str, **labels) -> float:
        return self.metrics().get((name, tuple(sorted(labels.items()))), 0.0)

    def log(self) -> str:
        return read_log(self.log_path)

    def running(self) -> bool:
        return self.proc.poll() is None

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 30.0) -> Optional[int]:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; the exit status."""
        code = stop_process(self.proc, timeout)
        self.session.close()
        return code

    def __enter__(self) -> "ReceiverProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_receiver(
    *,
    db: Optional[str] = None,
    database_url: Optional[str] = None,
    tokens: Iterable[str] = ("test-token-0123456789abcdef",),
    extra_args: Iterable[str] = (),
    env: Optional[Dict[str, str]] = None,
    event_path: str = "/event",
    startup_timeout: float = 30.0,
    log_path: Optional[str] = None,
    program: Optional[List[str]] = None,
) -> ReceiverProcess:
    """Start ``sense-writeback serve --port 0`` (``program``, else this environment's) and wait for its base URL line."""
    tokens = list(tokens)
    args = (program or receiver_command()) + ["serve", "--host", "127.0.0.1", "--port", "0"]
    if db is not None:
        args += ["--db", str(db)]
    args += list(extra_args)
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("SENSE_WRITEBACK_")}
    if tokens:
        child_env["SENSE_WRITEBACK_TOKENS"] = ",".join(tokens)
    if database_url:
        child_env["SENSE_WRITEBACK_DATABASE_URL"] = database_url
    child_env.update(env or {})
    proc, line, log_path = start_server("sense-writeback", args, child_env, startup_timeout, log_path)
    return ReceiverProcess(proc, line, tokens, log_path, event_path)
