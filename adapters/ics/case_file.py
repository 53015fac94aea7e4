"""The case file: reading and writing a child's case, its records and its chronology, inside a transaction.

Every function here takes the caller's connection: the caller owns the transaction, so a
change and everything it causes (chronology entries, messages in the outbox) are stored
together or not at all. The case record (`assemble`) holds confirmed records only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, insert, or_, select, update

from ics_interop.model import (
    CaseRecord,
    Child,
    ChildCharacteristics,
    ChildPlan,
    ChronologyEntry,
    CoreAssessment,
    IcsClosure,
    IcsContact,
    IcsModel,
    IcsReferral,
    IcsReview,
    InitialAssessment,
    Involvement,
    Practitioner,
)

from .context import IcsContext, document
from .errors import refusal
from .tables import CONFIRMED, RecordKind

__all__ = [
    "RECORD_CLASSES",
    "CaseRow",
    "add_chronology",
    "allocated_worker_of",
    "assemble",
    "case_ids",
    "child_columns",
    "child_of",
    "chronology",
    "find_open_case_for",
    "insert_record",
    "involvement_of",
    "load_case",
    "record_ids",
    "records_of",
    "set_case",
]

#: The model of each kind of record.
RECORD_CLASSES: dict[str, type[IcsModel]] = {
    RecordKind.CONTACT: IcsContact,
    RecordKind.REFERRAL: IcsReferral,
    RecordKind.INITIAL_ASSESSMENT: InitialAssessment,
    RecordKind.CORE_ASSESSMENT: CoreAssessment,
    RecordKind.PLAN: ChildPlan,
    RecordKind.REVIEW: IcsReview,
}

CaseRow = Row[Any]


def load_case(connection: Connection, ctx: IcsContext, case_id: str, *, for_update: bool = True) -> CaseRow:
    """The case's row, locked for the rest of the transaction where the database can (PostgreSQL)."""
    query = select(ctx.tables.cases).where(ctx.tables.cases.c.case_id == case_id)
    if for_update:
        query = query.with_for_update()
    row = connection.execute(query).first()
    if row is None:
        raise refusal("ICS-001", f"there is no case {case_id!r}", where="caseId")
    return row


def case_ids(connection: Connection, ctx: IcsContext) -> list[str]:
    """Every case's ID, in the order the cases were created."""
    cases = ctx.tables.cases
    return list(connection.scalars(select(cases.c.case_id).order_by(cases.c.created_at, cases.c.case_id)))


def find_open_case_for(connection: Connection, ctx: IcsContext, child: Child) -> CaseRow | None:
    """The open case of the child a message is about, matched on any national identifier they carry."""
    cases = ctx.tables.cases
    ids = child.identifiers
    matches = [
        column == value
        for column, value in (
            (cases.c.contactpoint_id, ids.contactpoint_id),
            (cases.c.nhs_number, ids.nhs_number),
            (cases.c.upn, ids.upn),
        )
        if value is not None
    ]
    if not matches:
        return None
    return connection.execute(
        select(cases)
        .where(cases.c.state == "open", or_(*matches))
        .order_by(cases.c.created_at.desc())
        .with_for_update()
    ).first()


def child_columns(child: Child) -> dict[str, Any]:
    """The columns a child is matched on."""
    ids = child.identifiers
    return {"contactpoint_id": ids.contactpoint_id, "nhs_number": ids.nhs_number, "upn": ids.upn}


def set_case(connection: Connection, ctx: IcsContext, case_id: str, **values: Any) -> None:
    """Update columns of a case."""
    connection.execute(update(ctx.tables.cases).where(ctx.tables.cases.c.case_id == case_id).values(**values))


def records_of(
    connection: Connection, ctx: IcsContext, case_id: str, kind: str, *, state: str = CONFIRMED
) -> list[Any]:
    """The case's records of one kind and state, as models, oldest first."""
    records = ctx.tables.records
    rows = connection.execute(
        select(records.c.document)
        .where(records.c.case_id == case_id, records.c.kind == kind, records.c.state == state)
        .order_by(records.c.seq)
    )
    cls = RECORD_CLASSES[kind]
    return [cls.model_validate(row.document) for row in rows]


def record_ids(connection: Connection, ctx: IcsContext, case_id: str, kind: str) -> set[str]:
    """The IDs used by the case's records of one kind, drafts included."""
    records = ctx.tables.records
    return set(
        connection.scalars(select(records.c.record_id).where(records.c.case_id == case_id, records.c.kind == kind))
    )


def insert_record(
    connection: Connection,
    ctx: IcsContext,
    case_id: str,
    kind: str,
    record_id: str,
    record: IcsModel,
    *,
    state: str = CONFIRMED,
    source: dict[str, Any] | None = None,
) -> None:
    """Store a record of the case; its ID must not be in use in the case for the same kind."""
    if record_id in record_ids(connection, ctx, case_id, kind):
        raise refusal("ICS-003", f"the case already has a {kind} with ID {record_id!r}", where=_id_field(kind))
    values: dict[str, Any] = {
        "case_id": case_id,
        "kind": kind,
        "record_id": record_id,
        "state": state,
        "document": document(record),
        "recorded_at": ctx.clock(),
    }
    if source is not None:  # left out, not None: a JSON column would store None as JSON null
        values["source"] = source
    connection.execute(insert(ctx.tables.records).values(**values))


def _id_field(kind: str) -> str:
    return {
        RecordKind.CONTACT: "contactId",
        RecordKind.REFERRAL: "referralId",
        RecordKind.INITIAL_ASSESSMENT: "assessmentId",
        RecordKind.CORE_ASSESSMENT: "assessmentId",
        RecordKind.PLAN: "planId",
        RecordKind.REVIEW: "reviewId",
    }[kind]


def add_chronology(
    connection: Connection,
    ctx: IcsContext,
    case_id: str,
    entry_date: date,
    event: str,
    detail: str | None = None,
    *,
    automatic: bool = True,
) -> ChronologyEntry:
    """Add an entry to the case's chronology (automatic entries are written for every recorded event)."""
    # An event is a short label (at most 200 characters); longer words belong in the detail.
    entry = ChronologyEntry(entry_date=entry_date, event=_short(event), detail=_text(detail))
    connection.execute(
        insert(ctx.tables.chronology).values(
            case_id=case_id,
            entry_date=entry_date,
            document=document(entry),
            automatic=automatic,
            recorded_at=ctx.clock(),
        )
    )
    return entry


def _short(text: str) -> str:
    return text if len(text) <= 200 else text[:199] + "…"


def _text(text: str | None) -> str | None:
    if text is None or len(text) <= 4000:
        return text
    return text[:3999] + "…"


def chronology(connection: Connection, ctx: IcsContext, case_id: str) -> list[ChronologyEntry]:
    """The case's chronology, oldest first (entries of the same date in the order they were recorded)."""
    table = ctx.tables.chronology
    rows = connection.execute(
        select(table.c.document).where(table.c.case_id == case_id).order_by(table.c.entry_date, table.c.seq)
    )
    return [ChronologyEntry.model_validate(row.document) for row in rows]


def child_of(row: CaseRow) -> Child:
    """The child of a case row."""
    return Child.model_validate(row.child)


def allocated_worker_of(row: CaseRow) -> Practitioner | None:
    """The allocated social worker of a case row, if any."""
    return Practitioner.model_validate(row.allocated_worker) if row.allocated_worker is not None else None


def involvement_of(row: CaseRow) -> Involvement | None:
    """The involvement the case put on ContactPoint, if any."""
    return Involvement.model_validate(row.involvement) if row.involvement is not None else None


def assemble(connection: Connection, ctx: IcsContext, case_id: str) -> CaseRecord:
    """The case record: the case and its confirmed records (never a draft), with the chronology."""
    row = load_case(connection, ctx, case_id, for_update=False)
    return CaseRecord(
        case_id=row.case_id,
        child=child_of(row),
        characteristics=(
            ChildCharacteristics.model_validate(row.characteristics) if row.characteristics is not None else None
        ),
        allocated_worker=allocated_worker_of(row),
        contacts=records_of(connection, ctx, case_id, RecordKind.CONTACT),
        referrals=records_of(connection, ctx, case_id, RecordKind.REFERRAL),
        initial_assessments=records_of(connection, ctx, case_id, RecordKind.INITIAL_ASSESSMENT),
        core_assessments=records_of(connection, ctx, case_id, RecordKind.CORE_ASSESSMENT),
        plans=records_of(connection, ctx, case_id, RecordKind.PLAN),
        reviews=records_of(connection, ctx, case_id, RecordKind.REVIEW),
        closure=IcsClosure.model_validate(row.closure) if row.closure is not None else None,
        chronology=chronology(connection, ctx, case_id),
    )
