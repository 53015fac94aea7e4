"""The v1 message types, one or more per flow F1–F10 (DOMAIN.md).

Messages bound for ContactPoint (F1, F2, F3) are built only from the directory's own data:
a child's identifying details, involvements and contacts. They have no field that could
hold case information, and an element they do not define is rejected.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Annotated, ClassVar

from pydantic import Field

from ..model._base import CodeSet, IcsModel, XmlName
from ..model.caf import CafAssessment, CafEpisode, ConsentRecord, TacMember
from ..model.codes import SystemKind
from ..model.ics_records import CaseRecord
from ..model.identifiers import LaCode
from ..model.involvement import Involvement
from ..model.people import Child, Practitioner
from ..model.scalars import Boolean, Count, Date, Identifier, MessageId, Sha256, ShortText, Text
from .envelope import Message, MessageType

__all__ = [
    "Acknowledgement",
    "AcknowledgementStatus",
    "BatchManifest",
    "CafIndicatorUpdate",
    "CaseRecordTransfer",
    "ChildIdentityUpdate",
    "EpisodeTransfer",
    "InitialAssessmentPrepopulation",
    "InvolvementEnded",
    "InvolvementStarted",
    "MigrationBatch",
    "ReportedFinding",
    "SocialCareReferral",
    "SocialCareReferralResponse",
    "StepDown",
    "StepDownRequest",
    "StepUpDecision",
    "episodes_checksum",
]

_DIRECTORY = frozenset({SystemKind.CONTACTPOINT})
_ECAF = frozenset({SystemKind.NATIONAL_ECAF, SystemKind.LOCAL_ECAF})
_ICS = frozenset({SystemKind.ICS})
_ANY = frozenset(SystemKind)


# --- F1, F2: identity and involvement feed (any local system, ICS -> ContactPoint) -----------


class ChildIdentityUpdate(Message):
    """F1: a local system sends a child's basic identifying details (seed §2.3 fig 1, §5.2)."""

    message_type: ClassVar[MessageType] = MessageType.CHILD_IDENTITY_UPDATE
    flows: ClassVar[tuple[str, ...]] = ("F1",)
    recipients: ClassVar[frozenset[SystemKind]] = _DIRECTORY

    child: Child = Field(description="The child's details as the sender holds them.")
    died_on: Date | None = Field(default=None, description="The date the child died, where that has happened.")


class InvolvementStarted(Message):
    """F1/F2: a service's involvement with a child has started (for ICS: a referral was recorded, seed §5.2)."""

    message_type: ClassVar[MessageType] = MessageType.INVOLVEMENT_STARTED
    flows: ClassVar[tuple[str, ...]] = ("F1", "F2")
    recipients: ClassVar[frozenset[SystemKind]] = _DIRECTORY

    child: Child = Field(description="The child the service is involved with.")
    involvement: Involvement = Field(description="The involvement, with the contact to ask about it.")


class InvolvementEnded(Message):
    """F1/F2: a service's involvement with a child has ended (it stays visible for a year, seed §3.1)."""

    message_type: ClassVar[MessageType] = MessageType.INVOLVEMENT_ENDED
    flows: ClassVar[tuple[str, ...]] = ("F1", "F2")
    recipients: ClassVar[frozenset[SystemKind]] = _DIRECTORY

    child: Child = Field(description="The child.")
    involvement_id: Identifier = Field(description="The sender's identifier of the involvement that ended.")
    start_date: Date = Field(description="The date the involvement started, as first sent.")
    end_date: Date = Field(description="The date the involvement ended.")


# --- F3: CAF indicator (eCAF -> ContactPoint) --------------------------------------------------


class CafIndicatorUpdate(Message):
    """F3: a CAF exists for the child, who completed or updated it, and the lead professional (seed §5.1, §5.3).

    The CAF itself never travels to the directory: only that it exists and whom to contact.
    """

    message_type: ClassVar[MessageType] = MessageType.CAF_INDICATOR_UPDATE
    flows: ClassVar[tuple[str, ...]] = ("F3",)
    recipients: ClassVar[frozenset[SystemKind]] = _DIRECTORY

    child: Child = Field(description="The child.")
    caf_exists: Boolean = Field(description="Whether a CAF episode exists for the child.")
    updated_on: Date = Field(description="The date the CAF was completed or last updated.")
    completed_by: Practitioner = Field(description="The practitioner who completed or updated the CAF.")
    lead_professional: Practitioner | None = Field(default=None, description="The lead professional, once appointed.")


# --- F4: stepping up (eCAF -> ICS, ICS -> eCAF) ----------------------------------------------


class SocialCareReferral(Message):
    """F4: a referral to social care made from a CAF (seed §4.2). The CAF goes with it, under consent."""

    message_type: ClassVar[MessageType] = MessageType.SOCIAL_CARE_REFERRAL
    flows: ClassVar[tuple[str, ...]] = ("F4",)
    recipients: ClassVar[frozenset[SystemKind]] = _ICS

    referral_id: Identifier = Field(description="The referral's identifier in the sending eCAF.")
    referral_date: Date = Field(description="The date of the referral.")
    referred_by: Practitioner = Field(
        description="The practitioner making the referral (usually the lead professional)."
    )
    reason: Text = Field(description="Why the child is referred to social care.")
    episode: CafEpisode = Field(description="The CAF episode supporting the referral.")


class StepUpDecision(CodeSet):
    """What happens to the CAF episode once social care takes a referral (seed §4.2)."""

    PENDING = "pending", "Not yet decided between the lead professional and the social worker"
    RESPONSIBILITY_TO_SOCIAL_CARE = (
        "social-care-responsible",
        "The episode stays open, marked as social care's responsibility",
    )
    CLOSE_ALTERNATIVE_ASSESSMENT = (
        "close-alternative-assessment",
        "The episode closes: transfer to alternative holistic assessment",
    )
    NOT_ACCEPTED = "not-accepted", "Social care did not accept the referral"


class SocialCareReferralResponse(Message):
    """F4: social care answers a referral: who joins the TAC, and what becomes of the episode."""

    message_type: ClassVar[MessageType] = MessageType.SOCIAL_CARE_REFERRAL_RESPONSE
    flows: ClassVar[tuple[str, ...]] = ("F4",)
    recipients: ClassVar[frozenset[SystemKind]] = _ECAF

    episode_id: Identifier = Field(description="The CAF episode the referral came from.")
    referral_id: Identifier = Field(description="The referral answered.")
    ics_referral_id: Identifier | None = Field(default=None, description="The referral's identifier in the ICS system.")
    joining_member: TacMember | None = Field(
        default=None, description="The social worker, or a social services representative, who joins the TAC."
    )
    decision: StepUpDecision = Field(description="What becomes of the CAF episode.")
    decided_on: Date = Field(description="The date of the decision.")


# --- F5: CAF content to an initial assessment (eCAF -> ICS) ----------------------------------


class InitialAssessmentPrepopulation(Message):
    """F5: CAF content offered to ICS as a draft initial assessment that a practitioner must confirm (seed §4.2)."""

    message_type: ClassVar[MessageType] = MessageType.INITIAL_ASSESSMENT_PREPOPULATION
    flows: ClassVar[tuple[str, ...]] = ("F5",)
    recipients: ClassVar[frozenset[SystemKind]] = _ICS

    episode_id: Identifier = Field(description="The CAF episode the content comes from.")
    child: Child = Field(description="The child.")
    assessment: CafAssessment = Field(description="The common assessment.")
    consents: Annotated[list[ConsentRecord], XmlName("Consent")] = Field(
        default_factory=list, description="The consent that allows this sharing."
    )
    requested_by: Practitioner = Field(description="The social worker who asked for the content.")


# --- F6: stepping down (ICS -> eCAF) ---------------------------------------------------------


class StepDownRequest(CodeSet):
    """What the social worker asks of the CAF episode on stepping down (seed §4.3)."""

    REOPEN = "reopen", "Re-open the episode"
    REASSESS = "reassess", "Start a CAF re-assessment"


class StepDown(Message):
    """F6: social care hands outstanding additional needs back to the CAF (seed §4.3)."""

    message_type: ClassVar[MessageType] = MessageType.STEP_DOWN
    flows: ClassVar[tuple[str, ...]] = ("F6",)
    recipients: ClassVar[frozenset[SystemKind]] = _ECAF

    episode_id: Identifier = Field(description="The CAF episode to go back to.")
    child: Child = Field(description="The child.")
    social_worker: Practitioner = Field(description="The social worker stepping the case down.")
    social_care_ended_on: Date = Field(description="The date social care involvement ended.")
    outstanding_needs: Annotated[list[Text], XmlName("OutstandingNeed")] = Field(
        min_length=1, description="The additional needs still to be met."
    )
    request: StepDownRequest = Field(description="Re-open the episode, or start a re-assessment.")


# --- F7: single-episode transfer (local eCAF <-> National eCAF) --------------------------------


class EpisodeTransfer(Message):
    """F7: one CAF episode moves with a child between a local eCAF and National eCAF (seed §5.3)."""

    message_type: ClassVar[MessageType] = MessageType.EPISODE_TRANSFER
    flows: ClassVar[tuple[str, ...]] = ("F7",)
    recipients: ClassVar[frozenset[SystemKind]] = _ECAF

    from_la: LaCode = Field(description="The authority the child moved from.")
    to_la: LaCode = Field(description="The authority the child moved to.")
    reason: ShortText = Field(description="Why the episode is transferred.")
    episode: CafEpisode = Field(description="The episode, whole.")


# --- F8: migration batch (local eCAF -> National eCAF) --------------------------------------


def episodes_checksum(episodes: Iterable[CafEpisode]) -> str:
    """SHA-256 of episodes as a manifest states it: each episode's canonical JSON and a line feed, in order."""
    digest = hashlib.sha256()
    for episode in episodes:
        data = episode.model_dump(mode="json", by_alias=True, exclude_none=True)
        digest.update(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


class BatchManifest(IcsModel):
    """What a migration batch says it contains, so the receiver can prove it got all of it."""

    batch_id: Identifier = Field(description="The batch's identifier; importing the same batch again changes nothing.")
    episode_count: Count = Field(description="The number of episodes in the batch.")
    consent_count: Count = Field(description="The number of consent records across all episodes.")
    checksum: Sha256 = Field(
        description=(
            "SHA-256 of the episodes: of each episode's canonical JSON (keys sorted, no spaces), "
            "each followed by a line feed, in order."
        )
    )

    @classmethod
    def for_episodes(cls, batch_id: str, episodes: list[CafEpisode]) -> BatchManifest:
        """The manifest that truly describes `episodes`."""
        return cls(
            batch_id=batch_id,
            episode_count=len(episodes),
            consent_count=sum(len(e.consents) for e in episodes),
            checksum=episodes_checksum(episodes),
        )


class MigrationBatch(Message):
    """F8: local eCAF episodes exported for import into National eCAF, each with its consent (seed §5.3)."""

    message_type: ClassVar[MessageType] = MessageType.MIGRATION_BATCH
    flows: ClassVar[tuple[str, ...]] = ("F8",)
    recipients: ClassVar[frozenset[SystemKind]] = frozenset({SystemKind.NATIONAL_ECAF})

    manifest: BatchManifest = Field(description="The batch manifest.")
    episodes: Annotated[list[CafEpisode], XmlName("Episode")] = Field(
        default_factory=list, description="The episodes, each with its consent records."
    )


# --- F9: case record transfer (ICS -> ICS) ---------------------------------------------------


class CaseRecordTransfer(Message):
    """F9: a child's case record moves to another authority's case-management system (seed §1.1)."""

    message_type: ClassVar[MessageType] = MessageType.CASE_RECORD_TRANSFER
    flows: ClassVar[tuple[str, ...]] = ("F9",)
    recipients: ClassVar[frozenset[SystemKind]] = _ICS

    from_la: LaCode = Field(description="The sending authority.")
    to_la: LaCode = Field(description="The receiving authority.")
    reason: Text = Field(description="Why the case is transferred.")
    case_record: CaseRecord = Field(description="The case record.")


# --- F10: acknowledgement (receiver -> sender) ------------------------------------------------


class AcknowledgementStatus(CodeSet):
    """Whether the receiver accepted a message."""

    ACCEPTED = "accepted", "Accepted and applied (or already applied: a redelivery)"
    REJECTED = "rejected", "Rejected; nothing was applied"


class ReportedFinding(IcsModel):
    """A rule or schema constraint a message failed, as the receiver reports it."""

    rule_id: ShortText = Field(description="The rule or schema constraint ID, for example 'CAF-001'.")
    severity: ShortText = Field(description="'error' or 'warning'.")
    path: ShortText | None = Field(default=None, description="Where in the message, as a JSON-style path.")
    line: Count | None = Field(default=None, description="The line in the XML document, where known.")
    message: Text = Field(description="What is wrong and how to fix it.")


class Acknowledgement(Message):
    """F10: the receiver's answer to any message: accepted, or rejected with the rules that failed."""

    message_type: ClassVar[MessageType] = MessageType.ACKNOWLEDGEMENT
    flows: ClassVar[tuple[str, ...]] = ("F10",)
    recipients: ClassVar[frozenset[SystemKind]] = _ANY

    acknowledged_message_id: MessageId = Field(description="The message answered (also the envelope's correlation ID).")
    status: AcknowledgementStatus = Field(description="Accepted or rejected.")
    findings: Annotated[list[ReportedFinding], XmlName("Finding")] = Field(
        default_factory=list, description="The rules failed (errors), and warnings."
    )
