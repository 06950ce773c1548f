"""emulator_http in process, on real loopback sockets: the limits' checks, the deadlines, the bound on connections."""
from __future__ import annotations

import select
import socket
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from emulator_http import BoundedThreadingServer, ConnectionLimits, DeadlineHandlerMixin


class _Handler(DeadlineHandlerMixin, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.reader.request_read()
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def answer_header_timeout(self, message):
        body = message.encode()
        self.send_response(408)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    limits = ConnectionLimits(header_timeout=0.5, body_timeout=0.5, idle_timeout=30, max_connections=2)
    srv = BoundedThreadingServer(("127.0.0.1", 0), _Handler, limits)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def _connect(srv) -> socket.socket:
    return socket.create_connection(srv.server_address, timeout=10)


def _answer(sock) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_out_of_range_limits_are_named_as_options():
    assert ConnectionLimits(header_timeout=0, idle_timeout=-1, max_connections=0).problems() == [
        "--header-timeout must be greater than 0", "--idle-timeout must be greater than 0", "--max-connections must be at least 1"]
    assert ConnectionLimits().problems() == []


def test_at_the_bound_a_new_client_waits_for_a_free_connection_and_is_then_served(server):
    idle = [_connect(server) for _ in range(2)]  # both slots, idle (30 s idle timeout)
    for sock in idle:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _answer(sock).startswith(b"HTTP/1.1 200")
    waiting = _connect(server)
    waiting.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert select.select([waiting], [], [], 0.5)[0] == [], "not served while both connections are held"
    idle[0].close()
    assert _answer(waiting).startswith(b"HTTP/1.1 200"), "served once a connection ended"
    for sock in (idle[1], waiting):
        sock.close()


def test_headers_trickling_past_the_header_timeout_get_408_and_the_connection_is_closed(server):
    sock = _connect(server)
    sock.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
    answer = b""
    for _ in range(100):  # a byte every 20 ms: each read is quick, the whole header is not
        try:
            sock.sendall(b"a")
        except OSError:
            break
        if select.select([sock], [], [], 0.02)[0]:
            break
    while chunk := sock.recv(4096):  # the answer, then the end of the connection
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 408") and b"request headers not received within 0.5 s" in answer, answer
    sock.close()


def test_shutdown_is_prompt_while_clients_wait_for_a_slot():
    limits = ConnectionLimits(header_timeout=30, max_connections=1)
    srv = BoundedThreadingServer(("127.0.0.1", 0), _Handler, limits)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    held, waiting = _connect(srv), _connect(srv)
    held.sendall(b"GET / HTTP/1.1\r\n")  # holds the only slot for up to 30 s
    waiting.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    done = threading.Event()
    threading.Thread(target=lambda: (srv.shutdown(), done.set()), daemon=True).start()
    assert done.wait(5), "shutdown does not wait for a connection slot"
    srv.server_close()
    held.close()
    waiting.close()
