"""Reading and decoding a write-back request body: size limit, encoding, JSON, top-level object.

Each failure is a ``BodyError`` with the HTTP status and a reason meant for the sender:
413 over the size limit, 415 for an encoding the receiver does not read (compressed bodies, a
charset other than UTF-8, bytes that are not UTF-8), 400 for text that is not JSON or JSON that is
not an object. The standard library's parser is used on purpose: it keeps integers of any size
exactly and lets NaN/Infinity be refused explicitly.
"""
from __future__ import annotations

import json
from typing import Any, AsyncIterator, Dict, Optional

SUPPORTED_CHARSETS = {"utf-8", "utf8", "us-ascii", "ascii"}


class BodyError(Exception):
    """A body the receiver cannot read; ``status`` is the HTTP answer, ``reason`` the metric label."""

    def __init__(self, status: int, reason: str, message: str):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


def check_headers(headers: Dict[str, str], max_bytes: int) -> None:
    """Refuse before reading: a declared length over the limit, a content coding, a foreign charset."""
    length = headers.get("content-length")
    if length is not None:
        if not length.strip().isdigit():
            raise BodyError(400, "bad_length", "invalid Content-Length header")
        if int(length) > max_bytes:
            raise BodyError(413, "too_large", f"body of {int(length)} bytes is over the limit of {max_bytes} bytes")
    coding = headers.get("content-encoding", "identity").strip().lower()
    if coding not in ("", "identity"):
        raise BodyError(415, "encoding", f"Content-Encoding {coding!r} is not supported; send the JSON uncompressed")
    charset = _charset(headers.get("content-type", ""))
    if charset is not None and charset not in SUPPORTED_CHARSETS:
        raise BodyError(415, "encoding", f"charset {charset!r} is not supported; send UTF-8 JSON")


def _charset(content_type: str) -> Optional[str]:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


async def read_limited(chunks: AsyncIterator[bytes], max_bytes: int) -> bytes:
    """The whole body, refusing (413) as soon as it grows past ``max_bytes``."""
    parts = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise BodyError(413, "too_large", f"body is over the limit of {max_bytes} bytes")
        parts.append(chunk)
    return b"".join(parts)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_object(raw: bytes) -> Dict[str, Any]:
    """The body as a JSON object (UTF-8, optional BOM refused, no NaN/Infinity)."""
    if not raw.strip():
        raise BodyError(400, "not_json", "empty body; expected a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(415, "encoding", f"body is not valid UTF-8 (byte {exc.start})") from None
    if text.startswith("\ufeff"):
        raise BodyError(415, "encoding", "body starts with a byte order mark; send UTF-8 JSON without one")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise BodyError(400, "not_json", "body is nested too deeply") from None
    except ValueError as exc:
        raise BodyError(400, "not_json", f"body is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise BodyError(400, "not_object", f"body is a JSON {_json_kind(value)}, expected an object")
    return value


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "string" if isinstance(value, str) else "array"
