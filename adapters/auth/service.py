"""The reference token service: a small OAuth 2.0 authorisation server for the demo, the tests and trials.

It is a reference, **not an identity provider**: it authenticates no person. It issues

- **system tokens** to registered clients (connected systems) by the client credentials grant,
  each client authenticating with `private_key_jwt` (RFC 7523 §2.2) against the public keys it
  registered (a JWKS, inline or by URL), with the scopes it registered (one per message type);
- **user tokens** for registered users by the JWT bearer grant (RFC 7523 §2.1): a client allowed
  to act for its organisation's users signs an assertion naming the user, and gets a token
  whose subject is that user, whose organisation is the user's, and which carries the user's
  details (the standard's Practitioner). How the client authenticated its user is the client's
  business, exactly as with a real identity provider's token exchange;

all as JWT access tokens in the RFC 9068 form (`tokens`), signed with a key it makes on first
start and publishes at `/jwks.json` (with RFC 8414 metadata at
`/.well-known/oauth-authorization-server`). Any deployment can put a real identity provider
(Keycloak, Entra ID, an NHS CIS2-style OpenID provider) in its place: the reference services
trust whichever issuers they are configured to trust.

Assertions are checked as RFC 7523 §3 asks: issuer and subject, the token endpoint as audience,
an expiry at most five minutes ahead, and a `jti` never seen before from that client (a replayed
assertion is refused).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import httpx
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import import_key
from sqlalchemy import Boolean, Column, DateTime, MetaData, String, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ics_interop.model import Practitioner
from ics_interop.model.codes import SystemKind

from ..storage import Document, Store
from .client import ASSERTION_TYPE, JWT_BEARER_GRANT
from .keys import SIGNING_ALGORITHMS, new_signing_key, public_jwks
from .principal import ALL_MESSAGE_SCOPES
from .tokens import TrustedIssuer, mint_access_token

__all__ = ["OAuthError", "RegisteredClient", "TokenService"]

_ASSERTION_MAX_LIFETIME = 300
_LEEWAY = 60


class OAuthError(Exception):
    """A refused token request, as RFC 6749 §5.2 reports it: an error code, a description, an HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def to_dict(self) -> dict[str, str]:
        """The JSON body of the refusal."""
        return {"error": self.error, "error_description": self.description}


@attrs.frozen
class RegisteredClient:
    """A connected system, as registered: who it is, how it proves it, what it may ask for."""

    client_id: str
    organisation_id: str
    system: SystemKind
    scopes: frozenset[str]
    acts_for_users: bool
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None


class _Tables:
    def __init__(self) -> None:
        self.metadata = MetaData()
        self.key = Table(
            "auth_signing_key",
            self.metadata,
            Column("kid", String(100), primary_key=True),
            Column("private_jwk", Document, nullable=False),
            Column("created_at", DateTime(timezone=True), nullable=False),
        )
        self.client = Table(
            "auth_client",
            self.metadata,
            Column("client_id", String(100), primary_key=True),
            Column("organisation_id", String(64), nullable=False),
            Column("system", String(32), nullable=False),
            Column("scopes", Document, nullable=False),
            Column("acts_for_users", Boolean, nullable=False),
            Column("jwks", Document, nullable=True),
            Column("jwks_uri", String(2000), nullable=True),
            Column("registered_at", DateTime(timezone=True), nullable=False),
        )
        self.user = Table(
            "auth_user",
            self.metadata,
            Column("user_id", String(100), primary_key=True),
            Column("organisation_id", String(64), nullable=False),
            Column("practitioner", Document, nullable=False),
            Column("registered_at", DateTime(timezone=True), nullable=False),
        )
        # Assertions seen, until they expire: a replayed assertion is refused (RFC 7523 §3, item 7).
        self.assertion = Table(
            "auth_assertion",
            self.metadata,
            Column("client_id", String(100), primary_key=True),
            Column("jti", String(200), primary_key=True),
            Column("expires_at", DateTime(timezone=True), nullable=False),
        )


class TokenService:
    """The reference authorisation server: its registrations, its signing key, and its token endpoint."""

    def __init__(self, db_url: str, *, issuer: str, token_lifetime: int = 300) -> None:
        self.issuer = issuer.rstrip("/")
        self.token_lifetime = token_lifetime
        self.tables = _Tables()
        self.store = Store(db_url, self.tables.metadata)
        self._key: Any | None = None

    def dispose(self) -> None:
        """Close the store's connections."""
        self.store.dispose()

    @property
    def token_endpoint(self) -> str:
        """Where clients ask for tokens (the audience of their assertions)."""
        return f"{self.issuer}/token"

    # --- keys and metadata -----------------------------------------------------------------------

    @property
    def key(self) -> Any:
        """The key tokens are signed with (made on first use, and kept in the store)."""
        if self._key is None:
            self._key = self._signing_key()
        return self._key

    def _signing_key(self) -> Any:
        with self.store.transaction() as connection:
            row = connection.execute(select(self.tables.key).order_by(self.tables.key.c.created_at.desc())).first()
            if row is not None:
                return import_key(dict(row.private_jwk))
            key = new_signing_key()
            connection.execute(
                insert(self.tables.key).values(
                    kid=key.kid, private_jwk=key.as_dict(private=True), created_at=dt.datetime.now(dt.UTC)
                )
            )
            return key

    def jwks(self) -> dict[str, Any]:
        """The public keys its tokens are signed with."""
        return public_jwks([self.key])

    def metadata(self) -> dict[str, Any]:
        """Its RFC 8414 authorisation server metadata."""
        return {
            "issuer": self.issuer,
            "token_endpoint": self.token_endpoint,
            "jwks_uri": f"{self.issuer}/jwks.json",
            "grant_types_supported": ["client_credentials", JWT_BEARER_GRANT],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": list(SIGNING_ALGORITHMS),
            "scopes_supported": sorted(ALL_MESSAGE_SCOPES),
            "service_documentation": "https://ics-interop.example/binding/",
        }

    # --- registration --------------------------------------------------------------------------------

    def register_client(
        self,
        client_id: str,
        *,
        organisation_id: str,
        system: SystemKind,
        scopes: Iterable[str],
        jwks: Mapping[str, Any] | None = None,
        jwks_uri: str | None = None,
        acts_for_users: bool = False,
    ) -> RegisteredClient:
        """Register (or re-register) a connected system with its public keys and scopes."""
        if (jwks is None) == (jwks_uri is None):
            raise ValueError("register a client with its public keys: a JWKS, or the URL of one (not both)")
        if jwks is not None:
            if not jwks.get("keys"):
                raise ValueError("the JWKS holds no keys")
            if any(import_key(dict(k)).is_private for k in jwks["keys"]):
                raise ValueError("register the client's public keys only: the JWKS holds a private key")
        unknown = set(scopes) - ALL_MESSAGE_SCOPES
        if unknown:
            raise ValueError(f"unknown scopes {sorted(unknown)}: a scope is messages:<MessageType>")
        values = {
            "organisation_id": organisation_id,
            "system": system.value,
            "scopes": sorted(set(scopes)),
            "acts_for_users": acts_for_users,
            "jwks": dict(jwks) if jwks is not None else None,
            "jwks_uri": jwks_uri,
            "registered_at": dt.datetime.now(dt.UTC),
        }
        table = self.tables.client
        with self.store.transaction() as connection:
            if connection.execute(select(table.c.client_id).where(table.c.client_id == client_id)).first():
                connection.execute(update(table).where(table.c.client_id == client_id).values(**values))
            else:
                connection.execute(insert(table).values(client_id=client_id, **values))
        return self.client(client_id)

    def register_user(self, practitioner: Practitioner) -> None:
        """Register (or re-register) a user: the practitioner's ID is the subject of their tokens."""
        table = self.tables.user
        values = {
            "organisation_id": practitioner.organisation.organisation_id,
            "practitioner": practitioner.model_dump(mode="json", by_alias=True, exclude_none=True),
            "registered_at": dt.datetime.now(dt.UTC),
        }
        with self.store.transaction() as connection:
            where = table.c.user_id == practitioner.practitioner_id
            if connection.execute(select(table.c.user_id).where(where)).first():
                connection.execute(update(table).where(where).values(**values))
            else:
                connection.execute(insert(table).values(user_id=practitioner.practitioner_id, **values))

    def client(self, client_id: str) -> RegisteredClient:
        """A registered client, or `OAuthError` invalid_client."""
        with self.store.reading() as connection:
            table = self.tables.client
            row = connection.execute(select(table).where(table.c.client_id == client_id)).first()
        if row is None:
            raise OAuthError("invalid_client", f"no client {client_id!r} is registered", 401)
        return RegisteredClient(
            client_id=row.client_id,
            organisation_id=row.organisation_id,
            system=SystemKind(row.system),
            scopes=frozenset(row.scopes),
            acts_for_users=bool(row.acts_for_users),
            jwks=row.jwks,
            jwks_uri=row.jwks_uri,
        )

    def clients(self) -> list[RegisteredClient]:
        """Every registered client."""
        with self.store.reading() as connection:
            ids = [r.client_id for r in connection.execute(select(self.tables.client.c.client_id))]
        return [self.client(i) for i in sorted(ids)]

    def user(self, user_id: str) -> Practitioner | None:
        """A registered user's details, or None."""
        with self.store.reading() as connection:
            row = connection.execute(select(self.tables.user).where(self.tables.user.c.user_id == user_id)).first()
        return Practitioner.model_validate(row.practitioner) if row is not None else None

    # --- issuing -------------------------------------------------------------------------------------

    def issue_user_token(self, user_id: str, audience: str, *, client_id: str = "ics-interop-cli") -> str:
        """A token for a registered user, without a client's assertion (the operator's command, for testing)."""
        user = self.user(user_id)
        if user is None:
            raise OAuthError("invalid_grant", f"no user {user_id!r} is registered")
        return self._user_token(user, client_id, audience)

    def issue_system_token(self, client_id: str, audience: str, scopes: Iterable[str] | None = None) -> str:
        """A token for a registered client, without its assertion (the operator's command, for testing)."""
        client = self.client(client_id)
        return self._system_token(client, audience, self._scopes(client, scopes))

    def token(self, form: Mapping[str, str]) -> dict[str, Any]:
        """The token endpoint: answer one form-encoded request (RFC 6749 §4.4, RFC 7523 §2.1 and §2.2)."""
        grant = form.get("grant_type", "")
        audience = _audience(form.get("resource") or form.get("audience"))
        if grant == "client_credentials":
            if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
                raise OAuthError(
                    "invalid_client", "authenticate with private_key_jwt: a client_assertion of type jwt-bearer", 401
                )
            client, _subject = self._assertion(form["client_assertion"], user=False)
            scopes = self._scopes(client, form.get("scope", "").split() or None)
            token, scope = self._system_token(client, audience, scopes), " ".join(sorted(scopes))
        elif grant == JWT_BEARER_GRANT:
            if not form.get("assertion"):
                raise OAuthError("invalid_request", "the JWT bearer grant needs an assertion")
            client, subject = self._assertion(form["assertion"], user=True)
            if not client.acts_for_users:
                raise OAuthError("unauthorized_client", f"{client.client_id} may not obtain tokens for users", 400)
            user = self.user(subject)
            if user is None or user.organisation.organisation_id != client.organisation_id:
                raise OAuthError(
                    "invalid_grant", f"{subject!r} is not a registered user of {client.organisation_id}", 400
                )
            token, scope = self._user_token(user, client.client_id, audience), ""
        else:
            raise OAuthError("unsupported_grant_type", f"grant_type {grant!r}: use client_credentials or jwt-bearer")
        answer: dict[str, Any] = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime}
        if scope:
            answer["scope"] = scope
        return answer

    def _scopes(self, client: RegisteredClient, asked: Iterable[str] | None) -> frozenset[str]:
        if asked is None:
            return client.scopes
        wanted = frozenset(asked)
        if not wanted <= client.scopes:
            missing = sorted(wanted - client.scopes)
            raise OAuthError("invalid_scope", f"{client.client_id} is not registered for {missing}")
        return wanted

    def _system_token(self, client: RegisteredClient, audience: str, scopes: frozenset[str]) -> str:
        return mint_access_token(
            self.key,
            issuer=self.issuer,
            audience=audience,
            subject=client.client_id,
            client_id=client.client_id,
            organisation_id=client.organisation_id,
            system=client.system,
            scopes=scopes,
            lifetime=self.token_lifetime,
        )

    def _user_token(self, user: Practitioner, client_id: str, audience: str) -> str:
        return mint_access_token(
            self.key,
            issuer=self.issuer,
            audience=audience,
            subject=user.practitioner_id,
            client_id=client_id,
            organisation_id=user.organisation.organisation_id,
            practitioner=user.model_dump(mode="json", by_alias=True, exclude_none=True),
            lifetime=self.token_lifetime,
        )

    def _assertion(self, assertion: str, *, user: bool) -> tuple[RegisteredClient, str]:
        """Verify a client's signed assertion; the client, and the subject it names."""
        try:
            unverified = json.loads(_payload(assertion))
            client_id = str(unverified["iss"])
        except (ValueError, KeyError, TypeError):
            raise OAuthError("invalid_client", "the assertion is not a JWT naming its client (iss)", 401) from None
        client = self.client(client_id)
        keys = TrustedIssuer(client.client_id, jwks=client.jwks, jwks_uri=client.jwks_uri)
        try:
            decoded = jwt.decode(assertion, keys.keys(None), algorithms=list(SIGNING_ALGORITHMS))
            claims = decoded.claims
            jwt.JWTClaimsRegistry(
                leeway=_LEEWAY,
                iss={"essential": True, "value": client.client_id},
                sub={"essential": True},
                aud={"essential": True, "values": [self.token_endpoint, self.issuer]},
                exp={"essential": True},
                jti={"essential": True},
            ).validate(claims)
        except JoseError as exc:
            detail = f"{exc.error} {exc.description or ''}".strip()
            raise OAuthError("invalid_client", f"the assertion is not acceptable: {detail}", 401) from None
        except (httpx.HTTPError, ValueError) as exc:
            raise OAuthError("invalid_client", f"the client's keys cannot be read: {exc}", 401) from None
        if int(claims["exp"]) > time.time() + _ASSERTION_MAX_LIFETIME + _LEEWAY:
            raise OAuthError("invalid_client", "the assertion lives longer than five minutes", 401)
        subject = str(claims["sub"])
        if not user and subject != client.client_id:
            raise OAuthError("invalid_client", "a client's own assertion names the client as its subject", 401)
        if user and subject == client.client_id:
            raise OAuthError("invalid_grant", "a user's assertion names the user as its subject")
        self._first_use(client.client_id, str(claims["jti"]), int(claims["exp"]))
        return client, subject

    def _first_use(self, client_id: str, jti: str, expires: int) -> None:
        table = self.tables.assertion
        now = dt.datetime.now(dt.UTC)
        try:
            with self.store.transaction() as connection:
                connection.execute(delete(table).where(table.c.expires_at < now - dt.timedelta(seconds=_LEEWAY)))
                connection.execute(
                    insert(table).values(
                        client_id=client_id, jti=jti[:200], expires_at=dt.datetime.fromtimestamp(expires, dt.UTC)
                    )
                )
        except IntegrityError:
            raise OAuthError("invalid_grant", "the assertion was used before: sign a fresh one (a new jti)") from None


def _payload(token: str) -> bytes:
    try:
        return jws.extract_compact(token.encode("ascii")).payload
    except (JoseError, UnicodeError) as exc:
        raise ValueError("not a JWS") from exc


def _audience(value: str | None) -> str:
    if not value:
        raise OAuthError("invalid_target", "name the service the token is for: resource=<its URL or URN>")
    if not value.startswith(("http://", "https://", "urn:")) or len(value) > 500 or any(c.isspace() for c in value):
        raise OAuthError("invalid_target", f"resource {value[:100]!r} is not an absolute URI")
    return value
