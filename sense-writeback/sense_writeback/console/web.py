"""The console's pages (a Starlette app mounted under the console path by ``sense_writeback.app``).

Server-rendered with Jinja2, autoescaping every value (write-back content is hostile input), a
stylesheet and one small script served from the package. Every page but the login form needs a
session; every POST needs the session's CSRF token and is refused when the browser says it comes
from another site (``Sec-Fetch-Site: cross-site``). Database reads and template rendering run in
Starlette's thread pool, never on the event loop that answers Sense.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import parse_qs, quote

from jinja2 import Environment, PackageLoader
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sense_writeback.console.health import health
from sense_writeback.console.queries import Filters, Queries
from sense_writeback.console.replay import Replays, ReplayUnavailable
from sense_writeback.console.security import SecurityHeaders
from sense_writeback.console.session import (COOKIE, LOGIN_COOKIE, Session, Sessions, new_login_token, same_token,
                                             secure_cookie)
from sense_writeback.console.settings import ConsoleSettings
from sense_writeback.console.sync_outcomes import OutcomesUnavailable, SyncOutcomes, open_storage, rejected_lines

log = logging.getLogger("sense_writeback.console")
MAX_FORM_BYTES = 256 * 1024
REPLAY_WAIT_SECONDS = 5.0
REJECTED_PAGE = 100


def utc_text(value: Any) -> str:
    """An ISO 8601 time as ``YYYY-MM-DD HH:MM:SS UTC`` (the page's script shows it in the viewer's zone)."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def templates() -> Environment:
    env = Environment(loader=PackageLoader("sense_writeback.console", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["utc"] = utc_text
    env.filters["tojson_pretty"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return env


class Console:
    def __init__(self, settings: ConsoleSettings, store, metrics, readiness, env=None):
        self.settings = settings
        self.base = settings.path
        self.store = store
        self.metrics = metrics
        self.readiness = readiness
        self.sessions = Sessions(settings.admin_tokens, settings.session_hours * 3600)
        self.queries = Queries(store)
        self.replays = Replays(store, settings.replay, env)
        self.templates = templates()

    # -- plumbing --------------------------------------------------------------------------------
    def render(self, request: Request, name: str, session: Optional[Session], status: int = 200,
               **context) -> HTMLResponse:
        html = self.templates.get_template(name).render(base=self.base, session=session,
                                                        csrf=session.csrf_token if session else "", **context)
        return HTMLResponse(html, status_code=status)

    def refuse(self, request: Request, status: int, message: str, session: Optional[Session] = None) -> HTMLResponse:
        return self.render(request, "message.html", session, status=status, title="Refused", message=message)

    def _secure(self, request: Request) -> bool:
        return secure_cookie(request.url.scheme, request.url.hostname)

    def _set_cookie(self, response: Response, request: Request, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, path=self.base or "/", httponly=True, samesite="strict",
                            secure=self._secure(request))

    def page(self, handler: Callable, *, post: bool = False, readiness: bool = False) -> Callable:
        """An endpoint that needs a session (and on POST the CSRF token); ``handler(request, session,
        form)`` runs in the thread pool. ``readiness``: ``request.state.storage_problem`` holds
        ``/readyz``'s answer first."""
        async def endpoint(request: Request) -> Response:
            session = self.sessions.check(request.cookies.get(COOKIE))
            if session is None:
                if request.method == "GET":
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse(f"{self.base}/login?next={quote(target, safe='')}", status_code=303)
                return self.refuse(request, 401, "Log in first: this action needs a console session.")
            form: Dict[str, List[str]] = {}
            if post:
                if request.headers.get("sec-fetch-site") == "cross-site":
                    return self.refuse(request, 403, "Refused: the request came from another site.", session)
                form = await read_form(request)
                if form is None or not session.csrf_ok(first(form, "csrf")):
                    log.warning("console: a POST to %s without a valid CSRF token was refused", request.url.path)
                    return self.refuse(request, 403, "Refused: the form's CSRF token is missing or wrong. "
                                                     "Reload the page and try again.", session)
            if readiness:
                request.state.storage_problem = await self.readiness.problem()
            try:
                return await run_in_threadpool(handler, request, session, form)
            except Exception as exc:  # storage down (the moment an operator looks): a page that says so
                log.error("console: %s failed: %s: %s", request.url.path, type(exc).__name__,
                          str(exc).splitlines()[0][:200] if str(exc) else "")
                return self.refuse(request, 503, "The receiver's storage cannot be read right now (the receiver's "
                                                 "log has the error; /readyz answers 200 again when it is back).",
                                   session)
        return endpoint

    # -- login -----------------------------------------------------------------------------------
    async def login_form(self, request: Request) -> Response:
        if self.sessions.check(request.cookies.get(COOKIE)):
            return RedirectResponse(self._next(request.query_params.get("next")), status_code=303)
        return self._login_page(request, request.query_params.get("next") or "")

    def _login_page(self, request: Request, next_path: str, error: str = "", status: int = 200) -> Response:
        token = new_login_token()
        insecure = self._secure(request) and request.url.scheme == "http"
        response = self.render(request, "login.html", None, status=status, title="Log in", login_csrf=token,
                               next=next_path, error=error, insecure=insecure)
        self._set_cookie(response, request, LOGIN_COOKIE, token, 3600)
        return response

    def _next(self, value: Optional[str]) -> str:
        """Where to go after login: only a path of this console (never another site)."""
        if value and value.startswith(self.base + "/") and "//" not in value and "\\" not in value \
                and ".." not in value:
            return value
        return f"{self.base}/writebacks"

    async def login(self, request: Request) -> Response:
        form = await read_form(request)
        if form is None or not same_token(first(form, "login_csrf"), request.cookies.get(LOGIN_COOKIE)):
            return self._login_page(request, "", "The login form expired; try again.", status=403)
        next_path = first(form, "next") or ""
        session = self.sessions.login(first(form, "token") or "")
        if session is None:
            log.warning("console: failed login from %s", request.client.host if request.client else "?")
            return self._login_page(request, next_path, "That is not an admin token.", status=401)
        response = RedirectResponse(self._next(next_path), status_code=303)
        self._set_cookie(response, request, COOKIE, Sessions.cookie_value(session),
                         int(self.settings.session_hours * 3600))
        response.delete_cookie(LOGIN_COOKIE, path=self.base or "/")
        log.info("console: login from %s", request.client.host if request.client else "?")
        return response

    def logout(self, request: Request, session: Session, form) -> Response:
        self.sessions.logout(session)
        response = RedirectResponse(f"{self.base}/login", status_code=303)
        response.delete_cookie(COOKIE, path=self.base or "/", httponly=True, samesite="strict",
                               secure=self._secure(request))
        return response

    # -- pages -----------------------------------------------------------------------------------
    def writebacks(self, request: Request, session: Session, form) -> Response:
        filters = Filters.from_query(dict(request.query_params))
        with self.queries.connection():
            rows, next_before = self.queries.writebacks(filters)
            types, entity_types = self.queries.types(), self.queries.entity_types()
        return self.render(request, "writebacks.html", session, title="Write-backs", section="writebacks",
                           rows=rows, filters=filters, next_before=next_before, types=types,
                           entity_types=entity_types)

    def detail(self, request: Request, session: Session, form) -> Response:
        detail = self.queries.detail(request.path_params["seq"])
        if detail is None:
            return self.refuse(request, 404, "No stored write-back with that number.", session)
        return self.render(request, "detail.html", session, title=f"Write-back {detail['row'].sense_id}",
                           section="writebacks", d=detail)

    def parked(self, request: Request, session: Session, form) -> Response:
        return self.render(request, "parked.html", session, title="Parked write-backs", section="parked",
                           groups=self.queries.parked(), unavailable=self.replays.unavailable_reason())

    def replay(self, request: Request, session: Session, form) -> Response:
        reason = first(form, "reason")
        if reason is not None:
            seqs, label = self.queries.parked_seqs(reason), f"all parked with reason “{reason}”"
        else:
            seqs = [int(s) for s in form.get("seq", []) if s.isdigit()]
            label = "one write-back" if len(seqs) == 1 else "a selection"
        if not seqs:
            return self.refuse(request, 400, "Nothing to replay: select at least one parked write-back.", session)
        try:
            job = self.replays.start(seqs, label)
        except ReplayUnavailable as exc:
            return self.refuse(request, 503, str(exc), session)
        log.info("console: replay %s of %d write-back(s) (%s) asked from %s", job.id, len(job.seqs), label,
                 request.client.host if request.client else "?")
        job.done.wait(REPLAY_WAIT_SECONDS)
        return RedirectResponse(f"{self.base}/replays/{job.id}", status_code=303)

    def replay_job(self, request: Request, session: Session, form) -> Response:
        job = self.replays.get(request.path_params["job"])
        if job is None:
            return self.refuse(request, 404, "No such replay (only the last 50 are kept).", session)
        job.started_iso = datetime.fromtimestamp(job.started, timezone.utc).isoformat()
        return self.render(request, "replay.html", session, title="Replay", section="parked", job=job)

    def health(self, request: Request, session: Session, form) -> Response:
        problem = request.state.storage_problem
        try:
            with self.queries.connection():
                view = health(self.queries, self.store, self.metrics, problem)
        except Exception as exc:
            log.error("console: health figures unavailable: %s", type(exc).__name__)
            view = {"ready": False, "storage": self.store.kind,
                    "storage_detail": problem or "the database cannot be read", "chart": None}
        return self.render(request, "health.html", session, title="Health", section="health", h=view)

    # -- syncs -----------------------------------------------------------------------------------
    def _outcomes(self) -> SyncOutcomes:
        if not self.settings.sync_outcomes:
            raise OutcomesUnavailable("No sync-outcomes location is configured (SENSE_WRITEBACK_SYNC_OUTCOMES: "
                                      "the directory or s3:// path destination-sense writes its reports to).")
        return SyncOutcomes(open_storage(self.settings))

    def syncs(self, request: Request, session: Session, form) -> Response:
        try:
            runs, problem = self._outcomes().runs(), None
        except OutcomesUnavailable as exc:
            runs, problem = None, str(exc)
        return self.render(request, "syncs.html", session, title="Syncs", section="syncs", runs=runs, problem=problem)

    def _run(self, request: Request):
        outcomes = self._outcomes()
        return outcomes, outcomes.run(request.path_params["connection"], request.path_params["run"])

    def sync_run(self, request: Request, session: Session, form) -> Response:
        try:
            _, run = self._run(request)
        except OutcomesUnavailable as exc:
            return self.refuse(request, 503, str(exc), session)
        if run is None:
            return self.refuse(request, 404, "No such sync run.", session)
        return self.render(request, "sync_run.html", session, title=f"Sync run {run.name}", section="syncs", run=run)

    def rejected(self, request: Request, session: Session, form) -> Response:
        key = request.query_params.get("key", "")
        offset = request.query_params.get("offset", "0")
        offset = int(offset) if offset.isdigit() else 0
        try:
            outcomes, run = self._run(request)
            if run is None:
                raise FileNotFoundError(key)
            records, more = rejected_lines(outcomes.rejected_file(run, key), offset, REJECTED_PAGE)
        except OutcomesUnavailable as exc:
            return self.refuse(request, 503, str(exc), session)
        except (FileNotFoundError, OSError, EOFError):
            return self.refuse(request, 404, "No such rejected-records file in this run.", session)
        return self.render(request, "rejected.html", session, title=f"Rejected records: {key}", section="syncs",
                           run=run, key=key, records=records, offset=offset, more=more, limit=REJECTED_PAGE)

    def download(self, request: Request, session: Session, form) -> Response:
        key = request.query_params.get("key", "")
        try:
            outcomes, run = self._run(request)
            if run is None:
                raise FileNotFoundError(key)
            data = outcomes.rejected_file(run, key)
        except OutcomesUnavailable as exc:
            return self.refuse(request, 503, str(exc), session)
        except (FileNotFoundError, OSError):
            return self.refuse(request, 404, "No such rejected-records file in this run.", session)
        name = f"{run.connection_id}-{run.name}-{key.replace('/', '_')}"  # ASCII only (KEY's characters)
        return Response(data, media_type="application/gzip",
                        headers={"content-disposition": f'attachment; filename="{name}"'})

    # -- the app ---------------------------------------------------------------------------------
    def app(self):
        async def home(request: Request) -> Response:
            return RedirectResponse(f"{self.base}/writebacks", status_code=303)

        p = self.page
        routes = [
            Route("/", home, methods=["GET"]),
            Route("/login", self.login_form, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", p(self.logout, post=True), methods=["POST"]),
            Route("/writebacks", p(self.writebacks), methods=["GET"]),
            Route("/writebacks/{seq:int}", p(self.detail), methods=["GET"]),
            Route("/parked", p(self.parked), methods=["GET"]),
            Route("/replay", p(self.replay, post=True), methods=["POST"]),
            Route("/replays/{job}", p(self.replay_job), methods=["GET"]),
            Route("/health", p(self.health, readiness=True), methods=["GET"]),
            Route("/syncs", p(self.syncs), methods=["GET"]),
            Route("/syncs/{connection}/{run}", p(self.sync_run), methods=["GET"]),
            Route("/syncs/{connection}/{run}/rejected", p(self.rejected), methods=["GET"]),
            Route("/syncs/{connection}/{run}/download", p(self.download), methods=["GET"]),
            Mount("/static", StaticFiles(packages=[("sense_writeback.console", "static")]), name="static"),
        ]
        return SecurityHeaders(Starlette(routes=routes))


async def read_form(request: Request) -> Optional[Dict[str, List[str]]]:
    """An ``application/x-www-form-urlencoded`` body (at most ``MAX_FORM_BYTES``), or None."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10_000)
    except (UnicodeDecodeError, ValueError):
        return None


def first(form: Dict[str, List[str]], name: str) -> Optional[str]:
    values = form.get(name)
    return values[0] if values else None


def mount(settings: ConsoleSettings, receiver) -> Optional[Mount]:
    """The console's route for the receiver's app (its store, metrics and readiness), or None when it is off."""
    if not settings.enabled:
        return None
    from sense_writeback.forward.ledger import Ledger

    Ledger(receiver.store).close()  # the forwarder's tables, read by every page (until the store's schema owns them)
    console = Console(settings, receiver.store, receiver.metrics, receiver.readiness)
    return Mount(settings.path, app=console.app())

