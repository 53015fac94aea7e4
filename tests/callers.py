"""Who calls the reference systems in the tests: senders and users, with the credentials the systems demand.

Over HTTP every request carries an access token from `ISSUER`, an issuer whose key lives in the
test process and whom the services under test trust; in one process a receiver is handed the
sending system's principal (`sender`), as the HTTP layer hands it the verified token's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from ics_interop.adapters.auth import (
    ALL_MESSAGE_SCOPES,
    LocalIssuer,
    Principal,
    TokenService,
    TrustedIssuer,
    new_signing_key,
    public_jwks,
    save_private_key,
)
from ics_interop.adapters.auth.routes import token_service_app
from ics_interop.adapters.http import running_server
from ics_interop.adapters.services import service_app

from ics_interop import Message, SystemRef, from_json, from_xml
from ics_interop.model import Practitioner
from ics_interop.model.codes import SystemKind

#: Who sends bytes that are not a message at all.
UNREADABLE = SystemRef(system=SystemKind.FEED_SOURCE, organisation_id="TEST-SENDER")

#: The issuer the services under test trust.
ISSUER = LocalIssuer("urn:ics-interop:test-issuer")


def service(kind: str, system: Any, audience: str = "", *, test_clock: bool = False) -> FastAPI:
    """A reference system's HTTP service, trusting `ISSUER` for the audience `audience` (its kind by default)."""
    return service_app(kind, system, ISSUER.verifier(audience or audience_of(kind)), test_clock=test_clock)


def audience_of(kind: str) -> str:
    """The audience the tests' services are for."""
    return f"https://{kind}.test"


def sender(system: SystemRef | Message | bytes) -> Principal:
    """The principal of a sending system: given, or the one a message's envelope names (an honest sender)."""
    if isinstance(system, bytes):
        try:
            system = from_xml(system) if system.lstrip().startswith(b"<") else from_json(system)
        except ValueError:  # not a message at all: any authenticated sender may send it; the receiver refuses it
            system = UNREADABLE
    if isinstance(system, Message):
        system = system.header.sender
    return Principal.for_system(system)


def system_headers(system: SystemRef, kind: str, scopes: list[str] | None = None) -> dict[str, str]:
    """The Authorization header of a connected system's own token for a service (every scope unless given)."""
    return {"Authorization": f"Bearer {ISSUER.system_token(system, audience_of(kind), scopes)}"}


def user_headers(
    user_id: str, organisation_id: str, kind: str, practitioner: Practitioner | None = None
) -> dict[str, str]:
    """The Authorization header of a user's token for a service (carrying their details, when given)."""
    details = practitioner.model_dump(mode="json", by_alias=True, exclude_none=True) if practitioner else None
    token = ISSUER.user_token(user_id, organisation_id, audience_of(kind), practitioner=details)
    return {"Authorization": f"Bearer {token}"}


def practitioner_headers(practitioner: Practitioner, kind: str) -> dict[str, str]:
    """A practitioner's own user token for a service, carrying their details."""
    return user_headers(practitioner.practitioner_id, practitioner.organisation.organisation_id, kind, practitioner)


@contextmanager
def token_service(folder: Path) -> Iterator[TokenService]:
    """The reference token service, running on its own store in `folder`, for the length of a block."""
    tokens = TokenService(f"sqlite:///{folder / 'token-service.db'}", issuer="http://pending")

    def app(url: str) -> FastAPI:
        tokens.issuer = url
        return token_service_app(tokens)

    with running_server(app):
        yield tokens
    tokens.dispose()


def trusting(tokens: TokenService) -> TrustedIssuer:
    """The token service as a service trusts it: its keys fetched from its JWKS URL."""
    return TrustedIssuer(tokens.issuer, jwks_uri=f"{tokens.issuer}/jwks.json")


def registered_client(tokens: TokenService, system: SystemRef, folder: Path, **registration: Any) -> list[str]:
    """Register a connected system with a fresh key; the command-line options it authenticates with."""
    key = new_signing_key()
    key_file = folder / f"{system.organisation_id}-key.json"
    save_private_key(key, key_file)
    client_id = f"{system.system.value}-{system.organisation_id}".lower()
    registration.setdefault("scopes", ALL_MESSAGE_SCOPES)
    tokens.register_client(
        client_id,
        organisation_id=system.organisation_id,
        system=system.system,
        jwks=public_jwks([key]),
        **registration,
    )
    return ["--token-url", tokens.token_endpoint, "--client-id", client_id, "--client-key", str(key_file)]
