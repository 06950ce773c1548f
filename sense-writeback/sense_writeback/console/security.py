"""Response headers of every console page (ASGI middleware around the console's Starlette app).

The Content-Security-Policy allows scripts, styles and images from the console's own origin only
(no inline script or style, no ``eval``), forms posting only to itself, and no framing; with
autoescaped templates this is the second wall against hostile write-back content.
"""
from __future__ import annotations

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)
_NAMES = {name for name, _ in HEADERS}


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _NAMES]
                message = {**message, "headers": headers + list(HEADERS)}
            await send(message)

        await self.app(scope, receive, send_with_headers)
