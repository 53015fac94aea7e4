"""An initial assessment started from a CAF (F5, seed §4.2): a draft a practitioner confirms before it counts.

Receiving an `InitialAssessmentPrepopulation` creates a DRAFT initial assessment on the
child's open case, its findings filled in from the CAF by the mapping in `caf_mapping`. A
draft is not part of the case record, the census view or a transfer. A practitioner reads it
beside the CAF it came from, edits it (an edit replaces the findings it gives) and confirms it;
confirming records who confirmed it and when, and makes it the case's initial assessment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, select, update

from ics_interop.messages import InitialAssessmentPrepopulation
from ics_interop.model import CafAssessment, DimensionFinding, InitialAssessment, Practitioner

from .caf_mapping import findings_from_caf
from .case_file import CaseRow, add_chronology, find_open_case_for, insert_record, load_case
from .case_rules import check_dates, check_period, require_open, require_referral
from .casework import chronicle
from .context import IcsContext, build, document, require_addressed_here
from .errors import refusal
from .tables import CONFIRMED, DRAFT, RecordKind
from .views import DraftAssessment

__all__ = ["confirm_draft", "draft", "drafts", "edit_draft", "receive_prepopulation"]


def _case_for(connection: Connection, ctx: IcsContext, message: InitialAssessmentPrepopulation) -> CaseRow | None:
    # The case the CAF referral went to, if there is one; else the child's open case.
    caf_referrals = ctx.tables.caf_referrals
    case_id = connection.scalar(
        select(caf_referrals.c.case_id)
        .where(caf_referrals.c.episode_id == message.episode_id)
        .order_by(caf_referrals.c.received_at.desc())
    )
    if case_id is not None:
        row = load_case(connection, ctx, case_id)
        if row.state == "open":
            return row
    return find_open_case_for(connection, ctx, message.child)


def receive_prepopulation(connection: Connection, ctx: IcsContext, message: InitialAssessmentPrepopulation) -> None:
    """F5 in: a draft initial assessment on the child's open case, pre-populated from the CAF."""
    require_addressed_here(ctx, message.header.recipient)
    row = _case_for(connection, ctx, message)
    if row is None:
        raise refusal(
            "ICS-017", f"no open case for the child of CAF episode {message.episode_id}", where="child.identifiers"
        )
    assessment = InitialAssessment(
        assessment_id=ctx.new_id("IA"),
        started_on=ctx.today(),
        findings=findings_from_caf(message.assessment),
        caf_episode_id=message.episode_id,
    )
    source = {
        "episodeId": message.episode_id,
        "assessment": document(message.assessment),
        "requestedBy": document(message.requested_by),
        "messageId": message.header.message_id,
        "receivedAt": ctx.clock().isoformat(),
    }
    insert_record(
        connection,
        ctx,
        row.case_id,
        RecordKind.INITIAL_ASSESSMENT,
        assessment.assessment_id,
        assessment,
        state=DRAFT,
        source=source,
    )


def _draft_row(
    connection: Connection, ctx: IcsContext, case_id: str, assessment_id: str, *, for_update: bool = True
) -> Any:
    records = ctx.tables.records
    query = select(records).where(
        records.c.case_id == case_id,
        records.c.kind == RecordKind.INITIAL_ASSESSMENT,
        records.c.record_id == assessment_id,
    )
    found = connection.execute(query.with_for_update() if for_update else query).first()
    # Only an assessment started from a CAF has a source (a JSON null may be stored, so test it here).
    if found is None or found.source is None:
        raise refusal(
            "ICS-019", f"case {case_id} has no draft initial assessment {assessment_id!r}", where="assessmentId"
        )
    return found


def _view(row: Any) -> DraftAssessment:
    source = row.source
    return DraftAssessment(
        case_id=row.case_id,
        assessment=InitialAssessment.model_validate(row.document),
        confirmed=row.state == CONFIRMED,
        confirmed_by=Practitioner.model_validate(row.confirmed_by) if row.confirmed_by is not None else None,
        confirmed_at=_aware(row.confirmed_at) if row.confirmed_at is not None else None,
        episode_id=source["episodeId"],
        caf_assessment=CafAssessment.model_validate(source["assessment"]),
        requested_by=Practitioner.model_validate(source["requestedBy"]),
        received_at=dt.datetime.fromisoformat(source["receivedAt"]),
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything the system stores is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def drafts(connection: Connection, ctx: IcsContext, case_id: str) -> list[DraftAssessment]:
    """The case's initial assessments started from a CAF that still await confirmation."""
    load_case(connection, ctx, case_id, for_update=False)
    records = ctx.tables.records
    rows = connection.execute(
        select(records)
        .where(
            records.c.case_id == case_id,
            records.c.kind == RecordKind.INITIAL_ASSESSMENT,
            records.c.state == DRAFT,
        )
        .order_by(records.c.seq)
    )
    return [_view(row) for row in rows]


def draft(connection: Connection, ctx: IcsContext, case_id: str, assessment_id: str) -> DraftAssessment:
    """One initial assessment started from a CAF: a draft, or confirmed (with who confirmed it and when)."""
    return _view(_draft_row(connection, ctx, case_id, assessment_id, for_update=False))


def edit_draft(
    connection: Connection,
    ctx: IcsContext,
    case_id: str,
    assessment_id: str,
    *,
    findings: list[DimensionFinding] | None = None,
    summary: str | None = None,
    started_on: dt.date | None = None,
    completed_on: dt.date | None = None,
) -> DraftAssessment:
    """Edit a draft: what is given replaces what the draft had (the findings as a whole)."""
    row = _draft_row(connection, ctx, case_id, assessment_id)
    if row.state != DRAFT:
        raise refusal("ICS-009", f"{assessment_id} was confirmed on {row.confirmed_at:%Y-%m-%d}", where="assessmentId")
    case = load_case(connection, ctx, case_id)
    require_open(case, "edit its draft assessment")
    current = InitialAssessment.model_validate(row.document)
    changes: dict[str, Any] = {}
    if findings is not None:
        changes["findings"] = findings
    if summary is not None:
        changes["summary"] = summary
    if started_on is not None:
        changes["started_on"] = started_on
    if completed_on is not None:
        changes["completed_on"] = completed_on
    edited = build(InitialAssessment, **{**current.model_dump(), **changes})
    check_dates(ctx, case, edited, "started_on", "completed_on")
    check_period(edited.started_on, edited.completed_on, end_where="completedOn")
    records = ctx.tables.records
    connection.execute(update(records).where(records.c.seq == row.seq).values(document=document(edited)))
    return _view(_draft_row(connection, ctx, case_id, assessment_id))


def confirm_draft(
    connection: Connection, ctx: IcsContext, case_id: str, assessment_id: str, confirmed_by: Practitioner
) -> DraftAssessment:
    """Confirm a draft: it becomes the case's initial assessment, with who confirmed it and when."""
    row = _draft_row(connection, ctx, case_id, assessment_id)
    if row.state != DRAFT:
        raise refusal("ICS-009", f"{assessment_id} was confirmed on {row.confirmed_at:%Y-%m-%d}", where="assessmentId")
    case = load_case(connection, ctx, case_id)
    require_open(case, "confirm its draft assessment")
    require_referral(connection, ctx, case, "confirm an initial assessment")
    assessment = InitialAssessment.model_validate(row.document)
    check_dates(ctx, case, assessment, "started_on", "completed_on")
    now = ctx.clock()
    records = ctx.tables.records
    connection.execute(
        update(records)
        .where(records.c.seq == row.seq)
        .values(state=CONFIRMED, confirmed_by=document(confirmed_by), confirmed_at=now)
    )
    name = f"{confirmed_by.name.given_names} {confirmed_by.name.family_name}"
    provenance = (
        f"Started from CAF episode {assessment.caf_episode_id}; confirmed by {name} on {now.date().isoformat()}."
    )
    for number, (entry_date, event, detail) in enumerate(chronicle(assessment)):
        add_chronology(connection, ctx, case_id, entry_date, event, provenance if number == 0 else detail)
    return _view(_draft_row(connection, ctx, case_id, assessment_id))
