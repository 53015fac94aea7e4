"""The checks a change to a case must pass before anything of it is stored.

Each check raises a refusal (`errors.ChangeRefused`) naming the rule that failed: the
standard's own DATE-001 (an end is not before its start) or one of the ICS system's rules
(`errors.ICS_RULES`: the case is open, IDs are unique, dates are not in the future nor before
the child was born, a child protection plan has its category, plans end before closure...).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection

from ics_interop import catalogue
from ics_interop.model import (
    Child,
    ChildPlan,
    CoreAssessment,
    IcsClosure,
    IcsModel,
    IcsReview,
    InitialAssessment,
    json_name,
)
from ics_interop.model.codes import PlanType

from .case_file import CaseRow, child_of, records_of
from .context import IcsContext
from .errors import ChangeRefused, refusal
from .tables import RecordKind

__all__ = [
    "check_closure",
    "check_date",
    "check_dates",
    "check_period",
    "check_record",
    "require_open",
    "require_referral",
]


def require_open(row: CaseRow, doing: str) -> None:
    """ICS-002: a closed case takes no new records."""
    if row.state != "open":
        raise refusal("ICS-002", f"case {row.case_id} is closed; cannot {doing}", where="caseId")


def require_referral(connection: Connection, ctx: IcsContext, row: CaseRow, doing: str) -> None:
    """ICS-010: assessments and plans follow a referral."""
    if not records_of(connection, ctx, row.case_id, RecordKind.REFERRAL):
        raise refusal("ICS-010", f"case {row.case_id} has no referral yet; cannot {doing}", where="caseId")


def check_dates(ctx: IcsContext, row: CaseRow, record: IcsModel, *names: str, where: str = "") -> None:
    """ICS-004 and ICS-005: the record's dates are neither in the future nor before the child was born."""
    child = child_of(row)
    for name in names:
        value = getattr(record, name)
        if value is not None:
            check_date(ctx, child, value, _path(where, name))


def check_date(ctx: IcsContext, child: Child, value: date, where: str) -> None:
    """ICS-004 and ICS-005 for one date."""
    today = ctx.today()
    if value > today:
        raise refusal("ICS-004", f"{value.isoformat()} is after today ({today.isoformat()})", where=where)
    born = child.date_of_birth
    if born is not None and value < born:
        raise refusal("ICS-005", f"{value.isoformat()} is before the child's birth ({born.isoformat()})", where=where)


def check_period(start: date | None, end: date | None, *, end_where: str, start_what: str = "the start") -> None:
    """DATE-001 (the standard's rule): an end is not before its start."""
    if start is not None and end is not None and end < start:
        rule = catalogue()["DATE-001"]
        raise ChangeRefused(
            rule.id,
            f"{rule.title}: {end.isoformat()} is before {start_what} {start.isoformat()}",
            where=end_where,
            hint=rule.hint,
        )


def _path(where: str, name: str) -> str:
    return ".".join(p for p in (where, json_name(name)) if p)


def check_record(connection: Connection, ctx: IcsContext, row: CaseRow, kind: str, record: IcsModel) -> None:
    """Every check a new record of `kind` must pass on the case `row`."""
    require_open(row, f"record a {kind}")
    if isinstance(record, InitialAssessment | CoreAssessment):
        require_referral(connection, ctx, row, f"record an {kind.replace('-', ' ')}")
        check_dates(ctx, row, record, "started_on", "completed_on")
        check_period(record.started_on, record.completed_on, end_where="completedOn")
    elif isinstance(record, ChildPlan):
        require_referral(connection, ctx, row, "record a plan")
        check_dates(ctx, row, record, "start_date", "end_date")
        check_period(record.start_date, record.end_date, end_where="endDate")
        check_plan_category(record)
    elif isinstance(record, IcsReview):
        check_dates(ctx, row, record, "review_date")
        if record.plan_id is not None:
            plans = {p.plan_id: p for p in records_of(connection, ctx, row.case_id, RecordKind.PLAN)}
            plan = plans.get(record.plan_id)
            if plan is None:
                raise refusal("ICS-007", f"case {row.case_id} has no plan {record.plan_id!r}", where="planId")
            check_period(plan.start_date, record.review_date, end_where="reviewDate", start_what="the plan's start")
    else:
        # A contact or a referral: one date each. Either may come before the case was opened (a
        # contact usually does), so only the calendar and the child's birth bound it.
        names = [n for n in ("contact_date", "referral_date") if n in type(record).model_fields]
        check_dates(ctx, row, record, *names)


def check_plan_category(plan: ChildPlan) -> None:
    """ICS-006: a child protection plan names its category of abuse (as the CIN census requires), and only it."""
    if plan.plan_type is PlanType.CHILD_PROTECTION and plan.abuse_category is None:
        raise refusal("ICS-006", "a child protection plan without a category of abuse", where="abuseCategory")
    if plan.plan_type is not PlanType.CHILD_PROTECTION and plan.abuse_category is not None:
        raise refusal("ICS-006", f"a {plan.plan_type.label.lower()} with a category of abuse", where="abuseCategory")


def check_closure(connection: Connection, ctx: IcsContext, row: CaseRow, closure: IcsClosure) -> None:
    """A closure: the case is open, the date is sensible and after every referral, every plan has ended."""
    require_open(row, "close it again")
    check_dates(ctx, row, closure, "closure_date")
    check_period(row.opened_on, closure.closure_date, end_where="closureDate", start_what="the case opened")
    for referral in records_of(connection, ctx, row.case_id, RecordKind.REFERRAL):
        check_period(
            referral.referral_date,
            closure.closure_date,
            end_where="closureDate",
            start_what=f"referral {referral.referral_id}",
        )
    for plan in records_of(connection, ctx, row.case_id, RecordKind.PLAN):
        if plan.end_date is None:
            raise refusal("ICS-008", f"plan {plan.plan_id} has not ended", where="closureDate")
        if plan.end_date > closure.closure_date:
            raise refusal(
                "ICS-008",
                f"plan {plan.plan_id} ends on {plan.end_date.isoformat()}, after the closure",
                where="closureDate",
            )
