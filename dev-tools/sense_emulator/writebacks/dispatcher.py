"""Sense's side of write-backs: send every queued write-back to the customer's URL until it is stored.

As the guide says Sense does: one POST per write-back to one fixed URL, the envelope as the JSON
body, credentials per the configured auth mode (``receiver_auth``). A write-back is delivered
only by a **200 whose body is a JSON object with a non-empty ``id``**; anything else (other status,
2xx without an id, a body that is not JSON, a refused or reset connection, a timeout, no token)
is a failed attempt (a redirect too: it is not followed) and the write-back is sent again after an exponential backoff, until the
retry policy's attempts are used up (then it is ``given_up``: kept, counted and re-deliverable).
Every attempt is recorded (time, status code, error, duration, the receiver's id).

For ``ENTITY_CREATE`` the guide also asks for ``entity_id`` in the answer; its absence is recorded
as a warning on the attempt, not a failure (the write-back was stored).
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

import orjson

from sense_emulator.writebacks import receiver_auth
from sense_emulator.writebacks.receiver_auth import AuthError, Authenticator, Redactor, redact_url
from sense_emulator.writebacks.outbox import Delivery, Outbox

if TYPE_CHECKING:  # requests is imported when the first write-back is sent (emulator start-up stays fast)
    import requests

MAX_CONCURRENCY = 64
MAX_ATTEMPTS_LIMIT = 1000
#: Longest receiver error text kept on an attempt.
ERROR_TEXT_LIMIT = 300


@dataclass
class RetryPolicy:
    """Delay before attempt n+1 = min(max_delay, initial_delay × multiplier^(n-1)), less up to
    ``jitter`` of it at random; never less than a receiver's ``Retry-After`` (capped at max_delay)."""

    max_attempts: int = 10
    initial_delay: float = 1.0
    multiplier: float = 2.0
    max_delay: float = 60.0
    jitter: float = 0.2

    def validate(self) -> None:
        if not 1 <= self.max_attempts <= MAX_ATTEMPTS_LIMIT:
            raise ValueError(f"max_attempts must be 1..{MAX_ATTEMPTS_LIMIT}")
        if self.initial_delay < 0 or self.max_delay < self.initial_delay or self.multiplier < 1:
            raise ValueError("need 0 <= initial_delay <= max_delay and multiplier >= 1")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    def delay(self, attempts_made: int, retry_after: Optional[float], rng: random.Random) -> Optional[float]:
        """Seconds before the next attempt, or None when ``attempts_made`` used the policy up."""
        if attempts_made >= self.max_attempts:
            return None
        base = min(self.max_delay, self.initial_delay * self.multiplier ** (attempts_made - 1))
        base *= 1 - self.jitter * rng.random()
        if retry_after is not None:
            base = max(base, min(retry_after, self.max_delay))
        return base


def receiver_id(response: "requests.Response") -> Tuple[object, Optional[dict], Optional[str]]:
    """``(id, body, error)``: the receiver's id of a 200 answer, or why there is none."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None, None, "200 whose body is not JSON"
    if not isinstance(body, dict):
        return None, None, "200 whose body is not a JSON object"
    value = body.get("id")
    if isinstance(value, bool) or value in (None, "") or not isinstance(value, (str, int)):
        return None, body, "200 without an id"
    return value, body, None


def _retry_after(response: "requests.Response") -> Optional[float]:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _error_text(response: "requests.Response") -> str:
    try:
        body = orjson.loads(response.content)
        text = body.get("error") if isinstance(body, dict) else None
    except orjson.JSONDecodeError:
        text = None
    if not isinstance(text, str):
        text = response.content[:ERROR_TEXT_LIMIT].decode("utf-8", "replace")
    return f"status {response.status_code}" + (f": {text[:ERROR_TEXT_LIMIT]}" if text else "")


class Dispatcher:
    """Worker threads that drain the outbox to the configured target."""

    def __init__(self, concurrency: int = 4, seed: Optional[int] = None):
        self.outbox = Outbox()
        self.retry = RetryPolicy()
        self.url: Optional[str] = None
        self.auth: Authenticator = Authenticator()
        self.timeout = 10.0
        self.concurrency = concurrency
        self.rng = random.Random(seed)
        self._lock = threading.Lock()
        self._threads: List[threading.Thread] = []
        self._local = threading.local()
        self.outbox.set_paused(True)  # until a target is configured
        self._user_paused = False

    # -- configuration ------------------------------------------------------------------------
    def configure(self, spec: Dict[str, Any]) -> dict:
        """Apply ``{"url", "auth": {...}, "timeout", "retry": {...}, "concurrency"}``; only the keys
        given change. The outbox is kept: a new URL or credentials apply to the next attempts."""
        unknown = set(spec) - {"url", "auth", "timeout", "retry", "concurrency"}
        if unknown:
            raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
        retry = self.retry
        if "retry" in spec:
            fields = spec["retry"] or {}
            if not isinstance(fields, dict) or set(fields) - set(asdict(retry)):
                raise ValueError(f"retry takes {', '.join(asdict(retry))}")
            retry = RetryPolicy(**{**asdict(self.retry), **fields})
            retry.validate()
        concurrency = spec.get("concurrency", self.concurrency)
        if not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENCY:
            raise ValueError(f"concurrency must be an integer 1..{MAX_CONCURRENCY}")
        timeout = spec.get("timeout", self.timeout)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        url = spec.get("url", self.url)
        if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
            raise ValueError("url must be an http(s) URL")
        auth = self.auth
        if "auth" in spec:
            if not isinstance(spec["auth"], dict):
                raise ValueError("auth must be an object with a mode")
            auth = receiver_auth.build(spec["auth"], float(timeout))
        with self._lock:
            self.retry, self.url, self.auth, self.timeout, self.concurrency = retry, url, auth, float(timeout), concurrency
            if url is not None:
                self._start_workers()
        self.outbox.set_paused(self._user_paused or self.url is None)
        return self.describe()

    def describe(self) -> dict:
        return {
            "url": redact_url(self.url) if self.url else None,
            "auth": self.auth.describe(),
            "timeout": self.timeout,
            "retry": asdict(self.retry),
            "concurrency": self.concurrency,
            "paused": self.outbox.paused,
        }

    def pause(self, paused: bool) -> None:
        self._user_paused = paused
        self.outbox.set_paused(paused or self.url is None)

    # -- workers ------------------------------------------------------------------------------
    def _start_workers(self) -> None:
        self._threads = [t for t in self._threads if t.is_alive()]
        while len(self._threads) < self.concurrency:
            thread = threading.Thread(target=self._work, name=f"writeback-{len(self._threads)}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _work(self) -> None:
        me = threading.current_thread()
        while True:
            with self._lock:
                surplus = me in self._threads and self._threads.index(me) >= self.concurrency
                if surplus:
                    self._threads.remove(me)
                    return
            delivery = self.outbox.take()
            if delivery is None:
                return
            self._deliver(delivery)

    def _session(self) -> "requests.Session":
        session = getattr(self._local, "session", None)
        if session is None:
            import requests

            session = self._local.session = requests.Session()
        return session

    def _deliver(self, delivery: Delivery) -> None:
        import requests

        url, auth, timeout = self.url, self.auth, self.timeout
        started, wall = time.perf_counter(), time.time()
        attempt: Dict[str, Any] = {"n": len(delivery.attempts) + 1,
                                   "time": datetime.fromtimestamp(wall, timezone.utc).isoformat(timespec="milliseconds"),
                                   "status": None, "error": None, "receiver_id": None}
        delivered, retry_after, rid, entity_id = False, None, None, None
        redact = Redactor(auth.secrets())
        try:
            if url is None:
                raise AuthError("no write-back URL configured")
            url, headers = auth.prepare(url)
            redact = Redactor(auth.secrets())
            headers["Content-Type"] = "application/json"
            # A redirect is not followed: Sense posts to the one URL it was given; a 3xx is a failure.
            response = self._session().post(url, data=delivery.body, headers=headers, timeout=timeout,
                                            allow_redirects=False)
            attempt["status"] = response.status_code
            if response.status_code == 200:
                rid, body, problem = receiver_id(response)
                if problem:
                    attempt["error"] = problem
                else:
                    delivered, attempt["receiver_id"] = True, rid
                    if delivery.type == "ENTITY_CREATE":
                        entity_id = body.get("entity_id")
                        if entity_id in (None, ""):
                            attempt["warning"] = "no entity_id in the answer to ENTITY_CREATE (the guide requires one)"
            else:
                if response.status_code == 401:
                    auth.rejected()
                attempt["error"] = _error_text(response)
                retry_after = _retry_after(response)
        except AuthError as exc:
            attempt["error"] = f"credentials: {exc}"
        except requests.Timeout as exc:
            attempt["error"] = f"timeout after {timeout:g} s ({type(exc).__name__})"
        except requests.RequestException as exc:
            attempt["error"] = f"{type(exc).__name__}: {exc}"[:ERROR_TEXT_LIMIT]
        except Exception as exc:  # a bug here must not stop a worker or lose the write-back: retry it
            attempt["error"] = f"dispatcher error: {type(exc).__name__}"
        attempt["error"] = redact(attempt["error"]) if attempt["error"] else None
        attempt["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        retry_in = None if delivered else self.retry.delay(attempt["n"], retry_after, self.rng)
        if retry_in is not None:
            attempt["retry_in"] = round(retry_in, 3)
        self.outbox.finish(delivery, attempt, delivered, retry_in, rid, entity_id)

    def stop(self, timeout: float = 5.0) -> None:
        self.outbox.stop()
        for thread in list(self._threads):
            thread.join(timeout)
