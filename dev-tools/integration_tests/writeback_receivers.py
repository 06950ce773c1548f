"""A scripted write-back receiver for the dispatcher's tests: real HTTP (pytest-httpserver, threaded).

By default it answers 200 ``{"id": "r-<sense id>"}``; ``plan(sense_id, *answers)`` makes the next
requests for that id answer otherwise (``(status, body)`` or ``(status, body, headers)``; a body
that is a string is sent as is). ``requests`` records every request.
"""
from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from typing import Any, Deque, Dict, List

from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response


class ScriptedReceiver:
    def __init__(self, path: str = "/event"):
        self.path = path
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self._lock = threading.Lock()
        self._plans: Dict[str, Deque[Any]] = defaultdict(deque)
        self.default: Any = None  # an answer for every id without a plan, instead of 200 + id
        self.requests: List[dict] = []
        self.server.expect_request(path, method="POST").respond_with_handler(self._handle)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}{self.path}"

    def start(self) -> "ScriptedReceiver":
        self.server.start()
        return self

    def stop(self) -> None:
        if self.server.is_running():
            self.server.stop()

    def plan(self, sense_id: str, *answers: Any) -> None:
        with self._lock:
            self._plans[sense_id].extend(answers)

    def ids(self) -> List[str]:
        with self._lock:
            return [r["body"]["id"] for r in self.requests if isinstance(r["body"], dict)]

    def _handle(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data())
        except ValueError:
            body = None
        sense_id = body.get("id") if isinstance(body, dict) else None
        with self._lock:
            self.requests.append({"args": dict(request.args), "authorization": request.headers.get("Authorization"),
                                  "content_type": request.headers.get("Content-Type"), "body": body})
            plan = self._plans.get(sense_id)
            answer = plan.popleft() if plan else self.default
        if answer is None:
            return Response(json.dumps({"id": f"r-{sense_id}"}), 200, content_type="application/json")
        status, payload, *headers = answer
        text = payload if isinstance(payload, str) else json.dumps(payload)
        return Response(text, status, headers=headers[0] if headers else None, content_type="application/json")
