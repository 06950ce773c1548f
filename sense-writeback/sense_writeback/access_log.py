"""Access log as ASGI middleware: one line per request with the path only.

The query string is never written (a pre-shared token may travel in it), nor are headers. The
line: UTC time, client address, method, path, status, duration in ms and, on the event path, the
accepted auth mode (from ``scope["state"]``). Lines are buffered and written to stderr together at
most ``interval`` seconds later (and on ``flush()`` at shutdown): a write-back costs no write
syscall of its own, which matters at thousands of requests per second.

Order: ``keep_order_with(handler)`` makes a logging handler that writes to the same stream flush the
pending access lines before each record it emits, so an access line never appears after a log line
written later (a warning of the next request, uvicorn's "Shutting down").
"""
from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from typing import List, Optional, TextIO


class AccessLog:
    def __init__(self, app, enabled: bool = True, stream: Optional[TextIO] = None, interval: float = 0.2):
        self.app = app
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.interval = interval
        self._lines: List[str] = []
        self._lock = threading.Lock()  # other threads' log records flush too
        self._scheduled = False
        self._second = -1
        self._stamp = ""

    def _now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
        return self._stamp

    def flush(self) -> None:
        with self._lock:
            self._scheduled = False
            if not self._lines:
                return
            lines, self._lines = self._lines, []
            try:
                self.stream.write("".join(lines))
                self.stream.flush()
            except (OSError, ValueError):  # stderr gone at shutdown
                pass

    def keep_order_with(self, handler: logging.Handler) -> None:
        """Flush the pending access lines before ``handler`` emits any record."""
        handler.addFilter(self._flush_first)

    def _flush_first(self, record: logging.LogRecord) -> bool:
        self.flush()
        return True

    def _record(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)
        if not self._scheduled:
            self._scheduled = True
            try:
                asyncio.get_running_loop().call_later(self.interval, self.flush)
            except RuntimeError:
                self.flush()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.enabled:
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = [0]

        async def capture(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            client = scope.get("client")
            mode = (scope.get("state") or {}).get("auth_mode", "-")
            self._record(f'{self._now()} access {client[0] if client else "-"} "{scope["method"]} {scope["path"]}" '
                         f'{status[0] or 500} {(time.perf_counter() - start) * 1000:.1f}ms {mode}\n')
