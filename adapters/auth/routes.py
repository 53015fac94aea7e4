"""The reference token service over HTTP: `POST /token`, its keys and its metadata.

Errors of the token endpoint are OAuth's own (RFC 6749 §5.2): ``{"error", "error_description"}``
with 400, or 401 when the client could not be authenticated.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..http import Limits, create_app
from .service import OAuthError, TokenService

__all__ = ["token_service_app"]

_DESCRIPTION = """The reference authorisation server of ics-interop: a reference for trials and tests, not an
identity provider. It issues JWT access tokens (RFC 9068) to registered connected systems (client
credentials, authenticated with private_key_jwt, RFC 7523) and, for registered users, to the clients
of their organisation allowed to act for them (the JWT bearer grant)."""


def token_service_app(service: TokenService) -> FastAPI:
    """The token service's FastAPI app."""
    app = create_app("ics-interop token service", _DESCRIPTION, limits=Limits(max_body_bytes=64 * 1024))

    @app.post(
        "/token",
        summary="Issue an access token (client credentials, or the JWT bearer grant for a user)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}},
            }
        },
    )
    async def token(request: Request) -> JSONResponse:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            return _refused(OAuthError("invalid_request", "send the request form-encoded"))
        try:
            form = dict(parse_qsl((await request.body()).decode("utf-8"), max_num_fields=20))
        except (UnicodeDecodeError, ValueError):
            return _refused(OAuthError("invalid_request", "the form cannot be read"))
        try:
            answer = await anyio.to_thread.run_sync(service.token, form)
        except OAuthError as refused:
            return _refused(refused)
        return JSONResponse(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    @app.get("/jwks.json", summary="The public keys tokens are signed with")
    def jwks() -> dict[str, Any]:
        return service.jwks()

    @app.get("/.well-known/oauth-authorization-server", summary="Authorisation server metadata (RFC 8414)")
    def metadata() -> dict[str, Any]:
        return service.metadata()

    return app


def _refused(error: OAuthError) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="ics-interop"'
    return JSONResponse(error.to_dict(), status_code=error.status, headers=headers)
