"""Messages of the standard: the envelope and one type (or a pair) per flow F1–F10."""

from __future__ import annotations

from .envelope import SCHEMA_VERSION, Envelope, Message, MessageId, MessageType, SystemRef, Timestamp
from .flows import (
    Acknowledgement,
    AcknowledgementStatus,
    BatchManifest,
    CafIndicatorUpdate,
    CaseRecordTransfer,
    ChildIdentityUpdate,
    EpisodeTransfer,
    InitialAssessmentPrepopulation,
    InvolvementEnded,
    InvolvementStarted,
    MigrationBatch,
    ReportedFinding,
    SocialCareReferral,
    SocialCareReferralResponse,
    StepDown,
    StepDownRequest,
    StepUpDecision,
    episodes_checksum,
)

#: Every message class of v1, by message type, in the order of the flows.
MESSAGE_CLASSES: dict[MessageType, type[Message]] = {
    cls.message_type: cls
    for cls in (
        ChildIdentityUpdate,
        InvolvementStarted,
        InvolvementEnded,
        CafIndicatorUpdate,
        SocialCareReferral,
        SocialCareReferralResponse,
        InitialAssessmentPrepopulation,
        StepDown,
        EpisodeTransfer,
        MigrationBatch,
        CaseRecordTransfer,
        Acknowledgement,
    )
}

__all__ = [
    "MESSAGE_CLASSES",
    "SCHEMA_VERSION",
    "Acknowledgement",
    "AcknowledgementStatus",
    "BatchManifest",
    "CafIndicatorUpdate",
    "CaseRecordTransfer",
    "ChildIdentityUpdate",
    "Envelope",
    "EpisodeTransfer",
    "InitialAssessmentPrepopulation",
    "InvolvementEnded",
    "InvolvementStarted",
    "Message",
    "MessageId",
    "MessageType",
    "MigrationBatch",
    "ReportedFinding",
    "SocialCareReferral",
    "SocialCareReferralResponse",
    "StepDown",
    "StepDownRequest",
    "StepUpDecision",
    "SystemRef",
    "Timestamp",
    "episodes_checksum",
]
