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


def thread_count(pid: int) -> int:
    """The number of threads of process ``pid`` (Linux ``/proc``)."""
    with open(f"/proc/{pid}/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("Threads:"))


@dataclass
class TrickleResult:
    closed: int  # connections the server closed (end of file or reset) before the time ran out
    open_at_end: int  # connections still open when the time ran out
    most_threads: int  # the largest thread count of the server seen meanwhile


def trickle(port: int, connections: int, seconds: float, pid: int, interval: float = 0.2,
            request: bytes = b"GET /x HTTP/1.1\r\nHost: x\r\nX-Slow: ") -> TrickleResult:
    """Open ``connections`` sockets that each send ``request`` a byte every ``interval`` seconds (then
    header bytes forever), for at most ``seconds``; count those the server closes and watch its threads.

    One thread drives every socket (``poll``), so the test's own cost stays flat. Connections the
    server has not accepted yet (waiting in its listen backlog) are open: their bytes sit in the
    kernel's buffers.
    """
    import select
    import time

    socks = []
    for _ in range(connections):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.setblocking(False)
        socks.append(sock)
    sent = {sock: 0 for sock in socks}
    open_ = set(socks)
    closed = 0
    most = thread_count(pid)
    deadline = time.monotonic() + seconds
    try:
        while open_ and time.monotonic() < deadline:
            for sock in list(open_):
                byte = request[sent[sock]:sent[sock] + 1] or b"a"
                try:
                    sock.send(byte)
                    sent[sock] += 1
                except BlockingIOError:
                    pass
                except OSError:  # reset or broken pipe: the server closed it
                    open_.discard(sock)
                    closed += 1
            poller = select.poll()
            by_fd = {sock.fileno(): sock for sock in open_}
            for fd in by_fd:
                poller.register(fd, select.POLLIN)
            for fd, _ in poller.poll(interval * 1000):
                sock = by_fd[fd]
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:  # end of file: closed (an answer such as 408 comes before it)
                    open_.discard(sock)
                    closed += 1
            most = max(most, thread_count(pid))
        return TrickleResult(closed, len(open_), most)
    finally:
        for sock in socks:
            sock.close()
