"""The HTTP/1.1 server: stdlib ``ThreadingHTTPServer``, keep-alive, Nagle disabled.

The handler reads the body (Content-Length only, chunked is refused with 411; the provider's
requests are small), asks the
``Provider`` for a response and writes it in one call. Request lines are logged to stderr only
with ``verbose``, without query strings; headers (and so credentials) are never logged.
"""
from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from oidc_emulator.provider import Provider, json_response

#: Bodies above this are refused (413) unread; token requests and admin calls are a few hundred bytes.
MAX_REQUEST_BYTES = 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "OidcEmulator/0.1"
    server: "OidcServer"

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True  # the unread body would corrupt the next request
            self._send(json_response(411, {"error": "send a Content-Length (chunked bodies are not accepted)"}))
            return
        length = self.headers.get("Content-Length") or "0"
        try:
            n = int(length)
        except ValueError:
            n = -1
        if n < 0 or n > MAX_REQUEST_BYTES:
            self.close_connection = True
            self._send(json_response(413, {"error": "request body too large or malformed Content-Length"}))
            return
        body = self.rfile.read(n) if n else b""
        self._send(self.server.provider.handle(self.command, self.path, self.headers, body))

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _send(self, response) -> None:
        self.log_request(response.status)
        phrase = self.responses.get(response.status, ("",))[0]
        head = [f"{self.protocol_version} {response.status} {phrase}\r\n",
                f"Server: {self.server_version}\r\nDate: {self.date_time_string()}\r\n"]
        head += [f"{name}: {value}\r\n" for name, value in response.headers]
        head.append(f"Content-Length: {len(response.body)}\r\n")
        if self.close_connection:
            head.append("Connection: close\r\n")
        head.append("\r\n")
        self.wfile.write("".join(head).encode("latin-1") + response.body)

    def log_request(self, code="-", size="-") -> None:
        if self.server.verbose:
            path = self.path.split("?", 1)[0]
            sys.stderr.write(f"{self.address_string()} {self.command} {path} {code}\n")


class OidcServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, provider: Provider, verbose: bool = False):
        self.provider = provider
        self.verbose = verbose
        super().__init__((host, port), Handler)
        provider.config.base_url = self.base_url
        if not provider.config.issuer:
            provider.config.issuer = self.base_url

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"
