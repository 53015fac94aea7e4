"""Authentication for the HTTP binding: tokens, keys, the principal of a request, and a reference token service.

- `principal`: who a request acts for (`Principal`: a connected system or a user), made only
  from a verified token; the scopes (`messages:<MessageType>`);
- `tokens`: JWT access tokens in the RFC 9068 form, issued and verified (`TokenVerifier`,
  `TrustedIssuer`: any OAuth 2.0 / OpenID provider a deployment trusts);
- `keys`: signing keys and JWKS (joserfc);
- `client`: a system's side: `private_key_jwt` assertions and token requests (`ClientCredentials`);
- `service`, `routes`: the reference token service (`ics-interop serve auth`), a reference for
  trials and tests, not an identity provider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import BearerAuth, ClientCredentials, TokenRequestFailed
    from .keys import load_private_key, new_signing_key, public_jwks, save_private_key
    from .principal import ALL_MESSAGE_SCOPES, Principal, audit_client, current_principal, message_scope
    from .service import OAuthError, RegisteredClient, TokenService
    from .tokens import LocalIssuer, TokenVerifier, TrustedIssuer, mint_access_token

#: Where each public name lives, imported on first use (the command line's `auth` parser needs none of them).
_WHERE = {
    "BearerAuth": "client",
    "ClientCredentials": "client",
    "TokenRequestFailed": "client",
    "load_private_key": "keys",
    "new_signing_key": "keys",
    "public_jwks": "keys",
    "save_private_key": "keys",
    "ALL_MESSAGE_SCOPES": "principal",
    "Principal": "principal",
    "audit_client": "principal",
    "current_principal": "principal",
    "message_scope": "principal",
    "OAuthError": "service",
    "RegisteredClient": "service",
    "TokenService": "service",
    "LocalIssuer": "tokens",
    "TokenVerifier": "tokens",
    "TrustedIssuer": "tokens",
    "mint_access_token": "tokens",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ALL_MESSAGE_SCOPES",
    "BearerAuth",
    "ClientCredentials",
    "LocalIssuer",
    "OAuthError",
    "Principal",
    "RegisteredClient",
    "TokenRequestFailed",
    "TokenService",
    "TokenVerifier",
    "TrustedIssuer",
    "audit_client",
    "current_principal",
    "load_private_key",
    "message_scope",
    "mint_access_token",
    "new_signing_key",
    "public_jwks",
    "save_private_key",
]
