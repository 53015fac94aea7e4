"""A connected system's side of the binding: getting access tokens, and sending them.

A system authenticates to its authorisation server with `private_key_jwt` (RFC 7523 §2.2, the
profile SMART Backend Services uses): it signs a short-lived assertion with its own private key
(the server holds only the public key, from the registration), and gets

- a **system token** for a service by the client credentials grant: its own token, with the
  scopes it asks for (one per message type it sends), for that service's audience (RFC 8707's
  `resource`);
- a **user token** for one of its organisation's users by the JWT bearer grant (RFC 7523 §2.1):
  the assertion names the user as its subject. The server issues it only to a client allowed
  to act for its users, and only for a user registered with the client's organisation.

`ClientCredentials` caches each token until shortly before it expires; `BearerAuth` puts one
on an httpx request.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Generator, Iterable
from typing import Any

import httpx
from joserfc import jwt

from .keys import SIGNING_ALGORITHMS, algorithm_for

__all__ = ["ASSERTION_TYPE", "JWT_BEARER_GRANT", "BearerAuth", "ClientCredentials", "TokenRequestFailed"]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class TokenRequestFailed(Exception):
    """Raised when the authorisation server refuses a token request (its OAuth error and description)."""


class ClientCredentials:
    """A registered client's key, and the tokens it gets with it from one token endpoint."""

    def __init__(
        self, token_url: str, client_id: str, key: Any, *, client: httpx.Client | None = None, timeout: float = 10.0
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.key = key
        self._http = client or httpx.Client(timeout=timeout)
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str, str], tuple[str, float]] = {}

    def assertion(self, *, subject: str | None = None, lifetime: int = 60) -> str:
        """A signed assertion (RFC 7523): the client itself, or (with `subject`) one of its users."""
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": subject or self.client_id,
            "aud": self.token_url,
            "iat": now,
            "exp": now + lifetime,
            "jti": str(uuid.uuid4()),
        }
        header = {"alg": algorithm_for(self.key), "typ": "JWT", "kid": self.key.kid}
        return jwt.encode(header, claims, self.key, algorithms=list(SIGNING_ALGORITHMS))

    def system_token(self, audience: str, scopes: Iterable[str] = ()) -> str:
        """A token for this system itself, for the service `audience` (client credentials grant)."""
        scope = " ".join(sorted(set(scopes)))
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(),
            "resource": audience,
        }
        if scope:
            form["scope"] = scope
        return self._token(("system", audience, scope), form)

    def user_token(self, user_id: str, audience: str) -> str:
        """A token for one of the organisation's users, for the service `audience` (JWT bearer grant)."""
        form = {"grant_type": JWT_BEARER_GRANT, "assertion": self.assertion(subject=user_id), "resource": audience}
        return self._token(("user:" + user_id, audience, ""), form)

    def _token(self, cache_key: tuple[str, str, str], form: dict[str, str]) -> str:
        with self._lock:
            cached = self._cache.get(cache_key)
            if cached is not None and cached[1] > time.monotonic():
                return cached[0]
        try:
            response = self._http.post(self.token_url, data=form)
        except httpx.HTTPError as exc:
            raise TokenRequestFailed(f"the token endpoint {self.token_url} cannot be reached: {exc}") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code != 200 or not isinstance(answer, dict) or "access_token" not in answer:
            error = answer.get("error", f"HTTP {response.status_code}") if isinstance(answer, dict) else "no JSON"
            description = answer.get("error_description", "") if isinstance(answer, dict) else ""
            raise TokenRequestFailed(f"{self.token_url} refused the token request: {error} {description}".strip())
        token = str(answer["access_token"])
        lifetime = float(answer.get("expires_in", 60))
        with self._lock:
            # Renew a little before the end, so a token never expires on its way.
            self._cache[cache_key] = (token, time.monotonic() + max(lifetime - 30, lifetime / 2))
        return token


class BearerAuth(httpx.Auth):
    """Puts a token on each request: a fixed one, or a fresh one from a function each time."""

    def __init__(self, token: str | Any) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._token() if callable(self._token) else self._token
        request.headers["Authorization"] = f"Bearer {token}"
        yield request
