"""A throwaway PostgreSQL server for tests and benchmarks (no pytest import here).

``start_postgres()`` finds Debian's server binaries (``/usr/lib/postgresql/<version>/bin``, or
``initdb``/``postgres`` on ``PATH``), runs ``initdb`` into a fresh temporary directory and starts
``postgres`` on a free loopback port. PostgreSQL refuses to run as root, so as root the directory
is owned by, and the server runs as, the ``postgres`` user (or ``nobody``). ``PostgresUnavailable``
says why none could be started.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional


class PostgresUnavailable(RuntimeError):
    pass


def find_bin_dir() -> Optional[str]:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in p.split("/")[-2].split(".") if x.isdigit()])
    for directory in reversed(candidates):
        if os.access(os.path.join(directory, "initdb"), os.X_OK) and os.access(os.path.join(directory, "postgres"), os.X_OK):
            return directory
    initdb = shutil.which("initdb")
    if initdb and shutil.which("postgres"):
        return os.path.dirname(initdb)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as() -> Optional[str]:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PostgresUnavailable("running as root and neither a 'postgres' nor a 'nobody' user exists")


class PostgresServer:
    def __init__(self, proc: subprocess.Popen, port: int, root: str, log_path: str, command=(), run_kwargs=None):
        self.proc = proc
        self.port = port
        self.root = root
        self.log_path = log_path
        self._command = list(command)
        self._run_kwargs = dict(run_kwargs or {})
        self.dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def database(self, name: str) -> str:
        """A new empty database; its URL."""
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def halt(self) -> None:
        """Stop the server as an outage would (fast shutdown: sessions are cut), keeping its data."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(30)

    def resume(self, startup_timeout: float = 30.0) -> None:
        """Start the halted server again on the same port and data directory; returns once it accepts."""
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self._command, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                         cwd=self.root, **self._run_kwargs)
        _wait_ready(self, startup_timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # "smart" shutdown; fast enough for a test server
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PostgresServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_postgres(startup_timeout: float = 60.0) -> PostgresServer:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable("no PostgreSQL server binaries (apt-get install postgresql)")
    user = _run_as()
    root = tempfile.mkdtemp(prefix="sense-writeback-pg-")
    data, sockets, log_path = os.path.join(root, "data"), os.path.join(root, "sockets"), os.path.join(root, "server.log")
    os.makedirs(sockets)
    Path(log_path).touch()
    if user:
        entry = pwd.getpwnam(user)
        for path in (root, sockets, log_path):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    run_kwargs = {"user": user} if user else {}
    init = subprocess.run([os.path.join(bin_dir, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
                           "--encoding=UTF8", "--no-instructions"], capture_output=True, text=True, cwd=root,
                          **run_kwargs)
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
    port = _free_port()
    command = [os.path.join(bin_dir, "postgres"), "-D", data, "-p", str(port), "-k", sockets,
               "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, cwd=root, **run_kwargs)
    server = PostgresServer(proc, port, root, log_path, command, run_kwargs)
    _wait_ready(server, startup_timeout)
    return server


def _wait_ready(server: PostgresServer, startup_timeout: float) -> None:
    deadline = time.monotonic() + startup_timeout
    last_error = ""
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        try:
            import psycopg

            with psycopg.connect(server.dsn, connect_timeout=2):
                return
        except Exception as exc:  # not ready yet
            last_error = str(exc)
            time.sleep(0.2)
    log_text = Path(server.log_path).read_text(errors="replace")[-1000:]
    server.stop()
    raise PostgresUnavailable(f"postgres did not start: {last_error or 'exited'}; {log_text}")
