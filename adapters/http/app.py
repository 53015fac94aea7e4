"""One FastAPI application shape for every reference service: the gate, the error body, `/health` and `/messages`.

Every system that receives messages answers `POST /messages` with the message in its body
(`application/xml` or `application/json`) and the F10 acknowledgement in the response, in
the same form: HTTP 200 when accepted, 422 when rejected (the acknowledgement says which
rules failed; resending the same message will not help), 403 when rejected because the
authenticated client may not send it (the acknowledgement names the SEC rule), 415 for a
body that is neither form. With `?batch=true` the same route takes a batch (an XML
`MessageBatch`, a JSON array or JSON Lines): it is answered 200 with one acknowledgement per
message, in order (a `MessageBatch` of acknowledgements, or a JSON array), each accepted or
rejected on its own. Without it a batch is one delivery that is not one message, rejected whole.
A system adds its own routes (search, reports, casework) beside it with `create_app`'s
application; each route is a plain function, so FastAPI runs it in a worker thread and a slow
one never holds up the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import anyio
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ics_interop import SCHEMA_VERSION, IcsInteropError, MessageType, __version__
from ics_interop.codecs.xml import pydantic_findings

from ..errors import ServiceError
from .docs_pages import add_documentation_pages
from .guard import Authenticator, Limits, RequestGuard
from .openapi import document_binding
from .responses import error_json, malformed_request, service_error_response
from .security import message_scopes, system_dependency

__all__ = ["MESSAGE_MEDIA_TYPES", "MessageEndpoint", "create_app", "form_mismatch"]

log = logging.getLogger("ics_interop.adapters.http")

MESSAGE_MEDIA_TYPES = ("application/xml", "application/json")

#: What `/messages` calls: the body, its content type and the request's principal (None when the
#: service runs without authentication, which only tests of the receiver itself do), and a fourth
#: argument `True` when the body is a batch (`?batch=true`); it returns the acknowledgement's bytes
#: (or, for a batch, the acknowledgements'), their content type and the HTTP status.
MessageEndpoint = Callable[..., tuple[bytes, str, int]]

_MESSAGE_BODY: dict[str, Any] = {
    "parameters": [
        {
            "name": "batch",
            "in": "query",
            "required": False,
            "schema": {"type": "boolean", "default": False},
            "description": "The body is a batch of messages (or one, as a batch of one): answered with one "
            "Acknowledgement per message, in order. Without it a batch is rejected whole (INPUT-001).",
        }
    ],
    "requestBody": {
        "required": True,
        "description": "One message of the standard, as XML (the schema's root elements) or JSON; with "
        "?batch=true, a batch of them: an XML MessageBatch, a JSON array or JSON Lines (one message a line), all "
        "from the one sender the token names. A batch is applied in chunks, each message validated, "
        "de-duplicated and acknowledged on its own.",
        "content": {
            "application/xml": {
                "schema": {"type": "string", "description": "A message element of ics-interop.xsd, or a MessageBatch"}
            },
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"type": "object", "description": "A message; see the JSON Schemas"},
                        {"type": "array", "items": {"type": "object"}, "description": "A batch of messages"},
                    ]
                }
            },
        },
    },
    "responses": {
        "200": {
            "description": "Accepted (or already accepted: a redelivery). The body is the Acknowledgement. For a "
            "batch (?batch=true): 200 whenever the batch could be read, the body one Acknowledgement per message "
            "in the batch's order (a MessageBatch of them, or a JSON array), each saying whether its message was "
            "accepted; resending the batch changes nothing already applied."
        },
        "403": {
            "description": "Rejected because the authenticated client may not send it: the Acknowledgement names "
            "the rule (SEC-001 a sender other than the client, SEC-002 a message type outside the token's scopes). "
            "A user's token, not a system's, is refused before the message is read, with the error body (AUTH-009)."
        },
        "422": {"description": "Rejected: the Acknowledgement lists the rules that failed. Nothing was stored."},
        "415": {"description": "The body is neither application/xml nor application/json."},
    },
}


def create_app(
    title: str,
    description: str,
    *,
    receive: MessageEndpoint | None = None,
    message_types: Sequence[MessageType] = (),
    authenticate: Authenticator | None = None,
    limits: Limits | None = None,
) -> FastAPI:
    """A FastAPI app with the gate, the one error body, `/health`, and `/messages` when the system receives.

    `message_types` are the types `/messages` takes (its scopes, in the OpenAPI document).
    `authenticate` turns a request's headers into the principal the routes act for; without it
    every route is open, which only the token service (whose clients authenticate at `/token`
    itself) may want.
    """
    app = FastAPI(
        title=title,
        description=description,
        version=f"{__version__} (standard v{SCHEMA_VERSION})",
        # One component per model, as the JSON Schemas have it (not an -Input and an -Output twin).
        separate_input_output_schemas=False,
        # The documentation pages come from add_documentation_pages: scripts served here, not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    # Every answer is JSON as the standard writes it: a member with no value is left out, never null.
    app.router.route_class = _StandardJsonRoute
    app.add_middleware(RequestGuard, limits=limits or Limits(), authenticate=authenticate)
    _answer_errors_alike(app)
    if authenticate is not None:
        document_binding(app, message_types)

    add_documentation_pages(app)

    @app.get("/health", summary="Whether the service is up (no token needed)")
    def health() -> dict[str, str]:
        return {"status": "ok", "standard": SCHEMA_VERSION}

    if receive is not None:

        @app.post(
            "/messages",
            summary="Deliver one message (or a batch); the response is its acknowledgement (one per message)",
            openapi_extra=_MESSAGE_BODY,
            dependencies=[system_dependency(message_scopes(message_types))] if authenticate is not None else [],
        )
        async def messages(request: Request) -> Response:
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in MESSAGE_MEDIA_TYPES:
                return error_json(
                    415,
                    "HTTP-415",
                    f"a message is sent as application/xml or application/json, not {content_type or 'nothing'}",
                    where="Content-Type",
                    hint="set the Content-Type header to the message's form",
                )
            body = await request.body()
            mismatch = form_mismatch(body, content_type)
            if mismatch is not None:
                return mismatch
            principal = getattr(request.state, "principal", None)
            batch = request.query_params.get("batch", "").lower() in ("true", "1")
            arguments = (body, content_type, principal, True) if batch else (body, content_type, principal)
            reply, reply_type, status = await anyio.to_thread.run_sync(receive, *arguments)
            return Response(reply, status_code=status, media_type=reply_type)

    return app


class _StandardJsonRoute(APIRoute):
    """A route whose response model leaves out the members with no value (the standard's JSON has no nulls)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        kwargs["response_model_exclude_none"] = True
        super().__init__(path, endpoint, **kwargs)


def _allowed(app: FastAPI, request: Request) -> list[str]:
    """Every method some route of the app takes at the request's path."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def form_mismatch(body: bytes, content_type: str) -> Response | None:
    """415 when a message's body is not in the form its Content-Type declares (XML sent as JSON, or the reverse)."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    looks = "application/xml" if start == b"<" else "application/json" if start in (b"{", b"[") else None
    if looks is None or looks == content_type:
        return None
    return error_json(
        415,
        "HTTP-415",
        f"the body is {looks.split('/')[1].upper()} but the Content-Type says {content_type}",
        where="Content-Type",
        hint=f"send it as {looks}, or send the message in the form the Content-Type names",
    )


def _answer_errors_alike(app: FastAPI) -> None:
    """Every failure, whoever raised it, answered with the one error body and the status of its kind."""

    @app.exception_handler(ServiceError)
    async def refused(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceError)
        return service_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def malformed(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return malformed_request(list(exc.errors()))

    @app.exception_handler(ValidationError)
    async def unbuildable(_request: Request, exc: Exception) -> Response:
        # A route built one of the standard's models from what it was sent, and the model refused it.
        assert isinstance(exc, ValidationError)
        first = pydantic_findings(exc)[0]
        return error_json(422, first.rule_id, first.message, where=first.path, hint=first.hint)

    @app.exception_handler(IcsInteropError)
    async def invalid(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, IcsInteropError)
        return error_json(422, "MODEL-INVALID", exc.message, hint=exc.hint or "correct the request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        hints = {
            404: "check the path against the service's OpenAPI document (/openapi.json)",
            405: "use one of the methods in the Allow header",
        }
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names the methods of the first route of the path only; a path may have several routes.
            headers["Allow"] = ", ".join(_allowed(app, request))
        return error_json(
            exc.status_code,
            f"HTTP-{exc.status_code}",
            str(exc.detail),
            hint=hints.get(exc.status_code, "see the service's OpenAPI document (/openapi.json)"),
            headers=headers,
        )

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        # Never a traceback to the caller: the log keeps it for the operator.
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error_json(
            500,
            "HTTP-500",
            "the service failed to handle the request; nothing was stored",
            hint="try again; if it keeps failing, give the operator the time of the request",
        )
