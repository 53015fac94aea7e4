"""`ics-interop demo`: Hannah's story (seed §3.1), played step by step through the three reference systems.

This is the project's main job in one command. It starts ContactPoint, National eCAF and
Islington's ICS, each on its own store (an SQLite file in a fresh folder, or one database URL
for all three: their table prefixes keep them apart), wires them together with the
standard's transports (in-process, or each system as a real HTTP service on 127.0.0.1), and
plays the story from 2008 to 2010 on a clock that only the story moves.

Every step goes through the systems' public APIs. Everything one system tells another
travels as a real message of the standard, written to the sender's outbox with the change
that caused it, carried by a transport, and answered with an F10 acknowledgement. The
school's MIS and the youth service's system are feed sources: they build standard F1
messages and deliver them to ContactPoint through a transport too. Over HTTP, what a
practitioner sees (a ContactPoint search, reading the CAF) also comes from the services'
HTTP routes; what they record goes through each system's Python API, the calls those
routes make.

At each step the demo prints the step with its seed reference, which messages went where
and how they were acknowledged, and what each practitioner sees, as plain text.
`play_hannahs_story` returns a `StoryResult` with those observations, so the same story is
an end-to-end test (tests/test_hannahs_story.py). The demo acts as the systems' operator
and their users would: it never reaches into one system on another's behalf, so anything
the story needs that the standard lacks would show up here as a gap, not as a shortcut.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Literal, Protocol, TextIO, TypeVar

import attrs
import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ics_interop import IcsInteropError, Message, to_json, to_xml
from ics_interop.examples import (
    HANNAH,
    HANNAH_EPISODE_ID,
    JOHN,
    LEE,
    LIBBY,
    MELANIE,
    SOCIAL_CARE_DUTY_TEAM,
    STEVE,
    example_messages,
)
from ics_interop.messages import (
    Acknowledgement,
    AcknowledgementStatus,
    CaseRecordTransfer,
    ChildIdentityUpdate,
    InvolvementStarted,
    MessageType,
    SocialCareReferral,
    SystemRef,
)
from ics_interop.model import (
    CafAction,
    CafAssessment,
    CafEpisode,
    CaseRecord,
    ChronologyEntry,
    ConsentRecord,
    ContactDetails,
    IcsClosure,
    Organisation,
    PersonName,
    Practitioner,
)
from ics_interop.model.codes import AgencyType, CinClosureReason, SystemKind

from .auth import (
    ClientCredentials,
    TokenService,
    TokenVerifier,
    TrustedIssuer,
    message_scope,
    new_signing_key,
    public_jwks,
)
from .auth.routes import token_service_app
from .contactpoint import (
    CONTACTPOINT_IDENTITY,
    AuditEntry,
    ContactPointDirectory,
    DirectoryPractitioner,
    DirectoryRecord,
    DirectoryRole,
    MaintenanceReport,
    PractitionerRegistration,
    SearchResult,
)
from .ecaf import AccessRecord, ConsentRefused, EcafRole, NationalEcaf, UserRegistration
from .http import running_server
from .ics import IcsSettings, IcsSystem
from .messaging import Outbox, Transport, decode_acknowledgement, new_header, route_key
from .services import service_app
from .storage import Store
from .transport import HttpTransport, InProcessTransport

__all__ = [
    "DATA_MANAGER",
    "ISLINGTON_ICS",
    "MELANIE_REASON",
    "NATIONAL_ECAF_IDENTITY",
    "SCHOOL_MIS",
    "YOUTH_SERVICE_SYSTEM",
    "Delivery",
    "Refusal",
    "StoryClock",
    "StoryFailed",
    "StoryResult",
    "TransportChoice",
    "play_hannahs_story",
]

TransportChoice = Literal["in-process", "http"]

# --- who is who --------------------------------------------------------------------------------

_DCSF = "Department for Children, Schools and Families"
#: National eCAF, run for the DCSF (seed §2.2).
NATIONAL_ECAF_IDENTITY = SystemRef(system=SystemKind.NATIONAL_ECAF, organisation_id="DCSF", organisation_name=_DCSF)
#: Islington's ICS, run by the children's social care department John works in.
ISLINGTON_ICS = SystemRef(
    system=SystemKind.ICS,
    organisation_id=JOHN.organisation.organisation_id,
    organisation_name=JOHN.organisation.name,
)
#: The feed sources: the school's management information system and the youth service's system.
SCHOOL_MIS = SystemRef(
    system=SystemKind.FEED_SOURCE,
    organisation_id=MELANIE.organisation.organisation_id,
    organisation_name=MELANIE.organisation.name,
)
YOUTH_SERVICE_SYSTEM = SystemRef(
    system=SystemKind.FEED_SOURCE,
    organisation_id=LEE.organisation.organisation_id,
    organisation_name=LEE.organisation.name,
)

#: ContactPoint's data manager, set up by the operator when the directory goes live.
DATA_MANAGER = "DCSF-DM-0001"
#: What Melanie gives as her reason on ContactPoint (every access needs one, and is audited).
MELANIE_REASON = "Learning mentor: Hannah is falling behind at school; who else is working with her?"

_NAMES = {
    route_key(CONTACTPOINT_IDENTITY): "ContactPoint",
    route_key(NATIONAL_ECAF_IDENTITY): "National eCAF",
    route_key(ISLINGTON_ICS): "Islington's ICS",
}
_STORE_FILES = {
    "ContactPoint": "contactpoint.db",
    "National eCAF": "national-ecaf.db",
    "Islington's ICS": "ics.db",
    "token service": "token-service.db",  # used when the systems run over HTTP
}


# --- what the story observes ----------------------------------------------------------------------


class StoryFailed(IcsInteropError):
    """Raised when the story cannot be played through: what went wrong, at which step, and how to fix it."""


@attrs.frozen
class Delivery:
    """One message from one system to another, and how the receiver acknowledged it (F10)."""

    step: int
    at: dt.datetime
    sender: str
    recipient: str
    message_type: str
    flow: str
    message_id: str
    wire: str  # "xml" or "json": the form it travelled in
    status: AcknowledgementStatus
    findings: tuple[str, ...] = ()


@attrs.frozen
class Refusal:
    """An access a system refused: the rule, what it said, and how to put it right."""

    rule_id: str
    message: str
    hint: str


@attrs.frozen
class StoryResult:
    """What the story observed at each step: what the end-to-end test asserts on."""

    where: str
    transport: TransportChoice
    deliveries: tuple[Delivery, ...]
    #: Step 1: the case in Islington's ICS, and the message that waited while ContactPoint was not live.
    ics_case_id: str
    waited_for_contactpoint: tuple[str, ...]
    ics_case: CaseRecord
    #: Step 2: what Melanie found, and the directory's audit of her search.
    first_search: SearchResult
    first_search_audit: AuditEntry
    #: Step 3: the chronology John reads, the episode Melanie logged, and her next search.
    john_reads: tuple[ChronologyEntry, ...]
    logged_episode: CafEpisode
    search_after_caf: SearchResult
    #: Step 4: the TAC formed, with Melanie as lead professional, and ContactPoint showing it.
    episode_after_tac: CafEpisode
    search_after_tac: SearchResult
    #: Step 5: Lee's view; Libby refused before consent (her read, and Melanie's share), then her view.
    episode_as_lee_reads_it: CafEpisode
    libby_before_consent: Refusal
    share_before_consent: Refusal
    refusals_audited: tuple[AccessRecord, ...]
    episode_as_libby_reads_it: CafEpisode
    #: Step 6: the episode after the review, as Melanie reads it.
    episode_after_review: CafEpisode
    #: Step 7: the directory's maintenance, and Melanie's view afterwards.
    maintenance: MaintenanceReport
    epilogue_search: SearchResult

    @property
    def all_accepted(self) -> bool:
        """Whether every message of the story was accepted."""
        return all(d.status is AcknowledgementStatus.ACCEPTED for d in self.deliveries)


class StoryClock:
    """The story's clock: every system reads it, and only the story moves it (forwards)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, day: dt.date, hour: int = 9, minute: int = 0) -> None:
        """Move to `day` at `hour`:`minute` UTC."""
        moment = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)
        if moment < self.now:
            raise ValueError(f"the story's clock only moves forward: {moment} is before {self.now}")
        self.now = moment


# --- the story's records, from the examples ------------------------------------------------------


@attrs.frozen
class _Script:
    """The records the story is played with: the worked examples of Hannah's story (src/ics_interop/examples.py)."""

    episode: CafEpisode  # Hannah's CAF as the examples have it after the review
    assessment: CafAssessment  # the common assessment Melanie completes
    case_record: CaseRecord  # her case record in Islington's ICS
    youth_service: InvolvementStarted  # Lee's youth service's involvement, as its system sends it
    school: ChildIdentityUpdate  # Hannah's details, as the school's MIS sends them

    def consents_for(self, practitioner: Practitioner) -> list[ConsentRecord]:
        return [c for c in self.episode.consents if c.practitioner_id == practitioner.practitioner_id]

    def action(self, action_id: str) -> CafAction:
        return next(a for a in self.episode.actions if a.action_id == action_id)


def _script() -> _Script:
    messages = example_messages()
    referral = messages[MessageType.SOCIAL_CARE_REFERRAL]
    transfer = messages[MessageType.CASE_RECORD_TRANSFER]
    youth = messages[MessageType.INVOLVEMENT_STARTED]
    school = messages[MessageType.CHILD_IDENTITY_UPDATE]
    if (
        not (
            isinstance(referral, SocialCareReferral)
            and isinstance(transfer, CaseRecordTransfer)
            and isinstance(youth, InvolvementStarted)
            and isinstance(school, ChildIdentityUpdate)
        )
        or referral.episode.assessment is None
    ):
        raise TypeError("the examples no longer give Hannah's story as the demo expects")
    return _Script(referral.episode, referral.episode.assessment, transfer.case_record, youth, school)


# The actions agreed at the TAC meeting (seed §3.1), and the one Libby adds when she joins.
_TAC_ACTIONS = ("NECAF-ACT-0201101", "NECAF-ACT-0201102", "NECAF-ACT-0201103", "NECAF-ACT-0201104")
_LIBBYS_ACTION = "NECAF-ACT-0201140"

_CONTACT_DAY = dt.date(2008, 6, 2)
_REFERRAL_DAY = dt.date(2008, 6, 3)
_CONTACTPOINT_LIVE = dt.date(2009, 1, 12)
_SOCIAL_CARE_ENDS = dt.date(2009, 3, 27)
_YOUTH_SERVICE_STARTS = dt.date(2009, 4, 20)
_TERM_STARTS = dt.date(2009, 9, 8)
_MELANIE_LOOKS = dt.date(2010, 2, 1)
_HANNAH_CONSENTS = dt.date(2010, 2, 3)
_ASSESSED = dt.date(2010, 2, 10)
_TAC_MEETING = dt.date(2010, 2, 17)
_LIBBY_JOINS = dt.date(2010, 3, 3)
_REVIEW = dt.date(2010, 5, 17)
_NEXT_REVIEW = dt.date(2010, 8, 17)
_EPILOGUE = dt.date(2010, 5, 18)

_REVIEW_SUMMARY = (
    "Three-month review with Hannah and her mother. Hannah goes to the young carers' group every week and is "
    "catching up with her homework with the new deadlines; Housing has arranged help with the bills and a repayment "
    "plan for the rent arrears; adult social care is in touch with her mother. The team keep in touch and meet again "
    "in three months."
)


# --- printing ------------------------------------------------------------------------------------


class _Page:
    """Plain text for a terminal: wrapped lines and tables, no colours."""

    width = 110

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def line(self, text: str = "", indent: int = 2) -> None:
        if not text:
            self.out.write("\n")
            return
        pad = " " * indent
        self.out.write(textwrap.fill(text, self.width, initial_indent=pad, subsequent_indent=pad + "  ") + "\n")

    def heading(self, number: int, title: str, when: str, seed: str) -> None:
        rule = "=" * self.width
        self.out.write(f"\n{rule}\nStep {number}. {title}\n{when}  ({seed})\n{rule}\n")

    def section(self, title: str) -> None:
        self.out.write(f"\n  {title}\n")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], *, indent: int = 4, cap: int = 40) -> None:
        """A table whose long cells wrap within their column."""
        widths = [min(cap, max([len(h)] + [len(r[i]) for r in rows])) for i, h in enumerate(headers)]
        pad = " " * indent

        def emit(cells: Sequence[str]) -> None:
            wrapped = [textwrap.wrap(cell, widths[i]) or [""] for i, cell in enumerate(cells)]
            for k in range(max(len(w) for w in wrapped)):
                parts = [(w[k] if k < len(w) else "").ljust(widths[i]) for i, w in enumerate(wrapped)]
                self.out.write((pad + "  ".join(parts)).rstrip() + "\n")

        emit(headers)
        self.out.write(pad + "  ".join("-" * w for w in widths) + "\n")
        for row in rows:
            emit(row)


def _person(p: Practitioner | DirectoryPractitioner) -> str:
    return f"{p.name.given_names} {p.name.family_name}"


def _phone(p: Practitioner | DirectoryPractitioner) -> str:
    return p.contact.telephone or "-"


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else "-"


def _show_record(page: _Page, record: DirectoryRecord) -> None:
    """A ContactPoint record as the practitioner's screen shows it: who the child is, and whom to contact."""
    page.line(
        f"{record.name.given_names} {record.name.family_name.upper()}    ContactPoint ID {record.contactpoint_id}", 6
    )
    page.line(f"born {_day(record.date_of_birth)}, {record.gender.label.lower()}", 6)
    if record.location_hidden:
        page.line("shielded: address, contacts and services withheld (a child-protection user may override)", 6)
    elif record.address is not None:
        parts = [*record.address.lines, *([record.address.postcode] if record.address.postcode else [])]
        page.line("address: " + ", ".join(parts), 6)
    for parent in record.parents_carers:
        responsibility = ", parental responsibility" if parent.has_parental_responsibility else ""
        telephone = parent.contact.telephone if parent.contact is not None and parent.contact.telephone else "-"
        page.line(
            f"parent/carer: {parent.name.given_names} {parent.name.family_name} "
            f"({parent.relationship.label.lower()}{responsibility}), tel. {telephone}",
            6,
        )
    if record.involvements:
        page.line("services involved:", 6)
        rows = []
        for inv in record.involvements:
            if inv.practitioner is not None:
                contact, telephone = f"{_person(inv.practitioner)} ({inv.practitioner.role})", _phone(inv.practitioner)
            elif inv.team is not None:
                contact, telephone = inv.team.name, inv.team.contact.telephone or "-"
            else:
                contact, telephone = "-", "-"
            rows.append(
                [
                    inv.service_name,
                    inv.organisation_name or "-",
                    contact,
                    telephone,
                    _day(inv.start_date),
                    "-" if inv.end_date is None else f"{_day(inv.end_date)} (listed until {_day(inv.visible_until)})",
                ]
            )
        page.table(["service", "organisation", "contact", "telephone", "started", "ended"], rows, indent=8, cap=28)
    else:
        page.line("services involved: none listed", 6)
    if record.caf_indicators:
        page.line("CAF: a common assessment exists (ContactPoint never holds the CAF itself)", 6)
        page.table(
            ["recorded by", "updated", "completed or updated by", "telephone", "email"],
            [
                [
                    c.recorded_by,
                    _day(c.updated_on),
                    _person(c.completed_by),
                    _phone(c.completed_by),
                    c.completed_by.contact.email or "-",
                ]
                for c in record.caf_indicators
            ],
            indent=8,
        )
    else:
        page.line("CAF: none recorded", 6)
    lead = record.lead_professional
    page.line(
        f"lead professional: {_person(lead)} ({lead.role}), tel. {_phone(lead)}" if lead else "lead professional: none",
        6,
    )


def _member_names(episode: CafEpisode) -> dict[str, str]:
    """Practitioners' names by ID: the TAC's members, and the assessor (who may not have joined the TAC yet)."""
    known = [m.practitioner for m in episode.tac_members]
    if episode.assessment is not None:
        known.append(episode.assessment.assessor)
    return {p.practitioner_id: _person(p) for p in known}


def _show_episode(page: _Page, episode: CafEpisode, *, full: bool = False) -> None:
    """A CAF episode as National eCAF shows it to a practitioner with consent (`full`: its conclusions and ledger)."""
    names = _member_names(episode)
    page.line(
        f"episode {episode.episode_id}: {episode.status.label.lower()} since {_day(episode.opened_on)}; "
        f"responsibility: {episode.responsibility.label}",
        6,
    )
    if episode.assessment is not None:
        conclusions = f": {episode.assessment.conclusions}" if full and episode.assessment.conclusions else ""
        page.line(
            f"common assessment of {_day(episode.assessment.assessment_date)} by "
            f"{_person(episode.assessment.assessor)}{conclusions}",
            6,
        )
    if full:
        page.line("consent ledger:", 6)
        page.table(
            ["consent", "decision", "given by", "for", "recorded"],
            [
                [
                    c.consent_id,
                    c.decision.label.lower(),
                    c.given_by.label.lower()
                    + (f" ({c.given_by_name.given_names} {c.given_by_name.family_name})" if c.given_by_name else ""),
                    names.get(c.practitioner_id or "", c.practitioner_id or c.organisation_id or "-"),
                    _day(c.recorded_on),
                ]
                for c in episode.consents
            ],
            indent=8,
        )
    if episode.tac_members:
        lead = episode.lead_professional
        page.line("Team Around the Child:", 6)
        page.table(
            ["member", "role", "organisation", "joined", "lead professional"],
            [
                [
                    _person(m.practitioner),
                    m.practitioner.role,
                    m.practitioner.organisation.name,
                    _day(m.joined_on),
                    f"since {_day(lead.appointed_on)}"
                    if lead is not None and lead.practitioner_id == m.practitioner.practitioner_id
                    else "",
                ]
                for m in episode.tac_members
            ],
            indent=8,
            cap=44,
        )
    if episode.actions:
        page.line("actions agreed (who, what, by when):", 6)
        page.table(
            ["who", "what", "by", "done"],
            [
                [names.get(a.owner_id, a.owner_id), a.description, _day(a.due_on), _day(a.completed_on)]
                for a in episode.actions
            ],
            indent=8,
            cap=60,
        )
    for review in episode.reviews:
        page.line(f"review of {_day(review.review_date)} (next {_day(review.next_review_on)}): {review.summary}", 6)
    if episode.shared_with:
        page.line("shared with: " + ", ".join(names.get(p, p) for p in episode.shared_with), 6)


# --- the practitioners' screens --------------------------------------------------------------------


class _Screens(Protocol):
    """Where practitioners look: ContactPoint's search, and National eCAF's episode."""

    def search(self, practitioner: Practitioner, reason: str) -> SearchResult:
        """Search ContactPoint for Hannah by name and date of birth, as Melanie does."""
        ...

    def read_episode(self, reader: Practitioner, reason: str) -> CafEpisode | Refusal:
        """Read Hannah's CAF on National eCAF: the episode, or the refusal when no consent is on record."""
        ...


@attrs.frozen
class _LocalScreens:
    contactpoint: ContactPointDirectory
    ecaf: NationalEcaf

    def search(self, practitioner: Practitioner, reason: str) -> SearchResult:
        return self.contactpoint.search(
            practitioner_id=practitioner.practitioner_id,
            reason=reason,
            family_name="Mills",
            given_names="Hannah",
            date_of_birth=dt.date(1994, 6, 14),
        )

    def read_episode(self, reader: Practitioner, reason: str) -> CafEpisode | Refusal:
        try:
            return self.ecaf.read_episode(HANNAH_EPISODE_ID, reader, reason)
        except ConsentRefused as refused:
            return Refusal(refused.rule_id, refused.message, refused.hint)


@attrs.frozen
class _HttpScreens:
    """The practitioners' screens over HTTP: each practitioner acts with their own user token."""

    client: httpx.Client
    contactpoint_url: str
    ecaf_url: str
    user_token: Callable[[Practitioner, str], str]  # a practitioner's token for a service (its URL)
    page: _Page

    def _as(self, person: Practitioner, audience: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.user_token(person, audience)}"}

    def search(self, practitioner: Practitioner, reason: str) -> SearchResult:
        response = self.client.get(
            f"{self.contactpoint_url}/children",
            params={"familyName": "Mills", "givenNames": "Hannah", "dateOfBirth": "1994-06-14"},
            headers={**self._as(practitioner, self.contactpoint_url), "X-Access-Reason": reason},
        )
        if response.status_code != 200:
            raise _http_failure("ContactPoint's search", response)
        self.page.line(f"{_person(practitioner)} searches with her own user token ({practitioner.practitioner_id})", 4)
        return SearchResult.model_validate(response.json())

    def read_episode(self, reader: Practitioner, reason: str) -> CafEpisode | Refusal:
        response = self.client.get(
            f"{self.ecaf_url}/episodes/{HANNAH_EPISODE_ID}",
            params={"reason": reason},
            headers=self._as(reader, self.ecaf_url),
        )
        if response.status_code == 403:
            error = response.json()["error"]
            return Refusal(str(error["id"]), str(error["message"]), str(error["hint"]))
        if response.status_code != 200:
            raise _http_failure("National eCAF's episode route", response)
        return CafEpisode.model_validate(response.json())


def _http_failure(what: str, response: httpx.Response) -> StoryFailed:
    return StoryFailed(
        f"{what} answered HTTP {response.status_code}: {response.text[:500]}",
        hint="the error names the rule and how to fix it; if it is the demo's request, report it as a bug",
    )


# --- the systems, wired ----------------------------------------------------------------------------


class _Sender(Protocol):
    """A system with an outbox (National eCAF, an ICS)."""

    store: Store
    outbox: Outbox

    def deliver(self) -> list[Acknowledgement]:
        """Send what is due in the outbox."""
        ...


@attrs.frozen
class _FeedSource:
    """A local system that feeds ContactPoint (the school's MIS, the youth service's): it builds and sends F1."""

    name: str
    identity: SystemRef
    transport: Transport
    wire: Literal["xml", "json"]


@attrs.define
class _Systems:
    contactpoint: ContactPointDirectory
    ecaf: NationalEcaf
    ics: IcsSystem
    link: Callable[[SystemRef, str], Transport]  # how a sender reaches a route's POST /messages, as itself
    screens: _Screens


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _store_urls(folder: Path | None, db_url: str | None, page: _Page) -> tuple[dict[str, str], str]:
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


def _serve(stack: ExitStack, name: str, app: FastAPI | Callable[[str], FastAPI]) -> str:
    """Run a system as an HTTP service on 127.0.0.1 for the length of the story; its base URL."""
    try:
        return stack.enter_context(running_server(app))
    except (RuntimeError, OSError) as exc:
        raise StoryFailed(
            f"{name} could not be started as an HTTP service: {exc}",
            hint="the demo listens on a free port of 127.0.0.1: check that local connections are allowed, "
            "or leave out --http",
        ) from exc


def _open_systems(
    urls: dict[str, str], where: str, clock: StoryClock, transport: TransportChoice, stack: ExitStack, page: _Page
) -> _Systems:
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
    screens: _Screens
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

        screens = _LocalScreens(contactpoint, ecaf)
    # National eCAF tells ContactPoint about CAFs (F3) and refers to Islington's ICS (F4, F5); the ICS answers it.
    # The ICS's route to ContactPoint is connected when ContactPoint goes live (January 2009), in step 1.
    ecaf.connect(route_key(CONTACTPOINT_IDENTITY), link(NATIONAL_ECAF_IDENTITY, route_key(CONTACTPOINT_IDENTITY)))
    ecaf.connect(route_key(ISLINGTON_ICS), link(NATIONAL_ECAF_IDENTITY, route_key(ISLINGTON_ICS)))
    ics.connect(route_key(NATIONAL_ECAF_IDENTITY), link(ISLINGTON_ICS, route_key(NATIONAL_ECAF_IDENTITY)))
    ecaf.register_user(UserRegistration(practitioner=ECAF_MANAGER, role=EcafRole.MANAGER), by=None)
    return _Systems(contactpoint, ecaf, ics, link, screens)


#: National eCAF's manager, set up by the operator: reads the reports and the access audit.
ECAF_MANAGER = Practitioner(
    practitioner_id="DCSF-NECAF-MGR",
    name=PersonName(given_names="Nadia", family_name="Okafor"),
    role="National eCAF service manager",
    organisation=Organisation(organisation_id="DCSF", name=_DCSF, agency_type=AgencyType.OTHER),
    contact=ContactDetails(telephone="0870 000 2288", email="necaf.service@dcsf.example"),
)

#: The connected systems of the story, as the token service registers them: who, and what each may send.
_CLIENTS: tuple[tuple[str, SystemRef, tuple[MessageType, ...]], ...] = (
    (
        "national-ecaf",
        NATIONAL_ECAF_IDENTITY,
        (
            MessageType.CAF_INDICATOR_UPDATE,
            MessageType.SOCIAL_CARE_REFERRAL,
            MessageType.INITIAL_ASSESSMENT_PREPOPULATION,
            MessageType.EPISODE_TRANSFER,
        ),
    ),
    (
        "islington-ics",
        ISLINGTON_ICS,
        (
            MessageType.INVOLVEMENT_STARTED,
            MessageType.INVOLVEMENT_ENDED,
            MessageType.SOCIAL_CARE_REFERRAL_RESPONSE,
            MessageType.STEP_DOWN,
            MessageType.CASE_RECORD_TRANSFER,
        ),
    ),
    ("camden-park-mis", SCHOOL_MIS, (MessageType.CHILD_IDENTITY_UPDATE, MessageType.INVOLVEMENT_STARTED)),
    ("islington-youth", YOUTH_SERVICE_SYSTEM, (MessageType.CHILD_IDENTITY_UPDATE, MessageType.INVOLVEMENT_STARTED)),
    (
        "northside-young-carers",
        SystemRef(
            system=SystemKind.FEED_SOURCE,
            organisation_id=LIBBY.organisation.organisation_id,
            organisation_name=LIBBY.organisation.name,
        ),
        (),
    ),
)


def _over_http(
    contactpoint: ContactPointDirectory,
    ecaf: NationalEcaf,
    ics: IcsSystem,
    urls: dict[str, str],
    where: str,
    stack: ExitStack,
    page: _Page,
) -> tuple[Callable[[SystemRef, str], Transport], _Screens]:
    """The three systems as HTTP services, with the reference token service: every request carries a token."""
    tokens = _opened("the token service", urls["token service"], lambda url: TokenService(url, issuer="http://pending"))
    stack.callback(tokens.dispose)
    _require_empty("the token service", tokens.store, where)

    def token_service(url: str) -> FastAPI:
        tokens.issuer = url
        return token_service_app(tokens)

    auth_url = _serve(stack, "the token service", token_service)
    trusted = TrustedIssuer(auth_url, jwks_uri=f"{auth_url}/jwks.json")

    def service(kind: str, system: object) -> Callable[[str], FastAPI]:
        return lambda url: service_app(kind, system, TokenVerifier(url, [trusted]))

    cp_url = _serve(stack, "ContactPoint", service("contactpoint", contactpoint))
    ecaf_url = _serve(stack, "National eCAF", service("ecaf", ecaf))
    ics_url = _serve(stack, "Islington's ICS", service("ics", ics))
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
    for client_id, system, types in _CLIENTS:
        key = new_signing_key()
        tokens.register_client(
            client_id,
            organisation_id=system.organisation_id,
            system=system.system,
            scopes=[message_scope(t) for t in types],
            jwks=public_jwks([key]),
            acts_for_users=True,
        )
        credentials[system.organisation_id] = ClientCredentials(tokens.token_endpoint, client_id, key, client=client)
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

    return link, _HttpScreens(client, cp_url, ecaf_url, user_token, page)


# --- the story -------------------------------------------------------------------------------------


def _flow(message_type: str, sender: SystemKind) -> str:
    """The flow a message belongs to (DOMAIN.md): an ICS's InvolvementStarted is F2, a feed's F1."""
    if message_type == MessageType.INVOLVEMENT_STARTED.value:
        return "F2" if sender is SystemKind.ICS else "F1"
    if message_type == MessageType.INVOLVEMENT_ENDED.value:
        return "F1"
    return MessageType(message_type).label.split(":")[0]


class _Story:
    """Hannah's story, step by step: each step moves the clock, acts through the systems, and prints."""

    def __init__(self, systems: _Systems, clock: StoryClock, page: _Page) -> None:
        self.systems = systems
        self.clock = clock
        self.page = page
        self.script = _script()
        self.deliveries: list[Delivery] = []
        self.number = 0
        self.completed: set[str] = set()  # the agreed actions marked done so far
        contactpoint = route_key(CONTACTPOINT_IDENTITY)
        self.school = _FeedSource("Camden Park School's MIS", SCHOOL_MIS, systems.link(SCHOOL_MIS, contactpoint), "xml")
        self.youth_service = _FeedSource(
            "the youth service's system", YOUTH_SERVICE_SYSTEM, systems.link(YOUTH_SERVICE_SYSTEM, contactpoint), "json"
        )

    # --- plumbing --------------------------------------------------------------------------------

    @contextmanager
    def step(self, number: int, title: str, when: str, seed: str) -> Iterator[None]:
        """Print the step's heading; turn any failure inside it into a StoryFailed that says which step."""
        self.number = number
        self.page.heading(number, title, when, seed)
        try:
            yield
        except StoryFailed as failure:
            raise StoryFailed(f"step {number} ({title}): {failure.message}", hint=failure.hint) from failure
        except (IcsInteropError, PermissionError, SQLAlchemyError, httpx.HTTPError, ValueError) as exc:
            hint = getattr(exc, "hint", "") or (
                "a reference system refused or failed where the story expects it to succeed: "
                "run pytest tests/test_hannahs_story.py and report what it says"
            )
            raise StoryFailed(f"step {number} ({title}): {type(exc).__name__}: {exc}", hint=str(hint)) from exc

    def _record(self, delivery: Delivery) -> Delivery:
        self.deliveries.append(delivery)
        if delivery.status is not AcknowledgementStatus.ACCEPTED:
            raise StoryFailed(
                f"{delivery.recipient} rejected {delivery.message_type} {delivery.message_id} from {delivery.sender}: "
                + "; ".join(delivery.findings),
                hint="each finding names the rule that failed and how to fix it",
            )
        return delivery

    def flush(self, name: str, system: _Sender) -> list[Delivery]:
        """Deliver a system's outbox; every message must be delivered and accepted."""
        waiting = {row["message_id"]: row for row in system.outbox.pending(system.store)}
        acks = system.deliver()
        delivered = []
        for ack in acks:
            row = waiting.pop(ack.acknowledged_message_id)
            delivered.append(
                self._record(
                    Delivery(
                        step=self.number,
                        at=self.clock(),
                        sender=name,
                        recipient=_NAMES.get(row["destination"], row["destination"]),
                        message_type=row["message_type"],
                        flow=_flow(row["message_type"], _sender_kind(row["body"])),
                        message_id=row["message_id"],
                        wire="xml",
                        status=ack.status,
                        findings=tuple(f.message for f in ack.findings),
                    )
                )
            )
        if waiting:
            still = system.outbox.pending(system.store)
            errors = "; ".join(f"{row['message_type']} to {row['destination']}: {row['last_error']}" for row in still)
            raise StoryFailed(
                f"{name} could not deliver {len(waiting)} message(s): {errors}",
                hint="the receiving service is not reachable; the outbox keeps the messages and retries",
            )
        return delivered

    def feed(self, source: _FeedSource, message: Message) -> Delivery:
        """A feed source sends one F1 message to ContactPoint through its transport."""
        body = to_xml(message) if source.wire == "xml" else to_json(message)
        reply, content_type = source.transport.send(body, f"application/{source.wire}", source.identity)
        ack = decode_acknowledgement(reply, content_type)
        return self._record(
            Delivery(
                step=self.number,
                at=self.clock(),
                sender=source.name,
                recipient="ContactPoint",
                message_type=message.message_type.value,
                flow=_flow(message.message_type.value, source.identity.system),
                message_id=message.header.message_id,
                wire=source.wire,
                status=ack.status,
                findings=tuple(f.message for f in ack.findings),
            )
        )

    def show_messages(self, *, none: str = "") -> None:
        mine = [d for d in self.deliveries if d.step == self.number]
        self.page.section("Messages")
        if not mine:
            self.page.line(none or "none", 4)
            return
        self.page.table(
            ["when", "from", "to", "message", "flow", "as", "acknowledgement"],
            [
                [
                    d.at.strftime("%Y-%m-%d %H:%M"),
                    d.sender,
                    d.recipient,
                    d.message_type,
                    d.flow,
                    d.wire,
                    d.status.value + (f" ({len(d.findings)} warning(s))" if d.findings else ""),
                ]
                for d in mine
            ],
        )

    def search(self, heading: str) -> SearchResult:
        """Melanie's search, printed as her screen shows it."""
        result = self.systems.screens.search(MELANIE, MELANIE_REASON)
        self.page.section(heading)
        self.page.line(f"search: family name Mills, given names Hannah, born 1994-06-14; reason: {MELANIE_REASON!r}", 4)
        if not result.records:
            self.page.line("no child found", 6)
        for record in result.records:
            _show_record(self.page, record)
        return result

    def read(self, reader: Practitioner, reason: str) -> CafEpisode:
        """A practitioner with consent reads Hannah's CAF."""
        seen = self.systems.screens.read_episode(reader, reason)
        if isinstance(seen, Refusal):
            raise StoryFailed(f"National eCAF refused {_person(reader)}: {seen.message}", hint=seen.hint)
        return seen

    def keep_up_to_date(self, *, until: dt.date) -> None:
        """Each owner marks done, on the day, the agreed actions the examples record as done by `until`."""
        ecaf, page = self.systems.ecaf, self.page
        owners = {p.practitioner_id: p for p in (MELANIE, LEE, STEVE, LIBBY)}
        due = sorted(
            (
                a
                for a in self.script.episode.actions
                if a.action_id in (*_TAC_ACTIONS, _LIBBYS_ACTION)
                and a.action_id not in self.completed
                and a.completed_on is not None
                and a.completed_on <= until
            ),
            key=lambda a: (a.completed_on, a.action_id),
        )
        rows = []
        for action in due:
            assert action.completed_on is not None  # filtered above
            self.clock.set(action.completed_on, 16)
            owner = owners[action.owner_id]
            ecaf.complete_action(HANNAH_EPISODE_ID, action.action_id, by=owner, completed_on=action.completed_on)
            self.completed.add(action.action_id)
            rows.append([_day(action.completed_on), _person(owner), action.description])
        page.table(["done", "who", "action"], rows, cap=80)

    def one_record(self, result: SearchResult) -> DirectoryRecord:
        if len(result.records) != 1:
            raise StoryFailed(
                f"Melanie's search found {len(result.records)} records for Hannah, not one",
                hint="ContactPoint should match every feed's message to the one record: see its match queue",
            )
        return result.records[0]

    # --- the steps -------------------------------------------------------------------------------

    def play(self, where: str, transport: TransportChoice) -> StoryResult:
        case_id, waited, case = self.before_melanie_looks()
        first, first_audit = self.melanie_looks()
        john_reads, logged, after_caf = self.consent_and_caf(case_id)
        after_tac, search_after_tac = self.team_around_the_child()
        lee_view, libby_refused, share_refused, audited, libby_view = self.actions_and_access()
        after_review = self.review()
        maintenance, epilogue = self.epilogue()
        self.page.line()
        accepted = sum(d.status is AcknowledgementStatus.ACCEPTED for d in self.deliveries)
        self.page.line(
            f"The story played through: {len(self.deliveries)} messages between systems, {accepted} accepted.", 0
        )
        return StoryResult(
            where=where,
            transport=transport,
            deliveries=tuple(self.deliveries),
            ics_case_id=case_id,
            waited_for_contactpoint=tuple(waited),
            ics_case=case,
            first_search=first,
            first_search_audit=first_audit,
            john_reads=tuple(john_reads),
            logged_episode=logged,
            search_after_caf=after_caf,
            episode_after_tac=after_tac,
            search_after_tac=search_after_tac,
            episode_as_lee_reads_it=lee_view,
            libby_before_consent=libby_refused,
            share_before_consent=share_refused,
            refusals_audited=tuple(audited),
            episode_as_libby_reads_it=libby_view,
            episode_after_review=after_review,
            maintenance=maintenance,
            epilogue_search=epilogue,
        )

    def before_melanie_looks(self) -> tuple[str, list[str], CaseRecord]:
        ics, contactpoint, clock, page = self.systems.ics, self.systems.contactpoint, self.clock, self.page
        record = self.script.case_record
        with self.step(
            1,
            "Before Melanie looks: John's social care, Lee's youth service, Hannah's school",
            "June 2008 to September 2009",
            "seed §3.1, §5.2; ContactPoint went live in January 2009, §2.2",
        ):
            clock.set(_CONTACT_DAY)
            case_id = ics.open_case(HANNAH, opened_on=_CONTACT_DAY).case_id
            ics.record_contact(case_id, record.contacts[0])
            page.line(
                f"2008-06-02  Islington's ICS: the adult social care hospital team report that Hannah, 13, is looking "
                f"after her brothers and sisters while her mother is in hospital. A case is opened ({case_id}).",
            )
            clock.set(_REFERRAL_DAY)
            ics.record_referral(case_id, record.referrals[0])
            ics.allocate_worker(case_id, JOHN)
            waiting = [row["message_type"] for row in ics.outbox.pending(ics.store)]
            page.line(
                "2008-06-03  The referral is recorded and John Carter is allocated. Recording the referral wrote "
                f"{', '.join(waiting)} (F2) to the ICS's outbox: that social care is involved and the duty team's "
                "number, never the referral's content. ContactPoint is not live yet, so it waits there.",
            )

            clock.set(_CONTACTPOINT_LIVE, 2, 30)
            contactpoint.register_practitioner(
                PractitionerRegistration.model_validate(
                    {
                        "practitionerId": DATA_MANAGER,
                        "name": {"givenNames": "Dana", "familyName": "Marsh"},
                        "role": DirectoryRole.DATA_MANAGER.value,
                        "organisationId": "DCSF",
                    }
                )
            )
            contactpoint_route = route_key(CONTACTPOINT_IDENTITY)
            ics.connect(contactpoint_route, self.systems.link(ISLINGTON_ICS, contactpoint_route))
            self.flush("Islington's ICS", ics)
            page.line(
                "2009-01-12  ContactPoint goes live and Islington's ICS is connected to it: the outbox delivers the "
                "waiting message.",
            )

            clock.set(_SOCIAL_CARE_ENDS, 16, 40)
            ics.close_case(
                case_id,
                IcsClosure(
                    closure_date=_SOCIAL_CARE_ENDS,
                    reason=CinClosureReason.RC7,
                    summary="Mother much better; agreed with the family that social care need not stay involved. "
                    "John gave Hannah leaflets about local youth groups.",
                ),
            )
            self.flush("Islington's ICS", ics)
            page.line(
                "2009-03-27  Hannah's mother is much better; John closes the case (CIN closure RC7). The involvement "
                "ends on ContactPoint, which keeps the team's number listed for a year after.",
            )

            clock.set(_YOUTH_SERVICE_STARTS, 17, 5)
            youth = self.script.youth_service
            self.feed(
                self.youth_service,
                InvolvementStarted(
                    header=new_header(
                        MessageType.INVOLVEMENT_STARTED, YOUTH_SERVICE_SYSTEM, CONTACTPOINT_IDENTITY, clock()
                    ),
                    child=youth.child,
                    involvement=youth.involvement,
                ),
            )
            page.line(
                "2009-04-20  Lee, a youth worker, starts working with Hannah; his service's system tells ContactPoint."
            )

            clock.set(_TERM_STARTS, 6, 15)
            self.feed(
                self.school,
                ChildIdentityUpdate(
                    header=new_header(MessageType.CHILD_IDENTITY_UPDATE, SCHOOL_MIS, CONTACTPOINT_IDENTITY, clock()),
                    child=self.script.school.child,
                ),
            )
            page.line("2009-09-08  Year 11 starts: Camden Park School's MIS sends Hannah's details to ContactPoint.")
            self.show_messages()

            case = ics.case_record(case_id)
            page.section("What John's team sees in Islington's ICS")
            page.table(
                ["case", "child", "state", "opened", "closed", "allocated worker"],
                [
                    [
                        summary.case_id,
                        summary.child_name,
                        summary.state,
                        _day(summary.opened_on),
                        _day(case.closure.closure_date if case.closure else None),
                        _person(case.allocated_worker) if case.allocated_worker else "-",
                    ]
                    for summary in ics.cases()
                ],
            )
        return case_id, waiting, case

    def melanie_looks(self) -> tuple[SearchResult, AuditEntry]:
        contactpoint, clock, page = self.systems.contactpoint, self.clock, self.page
        with self.step(
            2,
            "Melanie looks Hannah up on ContactPoint",
            "1 February 2010",
            "seed §3.1; §2.2, §5.2: who else is involved, never case information",
        ):
            clock.set(_MELANIE_LOOKS)
            contactpoint.register_practitioner(
                PractitionerRegistration(
                    practitioner_id=MELANIE.practitioner_id,
                    name=MELANIE.name,
                    role=DirectoryRole.PRACTITIONER,
                    organisation_id=MELANIE.organisation.organisation_id,
                ),
                by=DATA_MANAGER,
            )
            page.line(
                "Melanie, Hannah's learning mentor at Camden Park School, is a registered ContactPoint user. Hannah is "
                "falling behind and says everything is fine; Melanie does not know whether anyone else is helping her."
            )
            result = self.search("What Melanie sees on ContactPoint")
            social_care = [
                i for i in self.one_record(result).involvements if i.service_name == "Children's social care" and i.team
            ]
            if not social_care or social_care[0].team is None:
                raise StoryFailed(
                    "Melanie does not see children's social care on ContactPoint",
                    hint="an ended involvement stays listed for a year after its end (seed §3.1): check the F1/F2 "
                    "messages of step 1 and ContactPoint's retention",
                )
            team = social_care[0].team
            page.line(
                f"Melanie calls the number listed for children's social care ({team.contact.telephone}, "
                f"{team.name}): John is no longer involved, but the department stays listed until "
                f"{_day(social_care[0].visible_until)}, a year after the involvement ended. Lee's youth service is "
                "current. Both are in Islington, where Hannah lives.",
                4,
            )
            [audit] = contactpoint.audit_log(by=DATA_MANAGER, practitioner_id=MELANIE.practitioner_id, limit=1)
            page.section("ContactPoint's audit of the search")
            page.table(
                ["when", "who", "action", "outcome", "reason", "records"],
                [
                    [
                        audit.at.strftime("%Y-%m-%d %H:%M"),
                        audit.practitioner_id,
                        audit.action,
                        audit.outcome,
                        audit.reason,
                        ", ".join(audit.records),
                    ]
                ],
            )
            self.show_messages(none="none: searching sends nothing, and ContactPoint never updates its feeders")
        return result, audit

    def consent_and_caf(self, case_id: str) -> tuple[list[ChronologyEntry], CafEpisode, SearchResult]:
        ics, ecaf, clock, page = self.systems.ics, self.systems.ecaf, self.clock, self.page
        with self.step(
            3,
            "Hannah consents; Melanie records the CAF on National eCAF; ContactPoint is updated",
            "3 to 10 February 2010",
            "seed §3.1; §2.2 consent; §5.1 the CAF indicator (F3)",
        ):
            clock.set(_HANNAH_CONSENTS, 10)
            page.line(
                "2010-02-03  Hannah agrees that Melanie may speak to John and Lee, and consents to a common assessment "
                "(CAF), to be discussed with her mother."
            )
            clock.set(_HANNAH_CONSENTS, 14)
            ics.add_chronology_entry(
                case_id,
                ChronologyEntry(
                    entry_date=_HANNAH_CONSENTS,
                    event="Learning mentor calls about Hannah",
                    detail="Melanie Hughes found the team on ContactPoint; with Hannah's consent, John shared what he "
                    "knew and advised his manager.",
                ),
            )
            chronology = ics.chronology(case_id)
            page.section("What John reads in Islington's ICS before he calls Melanie back (the closed case)")
            page.table(
                ["date", "event", "detail"],
                [[_day(e.entry_date), e.event, e.detail or ""] for e in chronology],
                cap=64,
            )

            clock.set(_ASSESSED, 15)
            episode = ecaf.log_episode(
                child=self.script.episode.child,
                assessment=self.script.assessment,
                consents=self.script.consents_for(MELANIE),
                by=MELANIE,
                episode_id=HANNAH_EPISODE_ID,
                opened_on=_ASSESSED,
            )
            self.flush("National eCAF", ecaf)
            page.line()
            page.line(
                "2010-02-10  Melanie completes the common assessment with Hannah and her mother, using what John and "
                "Lee told her, and records it on National eCAF with the consent ledger. National eCAF tells "
                "ContactPoint that a CAF exists and whom to contact (F3), in the same transaction."
            )
            page.section("What Melanie recorded on National eCAF")
            _show_episode(page, episode, full=True)
            self.show_messages()
            clock.set(_ASSESSED, 16)
            result = self.search("Melanie's next search on ContactPoint")
        return chronology, episode, result

    def team_around_the_child(self) -> tuple[CafEpisode, SearchResult]:
        ecaf, clock, page = self.systems.ecaf, self.clock, self.page
        with self.step(
            4,
            "The Team Around the Child meets; Melanie becomes lead professional",
            "17 February 2010",
            "seed §3.1; §5.1 the lead professional on ContactPoint (F3)",
        ):
            clock.set(_TAC_MEETING, 10)
            page.line(
                "Hannah, her mother, Melanie, Lee and Steve from Housing meet and agree what each will do. Hannah "
                "consents to Lee and Steve seeing her CAF; both join the TAC. Hannah asks for Melanie as her lead "
                "professional, and the team agree."
            )
            for member in (LEE, STEVE):
                for consent in self.script.consents_for(member):
                    ecaf.record_consent(HANNAH_EPISODE_ID, consent, by=MELANIE)
            for member in (MELANIE, LEE, STEVE):
                ecaf.add_tac_member(HANNAH_EPISODE_ID, member, by=MELANIE, joined_on=_TAC_MEETING)
            episode = ecaf.appoint_lead_professional(
                HANNAH_EPISODE_ID, MELANIE.practitioner_id, by=MELANIE, appointed_on=_TAC_MEETING
            )
            self.flush("National eCAF", ecaf)
            page.section("The episode on National eCAF")
            _show_episode(page, episode)
            self.show_messages()
            clock.set(_TAC_MEETING, 10, 30)
            result = self.search("What ContactPoint shows now (Melanie ensures the lead professional is recorded)")
        return episode, result

    def actions_and_access(self) -> tuple[CafEpisode, Refusal, Refusal, list[AccessRecord], CafEpisode]:
        ecaf, screens, clock, page = self.systems.ecaf, self.systems.screens, self.clock, self.page
        with self.step(
            5,
            "Actions agreed; Lee, then Libby, given access to the CAF with Hannah's consent",
            "17 February to 3 March 2010",
            "seed §3.1; §2.2 access only with explicit consent",
        ):
            clock.set(_TAC_MEETING, 11)
            for action_id in _TAC_ACTIONS:
                action = self.script.action(action_id)
                ecaf.add_action(
                    HANNAH_EPISODE_ID,
                    owner_id=action.owner_id,
                    description=action.description,
                    due_on=action.due_on,
                    by=MELANIE,
                    action_id=action.action_id,
                )
            ecaf.share_with(HANNAH_EPISODE_ID, LEE.practitioner_id, by=MELANIE)
            page.line(
                "2010-02-17  Melanie records the actions each member agreed. Hannah's mother will see her GP (in her "
                "own words in the assessment: she is family, not a member of the TAC). With Hannah's consent, Lee is "
                "given access to the CAF so that he can update his actions."
            )
            lee_view = self.read(LEE, "TAC member: update my actions for Hannah")
            page.section("What Lee sees on National eCAF")
            _show_episode(page, lee_view)

            page.line()
            page.line("In the following days the TAC keep National eCAF updated with their actions:")
            self.keep_up_to_date(until=_LIBBY_JOINS)
            page.line()
            page.line(
                "2010-03-03  Libby, who works for the young carers' group Lee found, asks to see Hannah's CAF before "
                "Hannah has said she may."
            )
            libby_refused = screens.read_episode(LIBBY, "Young carers' group: about Hannah joining")
            if not isinstance(libby_refused, Refusal):
                raise StoryFailed(
                    "National eCAF let Libby read the CAF without Hannah's consent",
                    hint="access to a CAF needs the child's explicit consent on the ledger (seed §2.2, rule CAF-002)",
                )
            try:
                ecaf.share_with(HANNAH_EPISODE_ID, LIBBY.practitioner_id, by=MELANIE)
            except ConsentRefused as refused:
                share_refused = Refusal(refused.rule_id, refused.message, refused.hint)
            else:
                raise StoryFailed(
                    "National eCAF let Melanie share the CAF with Libby without Hannah's consent",
                    hint="sharing a CAF needs the child's explicit consent on the ledger (seed §2.2, rule CAF-002)",
                )
            page.section("Refused: no consent on record for Libby")
            page.table(
                ["who", "tried to", "refused by rule", "what National eCAF says"],
                [
                    ["Libby Green", "read the CAF", libby_refused.rule_id, libby_refused.message],
                    ["Melanie Hughes", "share it with Libby", share_refused.rule_id, share_refused.message],
                ],
                cap=60,
            )
            audited = [r for r in ecaf.access_log(HANNAH_EPISODE_ID, by=ECAF_MANAGER) if r.action.endswith("-refused")]
            page.section("National eCAF's access audit of the refusals")
            page.table(
                ["when", "practitioner", "action", "reason"],
                [[r.at.strftime("%Y-%m-%d %H:%M"), r.practitioner_id or "-", r.action, r.reason] for r in audited],
                cap=60,
            )

            clock.set(_LIBBY_JOINS, 17)
            for consent in self.script.consents_for(LIBBY):
                ecaf.record_consent(HANNAH_EPISODE_ID, consent, by=MELANIE)
            ecaf.add_tac_member(HANNAH_EPISODE_ID, LIBBY, by=MELANIE, joined_on=_LIBBY_JOINS)
            ecaf.share_with(HANNAH_EPISODE_ID, LIBBY.practitioner_id, by=MELANIE)
            libbys = self.script.action(_LIBBYS_ACTION)
            ecaf.add_action(
                HANNAH_EPISODE_ID,
                owner_id=libbys.owner_id,
                description=libbys.description,
                due_on=libbys.due_on,
                by=LIBBY,
                action_id=libbys.action_id,
            )
            page.line()
            page.line(
                "Hannah agrees that Libby may see her CAF. Libby joins the TAC, is given access, and adds her own "
                "action."
            )
            libby_view = self.read(LIBBY, "TAC member: record my action for Hannah")
            page.section("What Libby sees on National eCAF")
            _show_episode(page, libby_view)
            self.flush("National eCAF", ecaf)
            self.show_messages(
                none="none: consent, the TAC and actions stay on National eCAF; ContactPoint shows only that a CAF "
                "exists and whom to contact"
            )
        return lee_view, libby_refused, share_refused, audited, libby_view

    def review(self) -> CafEpisode:
        ecaf, clock, page = self.systems.ecaf, self.clock, self.page
        with self.step(6, "The review, three months on", "17 March to 17 May 2010", "seed §3.1"):
            page.line("All keep National eCAF updated with their actions:")
            self.keep_up_to_date(until=_REVIEW)

            clock.set(_REVIEW, 11)
            ecaf.record_review(
                HANNAH_EPISODE_ID,
                summary=_REVIEW_SUMMARY,
                by=MELANIE,
                review_date=_REVIEW,
                next_review_on=_NEXT_REVIEW,
            )
            page.line()
            page.line("2010-05-17  The team meet Hannah and her mother to review progress; Melanie records the review.")
            episode = self.read(MELANIE, "Lead professional: the three-month review")
            page.section("What Melanie sees on National eCAF after the review")
            _show_episode(page, episode)
            self.flush("National eCAF", ecaf)
            self.show_messages(none="none: a review changes nothing ContactPoint shows")
        return episode

    def epilogue(self) -> tuple[MaintenanceReport, SearchResult]:
        contactpoint, clock, page = self.systems.contactpoint, self.clock, self.page
        with self.step(
            7,
            "Epilogue: a year after John's involvement ended, it leaves ContactPoint",
            "18 May 2010",
            "seed §3.1: contact details stay on for a year after the end of the involvement",
        ):
            clock.set(_EPILOGUE, 2)
            report = contactpoint.run_maintenance()
            page.line(
                f"ContactPoint's maintenance runs: {report.involvements_expired} involvement expired (children's "
                "social care ended on 2009-03-27 and was listed until 2010-03-27)."
            )
            clock.set(_EPILOGUE, 9)
            result = self.search("What Melanie sees on ContactPoint now")
            self.show_messages(none="none")
        return report, result


def _sender_kind(body: dict[str, object]) -> SystemKind:
    """The kind of system that sent a message, from the message as the outbox stores it (the standard's JSON)."""
    header = body.get("header")
    sender = header.get("sender") if isinstance(header, dict) else None
    kind = sender.get("system") if isinstance(sender, dict) else None
    return SystemKind(str(kind))


# --- the entry points ------------------------------------------------------------------------------


def play_hannahs_story(
    folder: Path | None = None,
    *,
    db_url: str | None = None,
    out: TextIO | None = None,
    transport: TransportChoice = "in-process",
) -> StoryResult:
    """Play Hannah's story through ContactPoint, National eCAF and Islington's ICS, printing each step to `out`.

    The systems store in SQLite files in `folder` (a fresh temporary folder if None), or all
    three in the database `db_url` (for example PostgreSQL). `transport="http"` runs each as an
    HTTP service on 127.0.0.1 and sends every message over HTTP. `out` is standard output unless
    given (looked up at the call, so a redirected `sys.stdout` is honoured). Raise `StoryFailed`, saying
    which step failed and how to fix it, if the story cannot be played through.
    """
    if folder is not None and db_url is not None:
        raise StoryFailed("give a folder or a database URL, not both", hint="use --folder DIR or --db URL")
    if transport not in ("in-process", "http"):
        raise StoryFailed(f"unknown transport {transport!r}", hint="choose 'in-process' or 'http'")
    page = _Page(out if out is not None else sys.stdout)
    page.line("Hannah's story (seed §3.1), played through ContactPoint, National eCAF and Islington's ICS.", 0)
    urls, where = _store_urls(folder, db_url, page)
    clock = StoryClock(dt.datetime(2008, 6, 2, 9, tzinfo=dt.UTC))
    with ExitStack() as stack:
        systems = _open_systems(urls, where, clock, transport, stack, page)
        return _Story(systems, clock, page).play(where, transport)
