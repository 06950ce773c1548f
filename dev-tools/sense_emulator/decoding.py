"""Request bodies decoded within bounds: the emulator's defence against gzip and JSON bombs.

A 256 kB gzip body can inflate to hundreds of megabytes, and a few megabytes of JSON such as
``[{},{},...]`` become hundreds of megabytes of Python objects. So:

- gzip is inflated incrementally, a chunk at a time, and refused (413) as soon as the output
  passes ``max_decoded`` bytes, before more is inflated;
- a JSON body over 2 MiB is parsed only when a cheap upper bound of its number of values
  (commas plus opening brackets and braces, those inside strings included) is within
  ``max_values``, since parsing costs memory per value (about 30 to 90 bytes each), not per byte;
- at most ``slots`` requests decode, parse and validate at the same time (``Decoder.slot``);
  others wait their turn holding only the body as received.

Peak memory is then at most about ``slots × (2 × max_decoded + max_values × ~90 B)``, ~120 MB a
slot, above the store, whatever the number of concurrent requests (see ``sense_emulator.heap``
for why the process gives that memory back).
"""
from __future__ import annotations

import threading
import zlib
from contextlib import contextmanager
from typing import Any, Iterator, Union

import orjson

#: Largest body accepted once decompressed (and largest identity body parsed as JSON).
MAX_DECODED_BYTES = 16 * 1024 * 1024
#: Largest number of JSON values (upper bound, see the module docstring) parsed in one body.
MAX_JSON_VALUES = 1_000_000
#: Bodies up to this size are parsed without counting their values (at most ~30 bytes of memory
#: per byte of JSON, ~60 MB): counting costs about 2.5 ms per MB, a sizeable part of a parse.
COUNT_VALUES_FROM = 2 * 1024 * 1024
#: Requests decoding, parsing and validating a body at the same time.
DECODE_SLOTS = 2
#: Output inflated per step.
_INFLATE_STEP = 1024 * 1024

Body = Union[bytes, bytearray]


class DecodeError(Exception):
    """A body that cannot be decoded: ``status`` 400 (malformed) or 413 (over a limit)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Decoder:
    def __init__(self, slots: int = DECODE_SLOTS, max_decoded: int = MAX_DECODED_BYTES,
                 max_values: int = MAX_JSON_VALUES):
        self.max_decoded = max_decoded
        self.max_values = max_values
        self._slots = threading.BoundedSemaphore(slots)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the decoding slots (blocks while all are taken)."""
        with self._slots:
            yield

    def gunzip(self, body: bytes) -> bytearray:
        """The decompressed body (one or more gzip members); DecodeError if invalid or too large."""
        out = bytearray()
        data = body
        while data:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                while True:
                    out += inflater.decompress(data, _INFLATE_STEP)
                    if len(out) > self.max_decoded:
                        raise DecodeError(413, f"request body exceeds {self.max_decoded:,} bytes once decompressed")
                    data = inflater.unconsumed_tail
                    if inflater.eof or not data:
                        break
                if not inflater.eof:  # input used up: inflate what zlib still holds, if anything
                    out += inflater.decompress(b"", self.max_decoded + 1 - len(out))
                    if len(out) > self.max_decoded:
                        raise DecodeError(413, f"request body exceeds {self.max_decoded:,} bytes once decompressed")
            except zlib.error as exc:
                raise DecodeError(400, f"request body is not valid gzip: {exc}")
            if not inflater.eof:
                raise DecodeError(400, "request body is not valid gzip: truncated stream")
            data = inflater.unused_data  # a further gzip member (RFC 1952 allows several)
        return out

    def json(self, raw: Body) -> Any:
        """The parsed JSON body; DecodeError 413 past the size limits, 400 if it is not JSON."""
        if len(raw) > self.max_decoded:
            raise DecodeError(413, f"request body is {len(raw):,} bytes; at most {self.max_decoded:,} are parsed")
        if len(raw) > COUNT_VALUES_FROM:
            values = raw.count(b",") + raw.count(b"{") + raw.count(b"[") + 1
            if values > self.max_values:
                raise DecodeError(413, f"request body holds up to {values:,} JSON values; at most {self.max_values:,} are parsed")
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise DecodeError(400, f"request body is not valid JSON: {exc}")
