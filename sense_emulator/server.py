"""The HTTP/1.1 server: stdlib ``ThreadingHTTPServer`` with keep-alive, Nagle disabled, orjson.

The handler only moves bytes: it reads the request body (Content-Length or chunked), asks
``App.handle`` for a ``Response`` and writes it with a Content-Length. Request lines are not
logged unless ``verbose`` (never headers, so never tokens or secrets).
"""
from __future__ import annotations

import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

from sense_emulator.app import App, Request, json_response
from sense_emulator.config import EmulatorConfig

#: Bodies above this are refused (413) without being read, and the connection closed.
MAX_REQUEST_BYTES = 32 * 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "SenseEmulator/0.1"
    server: "EmulatorServer"

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _read_body(self) -> Optional[bytes]:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_REQUEST_BYTES:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            n = int(length)
        except ValueError:
            return None
        if n < 0 or n > MAX_REQUEST_BYTES:
            return None
        return self.rfile.read(n)

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            body = None
        if body is None:
            self.close_connection = True
            self._send(json_response(413, {"errors": [{"entity_id": None, "message": "request body too large or malformed", "path": []}], "warnings": []}))
            return
        response = self.server.app.handle(Request(self.command, self.path, self.headers, body))
        if response.drop:
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._send(response)

    def _send(self, response) -> None:
        """Status line, headers and body in one write (one system call per response)."""
        status = response.status
        self.log_request(status)
        phrase = self.responses.get(status, ("",))[0]
        head = [
            f"{self.protocol_version} {status} {phrase}\r\n"
            f"Server: {self.server_version}\r\nDate: {self.date_time_string()}\r\n"
        ]
        head += [f"{name}: {value}\r\n" for name, value in response.headers]
        head.append(f"Content-Length: {len(response.body)}\r\n")
        if self.close_connection:
            head.append("Connection: close\r\n")
        head.append("\r\n")
        data = "".join(head).encode("latin-1")
        if self.command != "HEAD":
            data += response.body
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if self.server.app.config.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), format % args))


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, config: EmulatorConfig):
        self.app = App(config)
        super().__init__((config.host, config.port), Handler)
        config.port = self.server_address[1]

    @property
    def base_url(self) -> str:
        host = self.server_address[0]
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.server_address[1]}"

    def server_close(self) -> None:
        super().server_close()
        self.app.close()
