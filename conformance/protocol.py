"""The Python adapter Protocol: how a vendor plugs a system into the suite without HTTP.

A vendor writes one class for the profile it implements. The suite calls its set-up hooks
(put the system in a given state: register a user, log an episode, open a case) and its
triggers (record a referral, close a case, step down), delivers messages to it, and collects
what it sends by calling `flush_outbox` with a sink to deliver to. Every method speaks the
standard's own models (`Child`, `Practitioner`, `CafEpisode`, `IcsReferral`...) or the small
views below, never a reference system's types.

A delivery names the connected system it comes through (`Client`): the adapter hands the system
that client as its authenticated sender, as a token would over HTTP, so a system that checks
who sent a message (SEC-001, SEC-002) can be tested the same way over both. The user a call
acts for is named by the call (`user_id`, `by`): the adapter is the system's own trusted code.

Refusals are reported with the three exceptions below, each naming the rule or constraint:
`AccessDenied` (no right to see or do it: no consent, no registration, the wrong role),
`Refused` (the change breaks a rule) and `NotFound`.

::

    SystemUnderTest             describe(), identity()
    ├── Receiving               deliver(body, content_type, client) -> Reply (POST /messages)
    │   └── BatchReceiving      (optional) deliver_batch(...) -> Reply   (POST /messages?batch=true)
    ├── Sending                 flush_outbox(sink)                           (the outbox, delivered now)
    ├── DirectoryUnderTest      contactpoint: users, search, view, shielding, maintenance, audit
    │   └── MatchQueueUnderTest (optional) the data manager's queue of held messages
    ├── EcafUnderTest           ecaf: episodes, consent, TAC, referrals, transfers, report, access log, maintenance
    ├── IcsUnderTest            ics: cases, referrals, F4 answers, drafts, step-down, transfers, local eCAF
    └── FeedSourceUnderTest     feed-source: an involvement starts, ends
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

from ics_interop.messages import StepDownRequest, StepUpDecision, SystemRef
from ics_interop.model import (
    CafAssessment,
    CafEpisode,
    CaseRecord,
    Child,
    ConsentRecord,
    IcsClosure,
    IcsReferral,
    Practitioner,
)
from ics_interop.model.codes import CafClosureReason

__all__ = [
    "AccessDenied",
    "AccessEntry",
    "AlertEntry",
    "AuditView",
    "BatchReceiving",
    "CafReferralView",
    "Client",
    "DirectoryInvolvementView",
    "DirectoryUnderTest",
    "DirectoryView",
    "EcafUnderTest",
    "FeedSourceUnderTest",
    "HeldMessage",
    "IcsUnderTest",
    "MaintenanceView",
    "MatchQueueUnderTest",
    "MessageSink",
    "NotFound",
    "Receiving",
    "Refused",
    "Reply",
    "SearchCriteria",
    "Sending",
    "SystemRefusal",
    "SystemUnderTest",
]


# --- refusals ---------------------------------------------------------------------------------------


class SystemRefusal(Exception):
    """Base of what a system under test raises when it will not do what it was asked; names the rule."""

    def __init__(self, rule_id: str, message: str = "") -> None:
        super().__init__(f"{rule_id}: {message}" if message else rule_id)
        self.rule_id = rule_id
        self.message = message


class AccessDenied(SystemRefusal):
    """Raised when the caller may not see or do this: no consent, not registered, the wrong role, no reason."""


class Refused(SystemRefusal):
    """Raised when a change is refused because it breaks a rule (of the standard, or the system's own)."""


class NotFound(SystemRefusal):
    """Raised when the record, episode or case asked for does not exist (or is no longer shown)."""


# --- messages in and out ------------------------------------------------------------------------------


@attrs.frozen
class Client:
    """The connected system a delivery comes through, as the system under test authenticates it.

    `scopes` are the message scopes its credential carries (`messages:<MessageType>`); None means
    every message type.
    """

    system: SystemRef
    scopes: frozenset[str] | None = None


@attrs.frozen
class Reply:
    """What a system answered a delivery with: the acknowledgement, and the HTTP status where there is one."""

    body: bytes
    content_type: str
    status: int | None = None


#: Where a system delivers what it sends: takes the message's bytes and content type, returns the
#: acknowledgement's bytes and content type. It raises `ConnectionError` when the receiver is down.
MessageSink = Callable[[bytes, str], tuple[bytes, str]]


@runtime_checkable
class SystemUnderTest(Protocol):
    """What every adapter offers."""

    def describe(self) -> Mapping[str, str]:
        """Who made the system, its name and version; secrets here are redacted from the evidence."""
        ...

    def identity(self) -> SystemRef:
        """The system as messages address it."""
        ...


@runtime_checkable
class Receiving(SystemUnderTest, Protocol):
    """A system that receives messages of the standard."""

    def deliver(self, body: bytes, content_type: str, client: Client) -> Reply:
        """Hand the system one message from `client` (as POST /messages with its token would); its acknowledgement."""
        ...


@runtime_checkable
class BatchReceiving(Protocol):
    """An optional hook of every receiving profile: the binding's batch form (MSG-R15).

    A system whose POST /messages takes `?batch=true` offers it through the adapter too. An
    adapter without it has its batch form tested over HTTP only.
    """

    def deliver_batch(self, body: bytes, content_type: str, client: Client) -> Reply:
        """Hand the system a batch from `client` (an XML MessageBatch, a JSON array or JSON Lines), as
        POST /messages?batch=true would: its reply holds one acknowledgement per message, in order."""
        ...


@runtime_checkable
class Sending(SystemUnderTest, Protocol):
    """A system that sends messages of the standard."""

    def flush_outbox(self, sink: MessageSink) -> None:
        """Deliver now, to `sink`, every message waiting to be sent (a failed delivery stays to be retried)."""
        ...


# --- ContactPoint ---------------------------------------------------------------------------------------


@attrs.frozen
class SearchCriteria:
    """What a practitioner searches the directory by (any of them)."""

    family_name: str | None = None
    given_names: str | None = None
    date_of_birth: dt.date | None = None
    postcode: str | None = None
    identifier: str | None = None


@attrs.frozen
class DirectoryInvolvementView:
    """An involvement as the directory shows it."""

    involvement_id: str
    service_name: str
    contact_id: str | None  # the practitioner's or the team's ID
    end_date: dt.date | None = None
    sensitive: str | None = None


@attrs.frozen
class DirectoryView:
    """A child's record as one user of the directory sees it. `raw` is what was shown, for the evidence."""

    contactpoint_id: str
    given_names: str
    family_name: str
    former_family_names: tuple[str, ...]
    date_of_birth: dt.date | None
    gender: str
    location_hidden: bool
    postcode: str | None
    parent_carer_names: tuple[str, ...]
    involvements: tuple[DirectoryInvolvementView, ...]
    caf_indicator: bool
    caf_completed_by: str | None
    lead_professional_id: str | None
    raw: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class AuditView:
    """One entry of the directory's audit log."""

    user_id: str
    action: str
    outcome: str
    records: tuple[str, ...]
    reason: str
    client_id: str = ""  # the authenticated client the access came through


@attrs.frozen
class AlertEntry:
    """An audit alert (shielding overridden)."""

    user_id: str
    contactpoint_id: str
    reason: str


@runtime_checkable
class DirectoryUnderTest(Receiving, Sending, Protocol):
    """The contactpoint profile. Roles: 'practitioner', 'child-protection', 'data-manager'."""

    def data_manager(self) -> str:
        """The user ID of a data manager the suite may act as (set up by the operator)."""
        ...

    def register_user(self, user_id: str, role: str, organisation_id: str, *, by: str) -> None:
        """Register an authorised user of the directory (`by` is a data manager)."""
        ...

    def search(
        self, criteria: SearchCriteria, *, user_id: str, reason: str | None, override_reason: str | None = None
    ) -> list[DirectoryView]:
        """Search for children; raise `AccessDenied` when the search is not allowed."""
        ...

    def view(
        self, contactpoint_id: str, *, user_id: str, reason: str | None, override_reason: str | None = None
    ) -> DirectoryView:
        """One child's record; raise `NotFound` for no live record, `AccessDenied` when not allowed."""
        ...

    def set_shielding(self, contactpoint_id: str, shielded: bool, *, by: str, reason: str) -> None:
        """Shield a child's location, or lift it (a data manager)."""
        ...

    def run_maintenance(self, *, by: str, as_of: dt.date | None = None) -> MaintenanceView | None:
        """Apply retention: expire involvements, archive at 18 or a year after death, purge after retention.

        `as_of` runs it as of that day instead of the system's own clock: an accreditation hook, so the
        suite can see a record purged years after archiving (over HTTP, the service must have been started
        with its test clock). A system that cannot raises `Refused` (or runs as of its own clock), and the
        check that needs it is skipped, saying why. Returns what the run did (`MaintenanceView`: the day
        it ran as of, the records archived and purged), or None where the system cannot say.
        """
        ...

    def audit_entries(self, *, by: str, contactpoint_id: str | None = None) -> list[AuditView]:
        """The audit log (of one record, when given), as a data manager reads it."""
        ...

    def audit_alerts(self, *, by: str) -> list[AlertEntry]:
        """The audit alerts, as a data manager reads them."""
        ...


@attrs.frozen
class MaintenanceView:
    """What a maintenance run did: the day it ran as of, the records it archived and those it purged.

    A National eCAF's nightly run archives and purges nothing; `long_open` is what it lists for
    managers, the episodes open more than a year as of that day (None where it lists nothing).
    """

    ran_on: dt.date
    archived: tuple[str, ...] = ()
    purged: tuple[str, ...] = ()
    long_open: tuple[str, ...] | None = None


@attrs.frozen
class HeldMessage:
    """A message the directory holds for a data manager: its child could not be matched with confidence."""

    message_id: str
    reason: str
    candidates: tuple[str, ...]  # the ContactPoint IDs of the records it might be about


@runtime_checkable
class MatchQueueUnderTest(Protocol):
    """An optional hook of the contactpoint profile: the data manager's queue of held messages (CP-R21)."""

    def held_messages(self, *, by: str) -> list[HeldMessage]:
        """The messages held for a data manager and not yet resolved, as `by` (a data manager) reads them."""
        ...


# --- National eCAF --------------------------------------------------------------------------------------


@attrs.frozen
class AccessEntry:
    """One entry of National eCAF's access audit."""

    practitioner_id: str | None
    action: str
    client_id: str = ""  # the authenticated client the access came through


@runtime_checkable
class EcafUnderTest(Receiving, Sending, Protocol):
    """The ecaf profile: National eCAF, or a local eCAF acting as one."""

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
        """Log a CAF episode with its assessment and consent."""
        ...

    def read_episode(self, episode_id: str, *, reader: Practitioner, reason: str) -> CafEpisode:
        """The episode, as `reader` may see it; raise `AccessDenied` without consent."""
        ...

    def record_consent(self, episode_id: str, consent: ConsentRecord, *, by: Practitioner) -> None:
        """Add a consent decision to the episode's ledger."""
        ...

    def add_tac_member(self, episode_id: str, practitioner: Practitioner, *, by: Practitioner) -> None:
        """Add a practitioner to the Team Around the Child."""
        ...

    def appoint_lead_professional(self, episode_id: str, practitioner_id: str, *, by: Practitioner) -> None:
        """Appoint a lead professional; raise `Refused` when the rules forbid it."""
        ...

    def close_episode(self, episode_id: str, reason: CafClosureReason, *, by: Practitioner) -> None:
        """Close the episode, on a practitioner's decision."""
        ...

    def refer_to_social_care(self, episode_id: str, *, by: Practitioner, reason: str, to: SystemRef) -> str:
        """F4: refer the child to the ICS `to` with the episode; the referral's ID."""
        ...

    def offer_to_initial_assessment(self, episode_id: str, *, by: Practitioner, to: SystemRef) -> None:
        """F5: send the assessment to the ICS `to` as a draft initial assessment."""
        ...

    def transfer_out(self, episode_id: str, *, to: SystemRef, from_la: str, to_la: str, reason: str) -> None:
        """F7: send the episode whole to the eCAF `to`."""
        ...

    def open_episodes_report(self, older_than_days: int, *, by: Practitioner | None = None) -> list[str]:
        """The IDs of the episodes open more than `older_than_days` days, as `by` (or the set-up manager) sees them."""
        ...

    def access_log(self, episode_id: str, *, by: Practitioner | None = None) -> list[AccessEntry]:
        """The access audit of one episode, as `by` (or the manager set up) reads it; `AccessDenied` if not allowed."""
        ...

    def run_maintenance(
        self, *, by: Practitioner | None = None, as_of: dt.date | None = None
    ) -> MaintenanceView | None:
        """Run the system's nightly work (its scheduled jobs), as `by` (or the manager set up) would start it.

        The same hook as a directory's `run_maintenance`: `as_of` runs it as of that day instead of the
        system's own clock (over HTTP, `POST /maintenance?asOf=DAY` on a service started with its test
        clock), so the suite can see that an episode open for years is still open after the nightly run
        of years on (ECAF-R13). A system with no nightly work runs nothing and returns
        `MaintenanceView(ran_on=as_of)`; one that cannot run as of another day raises `Refused` (or runs
        as of its own clock) and the check is skipped, saying why. Returns the day it ran as of and the
        episodes it lists as open more than a year (`long_open`, judged against ECAF-R14 when given), or
        None where the system cannot say.
        """
        ...


# --- ICS ------------------------------------------------------------------------------------------------


@attrs.frozen
class CafReferralView:
    """A referral from a CAF (F4) as the ICS system holds it."""

    ics_referral_id: str
    case_id: str
    ecaf_referral_id: str
    episode_id: str


@runtime_checkable
class IcsUnderTest(Receiving, Sending, Protocol):
    """The ics profile: a local authority's case-management system (with its local eCAF module, if any)."""

    def open_case(self, child: Child) -> str:
        """Open a case for a child; its ID."""
        ...

    def case_ids(self) -> list[str]:
        """Every case's ID."""
        ...

    def case_record(self, case_id: str) -> CaseRecord:
        """The case record as it stands (confirmed records, with the chronology)."""
        ...

    def record_referral(self, case_id: str, referral: IcsReferral) -> None:
        """Record a referral on a case."""
        ...

    def close_case(self, case_id: str, closure: IcsClosure) -> None:
        """Close the case."""
        ...

    def caf_referrals(self) -> list[CafReferralView]:
        """The referrals received from a CAF (F4)."""
        ...

    def answer_caf_referral(
        self, ics_referral_id: str, *, decision: StepUpDecision, joining: Practitioner | None, representative: bool
    ) -> None:
        """F4: answer a referral from a CAF; raise `Refused` when the rules forbid the answer."""
        ...

    def drafts(self, case_id: str) -> list[str]:
        """The IDs of the case's draft initial assessments started from a CAF (F5), awaiting confirmation."""
        ...

    def confirm_draft(self, case_id: str, assessment_id: str, *, by: Practitioner) -> None:
        """Confirm a draft initial assessment."""
        ...

    def step_down(
        self,
        case_id: str,
        *,
        episode_id: str,
        social_worker: Practitioner,
        outstanding_needs: Sequence[str],
        request: StepDownRequest,
    ) -> None:
        """F6: hand the outstanding needs of the case back to the CAF episode; `Refused` when not allowed."""
        ...

    def transfer_case(self, case_id: str, *, to: SystemRef, to_la: str, reason: str) -> None:
        """F9: send the case record to another authority's ICS."""
        ...

    def hold_local_episode(self, episode: CafEpisode) -> None:
        """Hold an episode in the local eCAF module (raise `NotFound` if the system has no such module)."""
        ...

    def transfer_local_episode(self, episode_id: str, *, to: SystemRef, to_la: str, reason: str) -> None:
        """F7: transfer one local episode; raise `Refused` when it cannot go (again)."""
        ...

    def export_migration_batch(self, batch_id: str, episode_ids: Sequence[str]) -> None:
        """F8: export the named local episodes to National eCAF as a migration batch."""
        ...


# --- any local system feeding ContactPoint ----------------------------------------------------------------


@runtime_checkable
class FeedSourceUnderTest(Sending, Protocol):
    """The feed-source profile: a school's MIS, a health system, a youth service... or an ICS feeding ContactPoint."""

    def start_involvement(self, child: Child, *, worker: Practitioner, case_details: str, started_on: dt.date) -> None:
        """Record that one of the system's services started working with `child`.

        `case_details` is what the practitioner writes about why (a case note): it is the
        system's own business and must never reach ContactPoint.
        """
        ...

    def end_involvement(self, child: Child, *, ended_on: dt.date) -> None:
        """Record that the service stopped working with `child`."""
        ...
