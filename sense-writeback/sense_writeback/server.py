"""Serving the application with uvicorn on a socket bound before the base URL is printed.

Binding first makes ``--port 0`` work (the chosen port is known) and lets the caller send requests
as soon as it has read the first stdout line: connections wait in the listen backlog until uvicorn
accepts them. SIGTERM/SIGINT: uvicorn stops accepting, finishes in-flight requests (up to
``graceful_timeout`` seconds), then the store commits what it holds and closes; exit status 0.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys

import uvicorn

from sense_writeback.receiver_settings import ReceiverConfig

log = logging.getLogger("sense_writeback.server")


def bind(host: str, port: int, backlog: int = 2048) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(app, config: ReceiverConfig, sock: socket.socket) -> None:
    """Run until SIGTERM/SIGINT; returns after the graceful shutdown."""
    uv_config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,  # our own access log never writes the query string
        lifespan="off",
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips=config.forwarded_allow_ips,
        timeout_graceful_shutdown=config.graceful_timeout,
        timeout_keep_alive=30,
        backlog=2048,
    )
    server = uvicorn.Server(uv_config)
    # uvicorn re-raises the signal it caught once it has shut down; with this handler in place the
    # re-raised signal is a no-op and the process exits normally (status 0).
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    server.run(sockets=[sock])
