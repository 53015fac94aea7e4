"""The ICS system's tables (prefix `ics_`): cases, their records, the chronology, referrals from CAFs, local CAFs.

Every record is stored as the standard's own JSON (`Document`) beside the columns the system
searches or constrains on, so what the system holds is exactly what the standard can carry.
A draft initial assessment (F5) lives among the records with state 'draft' and counts for
nothing (case record, transfer, census) until a practitioner confirms it.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from ..messaging import MessagingTables
from ..storage import Document

__all__ = ["CONFIRMED", "DRAFT", "IcsTables", "RecordKind"]

#: The state of a record that is part of the case record.
CONFIRMED = "confirmed"
#: The state of a draft initial assessment awaiting a practitioner (F5).
DRAFT = "draft"


class RecordKind:
    """The kinds of record a case holds (the `kind` column), named as the CaseRecord's lists are."""

    CONTACT = "contact"
    REFERRAL = "referral"
    INITIAL_ASSESSMENT = "initial-assessment"
    CORE_ASSESSMENT = "core-assessment"
    PLAN = "plan"
    REVIEW = "review"


class IcsTables:
    """The tables of one ICS system, in their own MetaData."""

    def __init__(self, prefix: str = "ics") -> None:
        self.metadata = MetaData()
        m = self.metadata
        self.cases = Table(
            f"{prefix}_cases",
            m,
            Column("case_id", String(64), primary_key=True),
            Column("state", String(16), nullable=False),  # open | closed
            Column("child", Document, nullable=False),
            # The identifiers a child is matched on when a message about them arrives (F4, F5).
            Column("contactpoint_id", String(12), index=True),
            Column("nhs_number", String(10), index=True),
            Column("upn", String(13), index=True),
            Column("characteristics", Document, nullable=True),
            Column("allocated_worker", Document, nullable=True),
            Column("opened_on", Date, nullable=False),
            Column("closure", Document, nullable=True),
            # The involvement as sent to ContactPoint (F2), and when it ended (F1).
            Column("involvement", Document, nullable=True),
            Column("involvement_ended_on", Date, nullable=True),
            # A case received from another authority (F9): whose case it was, so it is never created twice.
            Column("received_from", String(64), nullable=True),
            Column("received_case_id", String(64), nullable=True),
            Column("created_at", DateTime(timezone=True), nullable=False),
            UniqueConstraint("received_from", "received_case_id", name=f"{prefix}_cases_received_once"),
        )
        self.records = Table(
            f"{prefix}_records",
            m,
            Column("seq", Integer, primary_key=True, autoincrement=True),
            Column("case_id", String(64), ForeignKey(self.cases.c.case_id), nullable=False, index=True),
            Column("kind", String(32), nullable=False),
            Column("record_id", String(64), nullable=False),
            Column("state", String(16), nullable=False),
            Column("document", Document, nullable=False),
            # A draft's origin (F5): the CAF episode, the assessment and who asked for it.
            Column("source", Document, nullable=True),
            Column("recorded_at", DateTime(timezone=True), nullable=False),
            Column("confirmed_by", Document, nullable=True),
            Column("confirmed_at", DateTime(timezone=True), nullable=True),
            UniqueConstraint("case_id", "kind", "record_id", name=f"{prefix}_records_unique_id"),
        )
        self.chronology = Table(
            f"{prefix}_chronology",
            m,
            Column("seq", Integer, primary_key=True, autoincrement=True),
            Column("case_id", String(64), ForeignKey(self.cases.c.case_id), nullable=False, index=True),
            Column("entry_date", Date, nullable=False),
            Column("document", Document, nullable=False),
            Column("automatic", Boolean, nullable=False),
            Column("recorded_at", DateTime(timezone=True), nullable=False),
        )
        # Referrals that came from a CAF (F4), until social care has answered them.
        self.caf_referrals = Table(
            f"{prefix}_caf_referrals",
            m,
            Column("ics_referral_id", String(64), primary_key=True),
            Column("case_id", String(64), ForeignKey(self.cases.c.case_id), nullable=False, index=True),
            Column("message_id", String(36), nullable=False),
            Column("sender", Document, nullable=False),
            Column("sender_org", String(64), nullable=False),
            Column("ecaf_referral_id", String(64), nullable=False),
            Column("episode_id", String(64), nullable=False, index=True),
            Column("referral_date", Date, nullable=False),
            Column("referred_by", Document, nullable=False),
            Column("episode", Document, nullable=False),
            Column("state", String(16), nullable=False),  # awaiting | pending | decided
            Column("decision", String(40), nullable=True),
            Column("decided_on", Date, nullable=True),
            Column("response_message_id", String(36), nullable=True),
            Column("received_at", DateTime(timezone=True), nullable=False),
            UniqueConstraint("sender_org", "ecaf_referral_id", name=f"{prefix}_caf_referrals_once"),
        )
        # The local eCAF module's episodes (F7, F8).
        self.local_episodes = Table(
            f"{prefix}_local_episodes",
            m,
            Column("episode_id", String(64), primary_key=True),
            Column("document", Document, nullable=False),
            Column("state", String(16), nullable=False),  # held | transferred | migrated
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("exported_at", DateTime(timezone=True), nullable=True),
            Column("exported_to", String(64), nullable=True),
            Column("batch_id", String(64), nullable=True, index=True),
        )
        self.messaging = MessagingTables(m, prefix)
