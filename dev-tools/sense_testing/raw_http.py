"""A raw HTTP/1.1 client over one loopback socket, for requests no well-behaved client library sends.

Malformed framing (a negative or conflicting Content-Length, a bad chunk size, a body shorter than
announced, a request dripped byte by byte) has to be written by hand; the answer is parsed just
enough to check status, headers, body and whether the server closed the connection.
"""
from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any, Dict, Optional


@dataclass
class RawResponse:
    status: int
    headers: Dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RawConnection:
    """One client socket to 127.0.0.1:port; every read waits at most ``timeout`` seconds."""

    def __init__(self, port: int, timeout: float = 30.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self._buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self._buffer += chunk
        return bool(chunk)

    def response(self) -> Optional[RawResponse]:
        """The next response, or None when the server closed the connection without one."""
        while b"\r\n\r\n" not in self._buffer:
            if not self._fill():
                return None
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self._buffer) < length:
            if not self._fill():
                break
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return RawResponse(status, headers, body)

    def closed_by_server(self) -> bool:
        """True when the server closes its side (end of file or reset) within the timeout, else False."""
        try:
            while self._fill():
                pass
        except ConnectionResetError:
            pass
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def exchange(port: int, data: bytes, timeout: float = 30.0) -> Optional[RawResponse]:
    """Send ``data`` on a new connection and return the first response (the socket stays open)."""
    with RawConnection(port, timeout) as connection:
        connection.send(data)
        return connection.response()
