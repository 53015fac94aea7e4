"""Access tokens of the binding: JWT access tokens in the RFC 9068 form, issued and verified with joserfc.

An access token is a JWS with header ``typ: at+jwt`` and the claims

==================  ================================================================================
``iss``             the issuer (an authorisation server the service trusts)
``aud``             the service it is for (its audience: the service's URL unless configured)
``exp``, ``iat``    when it expires and when it was issued (a lifetime of at most an hour)
``jti``             its unique ID
``sub``             the user, or for a system's own token the client itself (RFC 9068 §2.2)
``client_id``       the client it was issued to
``organisation_id`` the organisation of the user, or of the connected system
``system``          for a system's token: its kind (contactpoint, national-ecaf, local-ecaf, ics, feed-source)
``scope``           space-separated scopes: ``messages:<MessageType>`` for each type the system may send
``practitioner``    optionally, a user's details as the standard's Practitioner (JSON)
==================  ================================================================================

`TokenVerifier` accepts a token only when every one of these checks holds: a signature by a
key of a trusted issuer (fetched from its JWKS and cached), an allowed asymmetric algorithm,
the `at+jwt` type, this service's audience, not expired (a minute's leeway for clocks), not
issued in the future, a lifetime within the limit, and the claims above present. Any other
token is refused with `Unauthenticated` naming the check it failed, and never reaches a route.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import httpx
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from ics_interop.messages import SystemRef
from ics_interop.model.codes import SystemKind

from ..errors import Unauthenticated
from .keys import SIGNING_ALGORITHMS, algorithm_for, key_set, new_signing_key, public_jwks
from .principal import ALL_MESSAGE_SCOPES, Principal

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "MAX_LIFETIME",
    "LocalIssuer",
    "TokenVerifier",
    "TrustedIssuer",
    "bearer_token",
    "mint_access_token",
]

ACCESS_TOKEN_TYPE = "at+jwt"
#: The longest an access token may live, in seconds.
MAX_LIFETIME = 3600
_LEEWAY = 60


def mint_access_token(
    key: Any,
    *,
    issuer: str,
    audience: str,
    subject: str,
    client_id: str,
    organisation_id: str,
    scopes: Iterable[str] = (),
    system: SystemKind | str | None = None,
    practitioner: Mapping[str, Any] | None = None,
    lifetime: int = 300,
    now: float | None = None,
    extra_header: Mapping[str, Any] | None = None,
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """An RFC 9068 access token signed with `key` (an issuer's private key)."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "client_id": client_id,
        "organisation_id": organisation_id,
        "iat": issued,
        "exp": issued + lifetime,
        "jti": str(uuid.uuid4()),
    }
    scope = " ".join(sorted(set(scopes)))
    if scope:
        claims["scope"] = scope
    if system is not None:
        claims["system"] = system.value if isinstance(system, SystemKind) else system
    if practitioner is not None:
        claims["practitioner"] = dict(practitioner)
    claims.update(extra_claims or {})
    header = {"alg": algorithm_for(key), "typ": ACCESS_TOKEN_TYPE, "kid": key.kid, **(extra_header or {})}
    return jwt.encode(header, claims, key, algorithms=list(SIGNING_ALGORITHMS))


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of an `Authorization: Bearer ...` header (headers keyed in lower case), or None."""
    value = headers.get("authorization", "")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class TrustedIssuer:
    """An authorisation server whose tokens a service accepts, and where its public keys come from.

    The keys are a JWKS given outright (a file or a document), or fetched from the issuer's
    `jwks_uri` (given, or found in its RFC 8414 / OpenID discovery document) and cached for
    `cache_seconds`; a token signed with a key ID not yet seen fetches them again, at most once
    every `refetch_after` seconds, so a key rotation is followed without letting anyone make the
    service fetch on every request.
    """

    def __init__(
        self,
        issuer: str,
        *,
        jwks: Mapping[str, Any] | None = None,
        jwks_uri: str | None = None,
        cache_seconds: float = 300.0,
        refetch_after: float = 30.0,
        fetch: Callable[[str], Any] | None = None,
    ) -> None:
        if jwks is None and jwks_uri is None and not issuer.startswith(("http://", "https://")):
            raise ValueError(f"issuer {issuer!r}: give its JWKS (a file or a URL), or an https issuer to discover")
        self.issuer = issuer
        self._static = key_set(jwks) if jwks is not None else None
        self._jwks_uri = jwks_uri
        self._cache_seconds = cache_seconds
        self._refetch_after = refetch_after
        self._fetch = fetch or _fetch_json
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._fetched_at = 0.0

    @classmethod
    def from_option(cls, issuer: str, source: str | None) -> TrustedIssuer:
        """From the command line: `ISSUER=JWKS` where JWKS is a file or a URL; `ISSUER` alone is discovered."""
        if source is None:
            return cls(issuer)
        if source.startswith(("http://", "https://")):
            return cls(issuer, jwks_uri=source)
        try:
            jwks = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"the JWKS of {issuer} cannot be read from {source}: {exc}") from None
        return cls(issuer, jwks=jwks)

    def keys(self, kid: str | None) -> KeySet:
        """The issuer's public keys, fetched again when `kid` is not among them (within the limits above)."""
        if self._static is not None:
            return self._static
        with self._lock:
            now = time.monotonic()
            stale = self._keys is None or now - self._fetched_at > self._cache_seconds
            unknown = kid is not None and self._keys is not None and not _has_kid(self._keys, kid)
            if stale or (unknown and now - self._fetched_at > self._refetch_after):
                self._keys = key_set(self._fetch(self._discover()))
                self._fetched_at = now
            assert self._keys is not None
            return self._keys

    def _discover(self) -> str:
        if self._jwks_uri is None:
            base = self.issuer.rstrip("/")
            for well_known in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
                try:
                    document = self._fetch(base + well_known)
                except (httpx.HTTPError, ValueError):
                    continue
                if isinstance(document, dict) and isinstance(document.get("jwks_uri"), str):
                    self._jwks_uri = document["jwks_uri"]
                    break
            else:
                raise ValueError(f"the issuer {self.issuer} publishes no discovery document with a jwks_uri")
        assert self._jwks_uri is not None
        return self._jwks_uri


def _fetch_json(url: str) -> Any:
    response = httpx.get(url, timeout=10.0)
    response.raise_for_status()
    return response.json()


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)


@attrs.frozen
class TokenVerifier:
    """Verifies access tokens for one service: its audience, and the issuers it trusts."""

    audience: str
    issuers: Sequence[TrustedIssuer]
    algorithms: Sequence[str] = SIGNING_ALGORITHMS
    leeway: int = _LEEWAY
    clock: Callable[[], float] = time.time

    def authenticate(self, headers: Mapping[str, str]) -> Principal:
        """The principal of a request's `Authorization: Bearer` token; `Unauthenticated` when there is none."""
        token = bearer_token(headers)
        if token is None:
            raise Unauthenticated(
                "AUTH-001",
                "no access token: every route but /health needs one",
                where="Authorization",
                hint="send 'Authorization: Bearer <token>' with a token from an authorisation server this "
                "service trusts (see the binding: client credentials for a system, a user token for a person)",
            )
        return self.verify(token)

    def verify(self, token: str) -> Principal:
        """The principal a token stands for, or `Unauthenticated` naming the check it failed."""
        # The issuer, and so its keys, is known only from the claims: read them first, trust nothing yet.
        try:
            unverified = jws.extract_compact(token.encode("ascii"))
            header = unverified.headers()
            claims = json.loads(unverified.payload)
        except (JoseError, ValueError, UnicodeError):
            raise _refused("AUTH-002", "the token is not a JWT this service can read") from None
        if not isinstance(claims, dict):
            raise _refused("AUTH-002", "the token's payload is not a set of claims")
        if header.get("alg") not in self.algorithms:
            raise _refused("AUTH-002", f"the token's algorithm {header.get('alg')!r} is not one the binding allows")
        if str(header.get("typ", "")).lower() not in (ACCESS_TOKEN_TYPE, f"application/{ACCESS_TOKEN_TYPE}"):
            raise _refused("AUTH-003", f"the token's type is {header.get('typ')!r}, not the access token type 'at+jwt'")
        issuer = self._issuer(claims.get("iss"))
        try:
            keys = issuer.keys(header.get("kid"))
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise _refused("AUTH-004", f"the keys of the issuer {issuer.issuer} cannot be fetched ({exc})") from None
        try:
            verified = jwt.decode(token, keys, algorithms=list(self.algorithms))
        except (BadSignatureError, InvalidKeyIdError):
            raise _refused("AUTH-004", f"the token is not signed by a key of its issuer {issuer.issuer}") from None
        except JoseError as exc:
            raise _refused("AUTH-004", f"the token's signature cannot be verified ({exc.error})") from None
        claims = verified.claims
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self.clock()),
            leeway=self.leeway,
            aud={"essential": True, "value": self.audience},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise _refused("AUTH-005", "the token has expired") from None
        except InvalidClaimError as exc:
            if exc.claim == "aud":
                raise _refused(
                    "AUTH-006", f"the token is for another service ({claims.get('aud')!r}, not {self.audience!r})"
                ) from None
            raise _refused("AUTH-007", f"the token's {exc.claim!r} claim is not acceptable") from None
        except MissingClaimError as exc:
            raise _refused("AUTH-007", f"the token lacks the {exc.claim!r} claim") from None
        except JoseError as exc:
            raise _refused("AUTH-007", f"the token's claims are not acceptable ({exc.error})") from None
        return self._principal(claims, issuer.issuer)

    def _issuer(self, name: object) -> TrustedIssuer:
        for issuer in self.issuers:
            if issuer.issuer == name:
                return issuer
        raise _refused("AUTH-004", f"the token's issuer {name!r} is not one this service trusts")

    def _principal(self, claims: Mapping[str, Any], issuer: str) -> Principal:
        now = self.clock()
        issued, expires = claims.get("iat"), claims.get("exp")
        if not isinstance(issued, int | float) or not isinstance(expires, int | float):
            raise _refused("AUTH-007", "the token's iat and exp claims must be numbers")
        if issued > now + self.leeway:
            raise _refused("AUTH-007", "the token was issued in the future")
        if expires - issued > MAX_LIFETIME:
            raise _refused("AUTH-007", f"the token lives longer than {MAX_LIFETIME} seconds")
        strings = {name: claims.get(name) for name in ("sub", "client_id", "organisation_id", "jti")}
        for name, value in strings.items():
            if not isinstance(value, str) or not value.strip() or len(value) > 200:
                raise _refused("AUTH-007", f"the token lacks a usable {name!r} claim")
        scope = claims.get("scope", "")
        if not isinstance(scope, str):
            raise _refused("AUTH-007", "the token's scope claim must be a space-separated string")
        system: SystemKind | None = None
        if claims.get("system") is not None:
            try:
                system = SystemKind(claims["system"])
            except ValueError:
                raise _refused(
                    "AUTH-007", f"the token's system claim {claims['system']!r} is no kind of system"
                ) from None
        practitioner = claims.get("practitioner")
        return Principal(
            subject=str(strings["sub"]),
            client_id=str(strings["client_id"]),
            organisation_id=str(strings["organisation_id"]),
            system=system,
            scopes=frozenset(scope.split()),
            issuer=issuer,
            token_id=str(strings["jti"]),
            practitioner=practitioner if isinstance(practitioner, dict) else None,
        )


def _refused(rule_id: str, message: str) -> Unauthenticated:
    return Unauthenticated(
        rule_id,
        message,
        where="Authorization",
        hint="get a fresh token for this service (its audience) from an authorisation server it trusts",
    )


class LocalIssuer:
    """An issuer whose signing key lives in this process: the conformance suite's own, the tests', the demo's.

    A service that trusts it (`trusted()`, `verifier(audience)`) accepts the tokens it mints, for
    any system or user: it is how the suite plays every sender and every user a check needs, and
    how it mints the broken tokens (expired, for another audience, without a scope) a service
    must refuse.
    """

    def __init__(self, issuer: str = "urn:ics-interop:local-issuer", key: Any | None = None) -> None:
        self.issuer = issuer
        self.key = key if key is not None else new_signing_key()

    def jwks(self) -> dict[str, Any]:
        """Its public keys."""
        return public_jwks([self.key])

    def trusted(self) -> TrustedIssuer:
        """It, as a service trusts it."""
        return TrustedIssuer(self.issuer, jwks=self.jwks())

    def verifier(self, audience: str) -> TokenVerifier:
        """A verifier for a service of `audience` that trusts this issuer only."""
        return TokenVerifier(audience, [self.trusted()])

    def token(self, *, audience: str, subject: str, organisation_id: str, **claims: Any) -> str:
        """A token with the given claims (see `mint_access_token`); `client_id` defaults to the subject."""
        claims.setdefault("client_id", subject)
        return mint_access_token(
            self.key, issuer=self.issuer, audience=audience, subject=subject, organisation_id=organisation_id, **claims
        )

    def system_token(self, system: SystemRef, audience: str, scopes: Iterable[str] | None = None) -> str:
        """A connected system's own token (every message scope unless `scopes` is given)."""
        client = f"{system.system.value}:{system.organisation_id}"
        return self.token(
            audience=audience,
            subject=client,
            organisation_id=system.organisation_id,
            client_id=client,
            system=system.system,
            scopes=ALL_MESSAGE_SCOPES if scopes is None else scopes,
        )

    def user_token(
        self,
        user_id: str,
        organisation_id: str,
        audience: str,
        *,
        practitioner: Mapping[str, Any] | None = None,
        client_id: str = "urn:ics-interop:local-client",
    ) -> str:
        """A user's token, through a client of their organisation (with their details, when given)."""
        return self.token(
            audience=audience,
            subject=user_id,
            organisation_id=organisation_id,
            client_id=client_id,
            practitioner=practitioner,
        )
