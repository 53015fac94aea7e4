"""The three systems on their stores, wired to each other in process or as HTTP services with the token service."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Literal, Protocol, TypeVar

import attrs
import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ics_interop.examples import JOHN, LEE, LIBBY, MELANIE, SOCIAL_CARE_DUTY_TEAM
from ics_interop.messages import Acknowledgement, SystemRef
from ics_interop.model import Practitioner

from ..auth import (
    ClientCredentials,
    TokenService,
    new_signing_key,
)
from ..contactpoint import CONTACTPOINT_IDENTITY, ContactPointDirectory
from ..ecaf import EcafRole, NationalEcaf, UserRegistration
from ..ics import IcsSettings, IcsSystem
from ..messaging import Outbox, Transport, route_key
from ..storage import Store
from ..transport import HttpTransport, InProcessTransport
from ..up import register_client, serve_systems
from .cast import CLIENTS, ECAF_MANAGER, ISLINGTON_ICS, NATIONAL_ECAF_IDENTITY
from .narration import Page
from .observations import StoryClock, StoryFailed, TransportChoice
from .screens import HttpScreens, LocalScreens, Screens

_STORE_FILES = {
    "ContactPoint": "contactpoint.db",
    "National eCAF": "national-ecaf.db",
    "Islington's ICS": "ics.db",
    "token service": "token-service.db",  # used when the systems run over HTTP
}


class Sender(Protocol):
    """A system with an outbox (National eCAF, an ICS)."""

    store: Store
    outbox: Outbox

    def deliver(self) -> list[Acknowledgement]:
        """Send what is due in the outbox."""
        ...


@attrs.frozen
class FeedSource:
    """A local system that feeds ContactPoint (the school's MIS, the youth service's): it builds and sends F1."""

    name: str
    identity: SystemRef
    transport: Transport
    wire: Literal["xml", "json"]


@attrs.define
class Systems:
    contactpoint: ContactPointDirectory
    ecaf: NationalEcaf
    ics: IcsSystem
    link: Callable[[SystemRef, str], Transport]  # how a sender reaches a route's POST /messages, as itself
    screens: Screens


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def store_urls(folder: Path | None, db_url: str | None, page: Page) -> tuple[dict[str, str], str]:
    """Where each system stores: one SQLite file each in a folder, or one database for all three."""
    if db_url is not None:
        page.line(f"The three systems store in one database, {_shown(db_url)} (tables cp_, ecaf_, ics_, auth_).", 0)
        return dict.fromkeys(_STORE_FILES, db_url), _shown(db_url)
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="ics-interop-demo-"))
        page.line(f"The three systems store in a fresh folder, {folder} (delete it when you are done).", 0)
    else:
        folder.mkdir(parents=True, exist_ok=True)
        page.line(f"The three systems store in {folder}.", 0)
    page.line(", ".join(f"{name}: {file}" for name, file in _STORE_FILES.items()), 2)
    return {name: f"sqlite:///{(folder / file).resolve()}" for name, file in _STORE_FILES.items()}, str(folder)


def _require_empty(name: str, store: Store, where: str) -> None:
    """The story starts from nothing: a store that already holds data would make it a different story."""
    with store.reading() as connection:
        for table in store.metadata.sorted_tables:
            if connection.execute(select(func.count()).select_from(table)).scalar_one():
                raise StoryFailed(
                    f"{name}'s store in {where} already holds data (table {table.name})",
                    hint="the story starts from empty stores: leave out --folder for a fresh temporary folder, "
                    "give a new --folder, or give --db an empty database",
                )


T = TypeVar("T")


def _opened(name: str, url: str, build: Callable[[str], T]) -> T:
    """A system on its store; a store that cannot be opened is a StoryFailed that says how to fix it."""
    try:
        return build(url)
    except SQLAlchemyError as exc:
        raise StoryFailed(
            f"could not open {name}'s store at {_shown(url)}: {getattr(exc, 'orig', None) or exc}",
            hint="check the --db URL, that the database server is running, and that its user may create tables",
        ) from exc


def open_systems(
    urls: dict[str, str], where: str, clock: StoryClock, transport: TransportChoice, stack: ExitStack, page: Page
) -> Systems:
    """The three systems on their stores, checked empty, with the routes between them."""
    contactpoint = _opened(
        "ContactPoint",
        urls["ContactPoint"],
        lambda url: ContactPointDirectory(url, identity=CONTACTPOINT_IDENTITY, clock=clock),
    )
    stack.callback(contactpoint.dispose)
    ecaf = _opened(
        "National eCAF",
        urls["National eCAF"],
        lambda url: NationalEcaf(url, identity=NATIONAL_ECAF_IDENTITY, clock=clock),
    )
    stack.callback(ecaf.close)
    # Islington's ICS shows its central duty team on ContactPoint while no social worker is allocated (seed §5.2).
    settings = IcsSettings(central_team=SOCIAL_CARE_DUTY_TEAM)
    ics = _opened(
        "Islington's ICS",
        urls["Islington's ICS"],
        lambda url: IcsSystem(url, identity=ISLINGTON_ICS, clock=clock, settings=settings),
    )
    stack.callback(ics.store.dispose)  # the ICS has no close() of its own
    for name, store in (
        ("ContactPoint", contactpoint.store),
        ("National eCAF", ecaf.store),
        ("Islington's ICS", ics.store),
    ):
        _require_empty(name, store, where)

    link: Callable[[SystemRef, str], Transport]
    screens: Screens
    if transport == "http":
        link, screens = _over_http(contactpoint, ecaf, ics, urls, where, stack, page)
    else:
        page.line(
            "The systems run in this process; messages travel as bytes through in-process transports, each "
            "made for one sender, which hands the receiver that sender's identity as a verified token would.",
            0,
        )
        receivers = {
            route_key(CONTACTPOINT_IDENTITY): contactpoint.receiver.receive,
            route_key(NATIONAL_ECAF_IDENTITY): ecaf.receiver.receive,
            route_key(ISLINGTON_ICS): ics.receiver.receive,
        }

        def link(sender: SystemRef, route: str) -> Transport:
            return InProcessTransport(receivers[route], sender)

        screens = LocalScreens(contactpoint, ecaf)
    # National eCAF tells ContactPoint about CAFs (F3) and refers to Islington's ICS (F4, F5); the ICS answers it.
    # The ICS's route to ContactPoint is connected when ContactPoint goes live (January 2009), in step 1.
    ecaf.connect(route_key(CONTACTPOINT_IDENTITY), link(NATIONAL_ECAF_IDENTITY, route_key(CONTACTPOINT_IDENTITY)))
    ecaf.connect(route_key(ISLINGTON_ICS), link(NATIONAL_ECAF_IDENTITY, route_key(ISLINGTON_ICS)))
    ics.connect(route_key(NATIONAL_ECAF_IDENTITY), link(ISLINGTON_ICS, route_key(NATIONAL_ECAF_IDENTITY)))
    ecaf.register_user(UserRegistration(practitioner=ECAF_MANAGER, role=EcafRole.MANAGER), by=None)
    return Systems(contactpoint, ecaf, ics, link, screens)


def _over_http(
    contactpoint: ContactPointDirectory,
    ecaf: NationalEcaf,
    ics: IcsSystem,
    urls: dict[str, str],
    where: str,
    stack: ExitStack,
    page: Page,
) -> tuple[Callable[[SystemRef, str], Transport], Screens]:
    """The three systems as HTTP services, with the reference token service: every request carries a token."""
    tokens = _opened("the token service", urls["token service"], lambda url: TokenService(url, issuer="http://pending"))
    stack.callback(tokens.dispose)
    _require_empty("the token service", tokens.store, where)
    try:
        served = serve_systems(stack, tokens, contactpoint, ecaf, ics)
    except (RuntimeError, OSError) as exc:
        raise StoryFailed(
            f"the systems could not be started as HTTP services: {exc}",
            hint="the demo listens on free ports of 127.0.0.1: check that local connections are allowed, "
            "or leave out --http",
        ) from exc
    auth_url, cp_url, ecaf_url, ics_url = served["auth"], served["contactpoint"], served["ecaf"], served["ics"]
    urls_of = {
        route_key(CONTACTPOINT_IDENTITY): cp_url,
        route_key(NATIONAL_ECAF_IDENTITY): ecaf_url,
        route_key(ISLINGTON_ICS): ics_url,
    }
    page.line(
        f"Each system runs as an HTTP service: ContactPoint {cp_url}, National eCAF {ecaf_url}, Islington's ICS "
        f"{ics_url}; messages travel by POST /messages. The reference token service at {auth_url} issues the "
        "access tokens every request carries; each service trusts it, for its own URL as audience.",
        0,
    )
    client = stack.enter_context(httpx.Client(timeout=30.0))
    credentials: dict[str, ClientCredentials] = {}
    rows = []
    for client_id, system, types in CLIENTS:
        credentials[system.organisation_id] = register_client(
            tokens, client_id, system, types, new_signing_key(), acts_for_users=True, client=client
        )
        rows.append(
            [client_id, f"{system.organisation_id} ({system.system.value})", ", ".join(t.value for t in types) or "-"]
        )
    for person in (MELANIE, JOHN, LEE, LIBBY):
        tokens.register_user(person)
    page.section("Who authenticates as whom")
    page.line("Each connected system is a client of the token service, with its own key (private_key_jwt):", 4)
    page.table(["client", "organisation (kind)", "may send"], rows, cap=60)
    page.line(
        "Practitioners act with user tokens, obtained for them by their own organisation's system: Melanie through "
        "camden-park-mis, John through islington-ics, Lee through islington-youth, Libby through "
        "northside-young-carers.",
        4,
    )

    def link(sender: SystemRef, route: str) -> Transport:
        return HttpTransport(urls_of[route], credentials=credentials[sender.organisation_id], client=client)

    def user_token(person: Practitioner, audience: str) -> str:
        return credentials[person.organisation.organisation_id].user_token(person.practitioner_id, audience)

    return link, HttpScreens(client, cp_url, ecaf_url, user_token, page)
