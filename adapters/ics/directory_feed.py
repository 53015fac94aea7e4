"""What the ICS system tells ContactPoint (F2, F1): that social care is involved with a child, and when it stops.

Seed §5.2: when a referral is recorded, "the existence (although not the case details) of
children's social care involvement and the practitioner or central social work team number
contact details" go to ContactPoint. The messages here are built from three things only:
the child's identifying details (what the directory may hold), the social care service, and
whom to contact — the allocated social worker, or the central team when none is allocated.
Nothing of the referral (its reason, source, need) or of any other record is read here, so
none of it can reach the directory. Closing the case ends the involvement, under the same ID.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection

from ics_interop.messages import InvolvementEnded, InvolvementStarted, MessageType
from ics_interop.model import Involvement, Practitioner, Service
from ics_interop.model.codes import AgencyType

from ..messaging import new_header
from .case_file import CaseRow, child_of, involvement_of, set_case
from .context import IcsContext, document

__all__ = ["end_involvement", "social_care_service", "start_involvement"]


def social_care_service(ctx: IcsContext) -> Service:
    """The authority's children's social care service, as ContactPoint shows it."""
    organisation = ctx.organisation
    return Service(
        service_id=f"{organisation.organisation_id[:56]}-CIN",
        name="Children's social care",
        agency_type=AgencyType.SOCIAL_CARE,
        organisation=organisation,
    )


def start_involvement(
    connection: Connection, ctx: IcsContext, row: CaseRow, started_on: date, worker: Practitioner | None
) -> Involvement | None:
    """F2: put social care's involvement on ContactPoint, once per case; None when it is there already."""
    if row.involvement is not None:
        return None
    involvement = Involvement(
        involvement_id=ctx.new_id("INV"),
        service=social_care_service(ctx),
        practitioner=worker,
        team=ctx.central_team if worker is None else None,
        start_date=started_on,
    )
    message = InvolvementStarted(
        header=new_header(MessageType.INVOLVEMENT_STARTED, ctx.identity, ctx.settings.contactpoint, ctx.clock()),
        child=child_of(row),
        involvement=involvement,
    )
    ctx.send(connection, message)
    set_case(connection, ctx, row.case_id, involvement=document(involvement))
    return involvement


def end_involvement(connection: Connection, ctx: IcsContext, row: CaseRow, ended_on: date) -> None:
    """F1: the case is closed, so social care's involvement ends (ContactPoint keeps the contact a year)."""
    involvement = involvement_of(row)
    if involvement is None or row.involvement_ended_on is not None:
        return
    message = InvolvementEnded(
        header=new_header(MessageType.INVOLVEMENT_ENDED, ctx.identity, ctx.settings.contactpoint, ctx.clock()),
        child=child_of(row),
        involvement_id=involvement.involvement_id,
        start_date=involvement.start_date,
        end_date=ended_on,
    )
    ctx.send(connection, message)
    set_case(connection, ctx, row.case_id, involvement_ended_on=ended_on)
