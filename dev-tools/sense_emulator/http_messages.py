"""The emulator's requests and answers, independent of the HTTP transport (``server``) and the routes (``app``).

``Request`` is what the transport hands the app; ``Response`` what the app (or its admin routes)
answers; ``json_response`` and ``errors_response`` build the common JSON answers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional, Tuple

import orjson


@dataclass
class Request:
    method: str
    target: str  # path and query, as on the request line
    headers: Any  # case-insensitive mapping with .get (http.client.HTTPMessage or dict)
    body: bytes = b""

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name)


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: List[Tuple[str, str]] = field(default_factory=list)
    drop: bool = False  # close the connection without answering
    request_id: Optional[str] = None  # of a 201


def json_response(status: int, payload: Any, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    return Response(status, orjson.dumps(payload), [("Content-Type", "application/json")] + (headers or []))


def errors_response(status: int, errors: List[dict]) -> Response:
    """The spec's 400/413 body: ``{"errors": [...], "warnings": []}``."""
    return json_response(status, {"errors": errors, "warnings": []})
