"""Helpers for the forwarder's tests: write-backs about the Bullhorn emulator's own records, and
``sense-writeback forward`` / ``replay`` as real subprocesses against the emulator."""
from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Dict, List, Optional

import requests

from sense_api.bullhorn import streams
from sense_api.writebacks import COLLECTION_BY_ENTITY_TYPE
from sense_testing.fixtures_bullhorn import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET
from sense_emulator.writebacks.seed import EntityPool, Seeder
from sense_testing.writeback_receiver import receiver_command

WRITEBACK_COLLECTIONS = set(COLLECTION_BY_ENTITY_TYPE.values())


def bullhorn_pool(emulator, limit: int = 20) -> EntityPool:
    """An ``EntityPool`` of the emulator's records (ids as Sense holds them after a sync: strings)."""
    pool = EntityPool.__new__(EntityPool)
    pool.by_collection = {}
    for stream in streams():
        if stream.collection not in WRITEBACK_COLLECTIONS:
            continue  # leads: Sense sends no write-back about them
        entity, name = stream.bullhorn_entity, stream.collection
        rows = requests.get(f"{emulator.base_url}/_admin/records", params={"entity": entity}, timeout=30).json()["records"]
        pool.by_collection[name] = [{"id": str(r["id"]), "first_name": f"First{r['id']}"} for r in rows[:limit]]
    return pool


def writebacks(emulator, count: int, seed: int = 5) -> List[dict]:
    """``count`` write-backs of every type about the emulator's records, as Sense builds them."""
    return Seeder(bullhorn_pool(emulator), seed=seed).build_many(count)


def notes(emulator) -> List[dict]:
    return requests.get(f"{emulator.base_url}/_admin/notes", timeout=30).json()["notes"]


def forward_env(refresh_token: str, database_url: Optional[str] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENSE_WRITEBACK_")}
    if database_url:
        env["SENSE_WRITEBACK_DATABASE_URL"] = database_url
    env.update({"SENSE_WRITEBACK_BULLHORN_CLIENT_ID": EMULATOR_CLIENT_ID,
                "SENSE_WRITEBACK_BULLHORN_CLIENT_SECRET": EMULATOR_CLIENT_SECRET,
                "SENSE_WRITEBACK_BULLHORN_REFRESH_TOKEN": refresh_token})
    return env


def forward_args(emulator, db: str, state_file: str, command: str = "forward", extra=(),
                 program: Optional[List[str]] = None) -> List[str]:
    """``sense-writeback <command> …`` (``program``, else this environment's console script)."""
    program = program or receiver_command()
    if command == "dead-letters":
        return program + [command, "--db", db, *extra]
    return program + [command, "--db", db, "--bullhorn-auth-url", emulator.auth_base_url,
                                 "--bullhorn-login-url", emulator.rest_login_url, "--state-file", state_file, *extra]


def run_forward(emulator, db: str, state_file: str, refresh_token: str, command: str = "forward",
                extra=("--once",), timeout: float = 300, database_url: Optional[str] = None,
                program: Optional[List[str]] = None) -> subprocess.CompletedProcess:
    """Run ``command`` to its end (``db`` is ignored when ``database_url`` is given)."""
    return subprocess.run(forward_args(emulator, db, state_file, command, extra, program),
                          env=forward_env(refresh_token, database_url),
                          capture_output=True, text=True, timeout=timeout)


def start_forward(emulator, db: str, state_file: str, refresh_token: str, log_path: str, extra=(),
                  database_url: Optional[str] = None) -> subprocess.Popen:
    """``forward`` running in the background (``db`` is ignored when ``database_url`` is given)."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(forward_args(emulator, db, state_file, "forward", extra),
                                env=forward_env(refresh_token, database_url),
                                stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL)


def last_json_line(text: str) -> Optional[dict]:
    for line in reversed(text.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return None


def lease_owner(database_url: str) -> str:
    """The owner of the forwarders' lease on a PostgreSQL database (``host:pid:…``), or ``""``."""
    import psycopg

    try:
        with psycopg.connect(database_url) as conn:
            row = conn.execute("SELECT owner FROM forward_lease").fetchone()
    except psycopg.errors.UndefinedTable:  # no forwarder has started yet
        return ""
    return row[0] if row else ""


def wait_until(condition, seconds: float, interval: float = 0.1) -> bool:
    """Whether ``condition()`` became true within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False
