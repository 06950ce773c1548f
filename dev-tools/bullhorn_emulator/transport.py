"""The HTTP transport: the request handler (framing, bodies, parameters, answers) and the threading server.

Header, body and idle timeouts and the bound on connections are ``emulator_http``'s, as in sense-emulator.

``make_server(settings)`` builds the state and a server bound to it; the routes are ``app.Routes``.
"""
from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any, Dict, Optional
from urllib.parse import parse_qs, urlsplit

import orjson

from emulator_http import BoundedThreadingServer, DeadlineHandlerMixin
from bullhorn_emulator import writes
from bullhorn_emulator.app import Routes
from bullhorn_emulator.config import MAX_BODY_BYTES, BadRequest, Settings
from bullhorn_emulator.state import EmulatorState

class Handler(Routes, DeadlineHandlerMixin, BaseHTTPRequestHandler):
    server_version = "BullhornEmulator/0.1"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    state: EmulatorState  # set on the subclass created by make_server

    # -------------------------------------------------------------- plumbing
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return  # request lines carry tokens in query strings; never log them

    def _send(self, status: int, body: Any = None, headers: Optional[Dict[str, str]] = None,
              content_type: str = "application/json;charset=UTF-8") -> None:
        if body is None:
            payload = b""
        elif isinstance(body, (bytes, bytearray)):
            payload = bytes(body)
        elif isinstance(body, str):
            payload = body.encode()
        else:
            payload = orjson.dumps(body)
        self.send_response(status)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def answer_header_timeout(self, message: str) -> None:
        self._error(408, message)

    def _error(self, status: int, message: str, key: Optional[str] = None) -> None:
        body: Dict[str, Any] = {"errorMessage": message, "errorCode": status}
        if key:
            body["errorMessageKey"] = key
        self._send(status, body)

    def _body(self) -> bytes:
        """The request body, framed by a single valid Content-Length (else ``BadRequest``)."""
        if self.headers.get("Transfer-Encoding"):
            raise BadRequest("Transfer-Encoding is not supported; send a Content-Length", 501, close=True)
        lengths = {v.strip() for v in self.headers.get_all("Content-Length") or []}
        if not lengths:
            self.reader.request_read()
            return b""
        if len(lengths) > 1:
            raise BadRequest("conflicting Content-Length headers", close=True)
        text = lengths.pop()
        if not text.isdigit() or not text.isascii():
            raise BadRequest(f"Content-Length must be a non-negative integer, got {text[:40]!r}", close=True)
        length = int(text)
        if length > MAX_BODY_BYTES:
            raise BadRequest(f"request body over {MAX_BODY_BYTES} bytes", 413, close=True)
        self.reader.start_body()
        try:
            raw = self.rfile.read(length)
        except TimeoutError:
            raw = b""
        if len(raw) < length:
            raise BadRequest(f"request body shorter than its Content-Length ({length} bytes; not received within "
                             f"{self.reader.limits.body_timeout:g} s)", close=True)
        self.reader.request_read()
        return raw

    def _params(self) -> Dict[str, Any]:
        parts = urlsplit(self.path)
        params: Dict[str, Any] = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        raw = self._body()
        if self.command in ("POST", "PUT") and raw:
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BadRequest(f"request body is not UTF-8 (byte {exc.start})")
            if ctype == "application/json":
                try:
                    body = json.loads(text)
                except (ValueError, RecursionError) as exc:
                    raise BadRequest(f"request body is not valid JSON: {str(exc)[:80]}")
                if isinstance(body, dict):
                    for k, v in body.items():
                        params.setdefault(k, v)
                self._json_body = body
            else:
                for k, v in parse_qs(text, keep_blank_values=True).items():
                    params.setdefault(k, v[-1])
        return params

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch()

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch()


def make_server(settings: Settings, host: str = "127.0.0.1", port: int = 0) -> BoundedThreadingServer:
    state = EmulatorState(settings)
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = BoundedThreadingServer((host, port), handler, settings.limits)
    state.writes = writes.Writes(state)  # type: ignore[attr-defined]
    server.state = state  # type: ignore[attr-defined]
    return server
