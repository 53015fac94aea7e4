"""The envelope every message carries, and the base class of the messages."""

from __future__ import annotations

import datetime as dt
import re
from datetime import date
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, model_validator

from ..model._base import CodeSet, IcsModel, SimpleType
from ..model.codes import SystemKind
from ..model.scalars import Identifier, MessageId, SchemaVersion, ShortText

__all__ = [
    "SCHEMA_VERSION",
    "TIMESTAMP_PATTERN",
    "Envelope",
    "Message",
    "MessageId",
    "MessageType",
    "SystemRef",
    "Timestamp",
]

#: The version of the standard these models describe.
SCHEMA_VERSION = "1.1"

#: A timestamp as both schemas write it: XML Schema's dateTime and RFC 3339's date-time at once,
#: that is a four-digit year, `T`, seconds, an offset `Z` or within ±14:00 (no 24:00:00, no
#: leap second, no lower-case `t` or `z`). Written without `(?:`, so XML Schema can use it.
TIMESTAMP_PATTERN = (
    r"^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+\-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$"
)
_TIMESTAMP_TEXT = re.compile(TIMESTAMP_PATTERN)


def _timestamp_as_written(value: Any) -> Any:
    if isinstance(value, str):
        if _TIMESTAMP_TEXT.fullmatch(value) is None:
            raise ValueError(
                f"{value[:40]!r} is not a timestamp written YYYY-MM-DDThh:mm:ss with an offset (Z, or +hh:mm "
                "up to 14:00)"
            )
    elif not isinstance(value, dt.datetime):
        raise ValueError("a timestamp is written as text, YYYY-MM-DDThh:mm:ssZ")
    return value


def _offset_xml_can_carry(moment: dt.datetime) -> dt.datetime:
    offset = moment.utcoffset()
    assert offset is not None  # AwareDatetime has already insisted on one
    if offset.seconds % 60 or offset.microseconds or abs(offset) > dt.timedelta(hours=14):
        raise ValueError("the UTC offset must be whole minutes between -14:00 and +14:00, as XML Schema allows")
    return moment


Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_timestamp_as_written),
    AfterValidator(_offset_xml_can_carry),
    SimpleType(
        "Timestamp",
        base="dateTime",
        doc="A date and time with its offset from UTC, for example 2010-03-01T09:30:00Z.",
        pattern=TIMESTAMP_PATTERN,
    ),
]


class MessageType(CodeSet):
    """The message types of the standard, one or more per flow (DOMAIN.md F1–F10)."""

    CHILD_IDENTITY_UPDATE = "ChildIdentityUpdate", "F1: a child's basic details, new or changed"
    INVOLVEMENT_STARTED = "InvolvementStarted", "F1/F2: a service's involvement with a child starts"
    INVOLVEMENT_ENDED = "InvolvementEnded", "F1/F2: a service's involvement with a child ends"
    CAF_INDICATOR_UPDATE = (
        "CafIndicatorUpdate",
        "F3: a CAF exists (or no longer does), who completed it, the lead professional",
    )
    SOCIAL_CARE_REFERRAL = "SocialCareReferral", "F4: stepping up, a referral to social care from a CAF"
    SOCIAL_CARE_REFERRAL_RESPONSE = (
        "SocialCareReferralResponse",
        "F4: social care joins the TAC and decides the episode's responsibility",
    )
    INITIAL_ASSESSMENT_PREPOPULATION = (
        "InitialAssessmentPrepopulation",
        "F5: CAF content offered as a draft initial assessment",
    )
    STEP_DOWN = "StepDown", "F6: stepping down, outstanding needs handed back to the CAF"
    EPISODE_TRANSFER = "EpisodeTransfer", "F7: a single CAF episode moves between eCAF systems"
    MIGRATION_BATCH = "MigrationBatch", "F8: a batch of local eCAF episodes migrated into National eCAF"
    CASE_RECORD_TRANSFER = "CaseRecordTransfer", "F9: a child's case record moves to another authority"
    ACKNOWLEDGEMENT = "Acknowledgement", "F10: a message was accepted, or rejected with the rules it failed"


class SystemRef(IcsModel):
    """A system taking part in an exchange, and the organisation that runs it."""

    system: SystemKind = Field(description="The kind of system.")
    organisation_id: Identifier = Field(description="The organisation that runs the system.")
    organisation_name: ShortText | None = Field(default=None, description="The organisation's name.")


class Envelope(IcsModel):
    """Who sent what to whom, when, and in reply to what."""

    message_id: MessageId = Field(description="Unique identifier of this message; a redelivery keeps it.")
    message_type: MessageType = Field(description="The message type; the same as the message's own name.")
    schema_version: SchemaVersion = Field(description="The version of the standard the message follows.")
    sender: SystemRef = Field(description="The sending system.")
    recipient: SystemRef = Field(description="The receiving system.")
    created_at: Timestamp = Field(description="When the sender created the message.")
    correlation_id: MessageId | None = Field(
        default=None, description="For a reply: the message ID of the message it answers."
    )


class Message(IcsModel):
    """Base of every message type: an envelope, then the type's own content."""

    #: The message type this class is.
    message_type: ClassVar[MessageType]
    #: The flows (DOMAIN.md) the message type serves.
    flows: ClassVar[tuple[str, ...]]
    #: The kinds of system the message type may be sent to.
    recipients: ClassVar[frozenset[SystemKind]]

    header: Envelope = Field(description="The envelope.")

    @model_validator(mode="after")
    def _header_names_this_type(self) -> Message:
        if self.header.message_type is not self.message_type:
            raise ValueError(
                f"header.messageType is {self.header.message_type.value!r} but the message is a "
                f"{self.message_type.value}; set messageType to {self.message_type.value!r}"
            )
        return self

    @property
    def effective_date(self) -> date:
        """The date the message speaks for: the date it was created, in its own offset."""
        return self.header.created_at.date()
