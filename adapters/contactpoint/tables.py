"""The directory's tables, all under the `cp_` prefix.

A child's record is the standard's own JSON (`details`) beside the columns the directory
searches and matches on. Identifiers live in their own table with a uniqueness constraint,
so one NHS number, UPN or sender's local ID can never name two records, even when two
messages about the same new child are applied at the same moment. The audit log keeps the
IDs of the records accessed as plain data, not foreign keys: it outlives purged records.

Every lookup the feed, matching, searches and views make has an index, so none of them reads
a table that grows with the children held (tests/test_query_plans.py checks the plans on both
engines): a record's names, identifiers and involvements by its ContactPoint ID; names by date
of birth and family name (matching, and a search with a date of birth: a birth date is far
more selective than a family name), and by family and given names; the match queue's held
entries by what later messages about the same child are recognised by.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    text,
)

from ..messaging import MessagingTables
from ..storage import Document, Statements

__all__ = ["DirectoryTables"]

_CHILD_FK = "cp_child.contactpoint_id"


class DirectoryTables:
    """Every table of the directory, on one MetaData."""

    def __init__(self) -> None:
        self.metadata = MetaData()
        self.messaging = MessagingTables(self.metadata, "cp")
        self.child = Table(
            "cp_child",
            self.metadata,
            Column("contactpoint_id", String(12), primary_key=True),
            Column("status", String(16), nullable=False),  # live | archived
            Column("details", Document, nullable=False),  # the Child, as the standard's JSON
            Column("details_as_of", DateTime(timezone=True), nullable=False),  # creation time of the message
            Column("date_of_birth", Date, nullable=True),  # or the expected date of birth of an unborn child
            Column("postcode_key", String(8), nullable=True),
            Column("died_on", Date, nullable=True),
            Column("shielded", Boolean, nullable=False),
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("archived_at", DateTime(timezone=True), nullable=True),
            Index("cp_child_dob", "date_of_birth"),
            Index("cp_child_postcode", "postcode_key"),
        )
        # Every name a child is or was known by, normalised, for search and matching.
        self.name = Table(
            "cp_child_name",
            self.metadata,
            Column("name_id", Integer, primary_key=True, autoincrement=True),
            Column("contactpoint_id", String(12), ForeignKey(_CHILD_FK), nullable=False),
            Column("family_key", String(120), nullable=False),
            Column("given_key", String(120), nullable=False),
            Column("current", Boolean, nullable=False),
            # The child's, repeated here so matching and searches find names by birth date and family at once.
            Column("date_of_birth", Date, nullable=True),
            Index("cp_child_name_family", "family_key", "given_key"),
            Index("cp_child_name_born", "date_of_birth", "family_key", "given_key"),
            Index("cp_child_name_record", "contactpoint_id"),
        )
        # scheme: nhs | upn | local; scope: '' or, for a local ID, the sender's organisation.
        self.identifier = Table(
            "cp_child_identifier",
            self.metadata,
            Column("scheme", String(8), primary_key=True),
            Column("scope", String(64), primary_key=True),
            Column("value", String(64), primary_key=True),
            Column("contactpoint_id", String(12), ForeignKey(_CHILD_FK), nullable=False),
            Index("cp_child_identifier_record", "contactpoint_id"),
        )
        self.involvement = Table(
            "cp_involvement",
            self.metadata,
            Column("row_id", Integer, primary_key=True, autoincrement=True),
            Column("contactpoint_id", String(12), ForeignKey(_CHILD_FK), nullable=False),
            Column("sender", String(64), nullable=False),
            Column("involvement_id", String(64), nullable=False),
            Column("organisation_id", String(64), nullable=False),  # the service's: who may see a sensitive one
            Column("sensitive", String(32), nullable=True),
            Column("start_date", Date, nullable=False),
            Column("end_date", Date, nullable=True),
            Column("as_of", DateTime(timezone=True), nullable=False),
            Column("details", Document, nullable=False),  # the Involvement, as the standard's JSON
            UniqueConstraint("sender", "involvement_id", name="cp_involvement_sender_key"),
            Index("cp_involvement_id", "involvement_id"),  # who else holds an involvement ID (CP-INV-OWNER)
            Index("cp_involvement_record", "contactpoint_id", "start_date"),
            Index("cp_involvement_ended", "end_date"),  # maintenance: involvements a year past their end
        )
        # One indicator per child per eCAF system: a later update from the same one replaces it.
        self.caf_indicator = Table(
            "cp_caf_indicator",
            self.metadata,
            Column("contactpoint_id", String(12), ForeignKey(_CHILD_FK), primary_key=True),
            Column("sender", String(64), primary_key=True),
            Column("updated_on", Date, nullable=False),
            Column("as_of", DateTime(timezone=True), nullable=False),
            Column("completed_by", Document, nullable=False),
            Column("lead_professional", Document, nullable=True),
        )
        self.match_queue = Table(
            "cp_match_queue",
            self.metadata,
            Column("entry_id", Integer, primary_key=True, autoincrement=True),
            Column("received_at", DateTime(timezone=True), nullable=False),
            Column("message_id", String(36), nullable=False),
            Column("message_type", String(64), nullable=False),
            Column("sender", String(64), nullable=False),
            # What later messages about the same child are recognised by, so they wait behind this one.
            Column("local_id", String(64), nullable=True),
            Column("nhs_number", String(10), nullable=True),
            Column("involvement_id", String(64), nullable=True),
            Column("reason", String(500), nullable=False),
            Column("candidates", Document, nullable=False),  # ContactPoint IDs
            Column("message", Document, nullable=False),  # the whole message, as the standard's JSON
            Column("status", String(16), nullable=False),  # held | resolved
            Column("resolved_at", DateTime(timezone=True), nullable=True),
            Column("resolved_by", String(64), nullable=True),
            Column("resolution", String(16), nullable=True),  # merge | new
            Column("resolution_reason", String(1000), nullable=True),
            Column("contactpoint_id", String(12), nullable=True),
            Index("cp_match_queue_status", "status"),
            # A message waits behind a held one about the same child: found by any of these, among held entries only.
            *(
                Index(
                    f"cp_match_queue_held_{name}",
                    *columns,
                    sqlite_where=text("status = 'held'"),
                    postgresql_where=text("status = 'held'"),
                )
                for name, columns in (
                    ("local", ("sender", "local_id")),
                    ("nhs", ("sender", "nhs_number")),
                    ("involvement", ("sender", "involvement_id")),
                )
            ),
        )
        self.practitioner = Table(
            "cp_practitioner",
            self.metadata,
            Column("practitioner_id", String(64), primary_key=True),
            Column("name", Document, nullable=False),
            Column("role", String(32), nullable=False),
            Column("organisation_id", String(64), nullable=False),
            Column("registered_at", DateTime(timezone=True), nullable=False),
            Column("registered_by", String(64), nullable=True),
        )
        self.audit = Table(
            "cp_audit",
            self.metadata,
            Column("audit_id", Integer, primary_key=True, autoincrement=True),
            Column("at", DateTime(timezone=True), nullable=False),
            Column("practitioner_id", String(64), nullable=False),
            # The authenticated client the access came through ('(in-process)' for a Python caller).
            Column("client_id", String(200), nullable=False),
            Column("action", String(32), nullable=False),
            Column("outcome", String(16), nullable=False),
            Column("reason", String(1000), nullable=False),
            Column("records", Document, nullable=False),  # ContactPoint IDs
            Column("query", Document, nullable=False),
            Column("detail", String(1000), nullable=False),
            Index("cp_audit_at", "at"),
            Index("cp_audit_practitioner", "practitioner_id"),
        )
        self.audit_alert = Table(
            "cp_audit_alert",
            self.metadata,
            Column("alert_id", Integer, primary_key=True, autoincrement=True),
            Column("audit_id", Integer, ForeignKey("cp_audit.audit_id"), nullable=False),
            Column("at", DateTime(timezone=True), nullable=False),
            Column("kind", String(32), nullable=False),
            Column("practitioner_id", String(64), nullable=False),
            Column("contactpoint_id", String(12), nullable=False),
            Column("reason", String(1000), nullable=False),
        )
        #: The statements of the feed, matching, searches and views, each built once.
        self.sql = Statements(self)
