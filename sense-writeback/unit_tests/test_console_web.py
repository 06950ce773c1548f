"""sense_writeback.console.web in the receiver's app (Starlette's test client, a real SQLite store):
sessions, CSRF, headers, redirects, the cookie's attributes, and the console apart from /event."""
import re
import time

import pytest
from starlette.testclient import TestClient

from sense_writeback.app import create_app
from sense_writeback.auth import Authenticator
from sense_writeback.receiver_settings import build_config
from sense_writeback.console.security import CSP
from sense_writeback.store import open_store

SENSE, READER, ADMIN = "sense-token-0123456789", "reader-token-0123456789", "admin-token-0123456789"


@pytest.fixture
def app(tmp_path):
    config = build_config({}, {"SENSE_WRITEBACK_TOKENS": SENSE, "SENSE_WRITEBACK_READ_TOKENS": READER,
                               "SENSE_WRITEBACK_ADMIN_TOKENS": ADMIN}, {})
    with open_store(str(tmp_path / "wb.db")) as store:
        app = create_app(config, store, Authenticator(config.tokens))
        app.db = tmp_path / "wb.db"
        app.store = store
        yield app


def client(app, base="http://127.0.0.1"):
    return TestClient(app, base_url=base, follow_redirects=False)


def login(c, token=ADMIN, next_path=""):
    page = c.get("/console/login")
    login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)
    return c.post("/console/login", data={"login_csrf": login_csrf, "token": token, "next": next_path})


def csrf_of(c):
    return re.search(r'name="csrf" value="([^"]+)"', c.get("/console/parked").text).group(1)


def test_pages_need_a_session_and_other_tokens_open_nothing(app):
    c = client(app)
    answer = c.get("/console/health")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/login?next=%2Fconsole%2Fhealth"
    assert c.post("/console/replay", data={"seq": "1"}).status_code == 401
    for token in (SENSE, READER):
        assert login(c, token).status_code == 401
        assert c.get("/console/health").status_code == 303
    assert c.get("/console/health", headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 303


def test_login_sets_a_strict_httponly_cookie_and_logout_ends_the_session(app):
    c = client(app)
    answer = login(c, next_path="/console/health")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/health"
    cookie = next(v for v in answer.headers.get_list("set-cookie") if v.startswith("sense_console="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http on loopback
    assert ADMIN not in cookie
    assert c.get("/console/health").status_code == 200
    stolen = c.cookies.get("sense_console")
    assert c.post("/console/logout", data={"csrf": csrf_of(c)}).status_code == 303
    assert c.get("/console/health").status_code == 303
    assert client(app).get("/console/health", cookies={"sense_console": stolen}).status_code == 303


def test_cookie_is_secure_off_loopback(app):
    c = client(app, "https://console.example.com")
    cookie = next(v for v in login(c).headers.get_list("set-cookie") if v.startswith("sense_console="))
    assert "Secure" in cookie


def test_login_redirects_only_inside_the_console(app):
    for target in ("https://evil.example/", "//evil.example/console/", "/metrics", "/console\\..\\x"):
        assert login(client(app), next_path=target).headers["location"] == "/console/writebacks"


def test_login_form_needs_its_own_token(app):
    c = client(app)
    c.get("/console/login")
    assert c.post("/console/login", data={"login_csrf": "forged", "token": ADMIN}).status_code == 403
    assert c.get("/console/health").status_code == 303


def test_state_changes_need_the_csrf_token(app):
    c = client(app)
    login(c)
    assert c.post("/console/replay", data={"seq": "1"}).status_code == 403
    assert c.post("/console/replay", data={"seq": "1", "csrf": "0" * 64}).status_code == 403
    assert c.post("/console/logout", data={}).status_code == 403
    assert c.get("/console/health").status_code == 200  # still logged in
    csrf = csrf_of(c)
    cross = c.post("/console/replay", data={"seq": "1", "csrf": csrf}, headers={"sec-fetch-site": "cross-site"})
    assert cross.status_code == 403
    empty = c.post("/console/replay", data={"csrf": csrf})
    assert empty.status_code == 400 and "Nothing to replay" in empty.text


def test_a_console_session_gives_no_access_to_the_event_path(app):
    c = client(app)
    login(c)
    answer = c.post("/event", json={"id": "x"}, cookies={"sense_console": c.cookies.get("sense_console")})
    assert answer.status_code == 401


def test_security_headers_on_every_console_answer(app):
    c = client(app)
    for path in ("/console/login", "/console/health", "/console/static/console.css"):
        headers = c.get(path).headers
        assert headers["content-security-policy"] == CSP and "script-src 'self'" in CSP and "unsafe" not in CSP
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert c.get("/console/static/console.js").headers["content-type"].startswith(("text/javascript",
                                                                                   "application/javascript"))


def test_console_off_serves_nothing(tmp_path):
    config = build_config({}, {"SENSE_WRITEBACK_TOKENS": SENSE, "SENSE_WRITEBACK_ADMIN_TOKENS": ADMIN,
                               "SENSE_WRITEBACK_CONSOLE_PATH": "off"}, {})
    with open_store(str(tmp_path / "wb.db")) as store:
        c = client(create_app(config, store, Authenticator(config.tokens)))
        assert c.get("/console/login").status_code == 404


def test_no_page_renders_an_inline_script_or_style(app):
    c = client(app)
    login(c)
    for path in ("/console/login", "/console/writebacks", "/console/parked", "/console/health", "/console/syncs"):
        text = c.get(path).text
        assert "<script>" not in text and " style=" not in text and "<style" not in text and " on" + "click" not in text
        assert ADMIN not in text and SENSE not in text and READER not in text


def test_pages_say_when_the_database_cannot_be_read(app):
    c = client(app)
    login(c)
    away = app.db.with_suffix(".away")
    app.db.rename(away)  # a reader now opens an empty database: no tables
    try:
        time.sleep(0.6)  # past the readiness answer's cache
        health = c.get("/console/health")
        assert health.status_code == 200 and "not ready" in health.text and 'id="no-figures"' in health.text
        listing = c.get("/console/writebacks")
        assert listing.status_code == 503 and "storage cannot be read right now" in listing.text
    finally:
        app.db.unlink(missing_ok=True)
        away.rename(app.db)
    time.sleep(0.6)
    health = c.get("/console/health")
    assert "not ready" not in health.text and 'id="arrivals-chart"' in health.text


def test_the_list_pages_newest_first_with_the_filters_kept(app):
    from unit_tests.test_console_queries import NOW, doc, incoming

    for i in range(120):
        app.store.put(incoming(doc(f"p-{i}", "MESSAGING_INCOMING_MESSAGE" if i % 2 else "GENERIC_EVENT"), NOW))
    c = client(app)
    login(c)

    def ids(page):
        return re.findall(r">(p-\d+)</a>", page.text)

    def older(page):
        return re.search(r'rel="next" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")

    first = c.get("/console/writebacks?type=GENERIC_EVENT")
    assert ids(first) == [f"p-{i}" for i in range(118, 18, -2)]  # 50 a page
    assert "type=GENERIC_EVENT" in older(first) and "before=" in older(first)
    last = c.get(older(first))
    assert ids(last) == [f"p-{i}" for i in range(18, -1, -2)] and 'rel="next"' not in last.text
    assert ">Newest</a>" in last.text


def test_the_console_is_not_even_imported_when_off(tmp_path):
    from sense_testing.imports import modules_after

    loaded = modules_after(
        "from sense_writeback.app import create_app\n"
        "from sense_writeback.auth import Authenticator\n"
        "from sense_writeback.receiver_settings import build_config\n"
        "from sense_writeback.store import open_store\n"
        f"config = build_config({{}}, {{'SENSE_WRITEBACK_TOKENS': {SENSE!r}}}, {{}})\n"
        f"store = open_store({str(tmp_path / 'wb.db')!r})\n"
        "create_app(config, store, Authenticator(config.tokens))\n"
        "store.close()")
    assert "sense_writeback.app" in loaded
    assert "sense_writeback.console.web" not in loaded and "jinja2" not in loaded
