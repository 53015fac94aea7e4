"""National eCAF's tables, all prefixed `ecaf_`.

An episode is stored whole, as the standard's own JSON (`document`), beside the columns the
system searches on: its status and dates (management reporting), the child's identifiers
(is there another open episode for this child?), where it came from (so an ID held from one
source is never overwritten from another) and a version (so two changes at once cannot lose
one of them). The access audit records every read, refusal and disclosure, with the client it
came through; the users table holds each registered user's role.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from ..messaging import MessagingTables
from ..storage import Document

__all__ = ["EcafTables"]


class EcafTables:
    """Every table of one National eCAF, in its own MetaData."""

    def __init__(self, metadata: MetaData) -> None:
        self.metadata = metadata
        self.messaging = MessagingTables(metadata, "ecaf")
        self.episodes = Table(
            "ecaf_episodes",
            metadata,
            Column("episode_id", String(64), primary_key=True),
            Column("status", String(16), nullable=False, index=True),
            Column("opened_on", Date, nullable=False),
            Column("closed_on", Date, nullable=True),
            Column("responsibility", String(32), nullable=False),
            Column("child_cp", String(12), nullable=True, index=True),
            Column("child_nhs", String(10), nullable=True, index=True),
            Column("child_upn", String(13), nullable=True, index=True),
            Column("child_local", String(64), nullable=True),
            Column("la_code", String(3), nullable=True),
            # "logged", "transfer from <route>", "migration <batch> from <route>"
            Column("origin", String(200), nullable=False),
            # The digest of the episode as it arrived (transfer or migration): a redelivery matches it.
            Column("arrival_digest", String(64), nullable=True),
            Column("transferred_out_to", String(64), nullable=True),
            Column("version", Integer, nullable=False),
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("updated_at", DateTime(timezone=True), nullable=False),
            Column("document", Document, nullable=False),
        )
        self.referrals = Table(
            "ecaf_referrals",
            metadata,
            Column("referral_id", String(64), primary_key=True),
            Column("episode_id", String(64), nullable=False, index=True),
            Column("message_id", String(36), nullable=False),
            Column("to_organisation", String(64), nullable=False),
            Column("referred_on", Date, nullable=False),
            Column("referred_by", String(64), nullable=False),
            Column("status", String(32), nullable=False),
            Column("ics_referral_id", String(64), nullable=True),
            Column("decided_on", Date, nullable=True),
        )
        self.migration_results = Table(
            "ecaf_migration_results",
            metadata,
            Column("batch_id", String(64), primary_key=True),
            Column("episode_id", String(64), primary_key=True),
            Column("position", Integer, nullable=False),
            Column("sender", String(64), nullable=False),
            Column("outcome", String(32), nullable=False),
            Column("rule_ids", String(400), nullable=False),
            Column("detail", Text, nullable=True),
            Column("recorded_at", DateTime(timezone=True), nullable=False),
        )
        self.access_audit = Table(
            "ecaf_access_audit",
            metadata,
            Column("seq", Integer, primary_key=True, autoincrement=True),
            Column("at", DateTime(timezone=True), nullable=False),
            Column("episode_id", String(64), nullable=False, index=True),
            Column("practitioner_id", String(64), nullable=True),
            Column("organisation_id", String(64), nullable=True),
            # read | read-refused | changed | change-refused | disclosed | disclosure-refused | received
            Column("action", String(32), nullable=False),
            Column("reason", String(2000), nullable=False),
            # The authenticated client the request came through ('(in-process)' for a Python caller).
            Column("client_id", String(200), nullable=False),
        )
        # National eCAF's registration of its users: the role, and the practitioner's details.
        self.users = Table(
            "ecaf_users",
            metadata,
            Column("user_id", String(64), primary_key=True),
            Column("organisation_id", String(64), nullable=False),
            Column("role", String(32), nullable=False),
            Column("practitioner", Document, nullable=False),
            Column("registered_at", DateTime(timezone=True), nullable=False),
            Column("registered_by", String(64), nullable=True),
        )
