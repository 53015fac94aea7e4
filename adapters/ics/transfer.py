"""A child's case record moving between two authorities' case-management systems (F9, seed §1.1).

Sending: the case record as it stands — confirmed records only, never a draft — goes to the
receiving authority's ICS system (outbox route `ics:<organisation ID>`), and the sending
case's chronology says so. Receiving: the record becomes a case in this system, under a case
ID of its own, with the sender's records and chronology. A redelivered message changes nothing
(the inbox), and the same case sent again from the same authority under a new message ID is
not created twice (the case table is unique on sender and sender's case ID). The sender's
allocated social worker is not allocated here: the receiving authority allocates its own.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, select

from ics_interop.messages import CaseRecordTransfer, MessageType, SystemRef
from ics_interop.model import CaseRecord, IcsModel
from ics_interop.model.codes import SystemKind

from ..messaging import new_header
from .case_file import add_chronology, assemble, insert_record, load_case, set_case
from .casework import open_case, record_id_of
from .context import IcsContext, build, document, require_addressed_here
from .errors import refusal
from .tables import RecordKind

__all__ = ["receive_case_record_transfer", "transfer_case"]


def _name(system: SystemRef) -> str:
    name: str = system.organisation_name or system.organisation_id
    return name


def transfer_case(
    connection: Connection, ctx: IcsContext, case_id: str, to: SystemRef, to_la: str, reason: str
) -> CaseRecordTransfer:
    """F9 out: send the case record to another authority's ICS system."""
    load_case(connection, ctx, case_id)
    if ctx.la_code is None:
        raise refusal("ICS-013", "this system does not know its own LA code", where="fromLa")
    if to.system is not SystemKind.ICS:
        raise refusal("ICS-013", f"a case record goes to an ICS system, not to {to.system.value}", where="to.system")
    if to.organisation_id == ctx.identity.organisation_id:
        raise refusal("ICS-013", "the receiving system is this system", where="to.organisationId")
    message = build(
        CaseRecordTransfer,
        header=new_header(MessageType.CASE_RECORD_TRANSFER, ctx.identity, to, ctx.clock()),
        from_la=ctx.la_code,
        to_la=to_la,
        reason=reason,
        case_record=assemble(connection, ctx, case_id),
    )
    ctx.send(connection, message)
    add_chronology(
        connection, ctx, case_id, ctx.today(), f"Case record transferred to {_name(to)} (LA {to_la})", reason
    )
    return message


def _records(case: CaseRecord) -> list[tuple[str, str, list[IcsModel]]]:
    return [
        (RecordKind.CONTACT, "caseRecord.contacts", list(case.contacts)),
        (RecordKind.REFERRAL, "caseRecord.referrals", list(case.referrals)),
        (RecordKind.INITIAL_ASSESSMENT, "caseRecord.initialAssessments", list(case.initial_assessments)),
        (RecordKind.CORE_ASSESSMENT, "caseRecord.coreAssessments", list(case.core_assessments)),
        (RecordKind.PLAN, "caseRecord.plans", list(case.plans)),
        (RecordKind.REVIEW, "caseRecord.reviews", list(case.reviews)),
    ]


def _opened_on(case: CaseRecord, received_on: date) -> date:
    # The record does not say when the sender opened the case: its earliest dated event does.
    dates = [c.contact_date for c in case.contacts] + [r.referral_date for r in case.referrals]
    dates += [e.entry_date for e in case.chronology]
    return min(dates, default=received_on)


def receive_case_record_transfer(connection: Connection, ctx: IcsContext, message: CaseRecordTransfer) -> None:
    """F9 in: create the case from the record; the same sender's case is created once."""
    require_addressed_here(ctx, message.header.recipient)
    if ctx.la_code is not None and message.to_la != ctx.la_code:
        raise refusal("ICS-018", f"the record is for LA {message.to_la}, this system is LA {ctx.la_code}", where="toLa")
    sender = message.header.sender
    case = message.case_record
    cases = ctx.tables.cases
    already = connection.execute(
        select(cases.c.case_id).where(
            cases.c.received_from == sender.organisation_id, cases.c.received_case_id == case.case_id
        )
    ).first()
    if already is not None:
        return
    for _kind, path, items in _records(case):
        seen: set[str] = set()
        for index, item in enumerate(items):
            record_id = record_id_of(item)
            if record_id in seen:
                raise refusal("ICS-003", f"{record_id!r} is used twice", where=f"{path}[{index}]")
            seen.add(record_id)
    row = open_case(
        connection,
        ctx,
        case.child,
        characteristics=case.characteristics,
        opened_on=_opened_on(case, ctx.today()),
        received_from=sender.organisation_id,
        received_case_id=case.case_id,
        chronicle_opening=False,
    )
    for kind, _path, items in _records(case):
        for item in items:
            insert_record(connection, ctx, row.case_id, kind, record_id_of(item), item)
    for entry in case.chronology:
        add_chronology(connection, ctx, row.case_id, entry.entry_date, entry.event, entry.detail, automatic=False)
    worker = case.allocated_worker
    there = f" Allocated social worker there: {worker.name.given_names} {worker.name.family_name}." if worker else ""
    add_chronology(
        connection,
        ctx,
        row.case_id,
        ctx.today(),
        f"Case record received from {_name(sender)} (LA {message.from_la}), their case {case.case_id}",
        message.reason + there,
    )
    if case.closure is not None:
        set_case(connection, ctx, row.case_id, state="closed", closure=document(case.closure))
