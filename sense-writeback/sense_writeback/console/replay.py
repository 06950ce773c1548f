"""Replay from the console: the forwarder's own ``Forwarder.replay`` (what ``sense-writeback replay`` runs),
in a background thread, one job at a time, its outcome kept for the page that shows it.

A replay waits for Bullhorn while Bullhorn is unreachable (as the command does), so the console
does not hold the request open: it starts a job, waits a few seconds for it, and shows the job's
page, which reloads itself until the job is done.
"""
from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional

from sense_writeback.console.settings import ReplaySettings

log = logging.getLogger("sense_writeback.console")
KEEP_JOBS = 50


class ReplayUnavailable(Exception):
    """Replay is not configured here (the message says what is missing)."""


@dataclass
class Job:
    id: str
    seqs: List[int]
    label: str
    started: float = field(default_factory=time.time)
    finished: Optional[float] = None
    summary: Optional[Dict[str, int]] = None
    error: Optional[str] = None
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def state(self) -> str:
        if not self.done.is_set():
            return "running"
        return "failed" if self.error else "done"


def scrub(text: str, secrets_: Iterable[str]) -> str:
    """``text`` without any of ``secrets_`` (the client's errors name no token; this makes sure)."""
    for secret in sorted((s for s in secrets_ if s), key=len, reverse=True):
        text = text.replace(secret, "<redacted>")
    return text


def forward_settings(replay: ReplaySettings):
    """The forwarder's settings for a replay: its defaults, overridden by the console's ``replay`` settings."""
    from sense_writeback.forward.settings import ForwardSettings, parse_actions

    settings = ForwardSettings()
    for name, attribute in (("bullhorn_auth_url", "auth_base_url"), ("bullhorn_login_url", "rest_login_url"),
                            ("state_file", "state_file"), ("entity_delete", "entity_delete"),
                            ("entity_create", "entity_create"), ("commenting_person", "default_commenting_person")):
        value = getattr(replay, name)
        if value is not None:
            setattr(settings, attribute, value)
    settings.actions = parse_actions([f"{k}={v}" for k, v in replay.actions.items()])
    return settings


class Replays:
    """Starts replay jobs against one store and keeps the last ``KEEP_JOBS`` of them."""

    def __init__(self, store, replay: ReplaySettings, env: Optional[Mapping[str, str]] = None):
        self.store = store
        self.replay = replay
        self.env = os.environ if env is None else env
        self.jobs: Dict[str, Job] = {}
        self._lock = threading.Lock()
        self._running = threading.Lock()

    def unavailable_reason(self) -> Optional[str]:
        from sense_writeback.forward.settings import SettingsError, credentials

        try:
            credentials(self.env)
        except SettingsError as exc:
            return f"replay needs the forwarder's Bullhorn credentials in the receiver's environment: {exc}"
        return None

    def start(self, seqs: List[int], label: str) -> Job:
        reason = self.unavailable_reason()
        if reason:
            raise ReplayUnavailable(reason)
        job = Job(id=secrets.token_hex(8), seqs=sorted(set(seqs)), label=label)
        with self._lock:
            self.jobs[job.id] = job
            for old in list(self.jobs)[:-KEEP_JOBS]:
                del self.jobs[old]
        threading.Thread(target=self._run, args=(job,), name=f"console-replay-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Optional[Job]:
        with self._lock:
            return self.jobs.get(job_id)

    def _run(self, job: Job) -> None:
        from sense_writeback.forward.bullhorn_client import client_for
        from sense_writeback.forward.settings import credentials
        from sense_writeback.forward.worker import Forwarder

        with self._running:  # one replay at a time: they share the Bullhorn session's state file
            try:
                settings = forward_settings(self.replay)
                forwarder = Forwarder(self.store, client_for(settings, credentials(self.env)), settings)
                try:
                    job.summary = forwarder.replay(set(job.seqs))
                finally:
                    forwarder.ledger.close()
                log.info("console replay %s (%s): %s", job.id, job.label, job.summary)
            except Exception as exc:  # shown on the job's page: scrubbed of every credential value
                job.error = scrub(f"{type(exc).__name__}: {exc}", credentials(self.env).values())
                log.error("console replay %s failed: %s", job.id, job.error)
            finally:
                job.finished = time.time()
                job.done.set()
