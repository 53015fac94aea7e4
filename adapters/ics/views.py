"""What the ICS system shows a practitioner beside the standard's own records: drafts, CAF referrals, exports.

These are pydantic models (they travel as JSON over the system's HTTP routes), named in the
practitioner's words; the records themselves (CaseRecord, InitialAssessment, CafEpisode...)
are the standard's own models.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, Field

from ics_interop.messages import StepUpDecision, SystemRef
from ics_interop.model import CafAssessment, CafEpisode, IcsModel, InitialAssessment, Practitioner, XmlName
from ics_interop.model.scalars import Identifier, MessageId, ShortText

__all__ = [
    "CafReferral",
    "CaseSummary",
    "DraftAssessment",
    "LeftOutEpisode",
    "LocalEpisode",
    "MigrationReport",
    "SentMessage",
]


class CaseSummary(IcsModel):
    """One line of the case list."""

    case_id: Identifier = Field(description="The case's identifier.")
    child_name: ShortText = Field(description="The child's name.")
    state: ShortText = Field(description="'open' or 'closed'.")
    opened_on: date = Field(description="The date the case was opened.")
    received_from: Identifier | None = Field(
        default=None, description="For a case transferred in (F9): the sending organisation."
    )


class DraftAssessment(IcsModel):
    """An initial assessment started from a CAF (F5): a draft until a practitioner confirms it."""

    case_id: Identifier = Field(description="The case the draft belongs to.")
    assessment: InitialAssessment = Field(description="The draft (or, once confirmed, the recorded) assessment.")
    confirmed: bool = Field(description="Whether a practitioner has confirmed it; only then is it on the case record.")
    confirmed_by: Practitioner | None = Field(default=None, description="Who confirmed it.")
    confirmed_at: AwareDatetime | None = Field(default=None, description="When it was confirmed.")
    episode_id: Identifier = Field(description="The CAF episode the content came from.")
    caf_assessment: CafAssessment = Field(
        description="The common assessment as received, to read beside the draft (comments, conclusions)."
    )
    requested_by: Practitioner = Field(description="The social worker who asked for the CAF content.")
    received_at: AwareDatetime = Field(description="When the CAF content arrived.")


class CafReferral(IcsModel):
    """A referral that came from a CAF (F4), and social care's answer so far."""

    ics_referral_id: Identifier = Field(description="The referral's ID in this system.")
    case_id: Identifier = Field(description="The case the referral was recorded on.")
    ecaf_referral_id: Identifier = Field(description="The referral's ID in the sending eCAF.")
    episode_id: Identifier = Field(description="The CAF episode that supported the referral.")
    referral_date: date = Field(description="The date of the referral.")
    referred_by: Practitioner = Field(description="Who referred the child (usually the lead professional).")
    sender: SystemRef = Field(description="The eCAF system the referral came from, and the answer goes to.")
    state: ShortText = Field(description="'awaiting' an answer, answered 'pending', or 'decided'.")
    decision: StepUpDecision | None = Field(default=None, description="The latest answer's decision.")
    decided_on: date | None = Field(default=None, description="The date of the latest answer.")


class SentMessage(IcsModel):
    """A message the system wrote to its outbox (it is delivered by `deliver()`)."""

    message_id: MessageId = Field(description="The message's ID.")
    message_type: ShortText = Field(description="The message type.")
    destination: ShortText = Field(description="The outbox route it goes to.")


class LocalEpisode(IcsModel):
    """A CAF episode held in the ICS's local eCAF module (seed §5.3)."""

    episode: CafEpisode = Field(description="The episode.")
    state: ShortText = Field(description="'held', 'transferred' (F7) or 'migrated' (F8).")
    exported_to: ShortText | None = Field(default=None, description="Where it went, once exported.")
    batch_id: Identifier | None = Field(default=None, description="The migration batch it went in.")


class LeftOutEpisode(IcsModel):
    """An episode a migration batch did not send, and why."""

    episode_id: Identifier = Field(description="The episode left out.")
    reason: ShortText = Field(description="Why it was left out, and what to do about it.")


class MigrationReport(IcsModel):
    """What a migration export sent (F8), and what it left out."""

    batch_id: Identifier = Field(description="The batch's ID.")
    message: SentMessage = Field(description="The MigrationBatch message in the outbox.")
    sent: Annotated[list[Identifier], XmlName("Sent")] = Field(description="The episodes in the batch.")
    left_out: Annotated[list[LeftOutEpisode], XmlName("LeftOut")] = Field(
        default_factory=list, description="The episodes not sent, each with the reason."
    )
