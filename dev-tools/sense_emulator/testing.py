"""Start the emulator as a subprocess and talk to its admin surface (for tests, benchmarks, demos).

    with start_emulator(token_ttl=2) as emu:
        token = emu.token()
        requests.post(f"{emu.api_url}/candidates", json=[{"id": "1"}], headers=emu.auth_headers(token))
        emu.admin.stats()["collections"]["candidates"]["records"]  # 1

No pytest import here: the fixtures live in ``dev-tools/sense_testing/fixtures_sense.py``.
"""
from __future__ import annotations

import os
import subprocess
from typing import Any, Dict, Iterable, List, Optional

import requests

from console_scripts.finder import console_command
from console_scripts.server_process import read_log, start_server, stop_process
from sense_emulator.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TOKEN_TTL, destination_config


class AdminClient:
    """A small client of ``/_admin`` (returns parsed JSON; raises on HTTP errors)."""

    def __init__(self, base_url: str, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _call(self, method: str, path: str, **kwargs) -> Any:
        response = self.session.request(method, f"{self.base_url}/_admin/{path}", timeout=self.timeout, **kwargs)
        response.raise_for_status()
        return response.json()

    def health(self) -> bool:
        return self._call("GET", "health").get("ok") is True

    def config(self) -> dict:
        return self._call("GET", "config")

    def stats(self) -> dict:
        return self._call("GET", "stats")

    def collection_stats(self, collection: str) -> dict:
        return self.stats()["collections"][collection]

    def requests(self, since: int = 0, limit: Optional[int] = None) -> List[dict]:
        params: Dict[str, Any] = {"since": since}
        if limit is not None:
            params["limit"] = limit
        return self._call("GET", "requests", params=params)["requests"]

    def entities(self, collection: str, ids: Optional[Iterable[str]] = None) -> List[dict]:
        """Stored entities of a collection (soft-deleted ones included), first-received order."""
        params = {"ids": ",".join(ids)} if ids is not None else None
        return self._call("GET", f"entities/{collection}", params=params)["entities"]

    def entities_by_id(self, collection: str) -> Dict[str, dict]:
        return {e["id"]: e for e in self.entities(collection)}

    def entity(self, collection: str, entity_id: str) -> Optional[dict]:
        found = self.entities(collection, [entity_id]) if "," not in entity_id else [
            e for e in self.entities(collection) if e["id"] == entity_id
        ]
        return found[0] if found else None

    def counts(self) -> Dict[str, int]:
        return self._call("GET", "entities")

    def resumes(self, candidate_id: Optional[str] = None) -> List[dict]:
        params = {"candidate_id": candidate_id} if candidate_id is not None else None
        return self._call("GET", "resumes", params=params)["resumes"]

    def dangling(self) -> dict:
        """``{"counts": {collection: n}, "total": n, "examples": {collection: [...]}}``."""
        return self._call("GET", "dangling")

    def faults(self, **spec: Any) -> dict:
        """Configure faults (keys of ``sense_emulator.faults``); returns the fault state."""
        return self._call("POST", "faults", json=spec)

    def get_faults(self) -> dict:
        return self._call("GET", "faults")

    def clear_faults(self) -> dict:
        return self._call("DELETE", "faults")

    def reset(self, tokens: bool = False) -> dict:
        """Clear store, stats, request log, dangling counts, faults and write-backs (and tokens if asked)."""
        return self._call("POST", "reset", json={"tokens": tokens})

    # -- the write-back dispatcher (see sense_emulator.writebacks.dispatcher_admin) -------------------------
    def configure_writebacks(self, **spec: Any) -> dict:
        """``url``, ``auth={"mode": ..., ...}``, ``timeout``, ``retry={...}``, ``concurrency``."""
        return self._call("POST", "writebacks/config", json=spec)

    def writeback_config(self) -> dict:
        return self._call("GET", "writebacks/config")

    def enqueue_writebacks(self, count: Optional[int] = None, types: Optional[List[str]] = None, **spec: Any) -> List[str]:
        """Queue seeded write-backs (all ten types by default); returns their ids."""
        body = dict(spec, **({"count": count} if count is not None else {}), **({"types": types} if types else {}))
        return self._call("POST", "writebacks", json=body)["ids"]

    def enqueue_envelopes(self, envelopes: List[dict]) -> List[str]:
        return self._call("POST", "writebacks", json={"writebacks": envelopes})["ids"]

    def writebacks(self, status: Optional[str] = None, type: Optional[str] = None) -> List[dict]:  # noqa: A002
        params = {k: v for k, v in (("status", status), ("type", type)) if v}
        return self._call("GET", "writebacks", params=params)["writebacks"]

    def writeback(self, writeback_id: str) -> dict:
        return self._call("GET", f"writebacks/{writeback_id}")

    def writeback_stats(self) -> dict:
        return self._call("GET", "writebacks/stats")

    def wait_writebacks(self, timeout: float = 60.0) -> dict:
        """Block until none is pending or sending; ``{"done": bool, "stats": {...}}``."""
        response = self.session.post(f"{self.base_url}/_admin/writebacks/wait", json={"timeout": timeout},
                                     timeout=timeout + self.timeout)
        response.raise_for_status()
        return response.json()

    def pause_writebacks(self, paused: bool = True) -> dict:
        return self._call("POST", "writebacks/pause" if paused else "writebacks/resume", json={})

    def redeliver_writeback(self, writeback_id: str) -> dict:
        return self._call("POST", f"writebacks/{writeback_id}/redeliver", json={})

    def clear_writebacks(self) -> dict:
        return self._call("DELETE", "writebacks")


def emulator_command() -> List[str]:
    """The ``sense-emulator`` console script of the running interpreter's environment."""
    return console_command("sense-emulator", "sense_emulator")


class EmulatorProcess:
    """A running ``sense-emulator`` subprocess and its URLs."""

    def __init__(self, proc: subprocess.Popen, base_url: str, client_id: str, client_secret: str,
                 token_ttl: int, db: Optional[str], log_path: str):
        self.proc = proc
        self.base_url = base_url
        urls = destination_config(base_url, client_id, client_secret)
        self.api_url = urls["api_url"]
        self.token_url = urls["token_url"]
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = token_ttl
        self.db = db
        self.log_path = log_path
        self.admin = AdminClient(base_url)

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    def token(self) -> str:
        """A fresh access token for the configured client."""
        response = requests.post(
            self.token_url,
            data={"client_id": self.client_id, "client_secret": self.client_secret, "grant_type": "client_credentials"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def auth_headers(self, token: Optional[str] = None) -> Dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token()}"}

    def log(self) -> str:
        return read_log(self.log_path)

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """SIGTERM, then SIGKILL if it does not exit in ``timeout`` seconds; returns the exit code."""
        code = stop_process(self.proc, timeout)
        self.admin.session.close()
        return code

    def __enter__(self) -> "EmulatorProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_emulator(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    token_ttl: int = DEFAULT_TOKEN_TTL,
    db: Optional[str] = None,
    missing_entity: Optional[str] = None,
    extra_args: Iterable[str] = (),
    startup_timeout: float = 15.0,
    log_path: Optional[str] = None,
) -> EmulatorProcess:
    """Start ``sense-emulator`` (``--port 0`` by default) and wait for its base URL line."""
    args = emulator_command() + [
        "--host", host, "--port", str(port), "--client-id", client_id, "--token-ttl", str(token_ttl),
    ]
    if db:
        args += ["--db", str(db)]
    if missing_entity:
        args += ["--missing-entity", missing_entity]
    args += list(extra_args)
    env = dict(os.environ, SENSE_EMULATOR_CLIENT_SECRET=client_secret)  # not on the command line
    proc, base_url, log_path = start_server("sense-emulator", args, env, startup_timeout, log_path)
    return EmulatorProcess(proc, base_url, client_id, client_secret, token_ttl, db, log_path)
