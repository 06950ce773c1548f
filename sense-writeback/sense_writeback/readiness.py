"""Liveness and readiness: ``/healthz`` (the process serves) and ``/readyz`` (storage usable).

``/healthz`` answers 200 while the process serves requests and the store's writer thread runs; it
never looks at the database, so an orchestrator does not restart every replica during a database
outage (restarting would not help, and the receiver reconnects by itself).

``/readyz`` answers 200 when the store's probe passes (storage reachable, schema at the current
version, writable) and 503 with a short reason otherwise, so that a load balancer sends Sense to a
replica that can store. One probe runs at a time; requests arriving meanwhile share its answer, and
an answer is reused for ``cache_seconds`` so that frequent probes cost the database little. A probe
that does not answer within ``timeout`` seconds counts as a failure.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Optional, Tuple

log = logging.getLogger("sense_writeback.readiness")


class Readiness:
    def __init__(self, store, timeout: float = 2.0, cache_seconds: float = 0.5):
        self.store = store
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self._last: Optional[Tuple[float, Optional[str]]] = None
        self._running: Optional[asyncio.Future] = None
        self._ready: Optional[bool] = None

    async def problem(self) -> Optional[str]:
        """``None`` when ready, else the reason (short, without secrets)."""
        if self._last is not None and time.monotonic() - self._last[0] < self.cache_seconds:
            return self._last[1]
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(self._probe())
        return await asyncio.shield(self._running)

    async def _probe(self) -> Optional[str]:
        try:
            await asyncio.wait_for(asyncio.to_thread(_probe_of(self.store)), self.timeout)
            reason = None
        except asyncio.TimeoutError:
            reason = f"storage did not answer within {self.timeout:g} s"
        except Exception as exc:  # StorageUnavailable, or any driver error: not ready
            reason = _reason(exc)
        self._last = (time.monotonic(), reason)
        ready = reason is None
        if ready != self._ready:
            if ready:
                log.info("ready: storage reachable, migrated and writable")
            else:
                log.warning("not ready: %s", reason)
            self._ready = ready
        return reason

    def live(self) -> bool:
        return self.store.writer_alive


def _probe_of(store):
    probe = getattr(store, "probe", None)
    if probe is not None:
        return probe

    def reachable() -> None:  # until the store's own probe: the tables answer a read
        with store.reader() as conn:
            conn.cursor().execute("SELECT COUNT(*) FROM writebacks WHERE seq < 0")
    return reachable


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__
