"""`ics-interop serve` and `ics-interop users`: the reference systems as services, and their first users.

Kept apart from the core's command line so that building its parser does not import the
reference systems. `serve contactpoint|ecaf|ics|auth` runs one service; `users add` registers
a user of a system straight in its store, as the operator does before anything else (the first
data manager of a ContactPoint, the first manager or administrator of National eCAF).
"""

from __future__ import annotations

import argparse
import sys

from .auth.cli import DEFAULT_AUTH_DB, add_client_options, client_from

#: The route names of the binding (`--route NAME=URL`), as `serve --help` lists them.
ROUTE_NAMES_HELP = """\
route names (part of the binding; a system delivers each message on the route of its recipient):
  contactpoint                ContactPoint            (ICS, National eCAF and feeding systems send here)
  national-ecaf               National eCAF           (an ICS and a local eCAF send here)
  ics:<organisation>          an authority's ICS      (e.g. ics:LA204-CSC; National eCAF, other ICSs)
  local-ecaf:<organisation>   an authority's local eCAF (e.g. local-ecaf:LA204; National eCAF)

A message whose route is not configured stays in the outbox, and the service logs the route to give
(run with -v to see every delivery). `ics-interop up` starts the three systems wired to each other.
"""

__all__ = ["add_serve_commands"]


def _routes(values: list[str]) -> dict[str, str]:
    routes = {}
    for route in values:
        name, sep, url = route.partition("=")
        if not sep or not url.startswith(("http://", "https://")):
            raise ValueError(f"--route {route!r}: write NAME=URL, for example contactpoint=http://127.0.0.1:8001")
        routes[name] = url
    return routes


def _cmd_serve(args: argparse.Namespace) -> int:
    from .http import ServerSettings
    from .services import ServiceConfig, run_service, trust_options

    if args.system == "web":  # the data teams' page: a local tool, on 127.0.0.1 with a key (adapters/web)
        from .web import serve_web

        serve_web(args.host, args.port)
        return 0
    settings = ServerSettings(host=args.host, port=args.port, tls_cert=args.tls_cert, tls_key=args.tls_key)
    scheme = "https" if args.tls_cert else "http"
    try:
        if args.system == "auth":
            return _serve_token_service(args, settings, f"{scheme}://{args.host}:{args.port}")
        if bool(args.tls_cert) != bool(args.tls_key):
            raise ValueError("give both --tls-cert and --tls-key to serve HTTPS")
        config = ServiceConfig(
            kind=args.system,
            db_url=args.db or f"{args.system}.db",
            audience=args.audience or f"{scheme}://{args.host}:{args.port}",
            trust=trust_options(args.trust),
            organisation=args.organisation,
            team_name=args.team_name,
            team_telephone=args.team_telephone,
            la_code=args.la_code,
            max_body_bytes=args.max_body_bytes,
            max_message_bytes=args.max_message_bytes,
            test_clock=args.test_clock,
        )
        credentials = client_from(args)
        run_service(
            config,
            settings=settings,
            routes=_routes(args.route),
            credentials=credentials,
            workers=args.workers,
            peer_ca=args.peer_ca,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _serve_token_service(args: argparse.Namespace, settings: object, url: str) -> int:
    from .auth.routes import token_service_app
    from .auth.service import TokenService
    from .http import ServerSettings, serve

    assert isinstance(settings, ServerSettings)
    service = TokenService(args.db or DEFAULT_AUTH_DB, issuer=args.issuer or url)
    print(
        f"token service {service.issuer}: token endpoint {service.token_endpoint}, keys {service.issuer}/jwks.json\n"
        f"services trust it with --trust {service.issuer}={service.issuer}/jwks.json",
        file=sys.stderr,
    )
    serve(token_service_app(service), settings)
    return 0


def _cmd_add_user(args: argparse.Namespace) -> int:
    try:
        return _add_user(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _add_user(args: argparse.Namespace) -> int:
    from ics_interop.model import ContactDetails, Organisation, PersonName, Practitioner
    from ics_interop.model.codes import AgencyType

    name = PersonName(given_names=args.given_names, family_name=args.family_name)
    if args.system == "contactpoint":
        from .contactpoint import ContactPointDirectory, DirectoryRole, PractitionerRegistration
        from .services import default_identity

        directory = ContactPointDirectory(args.db, identity=default_identity("contactpoint", None))
        try:
            registration = PractitionerRegistration(
                practitioner_id=args.user_id,
                name=name,
                role=DirectoryRole(args.role),
                organisation_id=args.organisation,
            )
            directory.register_practitioner(registration, by=None)
        finally:
            directory.dispose()
    else:
        from .ecaf import NationalEcaf
        from .ecaf.users import EcafRole, UserRegistration
        from .services import default_identity

        ecaf = NationalEcaf(args.db, identity=default_identity("ecaf", None))
        practitioner = Practitioner(
            practitioner_id=args.user_id,
            name=name,
            role=args.job_title,
            organisation=Organisation(
                organisation_id=args.organisation,
                name=args.organisation_name or args.organisation,
                agency_type=AgencyType(args.agency_type),
            ),
            contact=ContactDetails(telephone=args.telephone, email=args.email),
        )
        try:
            ecaf.register_user(UserRegistration(practitioner=practitioner, role=EcafRole(args.role)), by=None)
        finally:
            ecaf.close()
    print(f"registered {args.user_id} ({args.organisation}) as {args.role} of the {args.system} store {args.db}")
    return 0


def _cmd_up(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .up import run_up

    if args.suite and not args.suite.startswith(("http://", "https://")):
        print(f"error: --suite {args.suite!r}: give the receiver's URL, e.g. http://127.0.0.1:8099", file=sys.stderr)
        return 2
    try:
        run_up(
            Path(args.folder), db_url=args.db, host=args.host, first_port=args.port, suite=args.suite, out=sys.stdout
        )
    except OSError as exc:
        print(f"error: {exc}: another program may be using the ports {args.port} to {args.port + 3}", file=sys.stderr)
        print("To fix: stop it, or give --port with another first port", file=sys.stderr)
        return 2
    return 0


def add_serve_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `serve`, `up` and `users` to a command line's subcommands."""
    serve = subparsers.add_parser(
        "serve",
        help="run a reference system (or the reference token service) as an HTTP service",
        description="Run a reference system as an HTTP service of the standard's binding. Every route but\n"
        "/health needs an access token from an issuer the service trusts (--trust); messages the\n"
        "system sends go to its --route URLs with its own token (--token-url, --client-id,\n"
        "--client-key). `serve auth` runs the reference token service those tokens come from.",
        epilog=ROUTE_NAMES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument(
        "system",
        choices=["contactpoint", "ecaf", "ics", "auth", "web"],
        help="which system (auth: the reference token service; web: the data teams' page to check files)",
    )
    serve.add_argument("--db", help="database URL or SQLite file (default: SYSTEM.db here); postgresql://... works")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--organisation", help="the organisation running it (an ICS system needs one, e.g. LA206-CSC)")
    serve.add_argument("--team-name", help="ics: the central social work team ContactPoint shows (seed §5.2)")
    serve.add_argument("--team-telephone", help="ics: that team's telephone number (required for ics)")
    serve.add_argument(
        "--la-code",
        help="ics: the authority's three-digit DfE code, for transfers (default: read from --organisation, "
        "LA206-CSC -> 206)",
    )
    serve.add_argument(
        "--route",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="where to deliver the messages for route NAME (see the route names below), e.g. "
        "contactpoint=http://127.0.0.1:8101 or ics:LA204-CSC=http://127.0.0.1:8099; repeat for each route",
    )
    serve.add_argument(
        "--test-clock",
        action="store_true",
        help="contactpoint and ecaf, for accreditation runs only: POST /maintenance takes asOf=DAY, so a tester "
        "can see retention and purging, or that no episode closes by itself, without waiting years (never on a "
        "production service)",
    )
    security = serve.add_argument_group("security")
    security.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="ISSUER[=JWKS]",
        help="an issuer whose tokens to accept, with its JWKS (a file or URL); ISSUER alone discovers them "
        "(repeat for several issuers)",
    )
    security.add_argument("--audience", help="the audience tokens must be for (default: the URL it listens on)")
    security.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate (PEM)")
    security.add_argument("--tls-key", metavar="FILE", help="and this private key (PEM)")
    security.add_argument("--peer-ca", metavar="FILE", help="CA certificates to verify HTTPS routes with")
    security.add_argument("--issuer", help="auth: the token service's own URL, if not http://HOST:PORT")
    add_client_options(serve, what="messages go to their routes")
    limits = serve.add_argument_group("capacity")
    limits.add_argument("--workers", type=int, default=1, help="processes answering requests (default 1)")
    limits.add_argument(
        "--max-body-bytes", type=int, default=1024 * 1024, help="largest body of an ordinary route (default 1 MiB)"
    )
    limits.add_argument(
        "--max-message-bytes", type=int, default=64 * 1024 * 1024, help="largest message (default 64 MiB)"
    )
    serve.set_defaults(run=_cmd_serve)

    up = subparsers.add_parser(
        "up",
        help="start the three reference systems and the token service, wired to each other; Ctrl-C stops them",
        description="Start the reference token service, ContactPoint, National eCAF and Islington's ICS, each "
        "trusting the token service and the conformance suite's issuer, with the routes between them, the clients "
        "of the systems that send and the first users; print every URL, credential and command to try.",
    )
    up.add_argument(
        "--folder", default="ics-interop-up", help="where the stores and keys live (default ./ics-interop-up)"
    )
    up.add_argument("--db", help="one database for all (e.g. postgresql://...) instead of SQLite files in the folder")
    up.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    up.add_argument(
        "--port",
        type=int,
        default=8100,
        help="the first of five ports: token service, ContactPoint, eCAF, ICS, the data teams' page (default 8100)",
    )
    up.add_argument(
        "--suite",
        metavar="URL",
        help="send every message to the conformance suite's receiver at URL instead (conformance run --capture-port)",
    )
    up.set_defaults(run=_cmd_up)

    users = subparsers.add_parser("users", help="register a user of a reference system, straight in its store")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser(
        "add",
        help="register a user with a role (the operator's first data manager, manager or administrator)",
        description="Register a user straight in a system's store, as the operator does before the service starts: "
        "ContactPoint's first data manager (who then registers everyone else over HTTP), National eCAF's managers "
        "and administrators. The user ID is the subject of the user's access tokens.",
    )
    add.add_argument("system", choices=["contactpoint", "ecaf"], help="which system")
    add.add_argument("--db", required=True, help="the system's store (URL or SQLite file)")
    add.add_argument("user_id", help="the user's ID: the subject of their tokens")
    add.add_argument(
        "--role",
        required=True,
        help="contactpoint: practitioner, child-protection or data-manager; ecaf: practitioner, manager or "
        "administrator",
    )
    add.add_argument("--organisation", required=True, help="the organisation the user works for")
    add.add_argument("--organisation-name", help="ecaf: its name")
    add.add_argument("--agency-type", default="other", help="ecaf: its kind (social-care, education, health...)")
    add.add_argument("--given-names", required=True)
    add.add_argument("--family-name", required=True)
    add.add_argument("--job-title", default="Practitioner", help="ecaf: the user's job title")
    add.add_argument("--telephone", default="0000 000 0000", help="ecaf: their work telephone number")
    add.add_argument("--email", help="ecaf: their work e-mail address")
    add.set_defaults(run=_cmd_add_user)
