"""Broken National eCAFs and ICS systems: the reference system with one thing a vendor got wrong, inside it.

Each is a `NationalEcaf` or an `IcsSystem` whose own code is wrong, so the suite meets the same
fault through the Python adapter and over HTTP. `broken` lists them with the requirements they break.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update

from ics_interop import Finding, Severity, to_json, to_xml
from ics_interop.messages import (
    CafIndicatorUpdate,
    CaseRecordTransfer,
    EpisodeTransfer,
    InitialAssessmentPrepopulation,
    InvolvementEnded,
    MigrationBatch,
    SocialCareReferralResponse,
    StepDown,
    StepUpDecision,
    episodes_checksum,
)
from ics_interop.model import CafEpisode, CaseRecord, ConsentRecord, IcsClosure, Practitioner
from ics_interop.model.codes import CafClosureReason, CinClosureReason, ConsentDecision, ConsentGiver

from ._adapters import Forbidden, IcsSystem, NationalEcaf, acknowledgement_for, ecaf_episodes
from .broken_plumbing import ReceiverFilter, RewritingTransport, decode, encode_like

__all__ = [
    "ActionsDroppedOnTransferOut",
    "CaseShowsNeighboursReferrals",
    "ChronologySkipsClosure",
    "ConsentCoversColleagues",
    "ConsentGiverNotKept",
    "LeadWithAnotherMembersDetails",
    "LocalCafSaysNoCaf",
    "OfferCarriesTheWrongConsent",
    "OneMigrationBatchOnly",
    "OrganisationWithdrawalIgnored",
    "ReportCountsTheDayOpened",
    "ReviewsDroppedOnTransferIn",
    "TransferAgainRefused",
    "UnreadableJsonAnsweredInXml",
    "WrongChecksumAccepted",
]


def _receiving(system: Any, fix: Callable[[Any], Any]) -> None:
    """Put `fix` in front of the system's receiver: each readable message is changed before it is received."""

    def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
        message = decode(body)
        if message is not None:
            changed = fix(message)
            if changed is not message:
                body = encode_like(changed, body)
        return receive(body, content_type, client)

    system.receiver = ReceiverFilter(system.receiver, intercept)


# --- National eCAF -------------------------------------------------------------------------------------


class ReportCountsTheDayOpened(NationalEcaf):
    """Counts the day an episode opened as a day open: 'open more than 365 days' lists those open exactly 365."""

    def open_episodes_report(
        self, older_than_days: int, now: dt.datetime | dt.date | None = None, *, by: Practitioner
    ) -> Any:
        return super().open_episodes_report(max(0, older_than_days - 1), now, by=by)


class OrganisationWithdrawalIgnored(NationalEcaf):
    """Records a withdrawal against a practitioner only: one made for a whole organisation changes no one's access."""

    def record_consent(self, episode_id: str, consent: ConsentRecord, *, by: Practitioner) -> CafEpisode:
        if consent.decision is ConsentDecision.WITHDRAWN and consent.organisation_id is not None:
            consent = consent.model_copy(
                update={"organisation_id": None, "practitioner_id": f"{consent.organisation_id}-OFFICE"[:64]}
            )
        return super().record_consent(episode_id, consent, by=by)


class ConsentCoversColleagues(NationalEcaf):
    """Takes consent for a member of the TAC as consent for their whole organisation ('the school has consent')."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members: dict[str, list[Practitioner]] = {}

    def add_tac_member(self, episode_id: str, practitioner: Practitioner, *args: Any, **kwargs: Any) -> Any:
        self.members.setdefault(episode_id, []).append(practitioner)
        return super().add_tac_member(episode_id, practitioner, *args, **kwargs)

    def read_episode(self, episode_id: str, reader: Practitioner, reason: str) -> CafEpisode:
        try:
            return super().read_episode(episode_id, reader, reason)
        except Forbidden:
            organisation = reader.organisation.organisation_id
            for member in self.members.get(episode_id, []):
                if member.organisation.organisation_id == organisation and member != reader:
                    try:
                        return super().read_episode(episode_id, member, reason)
                    except Forbidden:
                        continue
            raise


class ReviewsDroppedOnTransferIn(NationalEcaf):
    """Imports a transferred episode without its reviews (the import screen has no place for them)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def fix(message: Any) -> Any:
            if not isinstance(message, EpisodeTransfer) or not message.episode.reviews:
                return message
            return message.model_copy(update={"episode": message.episode.model_copy(update={"reviews": []})})

        _receiving(self, fix)


class ActionsDroppedOnTransferOut(NationalEcaf):
    """Sends a transferred episode without its agreed actions (the export template predates them)."""

    def connect(self, route: str, transport: Any) -> None:
        def drop(message: Any) -> Any:
            if not isinstance(message, EpisodeTransfer) or not message.episode.actions:
                return message
            return message.model_copy(update={"episode": message.episode.model_copy(update={"actions": []})})

        super().connect(route, RewritingTransport(transport, drop))


class WrongChecksumAccepted(NationalEcaf):
    """Recomputes a migration batch's checksum instead of checking the one sent (MIG-003)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def fix(message: Any) -> Any:
            if not isinstance(message, MigrationBatch):
                return message
            manifest = message.manifest.model_copy(update={"checksum": episodes_checksum(message.episodes)})
            return message.model_copy(update={"manifest": manifest})

        _receiving(self, fix)


# --- ICS ---------------------------------------------------------------------------------------------------


class UnreadableJsonAnsweredInXml(IcsSystem):
    """Answers a delivery it cannot read in XML, whatever it was sent as."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            reply, kind, status = receive(body, content_type, client)
            if decode(body) is None and "json" in kind:
                ack = decode(reply)
                if ack is not None:
                    return to_xml(ack), "application/xml", status
            return reply, kind, status

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]


class ChronologySkipsClosure(IcsSystem):
    """Shows the chronology without the closure: the closure record is kept on its own screen."""

    def case_record(self, case_id: str) -> CaseRecord:
        record = super().case_record(case_id)
        kept = [e for e in record.chronology if not e.event.startswith("Case closed")]
        return record.model_copy(update={"chronology": kept})


class CaseShowsNeighboursReferrals(IcsSystem):
    """Lists the referrals of a case by the child's family name: a brother's or sister's case's show too."""

    def case_record(self, case_id: str) -> CaseRecord:
        record = super().case_record(case_id)
        family = record.child.name.family_name
        siblings = (super(CaseShowsNeighboursReferrals, self).case_record(c.case_id) for c in self.cases())
        others = [
            r
            for other in siblings
            if other.case_id != case_id and other.child.name.family_name == family
            for r in other.referrals
        ]
        return record.model_copy(update={"referrals": [*record.referrals, *others]})


class LocalCafSaysNoCaf(IcsSystem):
    """The local eCAF module's feed to ContactPoint sends the flag the wrong way round: a CAF logged says 'no CAF'."""

    def connect(self, route: str, transport: Any) -> None:
        def flip(message: Any) -> Any:
            if isinstance(message, CafIndicatorUpdate) and message.caf_exists:
                return message.model_copy(update={"caf_exists": False, "lead_professional": None})
            return message

        super().connect(route, RewritingTransport(transport, flip))


class OneMigrationBatchOnly(IcsSystem):
    """Refuses a second migration batch: 'a batch was exported already' is checked for any batch, not this one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        exported: list[str] = []
        module = self.local_ecaf
        export = module.export_migration_batch

        def export_once(batch_id: str, episode_ids: Any = None) -> Any:
            if exported:
                from ._adapters import ChangeRefused

                raise ChangeRefused("ICS-021", f"batch {exported[0]} was exported already", where="batchId")
            result = export(batch_id, episode_ids)
            exported.append(batch_id)
            return result

        module.export_migration_batch = export_once  # type: ignore[method-assign]


class LeadWithAnotherMembersDetails(NationalEcaf):
    """Tells ContactPoint who leads, with the contact details of the practitioner who completed the CAF."""

    def connect(self, route: str, transport: Any) -> None:
        def mix(message: Any) -> Any:
            lead = getattr(message, "lead_professional", None)
            if not isinstance(message, CafIndicatorUpdate) or lead is None:
                return message
            mixed = lead.model_copy(update={"contact": message.completed_by.contact})
            return message.model_copy(update={"lead_professional": mixed})

        super().connect(route, RewritingTransport(transport, mix))


class TransferAgainRefused(NationalEcaf):
    """Refuses an episode transferred in a second time (in a new message), as if it were another episode."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        first: dict[str, str] = {}

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            message = decode(body)
            if isinstance(message, EpisodeTransfer):
                episode_id = message.episode.episode_id
                known = first.setdefault(episode_id, message.header.message_id)
                if known != message.header.message_id:
                    from ics_interop import Finding, Severity, to_json

                    from ._adapters import acknowledgement_for

                    finding = Finding("XFER-002", Severity.ERROR, f"episode {episode_id} is held here already")
                    header = message.header
                    ack = acknowledgement_for(
                        header.message_id, header.recipient, header.sender, [finding], header.created_at
                    )
                    if "json" in content_type:
                        return to_json(ack), "application/json", 422
                    return to_xml(ack), "application/xml", 422
            return receive(body, content_type, client)

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]


# --- more National eCAFs -------------------------------------------------------------------------------


class RefusedReadsNotAudited(NationalEcaf):
    """Shows managers the access audit of the reads that succeeded only."""

    def access_log(self, episode_id: str | None = None, *, by: Practitioner) -> Any:
        return [
            r for r in super().access_log(episode_id, by=by) if "refused" not in r.action and "denied" not in r.action
        ]


class StoresWithoutConsent(NationalEcaf):
    """Records consent to store on the child's behalf when none was given ('implied by the referral')."""

    def log_episode(self, *, consents: Any, **kwargs: Any) -> CafEpisode:
        ledger = list(consents)
        if not any(c.store_and_share and c.decision is ConsentDecision.GIVEN for c in ledger):
            ledger = [c.model_copy(update={"store_and_share": True}) for c in ledger]
        return super().log_episode(consents=ledger, **kwargs)


class ReferralAssumesConsent(NationalEcaf):
    """Records consent for the social care organisation itself when a practitioner refers without it."""

    def refer_to_social_care(self, episode_id: str, referred_by: Practitioner, reason: str, to: Any) -> str:
        assumed = ConsentRecord(
            consent_id=f"ASSUMED-{episode_id}"[:64],
            decision=ConsentDecision.GIVEN,
            given_by=ConsentGiver.CHILD,
            organisation_id=to.organisation_id,
            recorded_on=dt.datetime.now(dt.UTC).date(),
            store_and_share=True,
        )
        with contextlib.suppress(Exception):  # already on the ledger
            super().record_consent(episode_id, assumed, by=referred_by)
        return super().refer_to_social_care(episode_id, referred_by, reason, to)


class DutyTeamJoinsInstead(NationalEcaf):
    """Puts social care's duty team in the TAC when a referral is accepted, not the social worker named."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def fix(message: Any) -> Any:
            if not isinstance(message, SocialCareReferralResponse) or message.joining_member is None:
                return message
            worker = message.joining_member.practitioner
            duty = worker.model_copy(update={"practitioner_id": f"{worker.organisation.organisation_id}-DUTY"[:64]})
            member = message.joining_member.model_copy(update={"practitioner": duty})
            return message.model_copy(update={"joining_member": member})

        _receiving(self, fix)


class StepDownNeedsNotKept(NationalEcaf):
    """Re-opens a stepped-down episode, but keeps a pointer to the ICS instead of the needs handed back."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def fix(message: Any) -> Any:
            if not isinstance(message, StepDown):
                return message
            return message.model_copy(update={"outstanding_needs": ["See the ICS case record"]})

        _receiving(self, fix)


class ClosureReasonNotKept(NationalEcaf):
    """Closes every episode closed by a practitioner as 'other', whatever reason was chosen."""

    def close_episode(self, episode_id: str, reason: Any, *, by: Practitioner, closed_on: Any = None) -> CafEpisode:
        return super().close_episode(episode_id, CafClosureReason.OTHER, by=by, closed_on=closed_on)


class MigrationAllOrNothing(NationalEcaf):
    """Rejects a whole migration batch when one episode in it lacks consent to store."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            message = decode(body)
            if isinstance(message, MigrationBatch) and any(
                not any(c.store_and_share for c in e.consents) for e in message.episodes
            ):
                finding = Finding("CAF-006", Severity.ERROR, "an episode of the batch has no consent to store")
                header = message.header
                ack = acknowledgement_for(
                    header.message_id, header.recipient, header.sender, [finding], header.created_at
                )
                if "json" in content_type:
                    return to_json(ack), "application/json", 422
                return to_xml(ack), "application/xml", 422
            return receive(body, content_type, client)

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]


class ConclusionsNotStored(NationalEcaf):
    """Stores a logged assessment without its conclusions (the field is on a later screen)."""

    def log_episode(self, *, assessment: Any, **kwargs: Any) -> CafEpisode:
        return super().log_episode(assessment=assessment.model_copy(update={"conclusions": None}), **kwargs)


# --- more ICS systems ----------------------------------------------------------------------------------


class EndedUnderNewId(IcsSystem):
    """Ends social care's involvement under an ID of its own, not the one it started under."""

    def connect(self, route: str, transport: Any) -> None:
        def rekey(message: Any) -> Any:
            if isinstance(message, InvolvementEnded):
                return message.model_copy(update={"involvement_id": f"{message.involvement_id[:56]}-END"})
            return message

        super().connect(route, RewritingTransport(transport, rekey))


class AnswerToAnotherEcaf(IcsSystem):
    """Answers a referral from a CAF to the authority's own local eCAF, not to the eCAF that sent it."""

    def connect(self, route: str, transport: Any) -> None:
        def redirect(message: Any) -> Any:
            if not isinstance(message, SocialCareReferralResponse):
                return message
            recipient = message.header.recipient.model_copy(update={"organisation_id": "LA206"})
            return message.model_copy(update={"header": message.header.model_copy(update={"recipient": recipient})})

        super().connect(route, RewritingTransport(transport, redirect))


class AcceptsWithoutMember(IcsSystem):
    """Accepts a referral with nobody named by sending the duty team's manager as the member who joins."""

    def respond_to_caf_referral(
        self, ics_referral_id: str, *, decision: Any, joining: Any, representative: bool = False, **more: Any
    ) -> Any:
        if joining is None and decision is not StepUpDecision.NOT_ACCEPTED:
            joining = Practitioner.model_validate(
                {
                    "practitionerId": "LA206-DUTY-MANAGER",
                    "name": {"givenNames": "Duty", "familyName": "Manager"},
                    "role": "Duty manager",
                    "organisation": {
                        "organisationId": self.identity.organisation_id,
                        "name": "Children's social care",
                        "agencyType": "social-care",
                    },
                    "contact": {"telephone": "020 7527 7400"},
                }
            )
            representative = True
        return super().respond_to_caf_referral(
            ics_referral_id, decision=decision, joining=joining, representative=representative, **more
        )


class StepsDownOpenCase(IcsSystem):
    """Closes an open case itself when a social worker steps it down, instead of refusing."""

    def step_down(self, case_id: str, *args: Any, **kwargs: Any) -> Any:
        record = super().case_record(case_id)
        if record.closure is None:
            super().close_case(
                case_id, IcsClosure(closure_date=dt.datetime.now(dt.UTC).date(), reason=CinClosureReason.RC8)
            )
        return super().step_down(case_id, *args, **kwargs)


class TransfersLocalEpisodeAgain(IcsSystem):
    """Lets a local episode be transferred again after it has left ('in case the first did not arrive')."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        module = self.local_ecaf
        transfer = module.transfer_episode

        def again(episode_id: str, **kwargs: Any) -> Any:
            table = module.ctx.tables.local_episodes
            with module.store.transaction() as connection:
                connection.execute(update(table).where(table.c.episode_id == episode_id).values(state="held"))
            return transfer(episode_id, **kwargs)

        module.transfer_episode = again  # type: ignore[method-assign]


class TransferredCaseDuplicated(IcsSystem):
    """Opens a new case for every case record transferred in, even one it holds already."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        seen: set[str] = set()

        def fix(message: Any) -> Any:
            if not isinstance(message, CaseRecordTransfer):
                return message
            case_id = message.case_record.case_id
            if case_id not in seen:
                seen.add(case_id)
                return message
            record = message.case_record.model_copy(update={"case_id": f"{case_id[:50]}-{len(seen)}"})
            seen.add(record.case_id)
            return message.model_copy(update={"case_record": record})

        _receiving(self, fix)


class OfferCarriesTheWrongConsent(NationalEcaf):
    """Writes the consent an offer of CAF content carries for the authority, not for its social care service."""

    def connect(self, route: str, transport: Any) -> None:
        def swap(message: Any) -> Any:
            if not isinstance(message, InitialAssessmentPrepopulation):
                return message
            authority = message.header.recipient.organisation_id.split("-")[0]  # 'LA204-CSC' written as 'LA204'
            consents = [
                c.model_copy(update={"organisation_id": authority}) if c.organisation_id else c
                for c in message.consents
            ]
            return message.model_copy(update={"consents": consents})

        super().connect(route, RewritingTransport(transport, swap))


class ConsentGiverNotKept(NationalEcaf):
    """Records every consent as the child's: the screen has no field for a parent or carer."""

    def record_consent(self, episode_id: str, consent: ConsentRecord, *, by: Practitioner) -> CafEpisode:
        return super().record_consent(episode_id, consent.model_copy(update={"given_by": ConsentGiver.CHILD}), by=by)


# --- issue 10: National eCAF's nightly run -------------------------------------------------------------


class ClosesStaleEpisodes(NationalEcaf):
    """Housekeeping in the nightly run: an episode open more than three years is closed as 'other', as its assessor."""

    def run_maintenance(self, now: Any = None, *, by: Practitioner | None = None) -> Any:
        report = super().run_maintenance(now, by=by)
        for line in report.long_open:
            if line.days_open <= 3 * 365:
                continue
            with self.store.reading() as connection:  # the job reads the store directly, whoever may read it
                episode = ecaf_episodes.get(connection, self.tables, line.episode_id).episode
            if episode.assessment is not None:
                self.close_episode(line.episode_id, CafClosureReason.OTHER, by=episode.assessment.assessor)
        return report


# --- issue 10: what arrives again, and every fault named ------------------------------------------------


def _held_episode(system: NationalEcaf, episode_id: str) -> CafEpisode | None:
    with system.store.reading() as connection:
        held = ecaf_episodes.find(connection, system.tables, episode_id)
    return None if held is None else held.episode


def _accepted(message: Any, content_type: str) -> tuple[bytes, str, int]:
    header = message.header
    ack = acknowledgement_for(header.message_id, header.recipient, header.sender, [], header.created_at)
    return (to_json(ack), "application/json", 200) if "json" in content_type else (to_xml(ack), "application/xml", 200)


class TransferAgainKeptAsItWas(NationalEcaf):
    """An episode transferred in under an ID held already is acknowledged and dropped, whatever it now holds."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            message = decode(body)
            if isinstance(message, EpisodeTransfer) and _held_episode(self, message.episode.episode_id) is not None:
                return _accepted(message, content_type)
            return receive(body, content_type, client)

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]


class MigrationKeepsTheFirstVersion(NationalEcaf):
    """An episode migrated again with revised content counts as 'already imported': the first version stays."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def fix(message: Any) -> Any:
            if not isinstance(message, MigrationBatch):
                return message
            listed = [_held_episode(self, e.episode_id) or e for e in message.episodes]
            if listed == list(message.episodes):
                return message
            manifest = message.manifest.model_copy(update={"checksum": episodes_checksum(listed)})
            return message.model_copy(update={"episodes": listed, "manifest": manifest})

        _receiving(self, fix)


class NamesOneFaultAnEpisode(NationalEcaf):
    """A refused migrated episode is named by its first fault only (the report has one column for the rule)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            reply, kind, status = receive(body, content_type, client)
            ack = decode(reply) if isinstance(decode(body), MigrationBatch) else None
            findings = getattr(ack, "findings", None)
            if ack is None or not findings:
                return reply, kind, status
            kept, named = [], set()
            for finding in findings:
                episode = finding.path.split("]")[0] if finding.path.startswith("episodes[") else None
                if episode is not None and episode in named:
                    continue
                if episode is not None:
                    named.add(episode)
                kept.append(finding)
            return encode_like(ack.model_copy(update={"findings": kept}), reply), kind, status

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]


# --- issue 10: the ICS, answered once, each draft through its own case, whole, whatever its length ---------


class AnswersAgain(IcsSystem):
    """A referral from a CAF can be answered again (the decision is kept on the screen, not recorded as made)."""

    def respond_to_caf_referral(self, ics_referral_id: str, **kwargs: Any) -> Any:
        table = self.tables.caf_referrals
        with self.store.transaction() as connection:
            connection.execute(update(table).where(table.c.ics_referral_id == ics_referral_id).values(state="received"))
        return super().respond_to_caf_referral(ics_referral_id, **kwargs)


class ConfirmsThroughAnyCase(IcsSystem):
    """Confirms a draft found by its assessment ID alone, whichever case it was named through."""

    def confirm_draft(self, case_id: str, assessment_id: str, *, confirmed_by: Practitioner) -> Any:
        for summary in self.cases():
            if any(d.assessment.assessment_id == assessment_id for d in self.drafts(summary.case_id)):
                case_id = summary.case_id
        return super().confirm_draft(case_id, assessment_id, confirmed_by=confirmed_by)


def _without_strengths(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: (None if k == "strengths" else _without_strengths(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [_without_strengths(v) for v in data]
    return data


class StrengthsLeftOut(IcsSystem):
    """The draft initial assessment made from a CAF carries the needs of each element, not its strengths."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def fix(message: Any) -> Any:
            if not isinstance(message, InitialAssessmentPrepopulation):
                return message
            assessment = type(message.assessment).model_validate(_without_strengths(message.assessment.model_dump()))
            return message.model_copy(update={"assessment": assessment})

        _receiving(self, fix)


class LongEntriesRefused(IcsSystem):
    """Chronology events go to a 200-character column: a long one (a social worker's long names) fails the change."""

    def respond_to_caf_referral(self, ics_referral_id: str, **kwargs: Any) -> Any:
        joining = kwargs.get("joining")
        if (
            joining is not None
            and len(f"Social worker allocated: {joining.name.given_names} {joining.name.family_name}") > 200
        ):
            from ._adapters import ChangeRefused

            raise ChangeRefused("ICS-DB", "value too long for type character varying(200)", where="chronology.event")
        return super().respond_to_caf_referral(ics_referral_id, **kwargs)


class SocialCareTakesOneSeat(NationalEcaf):
    """When social care's member joins the TAC, the other members from their organisation are taken out of it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            message = decode(body)
            answer = receive(body, content_type, client)
            joining = getattr(message, "joining_member", None)
            if isinstance(message, SocialCareReferralResponse) and joining is not None and answer[2] == 200:
                organisation = joining.practitioner.organisation.organisation_id
                with self.store.transaction() as connection:
                    held = ecaf_episodes.get(connection, self.tables, message.episode_id, for_update=True)
                    members = [
                        m.model_copy(update={"left_on": joining.joined_on})
                        if m.left_on is None
                        and m.practitioner.organisation.organisation_id == organisation
                        and m.practitioner.practitioner_id != joining.practitioner.practitioner_id
                        else m
                        for m in held.episode.tac_members
                    ]
                    changed = held.episode.model_copy(update={"tac_members": members})
                    ecaf_episodes.update_episode(connection, self.tables, held, changed, now=self.clock())
            return answer

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]


class CafContentOnTheNewestCase(IcsSystem):
    """Files CAF content for an initial assessment on the child's newest open case, not the case referred."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            message = decode(body)
            if isinstance(message, InitialAssessmentPrepopulation):
                nhs = message.child.identifiers.nhs_number
                mine = [
                    c.case_id
                    for c in self.cases()
                    if c.state == "open" and self.case_record(c.case_id).child.identifiers.nhs_number == nhs
                ]
                if mine:
                    table = self.tables.caf_referrals
                    with self.store.transaction() as connection:
                        connection.execute(
                            update(table).where(table.c.episode_id == message.episode_id).values(case_id=mine[-1])
                        )
            return receive(body, content_type, client)

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]


class NoFurtherActionForAll(IcsSystem):
    """A CAF referral not accepted marks every referral of its case 'no further action'."""

    def respond_to_caf_referral(self, ics_referral_id: str, **kwargs: Any) -> Any:
        answer = super().respond_to_caf_referral(ics_referral_id, **kwargs)
        if kwargs.get("decision") is StepUpDecision.NOT_ACCEPTED:
            table = self.tables.records
            case_id = self.caf_referral(ics_referral_id).case_id
            with self.store.transaction() as connection:
                rows = connection.execute(
                    select(table.c.seq, table.c.document).where(table.c.case_id == case_id, table.c.kind == "referral")
                ).all()
                for seq, found in rows:
                    connection.execute(
                        update(table).where(table.c.seq == seq).values(document={**found, "noFurtherAction": True})
                    )
        return answer


class ConsentRefusalAsABrokenRule(NationalEcaf):
    """A referral or an offer refused for want of consent answers 422 (a broken rule), not 403, and is not audited."""

    def _disclosing(self, disclose: Callable[[], Any]) -> Any:
        try:
            return disclose()
        except Forbidden as refused:
            from ._adapters import EcafError

            raise EcafError(refused.rule_id, refused.message, where=refused.where) from None

    def refer_to_social_care(self, *args: Any, **kwargs: Any) -> str:
        return str(
            self._disclosing(lambda: super(ConsentRefusalAsABrokenRule, self).refer_to_social_care(*args, **kwargs))
        )

    def offer_to_initial_assessment(self, *args: Any, **kwargs: Any) -> str:
        return str(
            self._disclosing(
                lambda: super(ConsentRefusalAsABrokenRule, self).offer_to_initial_assessment(*args, **kwargs)
            )
        )


class OneRecordPerSender(IcsSystem):
    """Keys the case records it receives by the sending authority: a second child's record is taken for the first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        first: dict[str, str] = {}

        def fix(message: Any) -> Any:
            if not isinstance(message, CaseRecordTransfer):
                return message
            sender = message.header.sender.organisation_id
            case_id = first.setdefault(sender, message.case_record.case_id)
            return message.model_copy(
                update={"case_record": message.case_record.model_copy(update={"case_id": case_id})}
            )

        _receiving(self, fix)
