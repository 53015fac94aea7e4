"""Casework: what a practitioner records about a child in need, from contact to closure (seed §2.1).

Opening a case; recording contacts, referrals, initial and core assessments, plans, reviews
and the closure; allocating a social worker; manual chronology entries. Each function runs
inside the caller's transaction, checks the change first (`case_rules`), writes the record,
adds its chronology entry, and sends what the change causes: recording a referral puts social
care's involvement on ContactPoint (F2), unless it is recorded as needing no further action,
and closing the case ends it (F1).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, insert, select, update

from ics_interop.model import (
    Child,
    ChildCharacteristics,
    ChildIdentifiers,
    ChildPlan,
    ChronologyEntry,
    CoreAssessment,
    IcsClosure,
    IcsContact,
    IcsModel,
    IcsReferral,
    IcsReview,
    InitialAssessment,
    Practitioner,
)

from .case_file import (
    RECORD_CLASSES,
    CaseRow,
    add_chronology,
    allocated_worker_of,
    child_columns,
    insert_record,
    load_case,
    set_case,
)
from .case_rules import check_closure, check_date, check_dates, check_period, check_record, require_open
from .context import IcsContext, build, document
from .directory_feed import end_involvement, start_involvement
from .errors import refusal
from .tables import CONFIRMED, RecordKind

__all__ = [
    "add_manual_entry",
    "allocate_worker",
    "chronicle",
    "close_case",
    "end_plan",
    "kind_of",
    "open_case",
    "record",
    "record_id_of",
]


def open_case(
    connection: Connection,
    ctx: IcsContext,
    child: Child,
    *,
    characteristics: ChildCharacteristics | None = None,
    allocated_worker: Practitioner | None = None,
    opened_on: date | None = None,
    case_id: str | None = None,
    received_from: str | None = None,
    received_case_id: str | None = None,
    chronicle_opening: bool = True,
) -> CaseRow:
    """Open a case for a child; the child's local ID becomes the case ID (what this system knows them by)."""
    case_id = case_id or ctx.new_case_id()
    opened_on = opened_on or ctx.today()
    identifiers = build(
        ChildIdentifiers, "child.identifiers", **{**child.identifiers.model_dump(), "local_id": case_id}
    )
    child = child.model_copy(update={"identifiers": identifiers})
    check_date(ctx, child, opened_on, "openedOn")
    cases = ctx.tables.cases
    if connection.execute(select(cases.c.case_id).where(cases.c.case_id == case_id)).first() is not None:
        raise refusal("ICS-003", f"a case with ID {case_id!r} already exists", where="caseId")
    connection.execute(
        insert(cases).values(
            case_id=case_id,
            state="open",
            child=document(child),
            **child_columns(child),
            characteristics=document(characteristics) if characteristics is not None else None,
            allocated_worker=document(allocated_worker) if allocated_worker is not None else None,
            opened_on=opened_on,
            received_from=received_from,
            received_case_id=received_case_id,
            created_at=ctx.clock(),
        )
    )
    row = load_case(connection, ctx, case_id)
    if chronicle_opening:
        add_chronology(connection, ctx, case_id, opened_on, "Case opened")
    return row


def record_id_of(record: IcsModel) -> str:
    """The ID of a record of any kind."""
    # A review names the plan it reviews (plan_id) as well as itself: its own ID comes first.
    for name in ("review_id", "contact_id", "referral_id", "assessment_id", "plan_id"):
        if name in type(record).model_fields:
            value: str = getattr(record, name)
            return value
    raise TypeError(f"{type(record).__name__} is not a case record")


def kind_of(record: IcsModel) -> str:
    """The record kind of a model."""
    for kind, cls in RECORD_CLASSES.items():
        if type(record) is cls:
            return kind
    raise TypeError(f"{type(record).__name__} is not a case record")


def record(
    connection: Connection,
    ctx: IcsContext,
    case_id: str,
    new: IcsModel,
    *,
    event: str | None = None,
    detail: str | None = None,
) -> IcsModel:
    """Record a contact, referral, assessment, plan or review on an open case, with its chronology entries.

    `event` and `detail` replace the automatic chronology wording (a referral from a CAF says so).
    """
    kind = kind_of(new)
    row = load_case(connection, ctx, case_id)
    check_record(connection, ctx, row, kind, new)
    insert_record(connection, ctx, case_id, kind, record_id_of(new), new)
    entries = chronicle(new)
    if event is not None:
        entries[0] = (entries[0][0], event, detail if detail is not None else entries[0][2])
    for entry_date, text, more in entries:
        add_chronology(connection, ctx, case_id, entry_date, text, more)
    if isinstance(new, IcsReferral) and not new.no_further_action:
        # Seed §5.2: a recorded referral puts social care's involvement on ContactPoint. A referral
        # recorded as needing no further action involves nobody, so there is nothing to show.
        start_involvement(connection, ctx, row, new.referral_date, allocated_worker_of(row))
    return new


def chronicle(new: IcsModel) -> list[tuple[date, str, str | None]]:
    """The automatic chronology entries of a record: (date, event, detail)."""
    if isinstance(new, IcsContact):
        return [(new.contact_date, f"Contact ({new.source.value}: {new.source.label})", new.summary)]
    if isinstance(new, IcsReferral):
        need = f"; primary need {new.primary_need.value}" if new.primary_need is not None else ""
        return [(new.referral_date, f"Referral ({new.source.value}: {new.source.label}{need})", new.reason)]
    if isinstance(new, InitialAssessment | CoreAssessment):
        name = "Initial assessment" if isinstance(new, InitialAssessment) else "Core assessment"
        entries: list[tuple[date, str, str | None]] = [(new.started_on, f"{name} started", None)]
        if new.completed_on is not None:
            entries.append((new.completed_on, f"{name} completed", new.summary))
        return entries
    if isinstance(new, ChildPlan):
        entries = [(new.start_date, f"{new.plan_type.label} started", new.summary)]
        if new.end_date is not None:
            entries.append((new.end_date, f"{new.plan_type.label} ended", None))
        return entries
    if isinstance(new, IcsReview):
        of = f" of plan {new.plan_id}" if new.plan_id is not None else ""
        return [(new.review_date, f"Review{of}", new.outcome)]
    raise TypeError(f"{type(new).__name__} is not a case record")


def end_plan(connection: Connection, ctx: IcsContext, case_id: str, plan_id: str, end_date: date) -> ChildPlan:
    """Record the end of a plan."""
    row = load_case(connection, ctx, case_id)
    require_open(row, "end a plan")
    records = ctx.tables.records
    found = connection.execute(
        select(records.c.seq, records.c.document).where(
            records.c.case_id == case_id,
            records.c.kind == RecordKind.PLAN,
            records.c.record_id == plan_id,
            records.c.state == CONFIRMED,
        )
    ).first()
    if found is None:
        raise refusal("ICS-007", f"case {case_id} has no plan {plan_id!r}", where="planId")
    plan = ChildPlan.model_validate(found.document)
    if plan.end_date is not None:
        raise refusal("ICS-020", f"plan {plan_id} ended on {plan.end_date.isoformat()}", where="endDate")
    ended = plan.model_copy(update={"end_date": end_date})
    check_dates(ctx, row, ended, "end_date")
    check_period(plan.start_date, end_date, end_where="endDate", start_what="the plan's start")
    connection.execute(update(records).where(records.c.seq == found.seq).values(document=document(ended)))
    add_chronology(connection, ctx, case_id, end_date, f"{plan.plan_type.label} ended")
    return ended


def allocate_worker(connection: Connection, ctx: IcsContext, case_id: str, worker: Practitioner) -> None:
    """Allocate a social worker to an open case."""
    row = load_case(connection, ctx, case_id)
    require_open(row, "allocate a social worker")
    set_case(connection, ctx, case_id, allocated_worker=document(worker))
    name = f"{worker.name.given_names} {worker.name.family_name}"
    add_chronology(connection, ctx, case_id, ctx.today(), f"Social worker allocated: {name}", worker.role)


def close_case(connection: Connection, ctx: IcsContext, case_id: str, closure: IcsClosure) -> IcsClosure:
    """Close the case with its CIN closure reason; social care's involvement on ContactPoint ends (F1)."""
    row = load_case(connection, ctx, case_id)
    check_closure(connection, ctx, row, closure)
    set_case(connection, ctx, case_id, state="closed", closure=document(closure))
    add_chronology(
        connection,
        ctx,
        case_id,
        closure.closure_date,
        f"Case closed ({closure.reason.value}: {closure.reason.label})",
        closure.summary,
    )
    end_involvement(connection, ctx, row, closure.closure_date)
    return closure


def add_manual_entry(connection: Connection, ctx: IcsContext, case_id: str, entry: ChronologyEntry) -> ChronologyEntry:
    """A practitioner's own chronology entry (allowed on a closed case too: the chronology is the child's)."""
    row = load_case(connection, ctx, case_id)
    check_dates(ctx, row, entry, "entry_date")
    return add_chronology(connection, ctx, case_id, entry.entry_date, entry.event, entry.detail, automatic=False)
