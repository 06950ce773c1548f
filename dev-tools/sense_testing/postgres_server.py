"""A throwaway PostgreSQL server for tests and benchmarks (no pytest import here).

``start_postgres()`` finds Debian's server binaries (``/usr/lib/postgresql/<version>/bin``, or
``initdb``/``postgres`` on ``PATH``), runs ``initdb`` into a fresh temporary directory and starts
``postgres`` on a free loopback port; ``halt()`` stops it keeping its data (an outage) and
``resume()`` starts it again on the same port. PostgreSQL refuses to run as root, so as root the directory
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
    def __init__(self, proc: subprocess.Popen, port: int, root: str, log_path: str, launch=None):
        self.proc = proc
        self.port = port
        self.root = root
        self.log_path = log_path
        self.dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        self._launch = launch  # starts the server process again on the same data and port

    def halt(self) -> None:
        """Stop the server process and keep its data (an outage); ``resume`` starts it again."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "fast" shutdown: disconnects clients
            self.proc.wait(30)

    def resume(self, startup_timeout: float = 60.0) -> None:
        self.proc = self._launch()
        self._wait_ready(startup_timeout)

    def _wait_ready(self, startup_timeout: float) -> None:
        deadline = time.monotonic() + startup_timeout
        last_error = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                import psycopg

                with psycopg.connect(self.dsn, connect_timeout=2):
                    return
            except Exception as exc:  # not ready yet
                last_error = str(exc)
                time.sleep(0.2)
        log_text = Path(self.log_path).read_text(errors="replace")[-1000:]
        raise PostgresUnavailable(f"postgres did not start: {last_error or 'exited'}; {log_text}")

    def database(self, name: str) -> str:
        """A new empty database; its URL."""
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

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

    def launch() -> subprocess.Popen:
        with open(log_path, "ab") as log:
            return subprocess.Popen(
                [os.path.join(bin_dir, "postgres"), "-D", data, "-p", str(port), "-k", sockets,
                 "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL, cwd=root, **run_kwargs,
            )

    server = PostgresServer(launch(), port, root, log_path, launch)
    try:
        server._wait_ready(startup_timeout)
    except PostgresUnavailable:
        server.stop()
        raise
    return server
