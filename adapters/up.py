"""`ics-interop up`: the three reference systems and the token service, wired to each other, in one command.

Everything a trial or a tester needs, on one folder of SQLite files (or one PostgreSQL database):

- the reference **token service** (`serve auth`), with a client registered for each system that
  sends (National eCAF; Islington's ICS and its local eCAF module) and a `tester` client that
  may act for users, each with its key in `keys/`;
- **ContactPoint**, **National eCAF** and **Islington's ICS** (LA206-CSC), each trusting the token
  service and the conformance suite's issuer (its key in `keys/`, for `conformance run`), for its
  own URL as audience;
- the routes between them: National eCAF tells ContactPoint (`contactpoint`) and refers to the
  ICS (`ics:LA206-CSC`); the ICS feeds ContactPoint and answers National eCAF (`national-ecaf`).
  With `--suite URL` every route goes to the conformance suite's receiver instead, so the suite
  sees what each system sends;
- the first users: ContactPoint's data manager, National eCAF's manager, and an ICS worker,
  registered at the token service and in each system.

It prints each URL, the credentials and the commands to try, and stops cleanly on Ctrl-C.
Running it again on the same folder keeps the stores and the keys.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TextIO, cast

import attrs
import httpx

from ics_interop.messages import MessageType, SystemRef
from ics_interop.model import ContactDetails, Organisation, PersonName, Practitioner
from ics_interop.model.codes import AgencyType, SystemKind

from .auth import ClientCredentials, TokenService, TokenVerifier, TrustedIssuer, message_scope
from .auth.keys import load_private_key, new_signing_key, public_jwks, save_private_key
from .auth.routes import token_service_app
from .contactpoint import ContactPointDirectory, DirectoryRole, PractitionerRegistration
from .ecaf import EcafRole, NationalEcaf, UserRegistration
from .http import running_server
from .ics import IcsSettings, IcsSystem
from .messaging import route_key
from .services import central_team, service_app
from .transport import HttpTransport, sender_key

__all__ = ["CONFORMANCE_ISSUER", "Deployment", "deployment", "run_up"]

#: The conformance suite's issuer ID (the suite's own default; its key is made in `keys/`).
CONFORMANCE_ISSUER = "urn:ics-interop:conformance-suite"

_DCSF = Organisation(
    organisation_id="DCSF", name="Department for Children, Schools and Families", agency_type=AgencyType.OTHER
)
CONTACTPOINT = SystemRef(system=SystemKind.CONTACTPOINT, organisation_id="DCSF", organisation_name="ContactPoint")
NATIONAL_ECAF = SystemRef(system=SystemKind.NATIONAL_ECAF, organisation_id="DCSF", organisation_name="National eCAF")
ISLINGTON_ICS = SystemRef(
    system=SystemKind.ICS, organisation_id="LA206-CSC", organisation_name="Islington children's social care"
)
ISLINGTON_LOCAL_ECAF = SystemRef(
    system=SystemKind.LOCAL_ECAF, organisation_id="LA206-CSC", organisation_name="Islington's local eCAF module"
)
_ISLINGTON = Organisation(
    organisation_id="LA206-CSC",
    name="Islington children's social care",
    agency_type=AgencyType.SOCIAL_CARE,
    la_code="206",
)

#: What National eCAF may send: the scopes of its client at the token service.
NATIONAL_ECAF_SENDS = (
    MessageType.CAF_INDICATOR_UPDATE,
    MessageType.SOCIAL_CARE_REFERRAL,
    MessageType.INITIAL_ASSESSMENT_PREPOPULATION,
    MessageType.EPISODE_TRANSFER,
)
#: What an ICS may send.
ICS_SENDS = (
    MessageType.INVOLVEMENT_STARTED,
    MessageType.INVOLVEMENT_ENDED,
    MessageType.SOCIAL_CARE_REFERRAL_RESPONSE,
    MessageType.STEP_DOWN,
    MessageType.CASE_RECORD_TRANSFER,
)

#: The connected systems' clients: ID, the system, what it may send.
CLIENTS: tuple[tuple[str, SystemRef, tuple[MessageType, ...]], ...] = (
    ("national-ecaf", NATIONAL_ECAF, NATIONAL_ECAF_SENDS),
    ("islington-ics", ISLINGTON_ICS, ICS_SENDS),
    (
        "islington-local-ecaf",
        ISLINGTON_LOCAL_ECAF,
        (MessageType.EPISODE_TRANSFER, MessageType.MIGRATION_BATCH, MessageType.CAF_INDICATOR_UPDATE),
    ),
)


def _person(
    user_id: str, given: str, family: str, role: str, organisation: Organisation, telephone: str
) -> Practitioner:
    return Practitioner(
        practitioner_id=user_id,
        name=PersonName(given_names=given, family_name=family),
        role=role,
        organisation=organisation,
        contact=ContactDetails(telephone=telephone),
    )


#: The first users, registered by the operator.
DATA_MANAGER = _person("DCSF-DM-1", "Dana", "Marsh", "ContactPoint data manager", _DCSF, "0870 000 2288")
ECAF_MANAGER = _person("DCSF-NECAF-MGR", "Nadia", "Okafor", "National eCAF service manager", _DCSF, "0870 000 2289")
ICS_WORKER = _person("LA206-SW-1", "John", "Carter", "Social worker", _ISLINGTON, "020 7946 0471")


@attrs.frozen
class Deployment:
    """Where everything is: the services' URLs, the key files, the stores."""

    folder: Path
    urls: Mapping[str, str]  # auth, contactpoint, ecaf, ics, and web when the 'web' extra is installed
    keys: Mapping[str, Path]  # client ID (and 'conformance-suite') -> private key file
    suite: str | None

    def describe(self) -> str:
        """What an operator or a tester needs to know, as printed."""
        u, k = self.urls, self.keys
        token = f"{u['auth']}/token"
        lines = [
            "ics-interop is up: the three reference systems and the token service, wired to each other.",
            "",
            f"  token service     {u['auth']}   (token endpoint {token}, keys {u['auth']}/jwks.json)",
            f"  ContactPoint      {u['contactpoint']}",
            f"  National eCAF     {u['ecaf']}",
            f"  Islington's ICS   {u['ics']}   (LA206-CSC, LA code 206)",
            f"  data teams' page  {u['web']}   (check a census return, a CSV feed or messages in a browser)"
            if "web" in u
            else "  (the data teams' page needs the 'web' extra: pip install 'ics-interop[web]')",
            "",
            "Routes: National eCAF -> contactpoint, ics:LA206-CSC; the ICS -> contactpoint, national-ecaf"
            + (f"; all of them to the conformance suite's receiver at {self.suite}" if self.suite else "."),
            "",
            "Clients (private_key_jwt at the token endpoint; keys are JWK files):",
            *(f"  {client:<22} {k[client]}" for client, _system, _types in CLIENTS),
            f"  {'tester':<22} {k['tester']}   (may act for the users below)",
            "",
            "Users (token subject -> role):",
            f"  {DATA_MANAGER.practitioner_id:<16} ContactPoint data manager (DCSF)",
            f"  {ECAF_MANAGER.practitioner_id:<16} National eCAF manager (DCSF)",
            f"  {ICS_WORKER.practitioner_id:<16} a social worker of Islington's ICS (LA206-CSC)",
            "",
            "A token for a user, to try the routes by hand:",
            f"  ics-interop auth token --db {self._auth_db()} --issuer {u['auth']} "
            f"--user {DATA_MANAGER.practitioner_id} --audience {u['contactpoint']}",
            "",
            f"The conformance suite (its issuer {CONFORMANCE_ISSUER!r} is trusted; its key {k['conformance-suite']}):",
            *(f"  {command}" for command in self.conformance_commands()),
            "",
            "Ctrl-C stops everything.",
        ]
        return "\n".join(lines)

    def _auth_db(self) -> str:
        return str(self.folder / "token-service.db")

    def conformance_options(self, profile: str) -> dict[str, str]:
        """The target options of a conformance run against one of the systems."""
        options = {"issuer-key": str(self.keys["conformance-suite"])}
        if profile == "contactpoint":
            options |= {"data-manager": DATA_MANAGER.practitioner_id, "data-manager-organisation": "DCSF"}
        elif profile == "ecaf":
            options |= {"manager": ECAF_MANAGER.practitioner_id, "manager-organisation": "DCSF"}
        else:
            options |= {"organisation": ISLINGTON_ICS.organisation_id, "worker": ICS_WORKER.practitioner_id}
        return options

    def conformance_commands(self) -> list[str]:
        """The command that tests each system (the suite's receiver on the port `--suite` names)."""
        port = self.suite.rsplit(":", 1)[1] if self.suite else "PORT"
        commands = []
        for profile, name in (("contactpoint", "contactpoint"), ("ecaf", "ecaf"), ("ics", "ics")):
            options = " ".join(f"--option {k}={v}" for k, v in self.conformance_options(profile).items())
            commands.append(
                f"ics-interop conformance run --profile {profile} --target {self.urls[name]} {options} "
                f"--capture-port {port} --report reports/{profile}"
            )
        return commands


def _key(folder: Path, name: str) -> tuple[Path, Any]:
    path = folder / "keys" / f"{name}.jwk.json"
    if path.exists():
        return path, load_private_key(path)
    key = new_signing_key()
    save_private_key(key, path)
    return path, key


def register_client(
    tokens: TokenService,
    client_id: str,
    system: SystemRef,
    sends: Sequence[MessageType],
    key: Any,
    *,
    acts_for_users: bool = False,
    client: httpx.Client | None = None,
) -> ClientCredentials:
    """Register a connected system at the (served) token service: its key and what it may send; its credentials."""
    tokens.register_client(
        client_id,
        organisation_id=system.organisation_id,
        system=system.system,
        scopes=[message_scope(t) for t in sends],
        jwks=public_jwks([key]),
        acts_for_users=acts_for_users,
    )
    return ClientCredentials(tokens.token_endpoint, client_id, key, client=client)


def serve_systems(
    stack: ExitStack,
    tokens: TokenService,
    contactpoint: ContactPointDirectory,
    ecaf: NationalEcaf,
    ics: IcsSystem,
    *,
    host: str = "127.0.0.1",
    first_port: int = 0,
    also_trusted: Sequence[TrustedIssuer] = (),
) -> dict[str, str]:
    """Serve the token service and the three systems until `stack` closes; their URLs: auth, contactpoint, ecaf, ics.

    The token service's issuer is its URL. Each system trusts it (and `also_trusted`), for its
    own URL as audience. Ports `first_port` to `first_port + 3`, in that order (0: any free port).
    """

    def port(offset: int) -> int:
        return first_port + offset if first_port else 0

    def token_app(url: str) -> Any:
        tokens.issuer = url
        return token_service_app(tokens)

    auth_url = stack.enter_context(running_server(token_app, host, port(0)))
    trusted = [TrustedIssuer(auth_url, jwks_uri=f"{auth_url}/jwks.json"), *also_trusted]

    def app(kind: str, system: Any) -> Callable[[str], Any]:
        return lambda url: service_app(kind, system, TokenVerifier(url, trusted))

    return {
        "auth": auth_url,
        "contactpoint": stack.enter_context(running_server(app("contactpoint", contactpoint), host, port(1))),
        "ecaf": stack.enter_context(running_server(app("ecaf", ecaf), host, port(2))),
        "ics": stack.enter_context(running_server(app("ics", ics), host, port(3))),
    }


@contextmanager
def deployment(
    folder: Path,
    *,
    db_url: str | None = None,
    host: str = "127.0.0.1",
    first_port: int = 8100,
    suite: str | None = None,
    deliver_every: float = 0.5,
) -> Iterator[Deployment]:
    """Start everything for the length of a block (ports `first_port` to `first_port + 4`; 0 for any).

    The fifth port is the data teams' page, served when the 'web' extra is installed.
    """
    folder.mkdir(parents=True, exist_ok=True)

    def store(name: str) -> str:
        return db_url or f"sqlite:///{(folder / f'{name}.db').resolve()}"

    with ExitStack() as stack:
        tokens = TokenService(store("token-service"), issuer="http://pending")
        stack.callback(tokens.dispose)
        directory = ContactPointDirectory(store("contactpoint"), identity=CONTACTPOINT)
        stack.callback(directory.dispose)
        ecaf = NationalEcaf(store("national-ecaf"), identity=NATIONAL_ECAF)
        stack.callback(ecaf.close)
        team = central_team(ISLINGTON_ICS.organisation_id, "Children's social care duty team", "020 7527 7400")
        ics = IcsSystem(
            store("ics"),
            identity=ISLINGTON_ICS,
            settings=IcsSettings(central_team=team, local_ecaf=ISLINGTON_LOCAL_ECAF),
        )
        stack.callback(ics.store.dispose)
        keys: dict[str, Path] = {}
        keys["conformance-suite"], suite_key = _key(folder, "conformance-suite")
        suite_issuer = TrustedIssuer(CONFORMANCE_ISSUER, jwks=public_jwks([suite_key]))
        urls = serve_systems(
            stack, tokens, directory, ecaf, ics, host=host, first_port=first_port, also_trusted=[suite_issuer]
        )
        page = _data_teams_page(stack, host, first_port + 4 if first_port else 0)
        if page is not None:
            urls["web"] = page

        credentials: dict[str, ClientCredentials] = {}
        for client_id, system, types in CLIENTS:
            keys[client_id], key = _key(folder, client_id)
            credentials[sender_key(system)] = register_client(tokens, client_id, system, types, key)
        keys["tester"], tester_key = _key(folder, "tester")
        tester = SystemRef(system=SystemKind.FEED_SOURCE, organisation_id="DCSF")
        register_client(tokens, "tester", tester, tuple(MessageType), tester_key, acts_for_users=True)
        for person in (DATA_MANAGER, ECAF_MANAGER, ICS_WORKER):
            tokens.register_user(person)
        directory.register_practitioner(
            PractitionerRegistration(
                practitioner_id=DATA_MANAGER.practitioner_id,
                name=DATA_MANAGER.name,
                role=DirectoryRole.DATA_MANAGER,
                organisation_id="DCSF",
            )
        )
        ecaf.register_user(UserRegistration(practitioner=ECAF_MANAGER, role=EcafRole.MANAGER), by=None)
        by_route = {
            route_key(CONTACTPOINT): urls["contactpoint"],
            route_key(NATIONAL_ECAF): urls["ecaf"],
            route_key(ISLINGTON_ICS): urls["ics"],
        }
        _wire(ecaf, by_route, credentials, suite, (route_key(CONTACTPOINT), route_key(ISLINGTON_ICS)))
        _wire(ics, by_route, credentials, suite, (route_key(CONTACTPOINT), route_key(NATIONAL_ECAF)))
        stop = threading.Event()
        stack.callback(stop.set)
        for sender in (ecaf, ics):
            threading.Thread(target=_deliver_forever, args=(sender, stop, deliver_every), daemon=True).start()
        yield Deployment(folder, urls, keys, suite)


def _data_teams_page(stack: ExitStack, host: str, port: int) -> str | None:
    """Serve the data teams' page (`serve web`) until `stack` closes, when its extra is installed.

    Its address carries this launch's key, as `serve web` prints it: the page knows its caller by it.
    """
    try:
        from .web.app import PageSettings
        from .web.app import create_app as page_app
    except ModuleNotFoundError:  # the 'web' extra (Jinja2, openpyxl...) is not installed
        return None
    settings = PageSettings()
    url: str = stack.enter_context(running_server(lambda _url: cast(Any, page_app(settings)), host, port))
    return f"{url}/?token={settings.key.key}"


#: The routes the conformance suite plays, beside the systems' own (conformance/scenarios.py SUITE_ROUTES).
_SUITE_ROUTES = ("contactpoint", "national-ecaf", "ics:LA204-CSC", "local-ecaf:LA204")


def _wire(
    system: Any,
    by_route: Mapping[str, str],
    credentials: Mapping[str, ClientCredentials],
    suite: str | None,
    routes: tuple[str, ...],
) -> None:
    if suite is not None:
        for route in {*routes, *_SUITE_ROUTES}:
            system.connect(route, HttpTransport(suite, credentials=credentials))
        return
    for route in routes:
        system.connect(route, HttpTransport(by_route[route], credentials=credentials))


def _deliver_forever(system: Any, stop: threading.Event, every: float) -> None:
    import logging

    log = logging.getLogger("ics_interop.adapters.up")
    while not stop.wait(every):
        try:
            system.deliver()
        except Exception:  # a delivery round must never stop the service; the outbox keeps the message
            log.exception("outbox delivery failed; the messages stay in the outbox and are retried")


def run_up(
    folder: Path,
    *,
    db_url: str | None,
    host: str,
    first_port: int,
    suite: str | None,
    out: TextIO,
) -> None:
    """Start everything, print how to use it, and run until interrupted."""
    with deployment(folder, db_url=db_url, host=host, first_port=first_port, suite=suite) as deployed:
        out.write(deployed.describe() + "\n")
        out.flush()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            out.write("\nstopping...\n")
