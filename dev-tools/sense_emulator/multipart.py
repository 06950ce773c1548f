"""A small ``multipart/form-data`` parser (RFC 7578) for the resume upload.

Only what a form upload needs: parts separated by the boundary, each with a
``Content-Disposition: form-data; name="..."`` header and optionally a filename and a
Content-Type. The stdlib ``cgi`` module is deprecated, so this is done by hand.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional


class MultipartError(ValueError):
    pass


@dataclass
class Part:
    name: str
    data: bytes
    filename: Optional[str] = None
    content_type: Optional[str] = None

    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


def header_params(value: str) -> Dict[str, str]:
    """``form-data; name="file"; filename="a.pdf"`` → {"": "form-data", "name": "file", "filename": "a.pdf"}."""
    out: Dict[str, str] = {}
    parts = _split_params(value)
    if parts:
        out[""] = parts[0].strip().lower()
    for item in parts[1:]:
        key, sep, val = item.partition("=")
        if not sep:
            continue
        val = val.strip()
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out[key.strip().lower()] = val
    return out


def _split_params(value: str):
    parts, current, quoted, escape = [], [], False, False
    for ch in value:
        if escape:
            current.append(ch)
            escape = False
        elif ch == "\\" and quoted:
            current.append(ch)
            escape = True
        elif ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def parse(body: bytes, content_type: str) -> Dict[str, Part]:
    """Parse a multipart/form-data body; the first part of each name wins."""
    params = header_params(content_type or "")
    boundary = params.get("boundary")
    if not boundary:
        raise MultipartError("multipart/form-data without a boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 2:
        raise MultipartError("no multipart boundary found in the body")
    parts: Dict[str, Part] = {}
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        elif chunk.startswith(b"\n"):
            chunk = chunk[1:]
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, sep, data = chunk.partition(b"\n\n")
            if not sep:
                raise MultipartError("malformed multipart part (no header/body separator)")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        headers: Dict[str, str] = {}
        for line in head.decode("utf-8", "replace").splitlines():
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = header_params(headers.get("content-disposition", ""))
        name = disposition.get("name")
        if disposition.get("") != "form-data" or name is None:
            raise MultipartError("multipart part without Content-Disposition: form-data; name=...")
        if name not in parts:
            parts[name] = Part(name, data, disposition.get("filename"), headers.get("content-type"))
    return parts
