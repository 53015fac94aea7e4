"""The gate in front of every reference service: who is calling, and how much they may send, before any body is read.

`RequestGuard` is an ASGI middleware around the whole application. For each request it

1. lets the public paths through (`/health`, the OpenAPI document and its pages);
2. authenticates the caller from the `Authorization` header alone (`Authenticator`), answering
   401 with a `WWW-Authenticate` challenge when there is no token or it cannot be trusted: a
   caller who is not authenticated never gets the service to read, parse or store a byte of their body;
3. refuses a body larger than the route accepts (413), from `Content-Length` when it is given
   and while reading otherwise, and a body that arrives too slowly (408); reads a JSON body of
   an ordinary route as strictly as a message (duplicate members, NaN, nesting past the limit,
   a lone surrogate: 400, INPUT-001), so FastAPI never sees what the standard refuses;
4. hands the application the body it read (so FastAPI never waits on the network) and the
   authenticated principal in ``request.state.principal``.

Token verification may fetch an issuer's keys over the network the first time; it runs in a
worker thread, so the event loop keeps answering other callers meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import anyio
import attrs
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ics_interop.codecs.safe_json import parse_json
from ics_interop.errors import UnusableInputError

from ..auth.principal import current_principal
from ..errors import PayloadTooLarge, ServiceError, Unauthenticated
from .docs_pages import DOCS_PATHS

__all__ = ["PUBLIC_PATHS", "Authenticator", "Limits", "RequestGuard"]

#: Paths anyone may read: whether the service is up, and the binding's own description.
PUBLIC_PATHS = frozenset({"/health", "/openapi.json"}) | DOCS_PATHS

#: Turns a request's headers into the authenticated principal, or raises `Unauthenticated`.
Authenticator = Callable[[Mapping[str, str]], Any]

_MiB = 1024 * 1024


@attrs.frozen
class Limits:
    """How much a service reads from a caller, and how long it waits for it."""

    #: The largest body of an ordinary route (a search, a change to an episode or a case).
    max_body_bytes: int = 1 * _MiB
    #: The largest body of a route that takes a message of the standard (its size limit, 64 MiB).
    max_message_bytes: int = 64 * _MiB
    #: Path suffixes of the routes that take messages.
    message_paths: tuple[str, ...] = ("/messages", "/migrations")
    #: Seconds to wait for the next piece of a body, and for all of it.
    body_chunk_timeout: float = 30.0
    body_timeout: float = 600.0

    def for_path(self, path: str) -> int:
        """The largest body the route at `path` accepts."""
        return self.max_message_bytes if path.endswith(self.message_paths) else self.max_body_bytes


class _TooSlow(Exception):
    pass


class RequestGuard:
    """ASGI middleware: authenticate from the headers, then read the body within its limits, then call the app."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: Limits,
        authenticate: Authenticator | None,
        public_paths: frozenset[str] = PUBLIC_PATHS,
    ) -> None:
        self.app = app
        self.limits = limits
        self.authenticate = authenticate
        self.public_paths = public_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        state = scope.setdefault("state", {})
        if self.authenticate is not None and path not in self.public_paths:
            try:
                state["principal"] = await anyio.to_thread.run_sync(self.authenticate, headers)
            except Unauthenticated as refused:
                await _discard(receive, headers)
                await _answer(send, refused, {"WWW-Authenticate": _challenge(refused)})
                return
            except ServiceError as refused:
                await _discard(receive, headers)
                await _answer(send, refused)
                return
        limit = self.limits.for_path(path)
        declared = headers.get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _answer(send, _too_large(limit))
            return
        try:
            body = await self._read(receive, limit)
        except PayloadTooLarge as refused:
            await _answer(send, refused)
            return
        except _TooSlow:
            await _answer_raw(send, 408, "HTTP-408", "the request's body arrived too slowly", "send the body at once")
            return
        if body and not path.endswith(self.limits.message_paths) and _declares_json(headers):
            # The routes' own JSON is read as strictly as a message's: no duplicate members, NaN or deep nesting.
            try:
                await anyio.to_thread.run_sync(parse_json, body)
            except UnusableInputError as refused:
                await _send_json(send, 400, _input_error(refused), None)
                return
        # Route threads copy this context: audit entries written for the request name its principal.
        reset = current_principal.set(state.get("principal"))
        try:
            await self.app(scope, _replay(body, receive), send)
        finally:
            current_principal.reset(reset)

    async def _read(self, receive: Receive, limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        with anyio.move_on_after(self.limits.body_timeout) as overall:
            while True:
                with anyio.move_on_after(self.limits.body_chunk_timeout) as chunk_wait:
                    message = await receive()
                if chunk_wait.cancelled_caught:
                    raise _TooSlow
                if message["type"] == "http.disconnect":
                    break
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
        if overall.cancelled_caught:
            raise _TooSlow
        return b"".join(chunks)


#: The most of a refused caller's body read and thrown away, so that closing the connection does not
#: reset it under a client still sending (which would lose our answer); a larger body is not read.
_DISCARD_AT_MOST = 64 * 1024


async def _discard(receive: Receive, headers: Mapping[str, str]) -> None:
    declared = headers.get("content-length", "")
    if not declared.strip().isdigit() or int(declared) > _DISCARD_AT_MOST:
        return
    remaining = int(declared)
    with anyio.move_on_after(2.0):
        while remaining > 0:
            message = await receive()
            if message["type"] != "http.request":
                return
            remaining -= len(message.get("body", b""))
            if not message.get("more_body", False):
                return


def _declares_json(headers: Mapping[str, str]) -> bool:
    return headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"


def _input_error(refused: UnusableInputError) -> dict[str, Any]:
    message = f"{refused.message} (line {refused.line})" if refused.line else refused.message
    hint = refused.hint or "send one well-formed JSON document, encoded as UTF-8"
    return {"error": {"id": "INPUT-001", "where": "body", "message": message, "hint": hint}}


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        "HTTP-413",
        f"the body is larger than this route accepts ({limit} bytes)",
        hint="send a smaller body: split a batch into several messages, or ask the operator for the limit",
    )


def _challenge(refused: Unauthenticated) -> str:
    # RFC 6750 §3: the scheme, and why the token was refused (except when there was none at all).
    if refused.rule_id == "AUTH-001":
        return 'Bearer realm="ics-interop"'
    description = refused.message.replace('"', "'")[:200]
    return f'Bearer realm="ics-interop", error="invalid_token", error_description="{description}"'


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # the disconnect, when the client goes

    return replay


async def _answer(send: Send, error: ServiceError, headers: Mapping[str, str] | None = None) -> None:
    await _send_json(send, error.status, error.to_dict(), headers)


async def _answer_raw(send: Send, status: int, rule_id: str, message: str, hint: str) -> None:
    await _send_json(send, status, {"error": {"id": rule_id, "where": "", "message": message, "hint": hint}}, None)


async def _send_json(send: Send, status: int, document: Any, headers: Mapping[str, str] | None) -> None:
    body = json.dumps(document).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    # The body was not read: tell the client the connection will not be reused for another request.
    raw.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
