"""Running the reference systems as HTTP services: `ics-interop serve contactpoint|ecaf|ics`.

Each service stores in an SQLite file by default (or the `--db` URL), answers the standard's
HTTP binding, and, where the system sends messages, delivers its outbox in the background to
the routes it was given (`--route contactpoint=http://127.0.0.1:8001`), retrying with backoff
while a receiver is down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from fastapi import FastAPI

from ics_interop import SystemRef
from ics_interop.model import ContactDetails, Organisation, Team
from ics_interop.model.codes import AgencyType, SystemKind

from .http import serve
from .transport import HttpTransport

__all__ = ["SYSTEM_KINDS", "ReferenceSystem", "build_system", "central_team", "default_identity", "run_service"]

#: The names `ics-interop serve` takes.
SYSTEM_KINDS = ("contactpoint", "ecaf", "ics")


class ReferenceSystem(Protocol):
    """What every reference system offers a service runner."""

    def app(self) -> FastAPI:
        """The system's HTTP service."""
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
            raise ValueError("an ICS system belongs to an authority: give --organisation, for example LA-206")
        return SystemRef(system=SystemKind.ICS, organisation_id=organisation)
    raise ValueError(f"unknown system {kind!r}: choose one of {', '.join(SYSTEM_KINDS)}")


def central_team(organisation_id: str, name: str, telephone: str) -> Team:
    """The social work team an ICS names on ContactPoint until a social worker is allocated (seed §5.2)."""
    organisation = Organisation(organisation_id=organisation_id, name=name, agency_type=AgencyType.SOCIAL_CARE)
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


def _deliver_forever(deliver: Callable[[], object], stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        try:
            deliver()
        except Exception as exc:  # a delivery round must never stop the service; the outbox keeps the message
            print(f"outbox delivery failed, will retry: {exc}", flush=True)


def run_service(
    kind: str,
    db_url: str,
    *,
    host: str,
    port: int,
    organisation: str | None = None,
    routes: Mapping[str, str] | None = None,
    deliver_every: float = 1.0,
    team_name: str | None = None,
    team_telephone: str | None = None,
) -> None:
    """Build a system and serve it until interrupted, delivering its outbox in the background."""
    identity = default_identity(kind, organisation)
    team = None
    if kind == "ics":
        if not team_telephone:
            raise ValueError(
                "an ICS system names its central social work team on ContactPoint (seed §5.2): "
                "give --team-telephone (and --team-name)"
            )
        team = central_team(identity.organisation_id, team_name or "Children's social care", team_telephone)
    system = build_system(kind, db_url, identity, team=team)
    for route, url in (routes or {}).items():
        system.connect(route, HttpTransport(url))
    stop = threading.Event()
    if hasattr(system, "deliver"):
        threading.Thread(target=_deliver_forever, args=(system.deliver, stop, deliver_every), daemon=True).start()
    try:
        serve(system.app(), host, port)
    finally:
        stop.set()
