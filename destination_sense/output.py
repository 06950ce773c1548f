"""Airbyte protocol output: LOG, STATE and TRACE messages written to stdout.

Every message is serialised with orjson and written as one line; the stream is flushed after
each STATE and TRACE so the platform sees checkpoints immediately. All text goes through
``redact`` first: secrets registered with ``add_secret`` (the client secret, every access token)
are replaced by ``****`` wherever they would appear, in every form they can take in a message: as
they are and with surrounding whitespace stripped, escaped (``repr``, ``ascii``, JSON),
URL-encoded (``quote``, ``quote_plus``) and base64-encoded (standard and URL-safe, at each of the
three alignments the secret can have inside a longer encoded text, e.g. HTTP Basic credentials).
This covers LOG messages, TRACE messages, internal messages and stack traces.
"""
from __future__ import annotations

import base64
import json
import sys
import threading
import time
import traceback
from typing import Any, BinaryIO, Dict, Optional, Set
from urllib.parse import quote, quote_plus

import orjson

_MASK = "****"
#: Shorter forms are not masked (they would mask ordinary text); secrets are much longer.
MIN_SECRET_LENGTH = 4
#: A base64 fragment shorter than this is not masked (it may occur by chance).
MIN_BASE64_FRAGMENT = 8


def _base64_forms(raw: bytes) -> Set[str]:
    """The base64 text of ``raw`` at each alignment inside a longer encoded text (standard and URL-safe)."""
    forms = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        forms.add(encode(raw).decode("ascii"))
        for offset in range(3):
            encoded = encode(b"\0" * offset + raw).decode("ascii")
            whole_groups = (offset + len(raw)) // 3 * 4  # the characters that depend on these bytes only
            fragment = encoded[4 if offset else 0:whole_groups]
            if len(fragment) >= MIN_BASE64_FRAGMENT:
                forms.add(fragment)
    return forms


def secret_forms(secret: str) -> Set[str]:
    """Every form in which ``secret`` can appear in a message (see the module doc)."""
    forms: Set[str] = set()
    for text in {secret, secret.strip()}:
        if len(text) < MIN_SECRET_LENGTH:
            continue
        forms.update((text, repr(text)[1:-1], ascii(text)[1:-1], json.dumps(text)[1:-1], quote(text, safe=""), quote(text), quote_plus(text)))
        forms.update(_base64_forms(text.encode("utf-8", "surrogatepass")))
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class ProtocolOutput:
    def __init__(self, stream: Optional[BinaryIO] = None, debug: bool = False):
        self._stream = stream if stream is not None else sys.stdout.buffer
        self._lock = threading.Lock()
        self._secrets: list = []
        self.debug_enabled = debug

    # secrets -----------------------------------------------------------------
    def add_secret(self, secret: Optional[str]) -> None:
        if not secret:
            return
        with self._lock:
            known = set(self._secrets)
            new = [form for form in secret_forms(secret) if form not in known]
            if new:
                # longest first, so a form is masked before a shorter one inside it
                self._secrets = sorted(known.union(new), key=len, reverse=True)

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
