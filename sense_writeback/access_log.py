"""Access log as ASGI middleware: one line per request with the path only.

The query string is never written (a pre-shared token may travel in it), nor are headers. The
line: client address, method, path, status, duration in ms and, on the event path, the accepted
auth mode (from ``scope["state"]``).
"""
from __future__ import annotations

import logging
import time

log = logging.getLogger("sense_writeback.access")


class AccessLog:
    def __init__(self, app, enabled: bool = True):
        self.app = app
        self.enabled = enabled

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
            log.info('%s "%s %s" %d %.1fms %s', client[0] if client else "-", scope["method"], scope["path"],
                     status[0] or 500, (time.perf_counter() - start) * 1000, mode)
