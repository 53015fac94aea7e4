"""The reference systems, plugged into the suite: Python adapters, and the same systems served over HTTP.

This is the one room of the suite that calls the reference systems, and only through their
public Python APIs (the same calls their HTTP routes make). Each adapter implements a profile's
Protocol (`protocol`), exactly as a vendor's adapter would, so it doubles as a worked example:

- `ReferenceDirectory`: ContactPoint (contactpoint profile);
- `ReferenceEcaf`: National eCAF (ecaf profile);
- `ReferenceIcs`: an ICS system with its local eCAF module (ics profile);
- `ReferenceFeedSource`: the same ICS system seen as any local system feeding ContactPoint
  (feed-source profile): an involvement starts when a referral is recorded, ends at closure.

`serve_reference` runs a reference system as an HTTP service that delivers what it sends to
the suite's receiver, as `ics-interop serve --route NAME=URL` would. On the command line an
adapter is named `ics_interop.conformance.reference_adapters:contactpoint` (or `ecaf`, `ics`,
`feed_source`): each of those factories builds a system on a fresh SQLite file.
"""

from __future__ import annotations

import datetime as dt
import functools
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from ics_interop import __version__
from ics_interop.messages import StepDownRequest, StepUpDecision, SystemRef
from ics_interop.model import (
    CafAssessment,
    CafEpisode,
    CaseRecord,
    Child,
    ConsentRecord,
    ContactDetails,
    IcsClosure,
    IcsReferral,
    Organisation,
    PersonName,
    Practitioner,
    Team,
)
from ics_interop.model.codes import AgencyType, CafClosureReason, CinClosureReason, ReferralSource, SystemKind

from ._adapters import (
    Authenticator,
    ContactPointDirectory,
    DirectoryRecord,
    DirectoryRole,
    EcafRole,
    Forbidden,
    HttpTransport,
    IcsSettings,
    IcsSystem,
    LocalIssuer,
    NationalEcaf,
    PractitionerRegistration,
    Principal,
    ServiceError,
    ShieldingChange,
    TransportError,
    UserRegistration,
    running_server,
    save_private_key,
    service_app,
)
from ._adapters import (
    NotFound as SystemNotFound,
)
from .credentials import SUITE_ISSUER
from .http_drivers import directory_view
from .protocol import (
    AccessDenied,
    AccessEntry,
    AlertEntry,
    AuditView,
    CafReferralView,
    Client,
    DirectoryView,
    HeldMessage,
    MaintenanceView,
    MessageSink,
    NotFound,
    Refused,
    Reply,
    SearchCriteria,
)
from .scenarios import SUITE_ROUTES

__all__ = [
    "DATA_MANAGER",
    "REFERENCE_CONTACTPOINT",
    "REFERENCE_ECAF",
    "REFERENCE_ICS",
    "ReferenceDirectory",
    "ReferenceEcaf",
    "ReferenceFeedSource",
    "ReferenceIcs",
    "contactpoint",
    "ecaf",
    "feed_source",
    "ics",
    "serve_reference",
]

R = TypeVar("R")

#: The reference systems' identities in the suite's runs.
REFERENCE_CONTACTPOINT = SystemRef(
    system=SystemKind.CONTACTPOINT, organisation_id="DCSF", organisation_name="ContactPoint"
)
REFERENCE_ECAF = SystemRef(system=SystemKind.NATIONAL_ECAF, organisation_id="DCSF", organisation_name="National eCAF")
REFERENCE_ICS = SystemRef(
    system=SystemKind.ICS, organisation_id="LA206-CSC", organisation_name="Islington children's social care"
)
#: The data manager the operator sets up on the reference directory before anything else.
DATA_MANAGER = "CP-OPERATOR-DM"
#: The manager the operator sets up on the reference National eCAF (reports and the access audit).
ECAF_MANAGER = "NECAF-OPERATOR-MGR"
#: The worker of the reference ICS the suite acts as (any user of the authority's own organisation).
ICS_WORKER = "CONF-ICS-WORKER"

_ISLINGTON_CSC = Organisation(
    organisation_id="LA206-CSC",
    name="Islington children's social care",
    agency_type=AgencyType.SOCIAL_CARE,
    la_code="206",
)
#: The central team ContactPoint shows for a child with no allocated social worker (seed §5.2).
_CENTRAL_TEAM = Team(
    team_id="LA206-CSC-DUTY",
    name="Children's social care duty team",
    organisation=_ISLINGTON_CSC,
    contact=ContactDetails(telephone="020 7527 7400", email="duty.csc@islington.example"),
)


def _description(system: str) -> dict[str, str]:
    return {"vendor": "ics-interop", "system": system, "version": __version__, "kind": "reference implementation"}


class _Store:
    """A fresh SQLite file for a system, removed on close (or the URL given)."""

    def __init__(self, db_url: str | None, name: str) -> None:
        self._folder: str | None = None
        if db_url is None:
            self._folder = tempfile.mkdtemp(prefix=f"ics-conformance-{name}-")
            db_url = f"sqlite:///{Path(self._folder) / (name + '.db')}"
        self.url = db_url

    def remove(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


class _SinkTransport:
    """A transport to the suite's sink: the receiver being down is a transport error, so the outbox retries."""

    def __init__(self, sink: MessageSink) -> None:
        self.sink = sink

    def send(self, body: bytes, content_type: str, sender: SystemRef) -> tuple[bytes, str]:
        try:
            return self.sink(body, content_type)
        except ConnectionError as exc:
            raise TransportError(str(exc)) from exc


def _reply(
    receive: Callable[[bytes, str, Any], tuple[bytes, str, int]], body: bytes, content_type: str, client: Client
) -> Reply:
    """A delivery from `client`: the system is handed the client's principal, as a verified token would give it."""
    if client.scopes is None:
        principal = Principal.for_system(client.system)
    else:
        principal = Principal.for_system(client.system, scopes=client.scopes)
    reply, reply_type, _status = receive(body, content_type, principal)
    return Reply(reply, reply_type, None)


def _call(call: Callable[[], R]) -> R:
    """A call into a reference system, its refusals as the suite's: one error type for all three systems."""
    try:
        return call()
    except Forbidden as exc:
        raise AccessDenied(exc.rule_id, exc.message) from exc
    except SystemNotFound as exc:
        raise NotFound(exc.rule_id, exc.message) from exc
    except ServiceError as exc:
        raise Refused(exc.rule_id, exc.message) from exc


# --- ContactPoint ----------------------------------------------------------------------------------------


def _view(record: DirectoryRecord) -> DirectoryView:
    return directory_view(record.model_dump(mode="json", by_alias=True, exclude_none=True))


class ReferenceDirectory:
    """The reference ContactPoint directory, as a contactpoint adapter."""

    #: The system the adapter drives (the suite's broken implementations put a broken one here).
    system_type: type[ContactPointDirectory] = ContactPointDirectory

    def __init__(self, db_url: str | None = None, *, identity: SystemRef = REFERENCE_CONTACTPOINT) -> None:
        self._store = _Store(db_url, "contactpoint")
        self.system = self.system_type(self._store.url, identity=identity)
        self.system.register_practitioner(
            PractitionerRegistration(
                practitioner_id=DATA_MANAGER,
                name=PersonName(given_names="Directory", family_name="Operator"),
                role=DirectoryRole.DATA_MANAGER,
                organisation_id="DCSF",
            ),
            by=None,
        )

    def describe(self) -> Mapping[str, str]:
        return _description("ContactPoint directory")

    def identity(self) -> SystemRef:
        return self.system.identity

    def deliver(self, body: bytes, content_type: str, client: Client) -> Reply:
        return _reply(self.system.receiver.receive_http, body, content_type, client)

    def deliver_batch(self, body: bytes, content_type: str, client: Client) -> Reply:
        return _reply(functools.partial(self.system.receiver.receive_http, batch=True), body, content_type, client)

    def flush_outbox(self, sink: MessageSink) -> None:
        # The directory never sends (seed §5.2); deliver() has nothing to send and returns nothing.
        self.system.deliver()

    def data_manager(self) -> str:
        return DATA_MANAGER

    def register_user(self, user_id: str, role: str, organisation_id: str, *, by: str) -> None:
        registration = PractitionerRegistration(
            practitioner_id=user_id,
            name=PersonName(given_names="Conformance", family_name="User"),
            role=DirectoryRole(role),
            organisation_id=organisation_id,
        )
        _call(lambda: self.system.register_practitioner(registration, by=by))

    def search(
        self, criteria: SearchCriteria, *, user_id: str, reason: str | None, override_reason: str | None = None
    ) -> list[DirectoryView]:
        found = _call(
            lambda: self.system.search(
                practitioner_id=user_id,
                reason=reason,
                family_name=criteria.family_name,
                given_names=criteria.given_names,
                date_of_birth=criteria.date_of_birth,
                postcode=criteria.postcode,
                identifier=criteria.identifier,
                override_shielding=override_reason,
            )
        )
        return [_view(r) for r in found.records]

    def view(
        self, contactpoint_id: str, *, user_id: str, reason: str | None, override_reason: str | None = None
    ) -> DirectoryView:
        record = _call(
            lambda: self.system.view(
                contactpoint_id, practitioner_id=user_id, reason=reason, override_shielding=override_reason
            )
        )
        return _view(record)

    def set_shielding(self, contactpoint_id: str, shielded: bool, *, by: str, reason: str) -> None:
        change = ShieldingChange(shielded=shielded, reason=reason)
        _call(lambda: self.system.set_shielding(contactpoint_id, change, by=by))

    def run_maintenance(self, *, by: str, as_of: dt.date | None = None) -> MaintenanceView:
        moment = None if as_of is None else dt.datetime.combine(as_of, dt.time(12), tzinfo=dt.UTC)
        report = _call(lambda: self.system.run_maintenance(moment, by=by))
        return MaintenanceView(
            ran_on=report.ran_at.date(),
            archived=tuple(report.archived_at_eighteen + report.archived_after_death),
            purged=tuple(report.purged),
        )

    def audit_entries(self, *, by: str, contactpoint_id: str | None = None) -> list[AuditView]:
        entries = _call(lambda: self.system.audit_log(by=by, contactpoint_id=contactpoint_id))
        return [
            AuditView(e.practitioner_id, e.action, e.outcome, tuple(e.records), e.reason, e.client_id) for e in entries
        ]

    def audit_alerts(self, *, by: str) -> list[AlertEntry]:
        alerts = _call(lambda: self.system.audit_alerts(by=by))
        return [AlertEntry(a.practitioner_id, a.contactpoint_id, a.reason) for a in alerts]

    def held_messages(self, *, by: str) -> list[HeldMessage]:
        queue = _call(lambda: self.system.match_queue(by=by))
        return [HeldMessage(e.message_id, e.reason, tuple(c.contactpoint_id for c in e.candidates)) for e in queue]

    def close(self) -> None:
        self.system.dispose()
        self._store.remove()


# --- National eCAF -------------------------------------------------------------------------------------


def _connect_pending(system: NationalEcaf | IcsSystem, sink: MessageSink) -> None:
    """Route every destination waiting in the outbox to the suite's sink."""
    transport = _SinkTransport(sink)
    for row in system.outbox.pending(system.store):
        system.connect(str(row["destination"]), transport)


class ReferenceEcaf:
    """The reference National eCAF, as an ecaf adapter."""

    #: The system the adapter drives (the suite's broken implementations put a broken one here).
    system_type: type[NationalEcaf] = NationalEcaf

    def __init__(self, db_url: str | None = None, *, identity: SystemRef = REFERENCE_ECAF) -> None:
        self._store = _Store(db_url, "ecaf")
        self.system = self.system_type(self._store.url, identity=identity)
        self.manager = Practitioner(
            practitioner_id=ECAF_MANAGER,
            name=PersonName(given_names="Episode", family_name="Manager"),
            role="National eCAF manager",
            organisation=Organisation(
                organisation_id=identity.organisation_id, name="National eCAF", agency_type=AgencyType.OTHER
            ),
            contact=ContactDetails(telephone="0870 000 2288"),
        )
        self.system.register_user(UserRegistration(practitioner=self.manager, role=EcafRole.MANAGER), by=None)

    def describe(self) -> Mapping[str, str]:
        return _description("National eCAF")

    def identity(self) -> SystemRef:
        return self.system.identity

    def deliver(self, body: bytes, content_type: str, client: Client) -> Reply:
        return _reply(self.system.receiver.receive_http, body, content_type, client)

    def deliver_batch(self, body: bytes, content_type: str, client: Client) -> Reply:
        return _reply(functools.partial(self.system.receiver.receive_http, batch=True), body, content_type, client)

    def flush_outbox(self, sink: MessageSink) -> None:
        _connect_pending(self.system, sink)
        self.system.deliver()

    def log_episode(
        self,
        *,
        child: Child,
        assessment: CafAssessment,
        consents: Sequence[ConsentRecord],
        by: Practitioner,
        episode_id: str,
        opened_on: dt.date,
    ) -> CafEpisode:
        return _call(
            lambda: self.system.log_episode(
                child=child,
                assessment=assessment,
                consents=list(consents),
                by=by,
                episode_id=episode_id,
                opened_on=opened_on,
            )
        )

    def read_episode(self, episode_id: str, *, reader: Practitioner, reason: str) -> CafEpisode:
        return _call(lambda: self.system.read_episode(episode_id, reader, reason))

    def record_consent(self, episode_id: str, consent: ConsentRecord, *, by: Practitioner) -> None:
        _call(lambda: self.system.record_consent(episode_id, consent, by=by))

    def add_tac_member(self, episode_id: str, practitioner: Practitioner, *, by: Practitioner) -> None:
        _call(lambda: self.system.add_tac_member(episode_id, practitioner, by=by))

    def appoint_lead_professional(self, episode_id: str, practitioner_id: str, *, by: Practitioner) -> None:
        _call(lambda: self.system.appoint_lead_professional(episode_id, practitioner_id, by=by))

    def close_episode(self, episode_id: str, reason: CafClosureReason, *, by: Practitioner) -> None:
        _call(lambda: self.system.close_episode(episode_id, reason, by=by))

    def refer_to_social_care(self, episode_id: str, *, by: Practitioner, reason: str, to: SystemRef) -> str:
        return _call(lambda: self.system.refer_to_social_care(episode_id, by, reason, to))

    def offer_to_initial_assessment(self, episode_id: str, *, by: Practitioner, to: SystemRef) -> None:
        _call(lambda: self.system.offer_to_initial_assessment(episode_id, by, to))

    def transfer_out(self, episode_id: str, *, to: SystemRef, from_la: str, to_la: str, reason: str) -> None:
        _call(lambda: self.system.transfer_out(episode_id, to, to_la, reason, from_la=from_la))

    def open_episodes_report(self, older_than_days: int, *, by: Practitioner | None = None) -> list[str]:
        reader = by or self.manager
        return [e.episode_id for e in _call(lambda: self.system.open_episodes_report(older_than_days, by=reader))]

    def access_log(self, episode_id: str, *, by: Practitioner | None = None) -> list[AccessEntry]:
        reader = by or self.manager
        log = _call(lambda: self.system.access_log(episode_id, by=reader))
        return [AccessEntry(r.practitioner_id, r.action, r.client_id) for r in log]

    def run_maintenance(self, *, by: Practitioner | None = None, as_of: dt.date | None = None) -> MaintenanceView:
        report = _call(lambda: self.system.run_maintenance(as_of, by=by or self.manager))
        return MaintenanceView(ran_on=report.ran_on, long_open=tuple(e.episode_id for e in report.long_open))

    def close(self) -> None:
        self.system.close()
        self._store.remove()


# --- ICS -----------------------------------------------------------------------------------------------


class ReferenceIcs:
    """The reference ICS system (with its local eCAF module), as an ics adapter."""

    #: The system the adapter drives (the suite's broken implementations put a broken one here).
    system_type: type[IcsSystem] = IcsSystem

    def __init__(self, db_url: str | None = None, *, identity: SystemRef = REFERENCE_ICS) -> None:
        self._store = _Store(db_url, "ics")
        self.system = self.system_type(
            self._store.url, identity=identity, settings=IcsSettings(central_team=_CENTRAL_TEAM, la_code="206")
        )

    def describe(self) -> Mapping[str, str]:
        return _description("ICS case-management system")

    def identity(self) -> SystemRef:
        return self.system.identity

    def deliver(self, body: bytes, content_type: str, client: Client) -> Reply:
        return _reply(self.system.receiver.receive_http, body, content_type, client)

    def deliver_batch(self, body: bytes, content_type: str, client: Client) -> Reply:
        return _reply(functools.partial(self.system.receiver.receive_http, batch=True), body, content_type, client)

    def flush_outbox(self, sink: MessageSink) -> None:
        _connect_pending(self.system, sink)
        self.system.deliver()

    def open_case(self, child: Child) -> str:
        return str(_call(lambda: self.system.open_case(child)).case_id)

    def case_ids(self) -> list[str]:
        return [c.case_id for c in self.system.cases()]

    def case_record(self, case_id: str) -> CaseRecord:
        return _call(lambda: self.system.case_record(case_id))

    def record_referral(self, case_id: str, referral: IcsReferral) -> None:
        _call(lambda: self.system.record_referral(case_id, referral))

    def close_case(self, case_id: str, closure: IcsClosure) -> None:
        _call(lambda: self.system.close_case(case_id, closure))

    def caf_referrals(self) -> list[CafReferralView]:
        return [
            CafReferralView(r.ics_referral_id, r.case_id, r.ecaf_referral_id, r.episode_id)
            for r in self.system.caf_referrals()
        ]

    def answer_caf_referral(
        self, ics_referral_id: str, *, decision: StepUpDecision, joining: Practitioner | None, representative: bool
    ) -> None:
        _call(
            lambda: self.system.respond_to_caf_referral(
                ics_referral_id, decision=decision, joining=joining, representative=representative
            )
        )

    def drafts(self, case_id: str) -> list[str]:
        return [d.assessment.assessment_id for d in _call(lambda: self.system.drafts(case_id)) if not d.confirmed]

    def confirm_draft(self, case_id: str, assessment_id: str, *, by: Practitioner) -> None:
        _call(lambda: self.system.confirm_draft(case_id, assessment_id, confirmed_by=by))

    def step_down(
        self,
        case_id: str,
        *,
        episode_id: str,
        social_worker: Practitioner,
        outstanding_needs: Sequence[str],
        request: StepDownRequest,
    ) -> None:
        _call(lambda: self.system.step_down(case_id, episode_id, social_worker, list(outstanding_needs), request))

    def transfer_case(self, case_id: str, *, to: SystemRef, to_la: str, reason: str) -> None:
        _call(lambda: self.system.transfer_case(case_id, to, to_la, reason))

    def hold_local_episode(self, episode: CafEpisode) -> None:
        _call(lambda: self.system.local_ecaf.create_episode(episode))

    def transfer_local_episode(self, episode_id: str, *, to: SystemRef, to_la: str, reason: str) -> None:
        _call(lambda: self.system.local_ecaf.transfer_episode(episode_id, to=to, to_la=to_la, reason=reason))

    def export_migration_batch(self, batch_id: str, episode_ids: Sequence[str]) -> None:
        _call(lambda: self.system.local_ecaf.export_migration_batch(batch_id, list(episode_ids)))

    def close(self) -> None:
        self.system.store.dispose()
        self._store.remove()


# --- the ICS as a feed source ----------------------------------------------------------------------------


class ReferenceFeedSource:
    """The reference ICS system seen as a local system feeding ContactPoint (F1, F2)."""

    def __init__(self, db_url: str | None = None, *, identity: SystemRef = REFERENCE_ICS) -> None:
        self.ics = ReferenceIcs(db_url, identity=identity)
        self._cases: dict[str, str] = {}

    def describe(self) -> Mapping[str, str]:
        return _description("ICS case-management system, as a feed source")

    def identity(self) -> SystemRef:
        return self.ics.identity()

    def flush_outbox(self, sink: MessageSink) -> None:
        self.ics.flush_outbox(sink)

    @staticmethod
    def _key(child: Child) -> str:
        return str(child.identifiers.nhs_number or child.name.family_name)

    def start_involvement(self, child: Child, *, worker: Practitioner, case_details: str, started_on: dt.date) -> None:
        system = self.ics.system
        case = _call(lambda: system.open_case(child, allocated_worker=worker, opened_on=started_on))
        self._cases[self._key(child)] = case.case_id
        referral = IcsReferral(
            referral_id=system.new_id("REF"),
            referral_date=started_on,
            source=ReferralSource.SCHOOLS,
            reason=case_details,
        )
        _call(lambda: system.record_referral(case.case_id, referral))

    def end_involvement(self, child: Child, *, ended_on: dt.date) -> None:
        case_id = self._cases[self._key(child)]
        closure = IcsClosure(closure_date=ended_on, reason=CinClosureReason.RC8)
        _call(lambda: self.ics.system.close_case(case_id, closure))

    def close(self) -> None:
        self.ics.close()


# --- factories for the command line ---------------------------------------------------------------------


def contactpoint() -> ReferenceDirectory:
    """The reference ContactPoint on a fresh SQLite file."""
    return ReferenceDirectory()


def ecaf() -> ReferenceEcaf:
    """The reference National eCAF on a fresh SQLite file."""
    return ReferenceEcaf()


def ics() -> ReferenceIcs:
    """The reference ICS system on a fresh SQLite file."""
    return ReferenceIcs()


def feed_source() -> ReferenceFeedSource:
    """The reference ICS system, as a feed source, on a fresh SQLite file."""
    return ReferenceFeedSource()


# --- over HTTP ------------------------------------------------------------------------------------------


@contextmanager
def serve_reference(
    profile: str,
    capture_url: str | None = None,
    *,
    deliver_every: float = 0.05,
    issuer: LocalIssuer | None = None,
    gate: Callable[[Authenticator], Authenticator] | None = None,
    adapter: Callable[[], Any] | None = None,
    test_clock: bool = True,
) -> Iterator[tuple[str, dict[str, str]]]:
    """Run a reference system as an HTTP service for the length of a block: (its URL, the target's options).

    The service trusts the suite's issuer (`issuer`, or a fresh one whose key file the options
    name), as a tester configures a system for accreditation. What it sends goes to
    `capture_url` (the suite's receiver) on every route the suite plays, delivered in the
    background as `ics-interop serve` does. `gate` may replace the service's authenticator, and
    `adapter` build the adapter whose system is served (the suite's own broken systems, for its tests).
    A directory or a National eCAF runs with its test clock (maintenance as of a day), as for an
    accreditation run, unless `test_clock` is False.
    """
    adapters: dict[str, Callable[[], Any]] = {
        "contactpoint": ReferenceDirectory,
        "ecaf": ReferenceEcaf,
        "ics": ReferenceIcs,
        "feed-source": ReferenceIcs,
    }
    if profile not in adapters:
        raise ValueError(f"no reference system for profile {profile!r}")
    built = (adapter or adapters[profile])()
    system = built.system
    suite = issuer or LocalIssuer(SUITE_ISSUER)
    key_folder = tempfile.mkdtemp(prefix="ics-conformance-key-")
    key_file = Path(key_folder) / "suite-key.json"
    save_private_key(suite.key, key_file)
    audience = f"urn:ics-interop:conformance-target:{profile}"
    options: dict[str, str] = {
        "organisation": built.identity().organisation_id,
        "issuer": suite.issuer,
        "issuer-key": str(key_file),
        "audience": audience,
    }
    if profile == "contactpoint":
        options["data-manager"] = DATA_MANAGER
    if profile == "ecaf":
        options["manager"] = ECAF_MANAGER
    if profile in ("ics", "feed-source"):
        options["worker"] = ICS_WORKER
    stop = threading.Event()
    worker: threading.Thread | None = None
    if capture_url is not None and profile != "contactpoint":
        for route in SUITE_ROUTES:
            system.connect(route, HttpTransport(capture_url, timeout=5.0))

        def deliver_forever() -> None:
            while not stop.wait(deliver_every):
                try:
                    system.deliver()
                except Exception:  # a delivery round must never stop the service; the outbox keeps the message
                    continue

        worker = threading.Thread(target=deliver_forever, daemon=True)
        worker.start()
    kind = "ics" if profile == "feed-source" else profile
    app = service_app(kind, system, suite.verifier(audience), gate=gate, test_clock=test_clock)
    try:
        with running_server(app) as url:
            yield url, options
    finally:
        stop.set()
        if worker is not None:
            worker.join(timeout=5)
        built.close()
        shutil.rmtree(key_folder, ignore_errors=True)
