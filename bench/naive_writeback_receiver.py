#!/usr/bin/env python3
"""The naive write-back receiver the benchmark compares sense-writeback with: what one writes by hand from
the write-back guide, durable but one fsync per request.

Starlette on uvicorn (the same server stack), the bearer token compared, the body parsed with the stdlib
``json``, the envelope checked, a ``uuid4`` id, one ``INSERT`` and one ``COMMIT`` per request on a SQLite
file in WAL mode with ``synchronous=FULL`` (the commit fsyncs), under one lock, in Starlette's thread
pool; 200 ``{"id": ...}`` after the commit. Same answer shapes as sense-writeback, no group commit, no
access log, no metrics, no schema validation of ``data``.

    python bench/naive_writeback_receiver.py DB_FILE TOKEN     # prints its base URL, then serves
"""
from __future__ import annotations

import json
import socket
import sqlite3
import sys
import threading
import uuid

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

SCHEMA = ("CREATE TABLE IF NOT EXISTS writebacks (seq INTEGER PRIMARY KEY AUTOINCREMENT, receiver_id TEXT NOT NULL, "
          "sense_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, raw BLOB NOT NULL)")


def main() -> None:
    path, token = sys.argv[1], sys.argv[2]
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(SCHEMA)
    lock = threading.Lock()

    def event(request_headers, raw: bytes):
        if request_headers.get("authorization") != f"Bearer {token}":
            return JSONResponse({"error": "invalid token or session"}, status_code=401)
        try:
            doc = json.loads(raw)
        except ValueError:
            return JSONResponse({"error": "unable to store because of field body"}, status_code=400)
        missing = [f for f in ("id", "type", "version", "created_date", "data") if f not in doc]
        if missing:
            return JSONResponse({"error": "unable to store because of field " + ",".join(missing)}, status_code=422)
        with lock:
            row = conn.execute("SELECT receiver_id FROM writebacks WHERE sense_id = ?", (doc["id"],)).fetchone()
            if row:
                return JSONResponse({"id": row[0]})
            receiver_id = "wb_" + uuid.uuid4().hex
            conn.execute("BEGIN")
            conn.execute("INSERT INTO writebacks (receiver_id, sense_id, type, raw) VALUES (?, ?, ?, ?)",
                         (receiver_id, doc["id"], doc["type"], raw))
            conn.execute("COMMIT")
        return JSONResponse({"id": receiver_id})

    async def endpoint(request):
        from starlette.concurrency import run_in_threadpool

        raw = await request.body()
        return await run_in_threadpool(event, request.headers, raw)

    app = Starlette(routes=[Route("/event", endpoint, methods=["POST"])])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")).run(sockets=[sock])


if __name__ == "__main__":
    main()
