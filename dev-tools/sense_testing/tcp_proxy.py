"""A tiny round-robin TCP proxy for tests: the load balancer in front of several receiver replicas.

    with RoundRobinProxy([("127.0.0.1", 8001), ("127.0.0.1", 8002)]) as proxy:
        post(proxy.base_url + "/event", ...)

Each accepted connection goes to the next backend in turn; a backend that refuses the connection
(a killed replica) is skipped for that connection, as a load balancer's failover does. Bytes are
copied both ways until either side closes. Runs its own event loop in a daemon thread.
"""
from __future__ import annotations

import asyncio
import itertools
import threading
from typing import List, Sequence, Tuple


class RoundRobinProxy:
    def __init__(self, backends: Sequence[Tuple[str, int]], host: str = "127.0.0.1"):
        self.backends: List[Tuple[str, int]] = list(backends)
        self.host = host
        self.port = 0
        self.connections = [0] * len(self.backends)  # accepted connections sent to each backend
        self._turn = itertools.cycle(range(len(self.backends)))
        self._loop = asyncio.new_event_loop()
        self._server = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="round-robin-proxy", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "RoundRobinProxy":
        self._thread.start()
        self._started.wait(10)
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, self.host, 0, backlog=1024))
        self.port = self._server.sockets[0].getsockname()[1]
        self._started.set()
        self._loop.run_forever()

    async def _handle(self, client_reader, client_writer) -> None:
        upstream = None
        first = next(self._turn)
        for index in [(first + k) % len(self.backends) for k in range(len(self.backends))]:
            try:
                upstream = await asyncio.open_connection(*self.backends[index])
                self.connections[index] += 1
                break
            except OSError:
                continue
        if upstream is None:
            client_writer.close()
            return
        backend_reader, backend_writer = upstream
        try:
            await asyncio.gather(_pipe(client_reader, backend_writer), _pipe(backend_reader, client_writer))
        except asyncio.CancelledError:  # the proxy stops: the connection ends quietly
            client_writer.close()
            backend_writer.close()

    def stop(self) -> None:
        async def shutdown():
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._loop.stop()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop)
            self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> "RoundRobinProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


async def _pipe(reader, writer) -> None:
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            writer.close()
        except RuntimeError:
            pass
