"""Steps 1 and 2: John's social care, Lee's youth service and the school before anyone looks; Melanie's search."""

from __future__ import annotations

from ics_interop.examples import HANNAH, JOHN, MELANIE
from ics_interop.messages import ChildIdentityUpdate, InvolvementStarted, MessageType
from ics_interop.model import CaseRecord, IcsClosure
from ics_interop.model.codes import CinClosureReason

from ..contactpoint import CONTACTPOINT_IDENTITY, AuditEntry, DirectoryRole, PractitionerRegistration, SearchResult
from ..messaging import new_header, route_key
from .cast import DATA_MANAGER, ISLINGTON_ICS, SCHOOL_MIS, YOUTH_SERVICE_SYSTEM
from .narration import iso_day, name_of
from .observations import StoryFailed
from .script import (
    CONTACT_DAY,
    CONTACTPOINT_LIVE,
    MELANIE_LOOKS,
    REFERRAL_DAY,
    SOCIAL_CARE_ENDS,
    TERM_STARTS,
    YOUTH_SERVICE_STARTS,
)
from .storyteller import Storyteller


def before_melanie_looks(story: Storyteller) -> tuple[str, list[str], CaseRecord]:
    ics, contactpoint, clock, page = story.systems.ics, story.systems.contactpoint, story.clock, story.page
    record = story.script.case_record
    with story.step(
        1,
        "Before Melanie looks: John's social care, Lee's youth service, Hannah's school",
        "June 2008 to September 2009",
        "seed §3.1, §5.2; ContactPoint went live in January 2009, §2.2",
    ):
        clock.set(CONTACT_DAY)
        case_id = ics.open_case(HANNAH, opened_on=CONTACT_DAY).case_id
        ics.record_contact(case_id, record.contacts[0])
        page.line(
            f"2008-06-02  Islington's ICS: the adult social care hospital team report that Hannah, 13, is looking "
            f"after her brothers and sisters while her mother is in hospital. A case is opened ({case_id}).",
        )
        clock.set(REFERRAL_DAY)
        ics.record_referral(case_id, record.referrals[0])
        ics.allocate_worker(case_id, JOHN)
        waiting = [row["message_type"] for row in ics.outbox.pending(ics.store)]
        page.line(
            "2008-06-03  The referral is recorded and John Carter is allocated. Recording the referral wrote "
            f"{', '.join(waiting)} (F2) to the ICS's outbox: that social care is involved and the duty team's "
            "number, never the referral's content. ContactPoint is not live yet, so it waits there.",
        )

        clock.set(CONTACTPOINT_LIVE, 2, 30)
        contactpoint.register_practitioner(
            PractitionerRegistration.model_validate(
                {
                    "practitionerId": DATA_MANAGER,
                    "name": {"givenNames": "Dana", "familyName": "Marsh"},
                    "role": DirectoryRole.DATA_MANAGER.value,
                    "organisationId": "DCSF",
                }
            )
        )
        contactpoint_route = route_key(CONTACTPOINT_IDENTITY)
        ics.connect(contactpoint_route, story.systems.link(ISLINGTON_ICS, contactpoint_route))
        story.flush("Islington's ICS", ics)
        page.line(
            "2009-01-12  ContactPoint goes live and Islington's ICS is connected to it: the outbox delivers the "
            "waiting message.",
        )

        clock.set(SOCIAL_CARE_ENDS, 16, 40)
        ics.close_case(
            case_id,
            IcsClosure(
                closure_date=SOCIAL_CARE_ENDS,
                reason=CinClosureReason.RC7,
                summary="Mother much better; agreed with the family that social care need not stay involved. "
                "John gave Hannah leaflets about local youth groups.",
            ),
        )
        story.flush("Islington's ICS", ics)
        page.line(
            "2009-03-27  Hannah's mother is much better; John closes the case (CIN closure RC7). The involvement "
            "ends on ContactPoint, which keeps the team's number listed for a year after.",
        )

        clock.set(YOUTH_SERVICE_STARTS, 17, 5)
        youth = story.script.youth_service
        story.feed(
            story.youth_service,
            InvolvementStarted(
                header=new_header(
                    MessageType.INVOLVEMENT_STARTED, YOUTH_SERVICE_SYSTEM, CONTACTPOINT_IDENTITY, clock()
                ),
                child=youth.child,
                involvement=youth.involvement,
            ),
        )
        page.line(
            "2009-04-20  Lee, a youth worker, starts working with Hannah; his service's system tells ContactPoint."
        )

        clock.set(TERM_STARTS, 6, 15)
        story.feed(
            story.school,
            ChildIdentityUpdate(
                header=new_header(MessageType.CHILD_IDENTITY_UPDATE, SCHOOL_MIS, CONTACTPOINT_IDENTITY, clock()),
                child=story.script.school.child,
            ),
        )
        page.line("2009-09-08  Year 11 starts: Camden Park School's MIS sends Hannah's details to ContactPoint.")
        story.show_messages()

        case = ics.case_record(case_id)
        page.section("What John's team sees in Islington's ICS")
        page.table(
            ["case", "child", "state", "opened", "closed", "allocated worker"],
            [
                [
                    summary.case_id,
                    summary.child_name,
                    summary.state,
                    iso_day(summary.opened_on),
                    iso_day(case.closure.closure_date if case.closure else None),
                    name_of(case.allocated_worker) if case.allocated_worker else "-",
                ]
                for summary in ics.cases()
            ],
        )
    return case_id, waiting, case


def melanie_looks(story: Storyteller) -> tuple[SearchResult, AuditEntry]:
    contactpoint, clock, page = story.systems.contactpoint, story.clock, story.page
    with story.step(
        2,
        "Melanie looks Hannah up on ContactPoint",
        "1 February 2010",
        "seed §3.1; §2.2, §5.2: who else is involved, never case information",
    ):
        clock.set(MELANIE_LOOKS)
        contactpoint.register_practitioner(
            PractitionerRegistration(
                practitioner_id=MELANIE.practitioner_id,
                name=MELANIE.name,
                role=DirectoryRole.PRACTITIONER,
                organisation_id=MELANIE.organisation.organisation_id,
            ),
            by=DATA_MANAGER,
        )
        page.line(
            "Melanie, Hannah's learning mentor at Camden Park School, is a registered ContactPoint user. Hannah is "
            "falling behind and says everything is fine; Melanie does not know whether anyone else is helping her."
        )
        result = story.search("What Melanie sees on ContactPoint")
        social_care = [
            i for i in story.one_record(result).involvements if i.service_name == "Children's social care" and i.team
        ]
        if not social_care or social_care[0].team is None:
            raise StoryFailed(
                "Melanie does not see children's social care on ContactPoint",
                hint="an ended involvement stays listed for a year after its end (seed §3.1): check the F1/F2 "
                "messages of step 1 and ContactPoint's retention",
            )
        team = social_care[0].team
        page.line(
            f"Melanie calls the number listed for children's social care ({team.contact.telephone}, "
            f"{team.name}): John is no longer involved, but the department stays listed until "
            f"{iso_day(social_care[0].visible_until)}, a year after the involvement ended. Lee's youth service is "
            "current. Both are in Islington, where Hannah lives.",
            4,
        )
        [audit] = contactpoint.audit_log(by=DATA_MANAGER, practitioner_id=MELANIE.practitioner_id, limit=1)
        page.section("ContactPoint's audit of the search")
        page.table(
            ["when", "who", "action", "outcome", "reason", "records"],
            [
                [
                    audit.at.strftime("%Y-%m-%d %H:%M"),
                    audit.practitioner_id,
                    audit.action,
                    audit.outcome,
                    audit.reason,
                    ", ".join(audit.records),
                ]
            ],
        )
        story.show_messages(none="none: searching sends nothing, and ContactPoint never updates its feeders")
    return result, audit
