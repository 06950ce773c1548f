"""Many keep-alive senders posting write-backs to a receiver, every answer recorded (tests and bench).

    answers = asyncio.run(post_all(base_url, token, bodies, senders=64))
    acknowledged = {a.sense_id: a.receiver_id for a in answers if a.acknowledged}

Each sender is one HTTP/1.1 keep-alive connection (a minimal asyncio client, so that the client's
own cost stays small next to the server's on a small machine) taking the next body from a shared
queue. A connection that breaks (a receiver killed, a proxy closing) records the request as
unanswered (status 0) and the sender connects again; nothing is retried here, so that a test sees
exactly what was acknowledged. ``resend_until_stored`` then plays Sense's re-delivery. No pytest here.
"""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple


@dataclass(frozen=True)
class Answer:
    sense_id: str
    status: int  # 0: no answer (the connection broke)
    body: bytes
    seconds: float
    finished: float  # time.monotonic() when the answer arrived

    @property
    def receiver_id(self) -> Optional[str]:
        try:
            doc = json.loads(self.body)
        except ValueError:
            return None
        return doc.get("id") if isinstance(doc, dict) else None

    @property
    def acknowledged(self) -> bool:
        return self.status == 200 and self.receiver_id is not None


def address(base_url: str) -> Tuple[str, int]:
    host, port = base_url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    return host.strip("[]"), int(port)


async def read_answer(reader: asyncio.StreamReader) -> Tuple[int, bytes]:
    """One HTTP/1.1 answer with a Content-Length from a keep-alive connection: its status and body."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("closed before an answer")
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return int(status_line.split(b" ", 2)[1]), await reader.readexactly(length)


async def _sender(host: str, port: int, path: str, token: str, queue: List[Tuple[str, bytes]],
                  answers: List[Answer], deadline: float, pause: float, interval: float) -> None:
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: ").encode()
    reader = writer = None
    while queue and time.monotonic() < deadline:
        sense_id, body = queue.pop()
        start = time.monotonic()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
            status, answer = await read_answer(reader)
            now = time.monotonic()
            answers.append(Answer(sense_id, status, answer, now - start, now))
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            now = time.monotonic()
            answers.append(Answer(sense_id, 0, b"", now - start, now))
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(pause)
        if interval:
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - start)))
    if writer is not None:
        writer.close()


async def post_all(base_url: str, token: str, bodies: Sequence[Tuple[str, bytes]], senders: int = 64, *,
                   seconds: float = 60.0, path: str = "/event", pause: float = 0.05, answers: Optional[List[Answer]] = None,
                   interval: float = 0.0) -> List[Answer]:
    """Post every ``(sense_id, body)`` once (within ``seconds``); one ``Answer`` per request sent.
    ``interval``: at most one request per sender per ``interval`` seconds (a paced load)."""
    host, port = address(base_url)
    queue = list(reversed(bodies))
    answers = [] if answers is None else answers  # a caller may watch it fill from another thread
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(_sender(host, port, path, token, queue, answers, deadline, pause, interval) for _ in range(senders)))
    return answers


def encode(docs: Sequence[dict]) -> List[Tuple[str, bytes]]:
    return [(doc["id"], json.dumps(doc).encode()) for doc in docs]


def resend_until_stored(base_url: str, token: str, bodies: Sequence[Tuple[str, bytes]], rounds: int = 20,
                        senders: int = 16, pause: float = 0.5) -> List[Answer]:
    """Sense's re-delivery: post again whatever was not acknowledged, until each is (bounded)."""
    pending = list(bodies)
    final: List[Answer] = []
    for _ in range(rounds):
        answers = asyncio.run(post_all(base_url, token, pending, senders=senders))
        done = {a.sense_id for a in answers if a.acknowledged}
        final += [a for a in answers if a.acknowledged]
        pending = [(sense_id, body) for sense_id, body in pending if sense_id not in done]
        if not pending:
            break
        time.sleep(pause)
    return final
