"""The standard's HTTP binding: one layer under the three reference services.

- `app`: the application every service starts from (`create_app`): the gate, the one error
  body for every refusal, `/health`, and `POST /messages`;
- `guard`: authentication from the `Authorization` header and body limits, before any body is read;
- `responses`: the error body (`{"error": {"id", "where", "message", "hint"}}`) and its OpenAPI form;
- `server`: uvicorn with the timeouts a networked service needs, over HTTP or HTTPS.

The errors the systems raise are `adapters.errors.ServiceError` and its kinds; this layer maps
each kind to its status. The systems' own routes live in each system's `routes` module, which
builds on `create_app`; no system imports its routes, so the HTTP layer and the systems form
no import circle.
"""

from __future__ import annotations

from .app import MESSAGE_MEDIA_TYPES, MessageEndpoint, create_app
from .guard import PUBLIC_PATHS, Authenticator, Limits, RequestGuard
from .responses import ErrorBody, ErrorDetail, error_json, error_responses, malformed_request
from .server import ServerSettings, running_server, serve

__all__ = [
    "MESSAGE_MEDIA_TYPES",
    "PUBLIC_PATHS",
    "Authenticator",
    "ErrorBody",
    "ErrorDetail",
    "Limits",
    "MessageEndpoint",
    "RequestGuard",
    "ServerSettings",
    "create_app",
    "error_json",
    "error_responses",
    "malformed_request",
    "running_server",
    "serve",
]
