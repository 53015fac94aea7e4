"""Deliberately broken systems: the suite's proof that it has teeth.

Each is a reference system with one thing broken the way a real vendor might break it, and
names the requirement IDs that breaking it breaks (and the dimension of the method it is caught
through: a time edge, a path, a role, a wire form, a field, a sequence). The suite's own tests run every profile's
suite against each, and it must fail exactly those requirements and nothing else. A vendor
can read them as a list of what the suite catches.

The first ones here break things from outside the reference systems, as a vendor's middleware
or a careless adapter would: rewriting what goes out, what comes in, or what is shown. Those in
`broken_directory`, `broken_services` are broken inside the system (`served`), so the same fault
is met through the adapter and over HTTP. They are examples: never deploy one.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
from lxml import etree

from ics_interop import Message, from_json, from_xml, to_json, to_xml
from ics_interop.messages import (
    CafIndicatorUpdate,
    CaseRecordTransfer,
    ChildIdentityUpdate,
    InitialAssessmentPrepopulation,
    InvolvementEnded,
    InvolvementStarted,
    SocialCareReferralResponse,
    StepUpDecision,
    SystemRef,
)
from ics_interop.model import CafEpisode, Child, ConsentRecord, IcsReferral, Practitioner
from ics_interop.model.codes import CafClosureReason, ConsentDecision, ConsentGiver, SystemKind

from . import broken_directory as bd
from . import broken_messaging as bm
from . import broken_services as bs
from ._adapters import Authenticator, Principal, TokenVerifier, acknowledgement_for
from .protocol import (
    AccessDenied,
    AccessEntry,
    Client,
    DirectoryInvolvementView,
    DirectoryView,
    MessageSink,
    Refused,
    Reply,
    SearchCriteria,
)
from .reference_adapters import REFERENCE_ICS, ReferenceDirectory, ReferenceEcaf, ReferenceFeedSource, ReferenceIcs

__all__ = ["BROKEN", "BrokenSystem"]


@attrs.frozen
class BrokenSystem:
    """A broken implementation: its profile, what it breaks, and how to build it.

    An adapter-level breakage (`build`) is a reference adapter a vendor got wrong, run as a
    Python adapter. A service-level breakage (`gate`) is a reference service whose HTTP gate a
    vendor got wrong: it takes the service's real authenticator and returns the broken one, and
    is run over HTTP.
    """

    name: str
    profile: str
    breaks: tuple[str, ...]
    what: str
    build: Callable[[], Any] | None = None
    gate: Callable[[Authenticator], Authenticator] | None = None
    #: The SHOULD requirements it breaks (a warning, not a failure).
    warns: tuple[str, ...] = ()
    #: Whether the fault is inside the system itself, so it can be served over HTTP as it is run as an adapter.
    served: bool = False
    #: The dimensions of the method (docs/guides/method.md) the breakage is found through.
    dimensions: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """The kind of target the breakage is run as: 'adapter' or 'http'."""
        return "http" if self.gate is not None else "adapter"


# --- plumbing: rewriting what goes in and out ----------------------------------------------------------


def _decode(body: bytes) -> Message | None:
    try:
        return from_xml(body) if body.lstrip().startswith(b"<") else from_json(body)
    except Exception:
        return None


def _encode_like(message: Message, body: bytes) -> bytes:
    return to_xml(message) if body.lstrip().startswith(b"<") else to_json(message)


def _rewriting(sink: MessageSink, rewrite: Callable[[Message], Message | None]) -> MessageSink:
    """A sink that rewrites each message on its way out; None drops it (and fakes the receiver's acceptance)."""

    def send(body: bytes, content_type: str) -> tuple[bytes, str]:
        message = _decode(body)
        if message is None:
            return sink(body, content_type)
        changed = rewrite(message)
        if changed is None:
            header = message.header
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            ack = acknowledgement_for(header.message_id, header.recipient, header.sender, [], now)
            return (to_json(ack), "application/json") if "json" in content_type else (to_xml(ack), "application/xml")
        return sink(_encode_like(changed, body), content_type)

    return send


def _key(child: Child) -> tuple[str, dt.date | None]:
    return child.name.family_name, child.date_of_birth


def _view_key(view: DirectoryView) -> tuple[str, dt.date | None]:
    return view.family_name, view.date_of_birth


# --- ContactPoint ----------------------------------------------------------------------------------------


class _ShadowingDirectory(ReferenceDirectory):
    """A directory whose vendor keeps a side index of the feed (the root of several of the bugs below)."""

    def __init__(self) -> None:
        super().__init__()
        self.shadow: list[Message] = []

    def deliver(self, body: bytes, content_type: str, client: Client) -> Reply:
        reply = super().deliver(body, content_type, client)
        message = _decode(body)
        ack = _decode(reply.body)
        status = getattr(ack, "status", None)
        if message is not None and status is not None and status.value == "accepted":
            self.shadow.append(message)
        return reply


class ShieldingIgnoredOnSearch(_ShadowingDirectory):
    """Searches by postcode run on a side index of the feed, which knows nothing of shielding."""

    def search(
        self, criteria: SearchCriteria, *, user_id: str, reason: str | None, override_reason: str | None = None
    ) -> list[DirectoryView]:
        found = super().search(criteria, user_id=user_id, reason=reason, override_reason=override_reason)
        if criteria.postcode is None:
            return found
        shown = {r.contactpoint_id for r in found}
        for message in self.shadow:
            child: Child | None = getattr(message, "child", None)
            address = child.address if child is not None else None
            if child is None or address is None or address.postcode != criteria.postcode:
                continue
            if criteria.family_name and child.name.family_name != criteria.family_name:
                continue
            nhs = child.identifiers.nhs_number
            for record in super().search(SearchCriteria(identifier=nhs), user_id=user_id, reason=reason):
                if record.contactpoint_id not in shown:
                    shown.add(record.contactpoint_id)
                    found.append(record)
        return found


class EndedInvolvementsKeptVisible(_ShadowingDirectory):
    """Shows every involvement it was ever sent, however long ago it ended."""

    def _with_ended(self, view: DirectoryView) -> DirectoryView:
        shown = {i.involvement_id for i in view.involvements}
        starts = {
            m.involvement.involvement_id: m.involvement
            for m in self.shadow
            if isinstance(m, InvolvementStarted) and _key(m.child) == _view_key(view)
        }
        extra = [
            DirectoryInvolvementView(m.involvement_id, starts[m.involvement_id].service.name, None, m.end_date)
            for m in self.shadow
            if isinstance(m, InvolvementEnded)
            and _key(m.child) == _view_key(view)
            and m.involvement_id in starts
            and m.involvement_id not in shown
        ]
        return attrs.evolve(view, involvements=(*view.involvements, *extra)) if extra else view

    def search(
        self, criteria: SearchCriteria, *, user_id: str, reason: str | None, override_reason: str | None = None
    ) -> list[DirectoryView]:
        found = super().search(criteria, user_id=user_id, reason=reason, override_reason=override_reason)
        return [self._with_ended(v) for v in found]

    def view(
        self, contactpoint_id: str, *, user_id: str, reason: str | None, override_reason: str | None = None
    ) -> DirectoryView:
        return self._with_ended(
            super().view(contactpoint_id, user_id=user_id, reason=reason, override_reason=override_reason)
        )


class SensitiveServicesShownToAll(_ShadowingDirectory):
    """Shows sensitive services' involvements to every user, not only the service's own organisation."""

    def _with_sensitive(self, view: DirectoryView) -> DirectoryView:
        shown = {i.involvement_id for i in view.involvements}
        extra = [
            DirectoryInvolvementView(
                m.involvement.involvement_id,
                m.involvement.service.name,
                m.involvement.practitioner.practitioner_id if m.involvement.practitioner else None,
                None,
                m.involvement.service.sensitive.value if m.involvement.service.sensitive else None,
            )
            for m in self.shadow
            if isinstance(m, InvolvementStarted)
            and m.involvement.service.sensitive is not None
            and _key(m.child) == _view_key(view)
            and m.involvement.involvement_id not in shown
        ]
        return attrs.evolve(view, involvements=(*view.involvements, *extra)) if extra else view

    def search(
        self, criteria: SearchCriteria, *, user_id: str, reason: str | None, override_reason: str | None = None
    ) -> list[DirectoryView]:
        return [
            self._with_sensitive(v)
            for v in super().search(criteria, user_id=user_id, reason=reason, override_reason=override_reason)
        ]


class RedeliveryDuplicates(ReferenceDirectory):
    """Takes a redelivered message for a new one: a retry adds the involvement again under a new key."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[bytes] = set()

    def deliver(self, body: bytes, content_type: str, client: Client) -> Reply:
        message = _decode(body)
        if body in self.seen and isinstance(message, InvolvementStarted):
            involvement = message.involvement.model_copy(
                update={"involvement_id": f"{message.involvement.involvement_id[:50]}-{len(self.seen)}"}
            )
            header = message.header.model_copy(update={"message_id": str(uuid.uuid4())})
            body = _encode_like(message.model_copy(update={"header": header, "involvement": involvement}), body)
        self.seen.add(body)
        return super().deliver(body, content_type, client)


class ResolvesXmlEntities(ReferenceDirectory):
    """Parses XML with a permissive parser that expands the document's entities before validating it."""

    def deliver(self, body: bytes, content_type: str, client: Client) -> Reply:
        if b"<!DOCTYPE" in body[:2048]:
            parser = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=True)
            root = etree.fromstring(body, parser)
            body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        return super().deliver(body, content_type, client)


class OverrideRaisesNoAlert(ReferenceDirectory):
    """Lets child protection override shielding, but its alerts never reach the data managers."""

    def audit_alerts(self, *, by: str) -> list[Any]:
        super().audit_alerts(by=by)  # who may read them is still checked; there is just never one to read
        return []


# --- National eCAF ---------------------------------------------------------------------------------------


class _RememberingEcaf(ReferenceEcaf):
    """National eCAF whose adapter remembers who logged each episode."""

    def __init__(self) -> None:
        super().__init__()
        self.loggers: dict[str, Practitioner] = {}
        self.opened: dict[str, dt.date] = {}

    def log_episode(self, **kwargs: Any) -> CafEpisode:
        episode = super().log_episode(**kwargs)
        self.loggers[episode.episode_id] = kwargs["by"]
        self.opened[episode.episode_id] = episode.opened_on
        return episode


class CafShownWithoutConsent(_RememberingEcaf):
    """When a reader has no consent, reads the episode on the logging practitioner's behalf instead."""

    def read_episode(self, episode_id: str, *, reader: Practitioner, reason: str) -> CafEpisode:
        try:
            return super().read_episode(episode_id, reader=reader, reason=reason)
        except AccessDenied:
            owner = self.loggers.get(episode_id)
            if owner is None:
                raise
            return super().read_episode(episode_id, reader=owner, reason=reason)


class EpisodesClosedAutomatically(_RememberingEcaf):
    """Housekeeping: the open-episodes report closes what has been open about three years."""

    def open_episodes_report(self, older_than_days: int, *, by: Practitioner | None = None) -> list[str]:
        listed = super().open_episodes_report(older_than_days, by=by)
        today = dt.datetime.now(dt.UTC).date()
        for episode_id in listed:
            opened = self.opened.get(episode_id)
            if opened is not None and (today - opened).days > 1000 and episode_id in self.loggers:
                super().close_episode(episode_id, CafClosureReason.OTHER, by=self.loggers[episode_id])
        return listed


class LeadProfessionalOutsideTac(ReferenceEcaf):
    """Accepts any practitioner as lead professional (the rule's refusal is swallowed)."""

    def appoint_lead_professional(self, episode_id: str, practitioner_id: str, *, by: Practitioner) -> None:
        try:
            super().appoint_lead_professional(episode_id, practitioner_id, by=by)
        except Refused as refusal:
            if refusal.rule_id != "CAF-001":
                raise


class ResponsibilityNotRecorded(ReferenceEcaf):
    """Reads social care's decision from free text: a decision to take responsibility is kept as 'pending'."""

    def deliver(self, body: bytes, content_type: str, client: Client) -> Reply:
        message = _decode(body)
        if (
            isinstance(message, SocialCareReferralResponse)
            and message.decision is StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE
        ):
            body = _encode_like(message.model_copy(update={"decision": StepUpDecision.PENDING}), body)
        return super().deliver(body, content_type, client)


class LeadProfessionalNotSent(ReferenceEcaf):
    """Tells ContactPoint a CAF exists, but never who the lead professional is."""

    def flush_outbox(self, sink: MessageSink) -> None:
        def strip(message: Message) -> Message:
            if isinstance(message, CafIndicatorUpdate) and message.lead_professional is not None:
                return message.model_copy(update={"lead_professional": None})
            return message

        super().flush_outbox(_rewriting(sink, strip))


# --- ICS -------------------------------------------------------------------------------------------------


class CaseNotesInFeed(ReferenceIcs):
    """Puts the referral's reason into the service name ContactPoint shows ("so colleagues know why")."""

    def __init__(self) -> None:
        super().__init__()
        self.reasons: dict[str | None, str] = {}

    def record_referral(self, case_id: str, referral: IcsReferral) -> None:
        nhs = self.case_record(case_id).child.identifiers.nhs_number
        self.reasons[nhs] = referral.reason
        super().record_referral(case_id, referral)

    def flush_outbox(self, sink: MessageSink) -> None:
        def leak(message: Message) -> Message:
            if isinstance(message, InvolvementStarted):
                reason = self.reasons.get(message.child.identifiers.nhs_number)
                if reason:
                    service = message.involvement.service.model_copy(update={"name": f"Social care: {reason}"[:200]})
                    involvement = message.involvement.model_copy(update={"service": service})
                    return message.model_copy(update={"involvement": involvement})
            return message

        super().flush_outbox(_rewriting(sink, leak))


class ReferralNotOnContactPoint(ReferenceIcs):
    """Never uploads social care's involvement: the directory feed is switched off (but reports success)."""

    def flush_outbox(self, sink: MessageSink) -> None:
        super().flush_outbox(_rewriting(sink, lambda m: None if isinstance(m, InvolvementStarted) else m))


class DraftConfirmedAutomatically(ReferenceIcs):
    """Files CAF content straight into the case record: every draft is confirmed as it arrives."""

    def deliver(self, body: bytes, content_type: str, client: Client) -> Reply:
        reply = super().deliver(body, content_type, client)
        if isinstance(_decode(body), InitialAssessmentPrepopulation):
            system = self.system
            robot = Practitioner.model_validate(
                {
                    "practitionerId": "SYSTEM",
                    "name": {"givenNames": "Automatic", "familyName": "Filing"},
                    "role": "System",
                    "organisation": {
                        "organisationId": self.identity().organisation_id,
                        "name": "ICS",
                        "agencyType": "social-care",
                    },
                    "contact": {"telephone": "020 7946 0000"},
                }
            )
            for case in system.cases():
                for draft in system.drafts(case.case_id):
                    if not draft.confirmed:
                        system.confirm_draft(case.case_id, draft.assessment.assessment_id, confirmed_by=robot)
        return reply


class MigratesWithoutConsent(ReferenceIcs):
    """Assumes consent for the migration: records it on the child's behalf for any episode without it."""

    def export_migration_batch(self, batch_id: str, episode_ids: Sequence[str]) -> None:
        module = self.system.local_ecaf
        for episode_id in episode_ids:
            held = module.episode(episode_id).episode
            if not any(c.store_and_share and c.decision is ConsentDecision.GIVEN for c in held.consents):
                assumed = ConsentRecord(
                    consent_id=f"ASSUMED-{episode_id}"[:64],
                    decision=ConsentDecision.GIVEN,
                    given_by=ConsentGiver.CHILD,
                    organisation_id=self.identity().organisation_id,
                    recorded_on=dt.datetime.now(dt.UTC).date(),
                    store_and_share=True,
                )
                module.record_consent(episode_id, assumed)
        super().export_migration_batch(batch_id, episode_ids)


class TransferIncludesDrafts(ReferenceIcs):
    """Sends the whole case file on transfer, unconfirmed drafts included."""

    def flush_outbox(self, sink: MessageSink) -> None:
        def with_drafts(message: Message) -> Message:
            if isinstance(message, CaseRecordTransfer):
                record = message.case_record
                drafts = [d.assessment for d in self.system.drafts(record.case_id) if not d.confirmed]
                if drafts:
                    whole = record.model_copy(update={"initial_assessments": [*record.initial_assessments, *drafts]})
                    return message.model_copy(update={"case_record": whole})
            return message

        super().flush_outbox(_rewriting(sink, with_drafts))


# --- feed sources ----------------------------------------------------------------------------------------


class UnstableInvolvementId(ReferenceFeedSource):
    """Keys the end of an involvement differently from its start."""

    def flush_outbox(self, sink: MessageSink) -> None:
        def rekey(message: Message) -> Message:
            if isinstance(message, InvolvementEnded):
                return message.model_copy(update={"involvement_id": f"{message.involvement_id[:56]}-END"})
            return message

        super().flush_outbox(_rewriting(sink, rekey))


class RetriesUnderNewId(ReferenceFeedSource):
    """Gives every delivery attempt a new message ID, so a retry looks like a new message."""

    def flush_outbox(self, sink: MessageSink) -> None:
        def renumber(message: Message) -> Message:
            return message.model_copy(
                update={"header": message.header.model_copy(update={"message_id": str(uuid.uuid4())})}
            )

        super().flush_outbox(_rewriting(sink, renumber))


class FeedEndDatedWhenSent(ReferenceFeedSource):
    """Dates the end of an involvement the day the message goes out, not the day the service stopped."""

    def flush_outbox(self, sink: MessageSink) -> None:
        def redate(message: Message) -> Message:
            if isinstance(message, InvolvementEnded):
                return message.model_copy(update={"end_date": message.header.created_at.date()})
            return message

        super().flush_outbox(_rewriting(sink, redate))


class FeedLeavesOutUpn(ReferenceFeedSource):
    """Sends the NHS number only: the UPN the school holds stays behind."""

    def flush_outbox(self, sink: MessageSink) -> None:
        def strip(message: Message) -> Message:
            child: Child | None = getattr(message, "child", None)
            if child is None or child.identifiers.upn is None or child.identifiers.nhs_number is None:
                return message
            identifiers = child.identifiers.model_copy(update={"upn": None})
            return message.model_copy(update={"child": child.model_copy(update={"identifiers": identifiers})})

        super().flush_outbox(_rewriting(sink, strip))


class FeedDateOfBirthShifted(ReferenceFeedSource):
    """Sends the child's date of birth a day early (a date read as local midnight and written as UTC)."""

    def flush_outbox(self, sink: MessageSink) -> None:
        def shift(message: Message) -> Message:
            child: Child | None = getattr(message, "child", None)
            if child is None or child.date_of_birth is None:
                return message
            born = child.date_of_birth - dt.timedelta(days=1)
            return message.model_copy(update={"child": child.model_copy(update={"date_of_birth": born})})

        super().flush_outbox(_rewriting(sink, shift))


class FeedNoteInRole(ReferenceFeedSource):
    """Puts the practitioner's note about why the service is involved in the 'role' ContactPoint shows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notes: dict[str, str] = {}

    def start_involvement(self, child: Child, *, worker: Practitioner, case_details: str, started_on: dt.date) -> None:
        self.notes[self._key(child)] = case_details
        super().start_involvement(child, worker=worker, case_details=case_details, started_on=started_on)

    def flush_outbox(self, sink: MessageSink) -> None:
        def leak(message: Message) -> Message:
            if not isinstance(message, InvolvementStarted) or message.involvement.practitioner is None:
                return message
            note = self.notes.get(self._key(message.child))
            if not note:
                return message
            worker = message.involvement.practitioner.model_copy(update={"role": note[:100]})
            involvement = message.involvement.model_copy(update={"practitioner": worker})
            return message.model_copy(update={"involvement": involvement})

        super().flush_outbox(_rewriting(sink, leak))


class IcsBackwardsInvolvement(ReferenceIcs):
    """Sends social care's involvement with an end date the day before it started (an off-by-one in the feed)."""

    def flush_outbox(self, sink: MessageSink) -> None:
        def backwards(message: Message) -> Message:
            if isinstance(message, InvolvementStarted):
                start = message.involvement.start_date
                involvement = message.involvement.model_copy(update={"end_date": start - dt.timedelta(days=1)})
                return message.model_copy(update={"involvement": involvement})
            return message

        super().flush_outbox(_rewriting(sink, backwards))


class IcsReusesMessageIds(ReferenceIcs):
    """Sends the end of an involvement under the message ID of its start."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.starts: dict[str, str] = {}

    def flush_outbox(self, sink: MessageSink) -> None:
        def reuse(message: Message) -> Message:
            if isinstance(message, InvolvementStarted):
                self.starts[message.involvement.involvement_id] = message.header.message_id
            if isinstance(message, InvolvementEnded) and message.involvement_id in self.starts:
                header = message.header.model_copy(update={"message_id": self.starts[message.involvement_id]})
                return message.model_copy(update={"header": header})
            return message

        super().flush_outbox(_rewriting(sink, reuse))


class CaseNotesInRecord(ReferenceDirectory):
    """Shows the feeder's notes field on the record (kept 'for the data manager'): the screen has a notes box."""

    def view(
        self, contactpoint_id: str, *, user_id: str, reason: str | None, override_reason: str | None = None
    ) -> DirectoryView:
        shown = super().view(contactpoint_id, user_id=user_id, reason=reason, override_reason=override_reason)
        return attrs.evolve(shown, raw={**shown.raw, "caseNotes": "see the feeder's record"})


class EchoesToFeeders(ReferenceDirectory):
    """Sends each feeder the child's record as the directory now holds it, 'to keep them in step'."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending: list[Message] = []

    def deliver(self, body: bytes, content_type: str, client: Client) -> Reply:
        reply = super().deliver(body, content_type, client)
        message = _decode(body)
        if isinstance(message, ChildIdentityUpdate):
            header = message.header.model_copy(
                update={
                    "message_id": str(uuid.uuid4()),
                    "sender": self.identity(),
                    "recipient": message.header.sender,
                }
            )
            self.pending.append(message.model_copy(update={"header": header}))
        return reply

    def flush_outbox(self, sink: MessageSink) -> None:
        while self.pending:
            message = self.pending.pop(0)
            sink(to_xml(message), "application/xml")


def forgets_the_client(real: Authenticator) -> Authenticator:
    """Authenticates a user, but drops the client the user's token came through (the audit cannot name it)."""

    def authenticate(headers: Mapping[str, str]) -> Any:
        principal = real(headers)
        if isinstance(principal, Principal) and principal.system is None:
            return attrs.evolve(principal, client_id="")
        return principal

    return authenticate


#: Every broken implementation, by name.
# --- the binding's security ------------------------------------------------------------------------------


class TrustsTheEnvelope(ReferenceDirectory):
    """Takes who sent a message from its envelope, not from the client it came through."""

    def deliver(self, body: bytes, content_type: str, client: Client) -> Reply:
        message = _decode(body)
        if message is not None:
            client = Client(message.header.sender, client.scopes)
        return super().deliver(body, content_type, client)


class IgnoresScopes(ReferenceEcaf):
    """Checks who sent a message, but not which message types the client's token allows."""

    def deliver(self, body: bytes, content_type: str, client: Client) -> Reply:
        return super().deliver(body, content_type, Client(client.system))


class AuditForEveryone(ReferenceEcaf):
    """Shows the access audit to whoever asks: the role check was left to the screens."""

    def access_log(self, episode_id: str, *, by: Practitioner | None = None) -> list[AccessEntry]:
        return super().access_log(episode_id)


class EndsAnyInvolvement(ReferenceDirectory):
    """Lets any feeding system end an involvement: an end is applied as if its starter had sent it."""

    def __init__(self) -> None:
        super().__init__()
        self.starters: dict[str, SystemRef] = {}

    def deliver(self, body: bytes, content_type: str, client: Client) -> Reply:
        message = _decode(body)
        if isinstance(message, InvolvementStarted):
            self.starters.setdefault(message.involvement.involvement_id, message.header.sender)
        if isinstance(message, InvolvementEnded):
            starter = self.starters.get(message.involvement_id)
            if starter is not None and starter != message.header.sender:
                header = message.header.model_copy(update={"sender": starter, "message_id": str(uuid.uuid4())})
                body = _encode_like(message.model_copy(update={"header": header}), body)
                client = Client(starter, client.scopes)
        return super().deliver(body, content_type, client)


def _claims(headers: Mapping[str, str]) -> dict[str, Any] | None:
    """A bearer token's claims, read without checking anything (what the broken gates below do)."""
    value = headers.get("authorization", "")
    if not value.lower().startswith("bearer "):
        return None
    try:
        payload = value.split(" ", 1)[1].split(".")[1]
        document = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def accepts_any_token(real: Authenticator) -> Authenticator:
    """Reads the token's claims and believes them: no signature, expiry, audience or type is checked."""

    def authenticate(headers: Mapping[str, str]) -> Any:
        claims = _claims(headers)
        if claims is None:
            return real(headers)  # no token at all: refused, as the real gate does
        return Principal(
            subject=str(claims.get("sub", "")),
            client_id=str(claims.get("client_id", "")),
            organisation_id=str(claims.get("organisation_id", "")),
            system=SystemKind(claims["system"]) if claims.get("system") in {k.value for k in SystemKind} else None,
            scopes=frozenset(str(claims.get("scope", "")).split()),
            practitioner=claims.get("practitioner") if isinstance(claims.get("practitioner"), dict) else None,
        )

    return authenticate


def ignores_the_audience(real: Authenticator) -> Authenticator:
    """Checks the signature and expiry, but accepts a token made for any service."""

    def authenticate(headers: Mapping[str, str]) -> Any:
        verifier = getattr(real, "__self__", None)
        claims = _claims(headers) or {}
        if isinstance(verifier, TokenVerifier) and isinstance(claims.get("aud"), str):
            return attrs.evolve(verifier, audience=claims["aud"]).authenticate(headers)
        return real(headers)

    return authenticate


def user_from_a_header(real: Authenticator) -> Authenticator:
    """Authenticates the caller, then lets a header say which user is acting (for 'delegated' screens)."""

    def authenticate(headers: Mapping[str, str]) -> Any:
        principal = real(headers)
        named = headers.get("x-practitioner-id")
        if named and isinstance(principal, Principal):
            return attrs.evolve(principal, subject=named)
        return principal

    return authenticate


def open_without_a_token(real: Authenticator) -> Authenticator:
    """Lets a caller without a token in as a worker of the authority ('the network is private')."""

    def authenticate(headers: Mapping[str, str]) -> Any:
        if _claims(headers) is None:
            return Principal(subject="anonymous", client_id="intranet", organisation_id=REFERENCE_ICS.organisation_id)
        return real(headers)

    return authenticate


def _served(adapter: type[Any], system: type[Any]) -> Callable[[], Any]:
    """An adapter of the reference kind `adapter` whose system is the broken `system`."""
    return type(f"{system.__name__}Adapter", (adapter,), {"system_type": system})


def _in_directory(
    name: str, breaks: tuple[str, ...], what: str, system: type[Any], *dimensions: str, warns: tuple[str, ...] = ()
) -> BrokenSystem:
    return BrokenSystem(
        name, "contactpoint", breaks, what, _served(ReferenceDirectory, system), warns=warns, served=True,
        dimensions=dimensions,
    )  # fmt: skip


#: Broken inside the system: the same fault through the adapter and over HTTP.
SERVED: tuple[BrokenSystem, ...] = (
    _in_directory(
        "involvement-hidden-on-its-anniversary",
        ("CP-R06",),
        "an ended involvement disappears the day before the anniversary of its end",
        bd.InvolvementHiddenOnItsAnniversary,
        "time",
    ),
    _in_directory(
        "end-date-not-shown",
        ("CP-R06",),
        "an ended involvement is shown as if it were current",
        bd.EndDateNotShown,
        "fields",
    ),
    _in_directory(
        "maintenance-as-of-yesterday",
        ("CP-R15", "CP-R16", "CP-R17"),
        "maintenance runs as of the day before: an 18th birthday or a death's anniversary is a day late",
        bd.MaintenanceAsOfYesterday,
        "time",
    ),
    _in_directory(
        "death-ignored-at-18",
        ("CP-R16",),
        "a child who died is archived at 18 even within the year after death",
        bd.DeathIgnoredAtEighteen,
        "time",
        "sequences",
    ),
    _in_directory(
        "purges-a-year-late",
        ("CP-R17",),
        "archived records are purged a year after the retention period",
        bd.RetentionCountedInYearsPlusOne,
        "time",
    ),
    _in_directory(
        "purges-a-day-early",
        ("CP-R17",),
        "a record is stamped archived the day before (local midnight read as UTC): it is purged a day early",
        bd.ArchivedTheDayBefore,
        "time",
    ),
    _in_directory(
        "archived-found-by-name",
        ("CP-R15",),
        "a search by name finds archived records",
        bd.ArchivedFoundByName,
        "paths",
    ),
    _in_directory(
        "sensitive-shown-in-view",
        ("CP-R09",),
        "a record viewed by ID shows other organisations' sensitive services",
        bd.SensitiveShownInView,
        "paths",
    ),
    _in_directory(
        "sensitive-shown-to-data-managers",
        ("CP-R09",),
        "data managers see every sensitive service",
        bd.SensitiveShownToDataManagers,
        "roles",
    ),
    _in_directory(
        "sensitive-shown-to-child-protection",
        ("CP-R09",),
        "child protection of any organisation see sensitive services",
        bd.SensitiveShownToChildProtection,
        "roles",
    ),
    _in_directory(
        "shielded-location-in-name-search",
        ("CP-R10",),
        "a search by name shows a shielded child's address",
        bd.ShieldedLocationInNameSearch,
        "paths",
    ),
    _in_directory(
        "shielded-parent-address-shown",
        ("CP-R10",),
        "a shielded child's parents' addresses are shown",
        bd.ShieldedParentAddressShown,
        "fields",
    ),
    _in_directory(
        "shielded-organisation-shown",
        ("CP-R10",),
        "the organisations working with a shielded child are named",
        bd.ShieldedOrganisationShown,
        "fields",
    ),
    _in_directory(
        "loose-postcode-search",
        ("CP-R11",),
        "a postcode in lower case or without its space finds a shielded child",
        bd.LoosePostcodeSearch,
        "paths",
        "wire",
    ),
    _in_directory(
        "data-managers-override-shielding",
        ("CP-R12",),
        "data managers may override shielding",
        bd.DataManagersOverrideShielding,
        "roles",
    ),
    _in_directory(
        "override-without-reason",
        ("CP-R12",),
        "shielding is overridden with a blank reason",
        bd.OverrideWithoutReason,
        "fields",
    ),
    _in_directory(
        "refused-access-not-audited",
        ("CP-R13",),
        "a refused search or view leaves no audit entry",
        bd.RefusedAccessNotAudited,
        "paths",
    ),
    _in_directory(
        "search-audit-without-records",
        ("CP-R13",),
        "a search is audited without the records it showed",
        bd.SearchAuditWithoutRecords,
        "fields",
    ),
    _in_directory(
        "blank-reason-accepted",
        ("CP-R14",),
        "a reason of spaces counts as a reason",
        bd.BlankReasonAccepted,
        "fields",
    ),
    _in_directory(
        "view-needs-no-reason",
        ("CP-R14",),
        "a record viewed by its ID needs no reason",
        bd.ViewNeedsNoReason,
        "paths",
    ),
    _in_directory(
        "lead-kept-after-no-caf",
        ("CP-R07",),
        "the lead professional stays on the record after 'no CAF exists'",
        bd.LeadKeptAfterNoCaf,
        "sequences",
    ),
    _in_directory(
        "second-parent-dropped",
        ("CP-R04",),
        "only the first parent or carer is shown",
        bd.SecondParentDropped,
        "fields",
    ),
    _in_directory(
        "address-lines-dropped",
        ("CP-R04",),
        "only the first line of the address is shown",
        bd.AddressLinesDropped,
        "fields",
    ),
    _in_directory(
        "redelivery-by-bytes",
        ("MSG-R05",),
        "a message resent in the other wire form is taken for a different message",
        bd.RedeliveryByBytes,
        "wire",
    ),
    _in_directory(
        "contactpoint-id-check-digit-ignored",
        ("MSG-R02",),
        "a ContactPoint ID with a wrong check digit is dropped instead of rejected (ID-004)",
        bd.ContactPointIdCheckDigitIgnored,
        "fields",
    ),
    _in_directory(
        "older-details-win",
        (),
        "a child's details are applied in the order they arrive, however old",
        bd.OlderDetailsWin,
        "sequences",
        warns=("CP-R20",),
    ),
    _in_directory(
        "guesses-by-name-and-birth",
        ("CP-R21", "CP-R23"),  # a namesake under another of the sender's own IDs is merged too
        "a child sent without an NHS number or UPN is merged into a namesake born the same day, wherever they live",
        bd.GuessesByNameAndBirth,
        "fields",
    ),
)


def _in_service(
    name: str, profile: str, breaks: tuple[str, ...], what: str, system: type[Any], *dimensions: str
) -> BrokenSystem:
    adapter = ReferenceEcaf if profile == "ecaf" else ReferenceIcs
    return BrokenSystem(name, profile, breaks, what, _served(adapter, system), served=True, dimensions=dimensions)


SERVED += (
    _in_service(
        "report-counts-the-day-opened",
        "ecaf",
        ("ECAF-R14",),
        "'open more than 365 days' lists episodes open exactly 365 days",
        bs.ReportCountsTheDayOpened,
        "time",
    ),
    _in_service(
        "organisation-withdrawal-ignored",
        "ecaf",
        ("ECAF-R05",),
        "consent withdrawn for an organisation changes no one's access",
        bs.OrganisationWithdrawalIgnored,
        "roles",
    ),
    _in_service(
        "consent-covers-colleagues",
        "ecaf",
        ("ECAF-R04",),
        "consent for a TAC member lets their colleagues read the CAF",
        bs.ConsentCoversColleagues,
        "roles",
    ),
    _in_service(
        "reviews-dropped-on-transfer-in",
        "ecaf",
        ("ECAF-R16",),
        "an episode transferred in is held without its reviews",
        bs.ReviewsDroppedOnTransferIn,
        "fields",
    ),
    _in_service(
        "actions-dropped-on-transfer-out",
        "ecaf",
        ("ECAF-R17",),
        "an episode transferred out goes without its agreed actions",
        bs.ActionsDroppedOnTransferOut,
        "fields",
    ),
    _in_service(
        "wrong-checksum-accepted",
        "ecaf",
        ("MSG-R02",),
        "a migration batch's checksum is recomputed instead of checked (MIG-003)",
        bs.WrongChecksumAccepted,
        "fields",
    ),
    _in_service(
        "unreadable-json-answered-in-xml",
        "ics",
        ("MSG-R07",),
        "a JSON delivery it cannot read is answered in XML",
        bs.UnreadableJsonAnsweredInXml,
        "wire",
    ),
    _in_service(
        "chronology-skips-closure",
        "ics",
        ("ICS-R12",),
        "closing a case adds nothing to the chronology shown",
        bs.ChronologySkipsClosure,
        "sequences",
    ),
    _in_service(
        "case-shows-neighbours-referrals",
        "ics",
        ("ICS-R12",),
        "a case record shows another case's referral",
        bs.CaseShowsNeighboursReferrals,
        "paths",
    ),
    _in_service(
        "local-caf-says-no-caf",
        "ics",
        ("ECAF-R01",),
        "the local eCAF module tells ContactPoint 'no CAF' when a CAF is logged",
        bs.LocalCafSaysNoCaf,
        "fields",
    ),
    _in_service(
        "one-migration-batch-only",
        "ics",
        ("ICS-R09",),
        "a second migration batch is refused as if it had been exported",
        bs.OneMigrationBatchOnly,
        "sequences",
    ),
    _in_service(
        "lead-with-another-members-details",
        "ecaf",
        ("ECAF-R02",),
        "ContactPoint is told who leads with another practitioner's contact details",
        bs.LeadWithAnotherMembersDetails,
        "fields",
    ),
    _in_service(
        "transfer-again-refused",
        "ecaf",
        ("ECAF-R16",),
        "an episode transferred in again, in a new message, is refused",
        bs.TransferAgainRefused,
        "sequences",
    ),
)

SERVED += (
    _in_directory("rejects-json-identity-updates", ("MSG-R01", "MSG-R02"), "a child's details in JSON are refused",
                  bd.RejectsJsonIdentityUpdates, "wire"),
    _in_directory("takes-the-first-of-many", ("MSG-R03",), "a JSON array of messages is applied in part",
                  bd.TakesTheFirstOfMany, "wire"),
    _in_directory("reused-id-applied", ("MSG-R06",), "a message reusing an ID for other content is applied",
                  bd.ReusedIdApplied, "sequences"),
    _in_directory("rejected-involvement-kept", ("MSG-R09",), "an involvement rejected for its dates is kept",
                  bd.RejectedInvolvementKept, "fields"),
    _in_directory("accepts-case-types", ("CP-R01",), "a case record transfer or a referral is answered as accepted",
                  bd.AcceptsCaseTypes, "paths"),
    _in_directory("drops-notes-elements", ("CP-R02",), "a CaseNotes element or member is dropped, the rest accepted",
                  bd.DropsNotesElements, "wire"),
    _in_directory("team-contact-not-shown", ("CP-R05",), "a team to contact is not shown",
                  bd.TeamContactNotShown, "fields"),
    _in_service("refused-reads-not-audited", "ecaf", ("ECAF-R06",), "refused reads are missing from the access audit",
                bs.RefusedReadsNotAudited, "paths"),
    _in_service("stores-without-consent", "ecaf", ("ECAF-R07",), "consent to store is assumed when none was given",
                bs.StoresWithoutConsent, "fields"),
    _in_service("referral-assumes-consent", "ecaf", ("ECAF-R08",), "a referral records consent for social care itself",
                bs.ReferralAssumesConsent, "roles"),
    _in_service("duty-team-joins-instead", "ecaf", ("ECAF-R09",), "the duty team joins the TAC, not the social worker",
                bs.DutyTeamJoinsInstead, "fields"),
    _in_directory("second-feeder-not-matched", ("CP-R18", "CP-R21"), "a second feeder's message is not matched",
                  bd.SecondFeederNotMatched, "paths"),
    _in_service("offer-carries-the-wrong-consent", "ecaf", ("ECAF-R11", "MSG-R10"),
                "CAF content goes to the ICS carrying another consent than the one that allows it",
                bs.OfferCarriesTheWrongConsent, "fields"),
    _in_service("consent-giver-not-kept", "ecaf", ("ECAF-R20",), "a parent's consent is recorded as the child's",
                bs.ConsentGiverNotKept, "fields"),
    _in_service("step-down-needs-not-kept", "ecaf", ("ECAF-R12",), "the needs handed back are not recorded",
                bs.StepDownNeedsNotKept, "fields"),
    _in_service("closure-reason-not-kept", "ecaf", ("ECAF-R15",), "every closure is recorded as 'other'",
                bs.ClosureReasonNotKept, "fields"),
    _in_service("migration-all-or-nothing", "ecaf", ("ECAF-R18",), "one episode without consent rejects the batch",
                bs.MigrationAllOrNothing, "sequences"),
    _in_service("conclusions-not-stored", "ecaf", ("ECAF-R19",), "an assessment is stored without its conclusions",
                bs.ConclusionsNotStored, "fields"),
    _in_service("ended-under-new-id", "ics", ("ICS-R03",), "social care's involvement ends under another ID",
                bs.EndedUnderNewId, "fields"),
    _in_service("answer-to-another-ecaf", "ics", ("ICS-R04",), "a referral is answered to another eCAF",
                bs.AnswerToAnotherEcaf, "paths"),
    _in_service("accepts-without-member", "ics", ("ICS-R04", "ICS-R05"),
                "a referral is accepted with the duty manager standing in for the member who joins",
                bs.AcceptsWithoutMember, "roles"),
    _in_service("steps-down-open-case", "ics", ("ICS-R07",), "stepping down closes an open case instead of refusing",
                bs.StepsDownOpenCase, "sequences"),
    _in_service("transfers-local-episode-again", "ics", ("ICS-R08",), "a local episode that left is transferred again",
                bs.TransfersLocalEpisodeAgain, "sequences"),
    _in_service("transferred-case-duplicated", "ics", ("ICS-R11",), "a case record sent again opens a second case",
                bs.TransferredCaseDuplicated, "sequences"),
)  # fmt: skip

#: Shielding field by field, conflicting identifiers, data managers (issue 15).
SERVED += (
    _in_directory("shielded-contacts-shown", ("CP-R10",),
                  "a shielded child's parents' and practitioners' telephone numbers and e-mail addresses are shown",
                  bd.ShieldedContactsShown, "fields"),
    _in_directory("another-nhs-number-is-another-child", ("CP-R23",),
                  "a namesake at the same address with a mistyped NHS number gets a new, unshielded record",
                  bd.AnotherNhsNumberIsAnotherChild, "fields", "sequences"),
    _in_directory("data-managers-change-own-role", ("CP-R24",), "a data manager may change their own role",
                  bd.DataManagersChangeOwnRole, "roles"),
)  # fmt: skip

#: Names searched by after a change, identifiers of every kind (issue 10).
SERVED += (
    _in_directory("search-index-never-refreshed", ("CP-R04",),
                  "a child renamed, or its date of birth corrected, is found only by what it was first sent with",
                  bd.SearchIndexNeverRefreshed, "paths", "sequences"),
    _in_directory("another-local-id-is-the-same-child", ("CP-R23",),
                  "a namesake a feeder sends under another of its own IDs is merged into the record",
                  bd.AnotherLocalIdIsTheSameChild, "fields"),
    _in_directory("identifiers-of-two-records-merged", ("CP-R21",),
                  "a message whose identifiers name two records is applied to the first of them",
                  bd.IdentifiersOfTwoRecordsMerged, "fields"),
)  # fmt: skip

#: The binding's batch form got wrong (MSG-R15), each right one message at a time; what is sent (MSG-R10).
SERVED += (
    _in_directory("batch-stops-at-first-rejection", ("MSG-R15",),
                  "a batch's messages after a rejected one are answered 'not processed' and not applied",
                  bm.BatchStopsAtFirstRejection, "sequences"),
    _in_directory("batch-json-lines-read-as-one", ("MSG-R15",), "a JSON Lines batch is read as its first line",
                  bm.BatchJsonLinesReadAsOne, "wire"),
    _in_service("batch-rejected-whole", "ecaf", ("MSG-R15",), "one message breaking a rule rejects the whole batch",
                bm.BatchRejectedWhole, "sequences"),
    _in_service("batch-skips-the-inbox", "ecaf", ("MSG-R15",),
                "a batch's message reusing an ID for other content is applied under an ID of its own",
                bm.BatchSkipsTheInbox, "sequences"),
    _in_service("batch-acks-accepted-first", "ics", ("MSG-R15",),
                "a batch is answered with the acceptances first, then the rejections", bm.BatchAcksAcceptedFirst,
                "sequences"),
    _in_service("json-sent-as-xml", "ecaf", ("MSG-R10",), "messages are sent in JSON labelled application/xml",
                bm.JsonSentAsXml, "wire"),
)  # fmt: skip

#: National eCAF and the ICS at their edges (issue 10: the mutation score's survivors, by kind of fault).
SERVED += (
    _in_service("closes-stale-episodes", "ecaf", ("ECAF-R13",),
                "the nightly run closes episodes open more than three years", bs.ClosesStaleEpisodes, "time"),
    _in_service("transfer-again-kept-as-it-was", "ecaf", ("ECAF-R16",),
                "an episode transferred in again with a new review is acknowledged, and the old one kept",
                bs.TransferAgainKeptAsItWas, "sequences", "wire"),
    _in_service("migration-keeps-the-first-version", "ecaf", ("ECAF-R18",),
                "an episode migrated again with revised conclusions counts as already imported",
                bs.MigrationKeepsTheFirstVersion, "sequences"),
    _in_service("names-one-fault-an-episode", "ecaf", ("ECAF-R18",),
                "a migrated episode refused for two faults is named by the first only, not by its missing consent",
                bs.NamesOneFaultAnEpisode, "fields"),
    _in_service("social-care-takes-one-seat", "ecaf", ("ECAF-R09",),
                "the social worker joining the TAC puts out a colleague of theirs who was in it",
                bs.SocialCareTakesOneSeat, "sequences"),
    _in_service("consent-refusal-as-a-broken-rule", "ecaf", ("ECAF-R08", "ECAF-R11"),
                "a referral or offer refused for want of consent is answered as a broken rule (422), not 403",
                bs.ConsentRefusalAsABrokenRule, "paths"),
    _in_service("answers-again", "ics", ("ICS-R04",), "a referral from a CAF already answered can be answered again",
                bs.AnswersAgain, "sequences"),
    _in_service("confirms-through-any-case", "ics", ("ICS-R06",),
                "a draft named through another child's case is confirmed all the same", bs.ConfirmsThroughAnyCase,
                "paths"),
    _in_service("caf-content-on-the-newest-case", "ics", ("ICS-R06",),
                "CAF content for an initial assessment goes to the child's newest open case, not the case referred",
                bs.CafContentOnTheNewestCase, "paths"),
    _in_service("no-further-action-for-all", "ics", ("ICS-R12",),
                "a CAF referral not accepted marks every referral of its case 'no further action'",
                bs.NoFurtherActionForAll, "sequences"),
    _in_service("one-record-per-sender", "ics", ("ICS-R11",),
                "a second child's case record from the same authority is taken for the first one sent again",
                bs.OneRecordPerSender, "sequences"),
    _in_service("strengths-left-out", "ics", ("ICS-R06",),
                "the draft made from a CAF carries each element's needs, not its strengths", bs.StrengthsLeftOut,
                "fields"),
    _in_service("long-entries-refused", "ics", ("ICS-R12",),
                "a chronology entry longer than 200 characters (a social worker's long names) fails the answer",
                bs.LongEntriesRefused, "fields"),
)  # fmt: skip

BROKEN: Mapping[str, BrokenSystem] = {
    b.name: b
    for b in (
        BrokenSystem(
            "shielding-ignored-on-search",
            "contactpoint",
            ("CP-R11", "CP-R19"),
            "postcode searches run on a side index that knows nothing of shielding",
            ShieldingIgnoredOnSearch,
        ),
        BrokenSystem(
            "ended-involvements-kept-visible",
            "contactpoint",
            ("CP-R06",),
            "ended involvements stay visible past a year",
            EndedInvolvementsKeptVisible,
        ),
        BrokenSystem(
            "sensitive-services-shown-to-all",
            "contactpoint",
            ("CP-R09",),
            "sensitive services are shown to every user",
            SensitiveServicesShownToAll,
        ),
        BrokenSystem(
            "redelivery-duplicates-involvement",
            "contactpoint",
            ("MSG-R05",),
            "a redelivered message adds the involvement again",
            RedeliveryDuplicates,
        ),
        BrokenSystem(
            "xml-entities-resolved",
            "contactpoint",
            ("MSG-R04",),
            "external and internal entities in XML are resolved before validation",
            ResolvesXmlEntities,
        ),
        BrokenSystem(
            "override-raises-no-alert",
            "contactpoint",
            ("CP-R12",),
            "a child-protection override of shielding raises no audit alert",
            OverrideRaisesNoAlert,
        ),
        BrokenSystem(
            "caf-shown-without-consent",
            "ecaf",
            ("ECAF-R04", "ECAF-R05"),
            "a CAF is shown to a practitioner without consent (read on the author's behalf)",
            CafShownWithoutConsent,
        ),
        BrokenSystem(
            "episodes-closed-automatically",
            "ecaf",
            ("ECAF-R13",),
            "housekeeping closes episodes open about three years",
            EpisodesClosedAutomatically,
        ),
        BrokenSystem(
            "lead-professional-outside-tac",
            "ecaf",
            ("ECAF-R03",),
            "anyone can be appointed lead professional, member of the TAC or not",
            LeadProfessionalOutsideTac,
        ),
        BrokenSystem(
            "responsibility-not-recorded",
            "ecaf",
            ("ECAF-R10",),
            "social care taking responsibility is recorded as 'pending'",
            ResponsibilityNotRecorded,
        ),
        BrokenSystem(
            "lead-professional-not-sent",
            "ecaf",
            ("ECAF-R02",),
            "ContactPoint is never told who the lead professional is",
            LeadProfessionalNotSent,
        ),
        BrokenSystem(
            "case-notes-in-feed",
            "ics",
            ("ICS-R02",),
            "the referral's reason leaks into the involvement ContactPoint shows",
            CaseNotesInFeed,
        ),
        BrokenSystem(
            "referral-not-on-contactpoint",
            "ics",
            ("ICS-R01",),
            "recording a referral does not put social care's involvement on ContactPoint",
            ReferralNotOnContactPoint,
        ),
        BrokenSystem(
            "draft-confirmed-automatically",
            "ics",
            ("ICS-R06",),
            "CAF content joins the case record without a practitioner confirming it",
            DraftConfirmedAutomatically,
        ),
        BrokenSystem(
            "migrates-without-consent",
            "ics",
            ("ICS-R09",),
            "episodes without consent to store are migrated under an assumed consent",
            MigratesWithoutConsent,
        ),
        BrokenSystem(
            "transfer-includes-drafts",
            "ics",
            ("ICS-R10",),
            "a case record transfer carries unconfirmed drafts",
            TransferIncludesDrafts,
        ),
        BrokenSystem(
            "unstable-involvement-id",
            "feed-source",
            ("FEED-R03",),
            "an involvement ends under another ID than it started",
            UnstableInvolvementId,
        ),
        BrokenSystem(
            "retries-under-new-id",
            "feed-source",
            ("MSG-R13",),
            "a failed delivery is retried under a new message ID",
            RetriesUnderNewId,
        ),
        BrokenSystem(
            "trusts-the-envelope",
            "contactpoint",
            ("SEC-R03",),
            "who sent a message is read from its envelope, not from the client it came through",
            TrustsTheEnvelope,
        ),
        BrokenSystem(
            "ignores-scopes",
            "ecaf",
            ("SEC-R04",),
            "any authenticated system may send any message type, whatever its token's scopes",
            IgnoresScopes,
        ),
        BrokenSystem(
            "audit-for-everyone",
            "ecaf",
            ("SEC-R05",),
            "a practitioner can read the access audit",
            AuditForEveryone,
        ),
        BrokenSystem(
            "ends-any-involvement",
            "contactpoint",
            ("CP-R22",),
            "any feeding system can end another's involvement",
            EndsAnyInvolvement,
        ),
        BrokenSystem(
            "accepts-any-token",
            "contactpoint",
            ("SEC-R02",),
            "the service believes a token's claims without checking its signature, expiry, audience or type",
            gate=accepts_any_token,
        ),
        BrokenSystem(
            "ignores-the-audience",
            "ecaf",
            ("SEC-R02",),
            "the service accepts a token made for another service",
            gate=ignores_the_audience,
        ),
        BrokenSystem(
            "user-from-a-header",
            "contactpoint",
            ("SEC-R06",),
            "the service lets X-Practitioner-Id say which user is acting",
            gate=user_from_a_header,
        ),
        BrokenSystem(
            "open-without-a-token",
            "ics",
            ("SEC-R01",),
            "a caller without a token is let in as a worker of the authority",
            gate=open_without_a_token,
        ),
        BrokenSystem(
            "feed-end-dated-when-sent",
            "feed-source",
            ("FEED-R03",),
            "an involvement's end is dated the day it is sent, not the day it ended",
            FeedEndDatedWhenSent,
            dimensions=("time",),
        ),
        BrokenSystem(
            "feed-leaves-out-upn",
            "feed-source",
            (),
            "the UPN the system holds is not sent",
            FeedLeavesOutUpn,
            warns=("FEED-R04",),
            dimensions=("fields",),
        ),
        BrokenSystem(
            "feed-date-of-birth-shifted",
            "feed-source",
            ("FEED-R01",),
            "the child's date of birth is sent a day early",
            FeedDateOfBirthShifted,
            dimensions=("fields",),
        ),
        BrokenSystem(
            "feed-note-in-role",
            "feed-source",
            ("FEED-R02",),
            "the practitioner's note reaches ContactPoint as their role",
            FeedNoteInRole,
            dimensions=("fields",),
        ),
        BrokenSystem(
            "ics-backwards-involvement",
            "ics",
            ("MSG-R10",),
            "social care's involvement is sent with an end before its start",
            IcsBackwardsInvolvement,
            dimensions=("fields",),
        ),
        BrokenSystem(
            "ics-reuses-message-ids",
            "ics",
            ("MSG-R12",),
            "the end of an involvement goes under its start's message ID",
            IcsReusesMessageIds,
            dimensions=("sequences",),
        ),
        BrokenSystem(
            "case-notes-in-record",
            "contactpoint",
            ("CP-R08",),
            "the record shown has a notes field",
            CaseNotesInRecord,
            dimensions=("fields",),
        ),
        BrokenSystem(
            "echoes-to-feeders",
            "contactpoint",
            ("CP-R03", "MSG-R10", "MSG-R11"),
            "the directory sends feeders the child's record back",
            EchoesToFeeders,
            dimensions=("paths",),
        ),
        BrokenSystem(
            "forgets-the-client",
            "contactpoint",
            ("SEC-R07",),
            "a user's accesses are audited without the client their token came through",
            gate=forgets_the_client,
            dimensions=("fields",),
        ),
        *SERVED,
    )
}
