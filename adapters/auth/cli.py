"""`ics-interop auth ...`: the reference token service's administration, from the command line.

An operator needs no Python: make a client's key pair, register a connected system with its
public keys and scopes, register a user, and issue a token for testing. Each command works on
the token service's store (`--db`, the same file or database `ics-interop serve auth` uses).
The options every client command shares (`--token-url`, `--client-id`, `--client-key`) are
defined here too, for `serve` and `csv import --send`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ics_interop.model import ContactDetails, Organisation, PersonName, Practitioner
from ics_interop.model.codes import AgencyType, SystemKind

if TYPE_CHECKING:
    from .client import ClientCredentials

__all__ = ["DEFAULT_AUTH_DB", "add_auth_commands", "add_client_options", "client_from"]

#: Where the token service stores, unless told otherwise.
DEFAULT_AUTH_DB = "token-service.db"
_DEFAULT_ISSUER = "http://127.0.0.1:8100"


def add_client_options(parser: argparse.ArgumentParser, *, what: str) -> None:
    """The options of a command that authenticates as a connected system (client credentials)."""
    group = parser.add_argument_group(
        "authentication", f"{what} with its own access token, from its authorisation server (private_key_jwt)"
    )
    group.add_argument("--token-url", metavar="URL", help="the token endpoint, e.g. http://127.0.0.1:8100/token")
    group.add_argument("--client-id", metavar="ID", help="this system's client ID, as registered there")
    group.add_argument("--client-key", metavar="FILE", help="this system's private key (a JWK file: auth keygen)")


def client_from(args: argparse.Namespace) -> ClientCredentials | None:
    """The client credentials the options give, None when none are given; ValueError when some are missing."""
    given = [args.token_url, args.client_id, args.client_key]
    if not any(given):
        return None
    if not all(given):
        raise ValueError("give all three of --token-url, --client-id and --client-key (or none)")
    from .client import ClientCredentials
    from .keys import load_private_key

    return ClientCredentials(args.token_url, args.client_id, load_private_key(Path(args.client_key)))


def _cmd_keygen(args: argparse.Namespace) -> int:
    from .keys import new_signing_key, public_jwks, save_private_key

    key = new_signing_key()
    save_private_key(key, Path(args.out))
    jwks = public_jwks([key])
    if args.jwks_out:
        Path(args.jwks_out).write_text(json.dumps(jwks, indent=2) + "\n", encoding="utf-8")
    print(f"wrote the private key to {args.out} (keep it secret; only its owner may read it)", file=sys.stderr)
    print(json.dumps(jwks, indent=2))
    return 0


def _cmd_register_client(args: argparse.Namespace) -> int:
    from .principal import ALL_MESSAGE_SCOPES, message_scope
    from .service import TokenService

    scopes = set(args.scope)
    if args.all_scopes:
        scopes |= ALL_MESSAGE_SCOPES
    scopes |= {message_scope(t) for t in args.may_send}
    jwks = json.loads(Path(args.jwks).read_text(encoding="utf-8")) if args.jwks else None
    service = TokenService(args.db, issuer=args.issuer)
    try:
        client = service.register_client(
            args.client_id,
            organisation_id=args.organisation,
            system=SystemKind(args.system),
            scopes=sorted(scopes),
            jwks=jwks,
            jwks_uri=args.jwks_url,
            acts_for_users=args.acts_for_users,
        )
    finally:
        service.dispose()
    print(
        f"registered client {client.client_id}: {client.organisation_id} ({client.system.value}), "
        f"{len(client.scopes)} scope(s){', may obtain tokens for its users' if client.acts_for_users else ''}"
    )
    return 0


def _cmd_register_user(args: argparse.Namespace) -> int:
    from .service import TokenService

    practitioner = Practitioner(
        practitioner_id=args.user_id,
        name=PersonName(given_names=args.given_names, family_name=args.family_name),
        role=args.job_title,
        organisation=Organisation(
            organisation_id=args.organisation,
            name=args.organisation_name or args.organisation,
            agency_type=AgencyType(args.agency_type),
        ),
        contact=ContactDetails(telephone=args.telephone, email=args.email),
    )
    service = TokenService(args.db, issuer=args.issuer)
    try:
        service.register_user(practitioner)
    finally:
        service.dispose()
    print(f"registered user {args.user_id} of {args.organisation}")
    return 0


def _cmd_token(args: argparse.Namespace) -> int:
    from .service import OAuthError, TokenService

    service = TokenService(args.db, issuer=args.issuer)
    try:
        if args.user:
            token = service.issue_user_token(args.user, args.audience)
        else:
            token = service.issue_system_token(args.client, args.audience, args.scope or None)
    except OAuthError as refused:
        print(f"error: {refused.description}", file=sys.stderr)
        return 2
    finally:
        service.dispose()
    print(token)
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", default=DEFAULT_AUTH_DB, help=f"the token service's store (default {DEFAULT_AUTH_DB}); URL or file"
    )
    parser.add_argument(
        "--issuer", default=_DEFAULT_ISSUER, help=f"the token service's URL, its issuer (default {_DEFAULT_ISSUER})"
    )


def add_auth_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `auth keygen|register-client|register-user|token` to a command line's subcommands."""
    auth = subparsers.add_parser(
        "auth",
        help="administer the reference token service: keys, connected systems, users, test tokens",
        description="The reference token service issues the access tokens of the HTTP binding. It is a reference "
        "for trials and tests, not an identity provider: a deployment may trust any OAuth 2.0 / OpenID provider.",
    )
    sub = auth.add_subparsers(dest="auth_command", required=True)

    keygen = sub.add_parser("keygen", help="make a key pair for a connected system; print its public JWKS")
    keygen.add_argument("--out", required=True, metavar="FILE", help="where to write the private key (JWK)")
    keygen.add_argument("--jwks-out", metavar="FILE", help="also write the public JWKS here (to register it)")
    keygen.set_defaults(run=_cmd_keygen)

    client = sub.add_parser("register-client", help="register a connected system: its organisation, keys and scopes")
    _common(client)
    client.add_argument("client_id", help="the client ID the system will authenticate as")
    client.add_argument("--organisation", required=True, help="the organisation the system belongs to")
    client.add_argument(
        "--system", required=True, choices=[k.value for k in SystemKind], help="the kind of system it is"
    )
    keys = client.add_mutually_exclusive_group(required=True)
    keys.add_argument("--jwks", metavar="FILE", help="its public JWKS (as auth keygen --jwks-out writes it)")
    keys.add_argument("--jwks-url", metavar="URL", help="where it publishes its JWKS")
    client.add_argument(
        "--may-send", action="append", default=[], metavar="TYPE", help="a message type it may send (repeat)"
    )
    client.add_argument("--scope", action="append", default=[], help="a scope, messages:<MessageType> (repeat)")
    client.add_argument("--all-scopes", action="store_true", help="every message type (a test client)")
    client.add_argument(
        "--acts-for-users", action="store_true", help="it may obtain tokens for its organisation's users"
    )
    client.set_defaults(run=_cmd_register_client)

    user = sub.add_parser("register-user", help="register a user (a practitioner): the subject of their tokens")
    _common(user)
    user.add_argument("user_id", help="the user's ID (their practitioner ID)")
    user.add_argument("--organisation", required=True, help="their organisation's ID")
    user.add_argument("--organisation-name", help="their organisation's name")
    user.add_argument(
        "--agency-type", default="other", choices=[a.value for a in AgencyType], help="the organisation's kind"
    )
    user.add_argument("--given-names", required=True)
    user.add_argument("--family-name", required=True)
    user.add_argument("--job-title", default="Practitioner")
    user.add_argument("--telephone", default="0000 000 0000", help="their work telephone number")
    user.add_argument("--email", help="their work e-mail address")
    user.set_defaults(run=_cmd_register_user)

    token = sub.add_parser("token", help="issue a token (for testing): for a registered user, or a client")
    _common(token)
    who = token.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="ID", help="a registered user")
    who.add_argument("--client", metavar="ID", help="a registered client")
    token.add_argument("--audience", required=True, help="the service it is for (its URL)")
    token.add_argument("--scope", action="append", default=[], help="for a client: a scope to ask for (repeat)")
    token.set_defaults(run=_cmd_token)
