#!/usr/bin/env python
"""How the ContactPoint directory scales: ingest cost and search latency as the children held grow.

Builds distinct children with realistic identifiers (NHS numbers from the 999 test range,
UPNs with their check letter, senders' local IDs), each fed by one or two InvolvementStarted
messages (1.5 messages a child): the first from the child's authority's ICS, the second, for
half of them, from a school or health service that knows the NHS number. About one child in a
hundred has a twin (same family name, birth date and address, another given name), and one
in two hundred is also sent by a third system that has neither NHS number nor UPN, with a
postcode that differs: matching holds those for a data manager. One child in a hundred is
shielded by a data manager.

Every message goes through the public receiving API: in one process, `Receiver.receive` with
the sending system's principal (`--mode inprocess`); or over HTTP with real access tokens
(`--mode http`): the directory runs as a service in another process (`--workers N`) and
`--clients` threads send to it, each with its system's token.

At each size (`--sizes`, default 10k,100k,1M) it prints the ingest rate over the last
window of messages, the CPU per message, the store's size, and the p50/p99 of each kind of
search and of viewing a record, over `--lookups` random children (1,000 by default). In one
process the times are CPU times (`time.process_time`), so other work on the machine does not
inflate them; over HTTP they are wall-clock latencies as a client sees them, and the ingest
rate is messages per wall-clock second. The last line is exactly

    directory: N children; ingest X msg/s; cost growth 10k->N Y.YY; search p99 Z ms

where X is the rate at the largest size, Y the CPU per message at N over that at 10 k (or at the
smallest size, when 10 k is not among them), and Z the
largest p99 of any search or view at N.

Run: ``python benchmarks/directory_scale.py [--mode inprocess|http] [--db URL] [--sizes 10k,100k]``.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Container, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ics_interop import to_xml

if TYPE_CHECKING:  # mypy reads adapters/ as the top-level package it is on disk (see conformance/_adapters.py)
    from adapters import messaging as receiving
    from adapters.auth import LocalIssuer, Principal, load_private_key, save_private_key
    from adapters.contactpoint import ContactPointDirectory, DirectoryRole, PractitionerRegistration, ShieldingChange
    from adapters.http import ServerSettings, serve
    from adapters.messaging import decode_acknowledgement
    from adapters.services import service_app
    from adapters.storage import normalise_url
else:
    from ics_interop.adapters import messaging as receiving
    from ics_interop.adapters.auth import LocalIssuer, Principal, load_private_key, save_private_key
    from ics_interop.adapters.contactpoint import (
        ContactPointDirectory,
        DirectoryRole,
        PractitionerRegistration,
        ShieldingChange,
    )
    from ics_interop.adapters.http import ServerSettings, serve
    from ics_interop.adapters.messaging import decode_acknowledgement
    from ics_interop.adapters.services import service_app
    from ics_interop.adapters.storage import normalise_url
from ics_interop.messages import SCHEMA_VERSION, Envelope, InvolvementStarted, Message, MessageType, SystemRef
from ics_interop.model import (
    Address,
    Child,
    ChildIdentifiers,
    ContactDetails,
    Involvement,
    Organisation,
    PersonName,
    Practitioner,
    Service,
)
from ics_interop.model.codes import AgencyType, Gender, SystemKind
from ics_interop.model.identifiers import nhs_number_check_digit, upn_check_letter

MB = 1_000_000
_BATCH_OPEN = b'<?xml version="1.0" encoding="UTF-8"?>\n<MessageBatch xmlns="urn:ics-interop:schema:v1">'
_BATCH_CLOSE = b"</MessageBatch>"


def _member(body: bytes) -> bytes:
    """A message document as a member of a batch: without its XML declaration and namespace declaration."""
    start = body.index(b"?>") + 2 if body.startswith(b"<?xml") else 0
    return body[start:].replace(b' xmlns="urn:ics-interop:schema:v1"', b"", 1).strip()


_GIVEN = (  # noqa: SIM905
    "Amelia Olivia Jessica Emily Lily Ava Sophie Chloé Isla Mia Ruby Grace Evie Hannah Zoë Aisha Fatima Maryam Priya "
    "Siân Niamh Megan Keira Layla Amira Freya Holly Ellie Poppy Daisy Jasmine Shannon Abigail Oliver Jack Harry "
    "Charlie Thomas George Oscar James William Noah Alfie Joshua Muhammad Mohammed Ali Yusuf Rhys Callum Kyle Liam "
    "Connor Dylan Reece Kai Tyler Kwame Tomasz Jakub Ravi Arjun Ethan Leo Samuel"
).split()
#: Family names: common English ones and a spread of others, combined with a suffix pool so
#: the directory holds thousands of distinct surnames, as England's does.
_FAMILY_STEMS = (  # noqa: SIM905
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright Walker "
    "White Edwards Hughes Green Hall Lewis Harris Clarke Patel Khan Begum Ahmed Hussain Singh Kaur Okafor Mensah "
    "Nowak Kowalski O'Brien O'Connor McDonald Murphy Nuñez Chen Nguyen Campbell Stewart Morgan Price Bennett "
    "Fletcher Adeyemi Osei Ali Shah Rahman Malik Iqbal Kelly Wood Jackson Martin Cooper King Lee Baker Harrison "
    "Morris Ward Turner Hill Moore Clark Allen Young Scott Mitchell Carter Phillips Parker Collins Bell Cook Bailey"
).split()
_FAMILY_TAILS = ("", "-Jones", "-Smith", "son", "ley", "ton", "field", "worth", "ford", "well", "by", "er", "ham")
_STREETS = ("High Street", "Station Road", "Church Lane", "Park Road", "Victoria Road", "Green Lane", "Mill Lane")
_INWARD = "ABDEFGHJLNPQRSTUWXYZ"
#: (LA code, ICS organisation, postcode districts)
_AUTHORITIES = (
    ("202", "LA202-CSC", ("NW1", "NW3", "NW5", "N19")),
    ("206", "LA206-CSC", ("N1", "N4", "N7", "N19")),
    ("330", "LA330-CSC", ("B5", "B12", "B23", "B44")),
    ("352", "LA352-CSC", ("M8", "M14", "M20", "M40")),
    ("383", "LA383-CSC", ("LS6", "LS8", "LS11", "LS14")),
    ("801", "LA801-CSC", ("BS2", "BS5", "BS7", "BS16")),
    ("926", "LA926-CSC", ("NR1", "NR3", "NR30", "PE30")),
)
#: The second sender: schools and health services, by agency.
_SECOND = (
    (AgencyType.EDUCATION, "School", "Learning mentor"),
    (AgencyType.HEALTH, "Health visiting", "Health visitor"),
    (AgencyType.GP, "General practice", "General practitioner"),
    (AgencyType.YOUTH_SERVICE, "Youth service", "Youth worker"),
)
CONTACTPOINT = SystemRef(system=SystemKind.CONTACTPOINT, organisation_id="DCSF", organisation_name="ContactPoint")
PRACTITIONER = "BENCH-PRACTITIONER"
DATA_MANAGER = "BENCH-DATA-MANAGER"
EPOCH = dt.datetime(2010, 1, 4, 1, 0, tzinfo=dt.UTC)
TODAY = EPOCH.date()


def parse_size(text: str) -> int:
    """'10k' -> 10000, '1M' -> 1000000, '2500' -> 2500."""
    text = text.strip()
    scale = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if scale != 1 else text
    return int(float(number) * scale)


def size_label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


# --- the children and their messages -----------------------------------------------------------


_VALID_STEMS: list[int] = []


def _nhs_number(index: int) -> str | None:
    """Child `index`'s NHS number: nine children in ten have one, all distinct, from the 999 test range.

    The valid stems (those with a check digit) are taken in a scattered order (a stride prime to
    their count), so neighbouring children do not get neighbouring numbers.
    """
    if index % 10 == 9:
        return None
    if not _VALID_STEMS:
        _VALID_STEMS.extend(n for n in range(1_000_000) if nhs_number_check_digit(f"999{n:06d}") is not None)
    slot = index - index // 10
    if slot >= len(_VALID_STEMS):
        raise SystemExit(f"the 999 range has no more NHS numbers than {len(_VALID_STEMS):,} children")
    stem = f"999{_VALID_STEMS[(slot * 7919) % len(_VALID_STEMS)]:06d}"
    return stem + str(nhs_number_check_digit(stem))


@attrs.frozen
class ChildPlan:
    """One child of the benchmark and what each system knows of it."""

    index: int
    child: Child
    authority: tuple[str, str, tuple[str, ...]]
    twin_of: int | None
    second: bool  # a school or health service sends the child too
    stranger: bool  # a third system, knowing neither NHS number nor UPN, with another postcode: held
    shielded: bool


class ChildBuilder:
    """Child `i`, the same every time (so every client and every run build the same children)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def _stream(self, index: int, purpose: int) -> random.Random:
        return random.Random((self.seed * 1_000_003 + index) * 16 + purpose)

    def _twin_flag(self, index: int) -> bool:
        return index > 0 and self._stream(index, 0).random() < 0.01

    def _given(self, index: int) -> str:
        return self._stream(index, 2).choice(_GIVEN)

    def plan(self, index: int) -> ChildPlan:
        # A twin shares the household (family name, birth date, address) of the child before it,
        # unless that child is itself a twin: no triplets.
        twin_of = index - 1 if self._twin_flag(index) and not self._twin_flag(index - 1) else None
        home = self._stream(index if twin_of is None else twin_of, 1)
        authority = home.choice(_AUTHORITIES)
        family = home.choice(_FAMILY_STEMS) + home.choice(_FAMILY_TAILS)
        born = TODAY - dt.timedelta(days=home.randint(30, 17 * 365))
        postcode = f"{home.choice(authority[2])} {home.randint(0, 9)}{home.choice(_INWARD)}{home.choice(_INWARD)}"
        street = f"{home.randint(1, 240)} {home.choice(_STREETS)}"
        own = self._stream(index, 3)
        given = self._given(index)
        if twin_of is not None and given == self._given(twin_of):
            given = _GIVEN[(_GIVEN.index(given) + 1) % len(_GIVEN)]  # twins have their own first names
        if own.random() < 0.25:
            given += " " + own.choice(_GIVEN)
        upn = None
        if (TODAY - born).days > 5 * 365 and own.random() < 0.7:
            tail = f"{authority[0]}{1000 + (index // 1000) % 7000:04d}{born.year % 100:02d}{index % 1000:03d}"
            upn = upn_check_letter(tail) + tail
        child = Child(
            identifiers=ChildIdentifiers(
                nhs_number=_nhs_number(index), upn=upn, local_id=f"ICS-{authority[0]}-{index:08d}"
            ),
            name=PersonName(given_names=given, family_name=family),
            date_of_birth=born,
            gender=own.choice((Gender.FEMALE, Gender.MALE)),
            address=Address(lines=[street, "England"], postcode=postcode),
        )
        return ChildPlan(
            index=index,
            child=child,
            authority=authority,
            twin_of=twin_of,
            second=own.random() < 0.5,
            stranger=own.random() < 0.005,
            shielded=own.random() < 0.01,
        )

    def messages(self, plan: ChildPlan) -> list[tuple[SystemRef, bytes]]:
        """The child's messages, as (sender, XML bytes), in the order they are sent."""
        rng = self._stream(plan.index, 4)
        la, ics, _ = plan.authority
        out = []
        ics_ref = SystemRef(system=SystemKind.ICS, organisation_id=ics)
        social_care = Organisation(
            organisation_id=ics, name=f"Children's social care {la}", agency_type=AgencyType.SOCIAL_CARE
        )
        out.append(
            self._started(plan, ics_ref, plan.child, social_care, "Children's social care", "Social worker", rng)
        )
        ids = plan.child.identifiers
        known_ids = (
            ChildIdentifiers(nhs_number=ids.nhs_number)
            if ids.nhs_number
            else ChildIdentifiers(upn=ids.upn)
            if ids.upn
            else None
        )
        if plan.second and known_ids is not None:
            agency, name, role = rng.choice(_SECOND)
            organisation_id = f"{agency.value.upper()[:4]}-{la}-{rng.randint(1, 60):03d}"
            ref = SystemRef(system=SystemKind.FEED_SOURCE, organisation_id=organisation_id)
            organisation = Organisation(organisation_id=organisation_id, name=f"{name} {la}", agency_type=agency)
            known = plan.child.model_copy(update={"identifiers": known_ids})
            out.append(self._started(plan, ref, known, organisation, name, role, rng))
        if plan.stranger:
            organisation_id = f"YOUTH-{la}"
            ref = SystemRef(system=SystemKind.FEED_SOURCE, organisation_id=organisation_id)
            organisation = Organisation(
                organisation_id=organisation_id, name=f"Youth service {la}", agency_type=AgencyType.YOUTH_SERVICE
            )
            address = plan.child.address
            assert address is not None
            moved = address.model_copy(update={"postcode": f"{plan.authority[2][0]} 9ZZ"})
            vague = plan.child.model_copy(
                update={"identifiers": ChildIdentifiers(local_id=f"Y-{plan.index:08d}"), "address": moved}
            )
            out.append(self._started(plan, ref, vague, organisation, "Youth service", "Youth worker", rng))
        return out

    def _started(
        self,
        plan: ChildPlan,
        sender: SystemRef,
        child: Child,
        organisation: Organisation,
        service: str,
        role: str,
        rng: random.Random,
    ) -> tuple[SystemRef, bytes]:
        header = Envelope(
            message_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            message_type=MessageType.INVOLVEMENT_STARTED,
            schema_version=SCHEMA_VERSION,
            sender=sender,
            recipient=CONTACTPOINT,
            created_at=EPOCH + dt.timedelta(seconds=plan.index),
        )
        practitioner = Practitioner(
            practitioner_id=f"{organisation.organisation_id}-P{rng.randint(1, 999):03d}",
            name=PersonName(given_names=rng.choice(_GIVEN), family_name=rng.choice(_FAMILY_STEMS)),
            role=role,
            organisation=organisation,
            contact=ContactDetails(telephone=f"020 7946 0{rng.randint(0, 999):03d}"),
        )
        involvement = Involvement(
            involvement_id=f"INV-{sender.organisation_id}-{plan.index:08d}",
            service=Service(
                service_id=f"{organisation.organisation_id}-SVC",
                name=service,
                agency_type=organisation.agency_type,
                organisation=organisation,
            ),
            practitioner=practitioner,
            start_date=TODAY - dt.timedelta(days=rng.randint(1, 700)),
        )
        message: Message = InvolvementStarted(header=header, child=child, involvement=involvement)
        return sender, to_xml(message, pretty=False)


def feed(builder: ChildBuilder, start: int, stop: int) -> Iterator[tuple[ChildPlan, list[tuple[SystemRef, bytes]]]]:
    """Children `start` to `stop - 1` and their messages."""
    for index in range(start, stop):
        plan = builder.plan(index)
        yield plan, builder.messages(plan)


# --- measuring -----------------------------------------------------------------------------------


@attrs.define
class Window:
    """Ingest over the last window of messages at one size."""

    messages: int = 0
    cpu: float = 0.0
    wall: float = 0.0
    held: int = 0
    rejected: int = 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


class Directory:
    """What the benchmark does to the directory, in one process or over HTTP."""

    def send(self, sender: SystemRef, body: bytes) -> tuple[bytes, str]:
        """Deliver one message (or a batch) from `sender`; the reply's bytes and content type."""
        raise NotImplementedError

    def shield(self, contactpoint_id: str) -> None:
        raise NotImplementedError

    def search(self, **criteria: str) -> list[str]:
        """The ContactPoint IDs a search finds."""
        raise NotImplementedError

    def view(self, contactpoint_id: str) -> None:
        raise NotImplementedError

    def size_bytes(self) -> int:
        raise NotImplementedError

    def close(self) -> None:
        pass


def outcomes(reply: bytes, content_type: str) -> list[str]:
    """What each acknowledgement of a reply (one, or a batch's) says: 'accepted', 'held' or 'rejected: ...'."""

    if b"MessageBatch" in reply[:200] or reply.lstrip().startswith(b"["):
        # A batch's answer (looked up here: a receiver from before batches has no reader for one).
        decode_batch = getattr(receiving, "decode_acknowledgements")  # noqa: B009
        return [_status(ack) for ack in decode_batch(reply, content_type)]
    return [_status(decode_acknowledgement(reply, content_type))]


def _status(ack: Any) -> str:
    if ack.status.value != "accepted":
        return "rejected: " + "; ".join(f"{f.rule_id} {f.message}" for f in ack.findings)[:300]
    return "held" if any(f.rule_id == "CP-MATCH-HELD" for f in ack.findings) else "accepted"


def _registrations() -> list[Any]:

    return [
        PractitionerRegistration(
            practitioner_id=PRACTITIONER,
            name=PersonName(given_names="Melanie", family_name="Hughes"),
            role=DirectoryRole.PRACTITIONER,
            organisation_id="DFE-2024105",
        ),
        PractitionerRegistration(
            practitioner_id=DATA_MANAGER,
            name=PersonName(given_names="Dana", family_name="Marsh"),
            role=DirectoryRole.DATA_MANAGER,
            organisation_id="DCSF",
        ),
    ]


def _store_size(url: str) -> int:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    from sqlalchemy import create_engine, text

    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    finally:
        engine.dispose()


class InProcess(Directory):
    """The directory in this process, through `Receiver.receive` and its Python API."""

    def __init__(self, url: str) -> None:

        self.url = url
        self.directory = ContactPointDirectory(url, identity=CONTACTPOINT, clock=lambda: dt.datetime.now(dt.UTC))
        for registration in _registrations():
            self.directory.register_practitioner(registration)
        self._principals: dict[str, Any] = {}

    def send(self, sender: SystemRef, body: bytes) -> tuple[bytes, str]:
        client = self._principals.get(sender.organisation_id)
        if client is None:
            client = self._principals[sender.organisation_id] = Principal.for_system(sender)
        # The batch form only for a batch: a receiver from before batches were taken has no such option.
        options = {"batch": True} if body.startswith(_BATCH_OPEN) else {}
        reply: tuple[bytes, str] = self.directory.receiver.receive(body, "application/xml", client=client, **options)
        return reply

    def shield(self, contactpoint_id: str) -> None:

        change = ShieldingChange(shielded=True, reason="fleeing domestic violence: refuge address")
        self.directory.set_shielding(contactpoint_id, change, by=DATA_MANAGER)

    def search(self, **criteria: str) -> list[str]:
        result = self.directory.search(practitioner_id=PRACTITIONER, reason="school attendance concern", **criteria)
        return [r.contactpoint_id for r in result.records]

    def view(self, contactpoint_id: str) -> None:
        self.directory.view(contactpoint_id, practitioner_id=PRACTITIONER, reason="school attendance concern")

    def size_bytes(self) -> int:
        return _store_size(self.url)

    def close(self) -> None:
        self.directory.dispose()


# --- over HTTP -----------------------------------------------------------------------------------

_SERVE_ENV = "ICS_INTEROP_BENCH_SERVICE"
AUDIENCE = "https://contactpoint.bench"


def served_app() -> Any:
    """The directory's HTTP service in a worker process (built from what the benchmark put in the environment)."""

    config = json.loads(os.environ[_SERVE_ENV])
    issuer = LocalIssuer(config["issuer"], key=load_private_key(Path(config["key"])))
    directory = ContactPointDirectory(config["db"], identity=CONTACTPOINT, clock=lambda: dt.datetime.now(dt.UTC))
    return service_app("contactpoint", directory, issuer.verifier(AUDIENCE))


def serve_main(db: str, key: str, issuer: str, port: int, workers: int) -> None:
    """`--serve`: run the directory as an HTTP service until killed."""

    os.environ[_SERVE_ENV] = json.dumps({"db": db, "key": key, "issuer": issuer})
    settings = ServerSettings(port=port, log_level="warning", max_connections=200)
    if workers > 1:
        serve("directory_scale:served_app", settings, workers=workers)
    else:
        serve(served_app(), settings)


class OverHttp(Directory):
    """The directory as an HTTP service in other processes; every request with a real access token."""

    def __init__(self, url: str, workers: int, folder: Path) -> None:
        import socket

        import httpx

        self.url = url
        self.issuer = LocalIssuer("urn:ics-interop:bench-issuer")
        key = folder / "issuer-key.json"
        save_private_key(self.issuer.key, key)
        # The operator registers the users once, before the service starts.
        setup = ContactPointDirectory(url, identity=CONTACTPOINT)
        for registration in _registrations():
            setup.register_practitioner(registration)
        setup.dispose()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        command = [sys.executable, str(Path(__file__).resolve()), "--serve", "--db", url, "--key", str(key)]
        command += ["--issuer", self.issuer.issuer, "--port", str(port), "--workers", str(workers)]
        self.server = subprocess.Popen(command, cwd=str(Path(__file__).parent))
        self.local = threading.local()
        self.tokens: dict[str, str] = {}
        self.lock = threading.Lock()
        # A busy machine (the 2 cores shared) can take more than a minute to start the workers.
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.server.poll() is not None:
                self.close()
                raise SystemExit("the directory service did not start (not answering /health after 180 s)")
            time.sleep(0.2)
        user = self.issuer.user_token(PRACTITIONER, "DFE-2024105", AUDIENCE)
        manager = self.issuer.user_token(DATA_MANAGER, "DCSF", AUDIENCE)
        self.user_headers = {"Authorization": f"Bearer {user}", "X-Access-Reason": "school attendance concern"}
        self.manager_headers = {"Authorization": f"Bearer {manager}"}

    def _client(self) -> Any:
        import httpx

        client = getattr(self.local, "client", None)
        if client is None:
            client = self.local.client = httpx.Client(base_url=self.base, timeout=60)
        return client

    def _token(self, sender: SystemRef) -> str:
        with self.lock:
            token = self.tokens.get(sender.organisation_id)
            if token is None:
                token = self.tokens[sender.organisation_id] = self.issuer.system_token(sender, AUDIENCE)
        return token

    def send(self, sender: SystemRef, body: bytes) -> tuple[bytes, str]:
        headers = {"Authorization": f"Bearer {self._token(sender)}", "Content-Type": "application/xml"}
        response = self._client().post("/messages", content=body, headers=headers)
        return response.content, response.headers.get("content-type", "")

    def shield(self, contactpoint_id: str) -> None:
        body = {"shielded": True, "reason": "fleeing domestic violence: refuge address"}
        response = self._client().post(
            f"/children/{contactpoint_id}/shielding", json=body, headers=self.manager_headers
        )
        response.raise_for_status()

    def search(self, **criteria: str) -> list[str]:
        names = {"family_name": "familyName", "given_names": "givenNames", "date_of_birth": "dateOfBirth"}
        params = {names.get(k, k): v for k, v in criteria.items()}
        response = self._client().get("/children", params=params, headers=self.user_headers)
        response.raise_for_status()
        return [r["contactpointId"] for r in response.json()["records"]]

    def view(self, contactpoint_id: str) -> None:
        self._client().get(f"/children/{contactpoint_id}", headers=self.user_headers).raise_for_status()

    def size_bytes(self) -> int:
        return _store_size(self.url)

    def server_cpu(self) -> float:
        """CPU seconds used so far by the service's processes (Linux /proc)."""
        total = 0.0
        pids = [self.server.pid]
        try:
            children = Path(f"/proc/{self.server.pid}/task/{self.server.pid}/children").read_text().split()
            pids += [int(p) for p in children]
        except OSError:
            return float("nan")
        ticks = os.sysconf("SC_CLK_TCK")
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def close(self) -> None:
        self.server.terminate()
        try:
            self.server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()


# --- the run -------------------------------------------------------------------------------------


@attrs.define
class Loader:
    """Loads children up to each size, counting what the directory answered."""

    directory: Directory
    builder: ChildBuilder
    clients: int
    batch: int = 1
    loaded: int = 0
    statuses: dict[str, int] = attrs.Factory(dict)
    to_shield: list[ChildPlan] = attrs.Factory(list)
    #: Children with a message the directory held for a data manager (a possible namesake): until
    #: one is resolved, the child may have no record of its own to shield.
    held: set[int] = attrs.Factory(set)
    #: Children at risk the data manager could not shield, because their record was held.
    not_shielded: int = 0
    cpu_of: Callable[[], float] = time.process_time

    def load_to(self, size: int, window: int) -> Window:
        """Load children up to `size`; the ingest figures over the last `window` children's messages."""
        measured = Window()
        start_window = max(self.loaded, size - window)
        if start_window > self.loaded:
            self._load(self.loaded, start_window, None)
        self._load(start_window, size, measured)
        self.loaded = size
        return measured

    def _load(self, start: int, stop: int, window: Window | None) -> None:
        cpu0, wall0 = self.cpu_of(), time.perf_counter()
        if self.clients <= 1:
            pending: dict[str, tuple[SystemRef, list[tuple[ChildPlan, bytes]]]] = {}
            queued = 0
            for plan, messages in feed(self.builder, start, stop):
                if plan.shielded:
                    self.to_shield.append(plan)
                for sender, body in messages:
                    if self.batch <= 1:
                        self._send(sender, [(plan, body)], window)
                        continue
                    pending.setdefault(sender.organisation_id, (sender, []))[1].append((plan, body))
                    queued += 1
                if queued >= self.batch:
                    self._flush(pending, window)
                    queued = 0
            self._flush(pending, window)
        else:
            self._load_concurrently(start, stop, window)
        if window is not None:
            window.wall += time.perf_counter() - wall0
            if self.cpu_of is not time.process_time:
                window.cpu = self.cpu_of() - cpu0
        self._shield()

    def _flush(
        self, pending: dict[str, tuple[SystemRef, list[tuple[ChildPlan, bytes]]]], window: Window | None
    ) -> None:
        # Each sender's messages as one batch; the ICSs' first, as a child's first message comes from its ICS.
        for key in sorted(pending, key=lambda k: (not k.endswith("-CSC"), k)):
            sender, items = pending[key]
            self._send(sender, items, window)
        pending.clear()

    def _send(self, sender: SystemRef, items: list[tuple[ChildPlan, bytes]], window: Window | None) -> None:
        body = items[0][1] if len(items) == 1 else _BATCH_OPEN + b"".join(_member(b) for _, b in items) + _BATCH_CLOSE
        c0 = time.process_time()
        reply, content_type = self.directory.send(sender, body)
        if window is not None:
            # Only the receiving is timed: building the messages and reading the answer is the sender's work.
            window.cpu += time.process_time() - c0
            window.messages += len(items)
        results = outcomes(reply, content_type)
        if len(results) != len(items):
            raise SystemExit(f"{len(items)} messages sent, {len(results)} acknowledgements: {results[:3]}")
        for (plan, _), outcome in zip(items, results, strict=True):
            self._count(outcome, plan, window)

    def _load_concurrently(self, start: int, stop: int, window: Window | None) -> None:
        # Messages are built before the clock starts (in the window), so the clients only send.
        batches: list[list[tuple[ChildPlan, SystemRef, bytes]]] = [[] for _ in range(self.clients)]
        for plan, messages in feed(self.builder, start, stop):
            # A child's messages go through one client, in order, as one sender's would.
            batches[plan.index % self.clients] += [(plan, s, b) for s, b in messages]
            if plan.shielded:
                self.to_shield.append(plan)
        if window is not None:
            window.messages += sum(len(b) for b in batches)
        lock = threading.Lock()
        failures: list[BaseException] = []

        def run(batch: list[tuple[ChildPlan, SystemRef, bytes]]) -> None:
            try:
                for plan, sender, body in batch:
                    (outcome,) = outcomes(*self.directory.send(sender, body))
                    with lock:
                        self._count(outcome, plan, window)
            except BaseException as exc:  # reported after the threads are joined
                failures.append(exc)

        threads = [threading.Thread(target=run, args=(b,)) for b in batches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]

    def _count(self, outcome: str, plan: ChildPlan, window: Window | None) -> None:
        kind = outcome.split(":", 1)[0]
        self.statuses[kind] = self.statuses.get(kind, 0) + 1
        if kind == "rejected":
            raise SystemExit(f"child {plan.index}: a message was {outcome}")
        if kind == "held":
            self.held.add(plan.index)
            if window is not None:
                window.held += 1

    def _shield(self) -> None:
        """A data manager shields the children loaded that are at risk."""
        for plan in self.to_shield:
            ids = plan.child.identifiers
            by = ids.nhs_number or ids.upn
            if by is None:
                continue  # found by name alone: shielded children in the sample all have an identifier
            found = self.directory.search(identifier=by)
            if not found and plan.index in self.held:
                self.not_shielded += 1  # held as a possible namesake: no record until a data manager decides
                continue
            if len(found) != 1:
                raise SystemExit(f"child {plan.index}: its {by} found {len(found)} records, not its own one")
            self.directory.shield(found[0])
        self.to_shield.clear()


LOOKUPS = ("search by NHS number", "search by name and birth date", "search by name and postcode", "view a record")


def lookups(
    directory: Directory,
    builder: ChildBuilder,
    loaded: int,
    count: int,
    rng: random.Random,
    *,
    cpu: bool,
    held: Container[int] = (),
) -> dict[str, list[float]]:
    """Time `count` of each kind of search and view, on random children among those loaded (ms).

    Children with a message held for a data manager (`held`) are not drawn: they may have no record yet.
    """
    clock = time.process_time if cpu else time.perf_counter
    times: dict[str, list[float]] = {kind: [] for kind in LOOKUPS}
    for _ in range(count):
        index = rng.randrange(loaded)
        while index % 10 == 9 or index in held:  # a child with an NHS number, and a record of its own
            index = rng.randrange(loaded)
        plan = builder.plan(index)
        child = plan.child
        nhs = child.identifiers.nhs_number
        assert nhs is not None
        assert child.date_of_birth is not None
        assert child.address is not None
        t0 = clock()
        found = directory.search(identifier=nhs)
        times[LOOKUPS[0]].append((clock() - t0) * 1000)
        if len(found) != 1:
            raise SystemExit(f"child {plan.index}: the search by NHS number found {found}")
        given = child.name.given_names.split()[0]
        t0 = clock()
        by_name = directory.search(
            family_name=child.name.family_name, given_names=given, date_of_birth=child.date_of_birth.isoformat()
        )
        times[LOOKUPS[1]].append((clock() - t0) * 1000)
        if found[0] not in by_name:
            raise SystemExit(f"child {plan.index}: not found by name and date of birth")
        postcode = child.address.postcode
        assert postcode is not None
        t0 = clock()
        by_postcode = directory.search(family_name=child.name.family_name, postcode=postcode)
        times[LOOKUPS[2]].append((clock() - t0) * 1000)
        if (found[0] in by_postcode) == plan.shielded:
            raise SystemExit(f"child {plan.index}: the postcode search broke shielding ({plan.shielded})")
        t0 = clock()
        directory.view(found[0])
        times[LOOKUPS[3]].append((clock() - t0) * 1000)
    return times


def feed_while(directory: Directory, builder: ChildBuilder, start: int, stop: Callable[[], bool]) -> tuple[int, int]:
    """Send the messages of children `start`, `start + 1`... until `stop()`: (messages sent, next child)."""
    sent = 0
    index = start
    while not stop():
        plan = builder.plan(index)
        for sender, body in builder.messages(plan):
            outcomes(*directory.send(sender, body))
            sent += 1
        index += 1
    return sent, index


def _feed_into(
    sent: list[tuple[int, int]], directory: Directory, builder: ChildBuilder, start: int, stop: threading.Event
) -> None:
    sent.append(feed_while(directory, builder, start, stop.is_set))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--mode", choices=("inprocess", "http"), default="inprocess")
    parser.add_argument("--db", help="the store's URL (default: an SQLite file in a temporary folder)")
    parser.add_argument(
        "--sizes", default="10k,100k,1M", help="children held at each measurement (default 10k,100k,1M)"
    )
    parser.add_argument("--window", type=int, default=5_000, help="children in the measured ingest window (5000)")
    parser.add_argument("--lookups", type=int, default=1_000, help="random children searched and viewed (1000)")
    parser.add_argument(
        "--batch", type=int, default=1, help="in process: send each sender's messages in batches of N (default 1)"
    )
    parser.add_argument("--clients", type=int, default=8, help="HTTP mode: clients sending at once (8)")
    parser.add_argument("--workers", type=int, default=2, help="HTTP mode: the service's worker processes (2)")
    parser.add_argument("--seed", type=int, default=2009)
    parser.add_argument("--keep", type=Path, help="keep the SQLite store in this folder")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--issuer", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve_main(args.db, args.key, args.issuer, args.port, args.workers)
        return 0
    sizes = sorted(parse_size(s) for s in args.sizes.split(",") if s.strip())
    if not sizes or sizes[0] < 1:
        parser.error("--sizes: give one or more sizes such as 10k,100k,1M")

    folder = Path(tempfile.mkdtemp(prefix="ics-directory-scale-"))
    try:
        url = args.db or f"sqlite:///{(args.keep or folder) / 'contactpoint.db'}"
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
        http = args.mode == "http"
        directory: Directory = OverHttp(url, args.workers, folder) if http else InProcess(url)
        engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        print(
            f"directory_scale: {args.mode}, {engine}, sizes {', '.join(size_label(s) for s in sizes)}, "
            f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
            + (f", {args.clients} clients, {args.workers} worker processes" if http else f", batches of {args.batch}")
        )
        builder = ChildBuilder(args.seed)
        loader = Loader(directory, builder, args.clients if http else 1, batch=1 if http else args.batch)
        if http:
            assert isinstance(directory, OverHttp)
            loader.cpu_of = directory.server_cpu
        rng = random.Random(args.seed)
        cpu_per_message: dict[int, float] = {}
        rates: dict[int, float] = {}
        p99s: dict[int, float] = {}
        began = time.perf_counter()
        try:
            for size in sizes:
                window = loader.load_to(size, args.window)
                per_message = window.cpu / window.messages
                cpu_per_message[size] = per_message
                rates[size] = window.messages / (window.wall if http else window.cpu)
                print(
                    f"\n{size_label(size)} children ({loader.statuses.get('accepted', 0):,} messages accepted, "
                    f"{loader.statuses.get('held', 0):,} held"
                    + (f", {loader.not_shielded} at risk not yet shielded: held" if loader.not_shielded else "")
                    + f"), loaded in {time.perf_counter() - began:,.0f} s; "
                    f"store {directory.size_bytes() / MB:,.0f} MB"
                )
                what = "wall" if http else "CPU"
                print(
                    f"  ingest over the last {window.messages:,} messages: {rates[size]:,.0f} msg/s ({what}), "
                    f"{per_message * 1000:.2f} ms CPU per message"
                    + (" (the service's processes)" if http else "")
                    + f", {window.messages / window.wall:,.0f} msg/s wall"
                )
                times = lookups(directory, builder, size, args.lookups, rng, cpu=not http, held=loader.held)
                clock = "wall-clock" if http else "CPU"
                for kind in LOOKUPS:
                    values = times[kind]
                    print(
                        f"  {kind:<32} p50 {percentile(values, 0.5):7.2f} ms  p99 {percentile(values, 0.99):7.2f} ms "
                        f"({clock}, {len(values)} lookups)"
                    )
                p99s[size] = max(percentile(times[kind], 0.99) for kind in LOOKUPS)
                if http:
                    stop = threading.Event()
                    sent: list[tuple[int, int]] = []
                    feeder = threading.Thread(target=_feed_into, args=(sent, directory, builder, loader.loaded, stop))
                    feeder.start()
                    try:
                        busy = lookups(
                            directory, builder, size, max(100, args.lookups // 5), rng, cpu=False, held=loader.held
                        )
                    finally:
                        stop.set()
                        feeder.join()
                    worst = max(percentile(busy[kind], 0.99) for kind in LOOKUPS)
                    fed, loader.loaded = sent[0] if sent else (0, loader.loaded)
                    print(f"  while a feed runs ({fed} messages sent meanwhile): search and view p99 {worst:.1f} ms")
                    p99s[size] = max(p99s[size], worst)
        finally:
            directory.close()
        largest = sizes[-1]
        base = cpu_per_message.get(10_000, cpu_per_message[sizes[0]])
        growth = cpu_per_message[largest] / base
        print(f"\ntotal time {time.perf_counter() - began:,.0f} s")
        print(
            f"directory: {largest} children; ingest {rates[largest]:.0f} msg/s; "
            f"cost growth 10k->{size_label(largest)} {growth:.2f}; search p99 {p99s[largest]:.1f} ms"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
