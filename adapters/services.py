"""Running the reference systems as HTTP services: `ics-interop serve contactpoint|ecaf|ics|auth`.

Each service stores in an SQLite file by default (or the `--db` URL), answers the standard's
HTTP binding, and, where the system sends messages, delivers its outbox in the background to
the routes it was given (`--route contactpoint=http://127.0.0.1:8001`), retrying with backoff
while a receiver is down.

Security is not optional. A service accepts access tokens from the issuers it is told to trust
(`--trust ISSUER=JWKS`, the JWKS a file or a URL; `--trust ISSUER` alone discovers the keys from
the issuer's metadata), for its own audience (`--audience`, by default the URL it listens on);
every route but `/health` refuses a caller without one. A system that sends messages gets its
own tokens for its peers from its authorisation server (`--token-url`, `--client-id`,
`--client-key`). With `--tls-cert` and `--tls-key` it serves HTTPS. With `--workers N` (N > 1)
it answers from N processes, each with its own connections to the store, while one delivers the
outbox; SQLite in WAL mode lets several processes read while one writes.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import attrs
from fastapi import FastAPI

from ics_interop import SystemRef
from ics_interop.model import ContactDetails, Organisation, Team
from ics_interop.model.codes import AgencyType, SystemKind

from .auth.client import ClientCredentials
from .auth.tokens import TokenVerifier, TrustedIssuer
from .http import Authenticator, Limits, ServerSettings, serve
from .transport import HttpTransport, tls_context

__all__ = [
    "SYSTEM_KINDS",
    "ReferenceSystem",
    "ServiceConfig",
    "app_from_environment",
    "build_system",
    "central_team",
    "default_identity",
    "run_service",
    "service_app",
]

log = logging.getLogger("ics_interop.adapters.services")

#: The names `ics-interop serve` takes for the reference systems.
SYSTEM_KINDS = ("contactpoint", "ecaf", "ics")
_CONFIG_ENVIRONMENT = "ICS_INTEROP_SERVICE_CONFIG"


class ReferenceSystem(Protocol):
    """What every reference system offers a service runner."""

    identity: SystemRef

    def connect(self, route: str, transport: Any) -> None:
        """Deliver the outbox's messages for `route` through `transport`."""
        ...


def default_identity(kind: str, organisation: str | None) -> SystemRef:
    """Who a reference system is, unless told otherwise."""
    if kind == "contactpoint":
        return SystemRef(
            system=SystemKind.CONTACTPOINT,
            organisation_id=organisation or "CONTACTPOINT",
            organisation_name="ContactPoint",
        )
    if kind == "ecaf":
        return SystemRef(
            system=SystemKind.NATIONAL_ECAF,
            organisation_id=organisation or "NATIONAL-ECAF",
            organisation_name="National eCAF",
        )
    if kind == "ics":
        if not organisation:
            raise ValueError("an ICS system belongs to an authority: give --organisation, for example LA206-CSC")
        return SystemRef(system=SystemKind.ICS, organisation_id=organisation)
    raise ValueError(f"unknown system {kind!r}: choose one of {', '.join(SYSTEM_KINDS)}")


def ics_la_code(organisation_id: str, la_code: str | None = None) -> str:
    """An ICS's LA code: `la_code` when given, else read from its organisation ID ('LA206-CSC' -> '206').

    Raises ValueError, saying what to give, when neither yields a three-digit DfE code: an ICS
    without one cannot transfer an episode or a case record (F7, F9).
    """
    from .ics.context import la_code_in

    code = la_code or la_code_in(organisation_id)
    if code is None or not code.isdigit() or len(code) != 3:
        given = f"--la-code {la_code}" if la_code else f"--organisation {organisation_id}"
        raise ValueError(
            f"{given} gives no LA code: an ICS needs its authority's three-digit DfE code to transfer "
            "records (F7, F9). Name the organisation LA<code>-..., for example --organisation LA206-CSC, "
            "or give --la-code 206"
        )
    return code


def central_team(organisation_id: str, name: str, telephone: str, la_code: str | None = None) -> Team:
    """The social work team an ICS names on ContactPoint until a social worker is allocated (seed §5.2)."""
    organisation = Organisation(
        organisation_id=organisation_id, name=name, agency_type=AgencyType.SOCIAL_CARE, la_code=la_code
    )
    return Team(
        team_id=f"{organisation_id}-CENTRAL",
        name=name,
        organisation=organisation,
        contact=ContactDetails(telephone=telephone),
    )


def build_system(kind: str, db_url: str, identity: SystemRef, *, team: Team | None = None) -> Any:
    """Construct a reference system on its store (an ICS system with its central team, when given)."""
    if kind == "contactpoint":
        from .contactpoint import ContactPointDirectory

        return ContactPointDirectory(db_url, identity=identity)
    if kind == "ecaf":
        from .ecaf import NationalEcaf

        return NationalEcaf(db_url, identity=identity)
    if kind == "ics":
        from .ics import IcsSettings, IcsSystem

        return IcsSystem(db_url, identity=identity, settings=IcsSettings(central_team=team))
    raise ValueError(f"unknown system {kind!r}: choose one of {', '.join(SYSTEM_KINDS)}")


def service_app(
    kind: str,
    system: Any,
    verifier: TokenVerifier,
    limits: Limits | None = None,
    *,
    gate: Callable[[Authenticator], Authenticator] | None = None,
    test_clock: bool = False,
) -> FastAPI:
    """A reference system's HTTP service, accepting the tokens `verifier` accepts.

    `gate` replaces the authenticator with one made from it: the conformance suite's broken
    services use it to show the suite refuses a service that authenticates wrongly. `test_clock`
    lets a data manager run ContactPoint's maintenance, or a manager National eCAF's nightly run, as of a
    given day (accreditation only).
    """
    authenticate: Authenticator = verifier.authenticate
    if gate is not None:
        authenticate = gate(authenticate)
    options: dict[str, Any] = {"authenticate": authenticate, "limits": limits}
    if kind == "contactpoint":
        from .contactpoint.routes import directory_app

        return directory_app(system, test_clock=test_clock, **options)
    if kind == "ecaf":
        from .ecaf.routes import build_app as ecaf_app

        return ecaf_app(system, test_clock=test_clock, **options)
    if kind == "ics":
        from .ics.routes import build_app as ics_app

        return ics_app(system, **options)
    raise ValueError(f"unknown system {kind!r}: choose one of {', '.join(SYSTEM_KINDS)}")


@attrs.frozen
class ServiceConfig:
    """Everything a service process needs to build itself (passed to worker processes as JSON)."""

    kind: str
    db_url: str
    audience: str
    trust: tuple[tuple[str, str | None], ...]
    organisation: str | None = None
    team_name: str | None = None
    team_telephone: str | None = None
    la_code: str | None = None
    max_body_bytes: int = Limits().max_body_bytes
    max_message_bytes: int = Limits().max_message_bytes
    test_clock: bool = False

    def identity(self) -> SystemRef:
        """Who the system is."""
        return default_identity(self.kind, self.organisation)

    def verifier(self) -> TokenVerifier:
        """The token verifier of the service."""
        if not self.trust:
            raise ValueError(
                "a service trusts at least one token issuer: give --trust ISSUER=JWKS (a file or URL), for example "
                "--trust http://127.0.0.1:8100=http://127.0.0.1:8100/jwks.json for `ics-interop serve auth`"
            )
        return TokenVerifier(self.audience, [TrustedIssuer.from_option(i, s) for i, s in self.trust])

    def limits(self) -> Limits:
        """The body limits of the service."""
        return Limits(max_body_bytes=self.max_body_bytes, max_message_bytes=self.max_message_bytes)

    def build(self) -> tuple[Any, FastAPI]:
        """The system, on its store, and its app."""
        if self.test_clock:
            if self.kind not in ("contactpoint", "ecaf"):
                raise ValueError(
                    "--test-clock is for contactpoint and ecaf only (their maintenance as of a day): leave it out"
                )
            log.warning("test clock on: POST /maintenance takes asOf, for accreditation runs only, never in production")
        identity = self.identity()
        team = None
        if self.kind == "ics":
            if not self.team_telephone:
                raise ValueError(
                    "an ICS system names its central social work team on ContactPoint (seed §5.2): "
                    "give --team-telephone (and --team-name)"
                )
            team = central_team(
                identity.organisation_id,
                self.team_name or "Children's social care",
                self.team_telephone,
                ics_la_code(identity.organisation_id, self.la_code),
            )
        verifier = self.verifier()  # a service that would trust no one is refused before its store is made
        system = build_system(self.kind, self.db_url, identity, team=team)
        return system, service_app(self.kind, system, verifier, self.limits(), test_clock=self.test_clock)


def app_from_environment() -> FastAPI:
    """The app of a worker process, built from the configuration its parent put in the environment."""
    data = json.loads(os.environ[_CONFIG_ENVIRONMENT])
    data["trust"] = tuple(tuple(pair) for pair in data["trust"])
    _system, app = ServiceConfig(**data).build()
    return app


def _deliver_forever(deliver: Callable[[], object], stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        try:
            deliver()
        except Exception:  # a delivery round must never stop the service; the outbox keeps the message
            log.exception("outbox delivery failed; the messages stay in the outbox and are retried")


def connect_routes(
    system: Any,
    routes: Mapping[str, str],
    credentials: ClientCredentials | None,
    *,
    verify: ssl.SSLContext | bool = True,
) -> None:
    """Deliver the system's outbox over HTTP to each route, authenticating with its client credentials."""
    for route, url in routes.items():
        system.connect(route, HttpTransport(url, credentials=credentials, verify=verify))


def run_service(
    config: ServiceConfig,
    *,
    settings: ServerSettings,
    routes: Mapping[str, str] | None = None,
    credentials: ClientCredentials | None = None,
    workers: int = 1,
    deliver_every: float = 1.0,
    peer_ca: str | None = None,
) -> None:
    """Build a system and serve it until interrupted, delivering its outbox in the background.

    `credentials` are the system's own client's, to get tokens for the services it delivers to.
    """
    system, app = config.build()
    if credentials is None and routes and config.kind != "contactpoint":
        log.warning("no --client-id/--client-key: messages go to their routes without a token, and peers refuse them")
    connect_routes(system, routes or {}, credentials, verify=tls_context(peer_ca))
    stop = threading.Event()
    if hasattr(system, "deliver"):
        threading.Thread(target=_deliver_forever, args=(system.deliver, stop, deliver_every), daemon=True).start()
    try:
        if workers > 1:
            os.environ[_CONFIG_ENVIRONMENT] = json.dumps(attrs.asdict(config))
            serve("ics_interop.adapters.services:app_from_environment", settings, workers=workers)
        else:
            serve(app, settings)
    finally:
        stop.set()


def trust_options(values: Sequence[str]) -> tuple[tuple[str, str | None], ...]:
    """`ISSUER=JWKS` or `ISSUER` options, as (issuer, JWKS source) pairs."""
    pairs = []
    for value in values:
        issuer, sep, source = value.partition("=")
        if not issuer:
            raise ValueError(f"--trust {value!r}: write ISSUER=JWKS (a file or URL), or ISSUER to discover its keys")
        pairs.append((issuer, source if sep else None))
    return tuple(pairs)
