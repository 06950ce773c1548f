"""The HTTP/1.1 server: stdlib ``ThreadingHTTPServer`` with keep-alive, Nagle disabled, orjson.

The handler only moves bytes: it reads the request body (Content-Length or chunked), asks
``App.handle`` for a ``Response`` and writes it with a Content-Length. Request lines are not
logged unless ``verbose`` (never headers, so never tokens or secrets).

It is strict about framing, as a server facing the internet must be: the request line and headers
must arrive within ``header_timeout`` seconds of the request's first byte, the body within
``body_timeout`` of the headers, and a connection idle for ``idle_timeout`` is closed; at most
``max_connections`` are served at once (``emulator_http``), so a client sending slowly (slowloris) or
not at all holds a thread for a bounded time, and many of them hold a bounded number; a Content-Length that is not one non-negative decimal integer, a bad chunk size, or a
body shorter than announced is a 400 (``FramingError``), and the connection is closed since the
next request's start is unknown.
"""
from __future__ import annotations

import re
import socket
import sys
from http.server import BaseHTTPRequestHandler

from emulator_http import BoundedThreadingServer, DeadlineHandlerMixin
from sense_emulator.app import App
from sense_emulator.config import EmulatorConfig
from sense_emulator.decoding import MAX_DECODED_BYTES
from sense_emulator.http_messages import Request, errors_response
from sense_emulator.validation import error

#: Bodies above this (as sent) are refused (413) without being read, and the connection closed.
MAX_REQUEST_BYTES = MAX_DECODED_BYTES
#: Longest chunk-size line (size and extensions) and trailer section of a chunked body.
MAX_CHUNK_LINE = 1024
MAX_TRAILER_LINES = 64
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


class FramingError(Exception):
    """A request whose body cannot be delimited; answered with ``status`` and the connection closed."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Handler(DeadlineHandlerMixin, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "SenseEmulator/0.1"
    server: "EmulatorServer"

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def answer_header_timeout(self, message: str) -> None:
        self._send(errors_response(408, [error(message)]))

    def _read_body(self) -> bytes:
        """The body, delimited by chunked encoding or one Content-Length; FramingError otherwise."""
        codings = [c.strip().lower() for v in self.headers.get_all("Transfer-Encoding") or [] for c in v.split(",")]
        lengths = {v.strip() for h in self.headers.get_all("Content-Length") or [] for v in h.split(",")}
        if codings:
            if codings != ["chunked"]:
                raise FramingError(501, f"unsupported Transfer-Encoding {', '.join(codings)!r}; use chunked or Content-Length")
            if lengths:
                raise FramingError(400, "a request must not have both Transfer-Encoding and Content-Length")
            return self._read_chunked()
        if not lengths:
            return b""
        if len(lengths) > 1:
            raise FramingError(400, f"conflicting Content-Length headers: {', '.join(sorted(lengths))}")
        text = lengths.pop()
        if not (text.isascii() and text.isdigit()):
            raise FramingError(400, f"Content-Length must be a non-negative decimal integer, got {text[:40]!r}")
        length = int(text)
        if length > MAX_REQUEST_BYTES:
            raise FramingError(413, f"request body is {length:,} bytes; at most {MAX_REQUEST_BYTES:,} are read")
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            body = b""
        if len(body) < length:
            raise FramingError(400, f"request body shorter than its Content-Length of {length:,} bytes "
                                    f"(not received within {self.reader.phase_timeout:g} s)")
        return body

    def _read_chunked(self) -> bytes:
        chunks, total = [], 0
        try:
            while True:
                line = self.rfile.readline(MAX_CHUNK_LINE + 1)
                if not line.endswith(b"\n"):
                    raise FramingError(400, "chunked body incomplete" if len(line) <= MAX_CHUNK_LINE else "chunk-size line too long")
                size_text = line.split(b";", 1)[0].strip()
                if not _CHUNK_SIZE.fullmatch(size_text):
                    raise FramingError(400, f"bad chunk size {size_text[:20].decode('latin-1')!r}: expected hexadecimal digits")
                size = int(size_text, 16)
                if size == 0:
                    break
                total += size
                if total > MAX_REQUEST_BYTES:
                    raise FramingError(413, f"chunked request body over {MAX_REQUEST_BYTES:,} bytes")
                data = self.rfile.read(size)
                if len(data) < size:
                    raise FramingError(400, "chunked body incomplete")
                chunks.append(data)
                if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                    raise FramingError(400, "chunk data not followed by CRLF")
            for _ in range(MAX_TRAILER_LINES):
                line = self.rfile.readline(MAX_CHUNK_LINE + 1)
                if line in (b"\r\n", b"\n"):
                    return b"".join(chunks)
                if not line.endswith(b"\n"):
                    break
            raise FramingError(400, "chunked body trailer incomplete or too long")
        except TimeoutError:
            raise FramingError(400, f"chunked body not received within {self.reader.phase_timeout:g} s")

    def _dispatch(self) -> None:
        self.reader.start_body()
        try:
            body = self._read_body()
        except FramingError as exc:
            self.reader.request_read()
            self.close_connection = True
            self._send(errors_response(exc.status, [error(exc.message)]))
            return
        self.reader.request_read()
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


class EmulatorServer(BoundedThreadingServer):
    def __init__(self, config: EmulatorConfig):
        self.app = App(config)
        super().__init__((config.host, config.port), Handler, config.limits)
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
