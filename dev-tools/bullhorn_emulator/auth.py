"""Bullhorn's OAuth server and REST login: ``/oauth/authorize`` (with its sign-in form), ``/oauth/token``
(authorization code and refresh token grants), ``/rest-services/login`` and the session token a
request carries. A mixin of the request handler (``transport.Handler``); the state is ``self.state``.
"""
from __future__ import annotations

import html
import secrets
import time
from http.cookies import SimpleCookie
from typing import Dict, Optional
from urllib.parse import urlencode

from bullhorn_emulator.state import EmulatorState

LOGIN_FORM = """<!DOCTYPE html>
<html><head><title>Bullhorn emulator - sign in</title></head>
<body><h1>Sign in</h1>{error}
<form method="get" action="/oauth/authorize">
<input type="hidden" name="client_id" value="{client_id}">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="redirect_uri" value="{redirect_uri}">
<input type="hidden" name="state" value="{state}">
<input type="hidden" name="action" value="Login">
<label>Username <input name="username"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in and accept</button>
</form></body></html>
"""


class OAuthRoutes:
    """The OAuth and login routes of ``transport.Handler``."""

    state: EmulatorState

    def _authorize(self, params: Dict[str, str]) -> None:
        st = self.state
        s = st.settings
        with st.lock:
            st.stats["authorize"] += 1
        if params.get("client_id") != s.client_id:
            return self._send(400, {"error": "invalid_client", "error_description": "Invalid client id"})
        if params.get("response_type") != "code":
            return self._send(400, {"error": "unsupported_response_type"})
        redirect_uri = params.get("redirect_uri") or s.redirect_uri
        state_param = params.get("state", "")
        if params.get("action") == "Login":
            if params.get("username") == s.username and params.get("password") == s.password:
                code = st.new_token("code-")
                with st.lock:
                    st.codes[code] = (s.client_id, time.time() + 120, params.get("redirect_uri"))
                    st.issued.add(code)
                    st.stats["authorize_code_issued"] += 1
                query = {"code": code}
                if state_param:
                    query["state"] = state_param
                sep = "&" if "?" in redirect_uri else "?"
                return self._send(302, b"", {"Location": f"{redirect_uri}{sep}{urlencode(query)}"},
                                  content_type="text/html")
            error = "<p class='error'>Invalid username or password.</p>"
        else:
            error = ""
        page = LOGIN_FORM.format(error=error, client_id=html.escape(s.client_id),
                                 redirect_uri=html.escape(redirect_uri), state=html.escape(state_param))
        self._send(200, page, content_type="text/html;charset=UTF-8")

    def _token(self, params: Dict[str, str]) -> None:
        st = self.state
        s = st.settings
        if self.command != "POST":
            return self._send(405, {"error": "invalid_request", "error_description": "POST required"})
        if params.get("client_id") != s.client_id or params.get("client_secret") != s.client_secret:
            with st.lock:
                st.stats["token_errors"] += 1
            return self._send(401, {"error": "invalid_client", "error_description": "Invalid client credentials"})
        grant = params.get("grant_type")
        if grant == "authorization_code":
            code = params.get("code") or ""
            with st.lock:
                st.stats["token_authorization_code"] += 1
                entry = st.codes.pop(code, None)
            if entry is None or entry[1] < time.time():
                with st.lock:
                    st.stats["token_errors"] += 1
                return self._send(400, {"error": "invalid_grant", "error_description": "Invalid, expired or used authorization code"})
            if entry[2] and params.get("redirect_uri") and params.get("redirect_uri") != entry[2]:
                return self._send(400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"})
            return self._send(200, st.issue_tokens())
        if grant == "refresh_token":
            token = params.get("refresh_token") or ""
            with st.lock:
                st.stats["token_refresh"] += 1
                status = st.refresh_tokens.get(token)
                if status == "valid":
                    st.refresh_tokens[token] = "used"
                elif status == "used":
                    st.stats["refresh_token_reuse_rejected"] += 1
                    st.stats["token_refresh_rejected"] += 1
                else:
                    st.stats["token_refresh_rejected"] += 1
            if status != "valid":
                return self._send(400, {"error": "invalid_grant", "error_description": "Invalid, expired or revoked refresh token"})
            return self._send(200, st.issue_tokens())
        return self._send(400, {"error": "unsupported_grant_type"})

    # -------------------------------------------------------------- REST
    def _login(self, params: Dict[str, str]) -> None:
        st = self.state
        s = st.settings
        token = params.get("access_token") or ""
        if not params.get("version"):
            return self._error(400, "Missing required parameter: version")
        with st.lock:
            st.stats["rest_login"] += 1
            expires = st.access_tokens.get(token)
            valid = expires is not None and expires > time.time()
            if not valid:
                st.stats["rest_login_rejected"] += 1
        if not valid:
            return self._error(401, "Invalid or expired OAuth access token.", "errors.authentication.invalidOAuthToken")
        ttl_minutes = params.get("ttl")
        ttl = s.session_ttl
        if ttl_minutes:
            try:
                ttl = min(ttl, float(ttl_minutes) * 60)
            except ValueError:
                pass
        rest_token = str(secrets.token_hex(4)) + "-" + secrets.token_hex(2) + "-" + secrets.token_hex(2) + "-" + \
            secrets.token_hex(2) + "-" + secrets.token_hex(6)
        with st.lock:
            st.sessions[rest_token] = {"expires": time.time() + ttl, "calls": 0}
            st.issued.add(rest_token)
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        rest_url = f"http://{host}/rest-services/{s.corp_token}/"
        cookie = f"BhRestToken={rest_token}; Path=/rest-services/{s.corp_token}; HttpOnly"
        self._send(200, {"BhRestToken": rest_token, "restUrl": rest_url}, {"Set-Cookie": cookie})

    def _session_token(self, params: Dict[str, str]) -> Optional[str]:
        token = self.headers.get("BhRestToken") or self.headers.get("BHRestToken") or params.get("BhRestToken")
        if not token and self.headers.get("Cookie"):
            cookie = SimpleCookie(self.headers.get("Cookie"))
            if "BhRestToken" in cookie:
                token = cookie["BhRestToken"].value
        return token
