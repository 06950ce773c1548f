"""sense_writeback.console.session: signed session cookies, logout, CSRF tokens, the Secure rule."""
from sense_writeback.console.session import Sessions, is_loopback, same_token, secure_cookie
from sense_writeback.tokens import TokenSet

A, B = "admin-token-a-0123456789", "admin-token-b-0123456789"


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


def test_only_an_admin_token_opens_a_session_and_the_cookie_never_holds_it():
    sessions = Sessions(TokenSet([A, B]), 3600)
    assert sessions.login("sense-token-0123456789") is None and sessions.login("") is None
    session = sessions.login(B)
    cookie = Sessions.cookie_value(session)
    assert A not in cookie and B not in cookie
    assert sessions.check(cookie) == session


def test_forged_expired_and_logged_out_cookies_are_refused():
    clock = Clock()
    sessions = Sessions(TokenSet([A]), 60, clock=clock)
    session = sessions.login(A)
    cookie = Sessions.cookie_value(session)
    expires, nonce, signature = cookie.split(".")
    assert sessions.check(f"{int(expires) + 9999}.{nonce}.{signature}") is None  # longer life, same signature
    assert sessions.check(f"{expires}.{'0' * 32}.{signature}") is None
    assert sessions.check(cookie[:-1] + ("0" if cookie[-1] != "0" else "1")) is None
    assert sessions.check("garbage") is None and sessions.check(None) is None and sessions.check("1.2.3" * 100) is None
    # another deployment's token signs cookies this one refuses
    other = Sessions(TokenSet([B]), 60, clock=clock).login(B)
    assert sessions.check(Sessions.cookie_value(other)) is None
    clock.now += 61
    assert sessions.check(cookie) is None  # expired
    clock.now -= 61
    sessions.logout(session)
    assert sessions.check(cookie) is None  # logged out
    assert sessions.check(Sessions.cookie_value(sessions.login(A))) is not None  # a new login works


def test_removing_a_token_ends_its_sessions():
    session = Sessions(TokenSet([A, B]), 60).login(A)
    assert Sessions(TokenSet([B]), 60).check(Sessions.cookie_value(session)) is None
    assert Sessions(TokenSet([A]), 60).check(Sessions.cookie_value(session)) is not None  # another replica, same token


def test_csrf_token_is_bound_to_the_session():
    sessions = Sessions(TokenSet([A]), 60)
    first, second = sessions.login(A), sessions.login(A)
    assert first.csrf_token != second.csrf_token
    assert first.csrf_ok(first.csrf_token)
    assert not first.csrf_ok(second.csrf_token) and not first.csrf_ok("") and not first.csrf_ok(None)
    assert A not in first.csrf_token


def test_secure_cookie_unless_plain_http_on_loopback():
    assert not secure_cookie("http", "127.0.0.1") and not secure_cookie("http", "localhost")
    assert not secure_cookie("http", "[::1]")
    assert secure_cookie("https", "127.0.0.1") and secure_cookie("http", "10.0.0.5")
    assert secure_cookie("http", "console.example.com") and secure_cookie("http", None)
    assert is_loopback("127.0.0.2") and not is_loopback("128.0.0.1")


def test_same_token():
    assert same_token("abc", "abc") and not same_token("abc", "abd") and not same_token(None, "x")
    assert not same_token("", "")
