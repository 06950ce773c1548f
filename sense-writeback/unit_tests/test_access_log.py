"""The access log: the query string never written, lines buffered, and their order kept relative to
the other log lines written to the same stream (issue 25 item 9)."""
from __future__ import annotations

import asyncio
import io
import logging

from sense_writeback.access_log import AccessLog


async def _ok(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def _request(app: AccessLog, path: str) -> None:
    scope = {"type": "http", "method": "POST", "path": path, "query_string": b"token=secret-in-query",
             "client": ("10.0.0.7", 5555), "headers": []}

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        pass

    async def one():
        await app(scope, receive, send)

    asyncio.run(one())


def _logger(stream: io.StringIO, access: AccessLog) -> logging.Logger:
    logger = logging.getLogger("test_access_log")
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    access.keep_order_with(handler)
    logger.addHandler(handler)
    return logger


def test_lines_stay_buffered_until_the_interval_or_another_log_line():
    stream = io.StringIO()
    access = AccessLog(_ok, stream=stream, interval=60)
    _request(access, "/event")
    assert stream.getvalue() == ""  # buffered: no write of its own
    access.flush()
    line = stream.getvalue()
    assert '10.0.0.7 "POST /event" 200' in line and "secret-in-query" not in line


def test_an_access_line_is_written_before_any_later_log_line():
    stream = io.StringIO()
    access = AccessLog(_ok, stream=stream, interval=60)
    logger = _logger(stream, access)
    _request(access, "/first")
    logger.warning("after the first request")
    _request(access, "/second")
    logger.info("Shutting down")
    lines = stream.getvalue().splitlines()
    assert ['"POST /first"' in lines[0], lines[1], '"POST /second"' in lines[2], lines[3]] == \
        [True, "WARNING after the first request", True, "INFO Shutting down"], lines
