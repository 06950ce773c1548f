"""The HTTP plumbing the emulators share: read deadlines and a bound on connections.

The emulators are sandboxes users point arbitrary clients at and the targets of the benchmarks, so
they defend themselves as a production server does (nginx's ``client_header_timeout``,
``client_body_timeout``, ``keepalive_timeout`` and ``worker_connections``):

- ``ConnectionLimits``: how long the request line and headers may take from the request's first
  byte, how long the body may take once the headers are in, how long a keep-alive connection may
  stay idle, and how many connections are served at once;
- ``DeadlineReader``: the connection's socket as a raw stream that enforces those deadlines; a read
  past one raises ``TimeoutError`` however slowly the bytes trickle in;
- ``DeadlineHandlerMixin``: installs the reader in a ``BaseHTTPRequestHandler`` and answers headers
  that miss their deadline with 408 (the emulator says how, in its own error shape);
- ``BoundedThreadingServer``: a ``ThreadingHTTPServer`` that serves at most ``max_connections``
  connections at once. At the bound it stops accepting, so further clients wait in the listen backlog
  (as with nginx or Go's ``LimitListener``), not on a thread of their own, until a connection ends;
  a burst of well-behaved clients is served in turn, slow ones are cut off by the deadlines.
"""
from __future__ import annotations

import io
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Optional

DEFAULT_HEADER_TIMEOUT = 5.0
DEFAULT_BODY_TIMEOUT = 15.0
DEFAULT_IDLE_TIMEOUT = 30.0
DEFAULT_MAX_CONNECTIONS = 256
#: How often a server waiting for a free connection slot looks whether it is shutting down.
_SLOT_POLL = 0.05


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float = DEFAULT_HEADER_TIMEOUT  # request line and headers, from the request's first byte
    body_timeout: float = DEFAULT_BODY_TIMEOUT  # the whole body, from the end of the headers
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT  # a keep-alive connection waiting for its next request; writes
    max_connections: int = DEFAULT_MAX_CONNECTIONS

    def problems(self) -> list:
        """What is out of range, as command-line errors."""
        out = [f"--{name.replace('_', '-')} must be greater than 0"
               for name in ("header_timeout", "body_timeout", "idle_timeout") if not getattr(self, name) > 0]
        if self.max_connections < 1:
            out.append("--max-connections must be at least 1")
        return out


def add_arguments(parser, limits: ConnectionLimits = ConnectionLimits()) -> None:
    """The options of ``ConnectionLimits`` on an emulator's command line."""
    group = parser.add_argument_group("connections (slow or idle clients)")
    group.add_argument("--header-timeout", type=float, default=limits.header_timeout,
                       help="seconds the request line and headers may take from the request's first byte (default %(default)s)")
    group.add_argument("--body-timeout", type=float, default=limits.body_timeout,
                       help="seconds the request body may take once the headers are in (default %(default)s)")
    group.add_argument("--idle-timeout", type=float, default=limits.idle_timeout,
                       help="seconds a keep-alive connection may wait for its next request (default %(default)s)")
    group.add_argument("--max-connections", type=int, default=limits.max_connections,
                       help="connections served at once; more wait in the listen backlog (default %(default)s)")


def from_arguments(args, parser) -> ConnectionLimits:
    limits = ConnectionLimits(args.header_timeout, args.body_timeout, args.idle_timeout, args.max_connections)
    for problem in limits.problems():
        parser.error(problem)
    return limits


class DeadlineReader(io.RawIOBase):
    """A connection's socket as a raw stream with a deadline per request phase.

    Waiting for a request, a read waits at most ``idle_timeout``; once the request's first byte is
    in, the request line and headers must arrive within ``header_timeout`` of it; ``start_body``
    gives the body ``body_timeout`` from then. ``request_read`` ends the request: the next read waits
    for the next one. A read past a deadline raises ``TimeoutError``.
    """

    def __init__(self, sock: socket.socket, limits: ConnectionLimits):
        self.sock = sock
        self.limits = limits
        self.deadline: Optional[float] = None
        self.phase_timeout = limits.header_timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.deadline is None:
            self.sock.settimeout(self.limits.idle_timeout)
        else:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"request not received within {self.phase_timeout:g} s")
            self.sock.settimeout(remaining)
        n = self.sock.recv_into(buffer)
        if n and self.deadline is None:
            self.phase_timeout = self.limits.header_timeout
            self.deadline = time.monotonic() + self.phase_timeout
        return n

    def start_body(self) -> None:
        """The headers are in: the body has ``body_timeout`` from now."""
        self.phase_timeout = self.limits.body_timeout
        self.deadline = time.monotonic() + self.phase_timeout

    def request_read(self) -> None:
        """The request is in: the next read waits for the next request (writes get ``idle_timeout``)."""
        self.deadline = None
        self.sock.settimeout(self.limits.idle_timeout)


class DeadlineHandlerMixin:
    """For a ``BaseHTTPRequestHandler`` whose server has ``limits``: reads go through ``DeadlineReader``.

    The handler calls ``self.reader.start_body()`` before it reads a body and
    ``self.reader.request_read()`` once the request is in, and implements ``answer_header_timeout``
    (headers still incomplete at the deadline: a 408 in the emulator's error shape; the connection is
    then closed). A request line still incomplete is closed without an answer (the stdlib's way).
    """

    reader: DeadlineReader

    def setup(self) -> None:
        super().setup()  # type: ignore[misc]
        self.rfile.close()  # the stdlib's buffered socket file, replaced by one with deadlines
        self.reader = DeadlineReader(self.connection, self.server.limits)  # type: ignore[attr-defined]
        self.rfile = io.BufferedReader(self.reader, 65536)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()  # type: ignore[misc]
        finally:
            self.reader.deadline = None  # also when the request line timed out or was refused

    def parse_request(self) -> bool:
        try:
            return super().parse_request()  # type: ignore[misc]
        except TimeoutError:  # headers still incomplete at the deadline
            self.reader.request_read()
            self.close_connection = True
            self.answer_header_timeout(f"request headers not received within {self.reader.limits.header_timeout:g} s")
            return False

    def answer_header_timeout(self, message: str) -> None:
        raise NotImplementedError


class BoundedThreadingServer(ThreadingHTTPServer):
    """A thread per connection, at most ``limits.max_connections`` of them (see the module doc)."""

    daemon_threads = True
    allow_reuse_address = True
    # The listen backlog: the stdlib's default of 5 drops the SYNs of a burst of clients, which then
    # wait for TCP's retransmission back-off (1, 3, 7, 15 s...) before they are even accepted; it is
    # also where clients wait while every connection slot is taken.
    request_queue_size = 1024

    def __init__(self, address, handler, limits: ConnectionLimits):
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        self._stopping = threading.Event()
        super().__init__(address, handler)

    def get_request(self):
        """Accept the next connection once a slot is free (the serving thread waits here, not a client thread)."""
        while not self._slots.acquire(timeout=_SLOT_POLL):
            if self._stopping.is_set():
                raise OSError("shutting down")  # serve_forever ignores an accept that failed
        try:
            return super().get_request()
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def process_request(self, request, client_address) -> None:
        try:
            super().process_request(request, client_address)
        except BaseException:  # the thread did not start: its slot is free again
            self._slots.release()
            raise

    def shutdown(self) -> None:
        self._stopping.set()
        super().shutdown()

    def handle_error(self, request, client_address) -> None:
        """A client that goes away or stops reading (timeout, reset) is not an error of the emulator."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)
