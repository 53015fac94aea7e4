"""The page's guard: a key made at each launch, a cookie for the browser that has it, CSRF, strict headers.

Every service of the project refuses a caller it does not know; this page is a local tool, so
it listens on 127.0.0.1 and knows its caller by a secret made when it starts (as Jupyter does):
`serve web` prints an address carrying the key (`/?token=...`). Opening it sets an HttpOnly,
SameSite=Strict cookie and sends the browser on to the page without the key in the address.
Every other request without that cookie gets 401, static files included. The upload form
carries a CSRF token as well (SameSite=Strict already keeps the cookie off other sites' posts;
the token is the second lock), and a post whose Origin is another site's is refused.

Every response says: no caching of results, no framing, no referrer, scripts and styles only
from the page itself (`Content-Security-Policy`), so even a value from a hostile file cannot
run as script.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

import attrs
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["COOKIE", "Guard", "PageKey"]

COOKIE = "ics_interop_web"

_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        b"form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

_REFUSED = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Key needed - ics-interop</title></head>
<body><h1>This page needs its key</h1>
<p>The page checks your files on this computer only, and opens for the browser that has its key.
Open the address that <code>ics-interop serve web</code> printed when it started (it ends in
<code>?token=...</code>). The key changes each time the page is started.</p></body></html>
"""


@attrs.frozen
class PageKey:
    """The secret of one launch, and what is derived from it."""

    key: str = attrs.field(factory=lambda: secrets.token_urlsafe(32))

    def _derive(self, purpose: bytes) -> str:
        return hmac.new(self.key.encode("ascii"), purpose, hashlib.sha256).hexdigest()

    @property
    def cookie(self) -> str:
        """The cookie's value: derived from the key, so the key itself is not stored in the browser."""
        return self._derive(b"cookie")

    @property
    def csrf(self) -> str:
        """The upload form's CSRF token."""
        return self._derive(b"csrf")

    def opens(self, given: str) -> bool:
        return secrets.compare_digest(given.encode(), self.key.encode())

    def admits(self, cookie: str) -> bool:
        return secrets.compare_digest(cookie.encode(), self.cookie.encode())

    def checks(self, token: str) -> bool:
        return secrets.compare_digest(token.encode(), self.csrf.encode())


def _cookies(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                found[key] = val
    return found


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


class Guard:
    """ASGI middleware: the key, the cookie, the Origin check and the headers, before the page's routes."""

    def __init__(self, app: ASGIApp, key: PageKey) -> None:
        self.app, self.key = app, key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[0]
        if scope["method"] == "GET" and scope["path"] == "/" and given:
            if self.key.opens(given):
                await self._respond(
                    send,
                    303,
                    b"",
                    extra=[
                        (b"location", b"/"),
                        (b"set-cookie", f"{COOKIE}={self.key.cookie}; HttpOnly; SameSite=Strict; Path=/".encode()),
                    ],
                )
            else:
                await self._respond(send, 401, _REFUSED.encode())
            return
        if not self.key.admits(_cookies(scope).get(COOKIE, "")):
            await self._respond(send, 401, _REFUSED.encode())
            return
        origin = _header(scope, b"origin")
        host = _header(scope, b"host") or ""
        if scope["method"] == "POST" and origin not in (None, "null") and urlsplit(origin).netloc != host:
            await self._respond(send, 403, b"<!DOCTYPE html><title>Refused</title><p>A form from another site.</p>")
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _respond(self, send: Send, status: int, body: bytes, extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
        headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers + list(extra) + _HEADERS})
        await send({"type": "http.response.body", "body": body})
