"""Authorisation in the routes, and how the OpenAPI documents declare the binding's security.

The gate (`guard`) has already authenticated the caller when a route runs; here a route says
what kind of caller it takes:

- `ActingUser`: a user's token (a practitioner, a data manager...); a system's own token is
  refused with 403 (AUTH-008). What the user may do is then the system's business: its own
  registration of the user (ContactPoint's roles, National eCAF's managers), never the token;
- `ActingSystem`: a connected system's own token (client credentials); a user's is refused
  (AUTH-009). `POST /messages` takes one, with one scope per message type.

The OpenAPI documents declare two security schemes, `systemToken` (OAuth 2.0 client
credentials, its scopes the message types) and `userToken` (a bearer JWT whose subject is the
user), the scheme and scopes of every operation, and the 401 and 403 answers with their body.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2

from ics_interop.messages import MessageType

from ..auth.principal import Principal, message_scope
from ..errors import Forbidden, Unauthenticated

__all__ = [
    "SYSTEM_TOKEN",
    "USER_TOKEN",
    "ActingSystem",
    "ActingUser",
    "message_scopes",
    "principal_of",
]

SYSTEM_TOKEN = OAuth2(
    flows=OAuthFlows(
        clientCredentials=OAuthFlowClientCredentials(
            tokenUrl="https://authorisation-server.example/token",
            scopes={message_scope(t): f"send {t.value} messages" for t in MessageType},
        )
    ),
    scheme_name="systemToken",
    description="A connected system's own access token: OAuth 2.0 client credentials with private_key_jwt client "
    "authentication (RFC 7523), as a JWT access token (RFC 9068) for this service's audience. The token URL is "
    "the deployment's authorisation server's (the reference token service's: `ics-interop serve auth`).",
    auto_error=False,
)

USER_TOKEN = HTTPBearer(
    bearerFormat="JWT",
    scheme_name="userToken",
    description="A user's access token (a JWT, RFC 9068) for this service's audience: its subject is the user, its "
    "organisation_id claim their organisation. The user's role comes from this system's registration of them.",
    auto_error=False,
)


def principal_of(request: Request) -> Principal:
    """The principal the gate authenticated for this request."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise Unauthenticated(
            "AUTH-001", "the request is not authenticated", where="Authorization", hint="send a bearer token"
        )
    return principal


def _user(request: Request, _token: Annotated[HTTPAuthorizationCredentials | None, Security(USER_TOKEN)]) -> Principal:
    principal = principal_of(request)
    if not principal.is_user:
        raise Forbidden(
            "AUTH-008",
            f"this route acts for a person; the token is {principal.client_id}'s own (a system's)",
            where="Authorization",
            hint="send a user's token: one whose subject is the practitioner acting",
        )
    return principal


def _system(request: Request, _token: Annotated[str | None, Security(SYSTEM_TOKEN)]) -> Principal:
    principal = principal_of(request)
    if principal.is_user:
        raise Forbidden(
            "AUTH-009",
            "this route takes a connected system's own token (client credentials), not a user's",
            where="Authorization",
            hint="get a token for the system itself with the client credentials grant",
        )
    return principal


#: A route parameter: the user a request acts for.
ActingUser = Annotated[Principal, Depends(_user)]
#: A route parameter: the connected system a request comes from.
ActingSystem = Annotated[Principal, Depends(_system)]


def message_scopes(message_types: Sequence[MessageType]) -> list[str]:
    """The scopes of the message types a service receives."""
    return [message_scope(t) for t in message_types]


def system_dependency(scopes: Sequence[str]) -> Any:
    """A dependency declaring (in OpenAPI) that a route takes a system token with these scopes."""
    return Security(_system, scopes=list(scopes))
