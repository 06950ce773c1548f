"""Airbyte protocol output: LOG, STATE and TRACE messages written to stdout.

Every message is serialised with orjson and written as one line; the stream is flushed after
each STATE and TRACE so the platform sees checkpoints immediately. All text goes through
``redact`` first: secrets registered with ``add_secret`` (the client secret, every access token)
are replaced by ``****`` wherever they would appear.
"""
from __future__ import annotations

import sys
import threading
import time
import traceback
from typing import Any, BinaryIO, Dict, Optional

import orjson

_MASK = "****"


class ProtocolOutput:
    def __init__(self, stream: Optional[BinaryIO] = None, debug: bool = False):
        self._stream = stream if stream is not None else sys.stdout.buffer
        self._lock = threading.Lock()
        self._secrets: list = []
        self.debug_enabled = debug

    # secrets -----------------------------------------------------------------
    def add_secret(self, secret: Optional[str]) -> None:
        if secret and len(secret) >= 4 and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, _MASK)
        return text

    # messages ----------------------------------------------------------------
    def _write(self, message: Dict[str, Any], flush: bool) -> None:
        line = orjson.dumps(message) + b"\n"
        with self._lock:
            self._stream.write(line)
            if flush:
                self._stream.flush()

    def log(self, level: str, message: str) -> None:
        if level == "DEBUG" and not self.debug_enabled:
            return
        self._write({"type": "LOG", "log": {"level": level, "message": self.redact(message)}}, flush=level != "DEBUG")

    def info(self, message: str) -> None:
        self.log("INFO", message)

    def warn(self, message: str) -> None:
        self.log("WARN", message)

    def error(self, message: str) -> None:
        self.log("ERROR", message)

    def debug(self, message: str) -> None:
        self.log("DEBUG", message)

    def state(self, state: Dict[str, Any]) -> None:
        """Echo a STATE message exactly as given (the caller added the stats); flush."""
        self._write({"type": "STATE", "state": state}, flush=True)

    def raw(self, message: Dict[str, Any]) -> None:
        self._write(message, flush=True)

    def trace_error(self, message: str, failure_type: str, exc: Optional[BaseException] = None) -> None:
        internal = ""
        stack = ""
        if exc is not None:
            internal = self.redact(f"{type(exc).__name__}: {exc}")
            stack = self.redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        self._write(
            {
                "type": "TRACE",
                "trace": {
                    "type": "ERROR",
                    "emitted_at": time.time() * 1000,
                    "error": {
                        "message": self.redact(message),
                        "internal_message": internal,
                        "stack_trace": stack,
                        "failure_type": failure_type,
                    },
                },
            },
            flush=True,
        )

    def flush(self) -> None:
        with self._lock:
            self._stream.flush()
