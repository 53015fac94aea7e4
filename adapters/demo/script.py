"""The story's records and its calendar: the worked examples of Hannah's story, and the day each step happens."""

from __future__ import annotations

import datetime as dt

import attrs

from ics_interop.examples import example_messages
from ics_interop.messages import (
    CaseRecordTransfer,
    ChildIdentityUpdate,
    InvolvementStarted,
    MessageType,
    SocialCareReferral,
)
from ics_interop.model import CafAction, CafAssessment, CafEpisode, CaseRecord, ConsentRecord, Practitioner


@attrs.frozen
class Script:
    """The records the story is played with: the worked examples of Hannah's story (src/ics_interop/examples.py)."""

    episode: CafEpisode  # Hannah's CAF as the examples have it after the review
    assessment: CafAssessment  # the common assessment Melanie completes
    case_record: CaseRecord  # her case record in Islington's ICS
    youth_service: InvolvementStarted  # Lee's youth service's involvement, as its system sends it
    school: ChildIdentityUpdate  # Hannah's details, as the school's MIS sends them

    def consents_for(self, practitioner: Practitioner) -> list[ConsentRecord]:
        return [c for c in self.episode.consents if c.practitioner_id == practitioner.practitioner_id]

    def action(self, action_id: str) -> CafAction:
        return next(a for a in self.episode.actions if a.action_id == action_id)


def read_script() -> Script:
    messages = example_messages()
    referral = messages[MessageType.SOCIAL_CARE_REFERRAL]
    transfer = messages[MessageType.CASE_RECORD_TRANSFER]
    youth = messages[MessageType.INVOLVEMENT_STARTED]
    school = messages[MessageType.CHILD_IDENTITY_UPDATE]
    if (
        not (
            isinstance(referral, SocialCareReferral)
            and isinstance(transfer, CaseRecordTransfer)
            and isinstance(youth, InvolvementStarted)
            and isinstance(school, ChildIdentityUpdate)
        )
        or referral.episode.assessment is None
    ):
        raise TypeError("the examples no longer give Hannah's story as the demo expects")
    return Script(referral.episode, referral.episode.assessment, transfer.case_record, youth, school)


# The actions agreed at the TAC meeting (seed §3.1), and the one Libby adds when she joins.
TAC_ACTIONS = ("NECAF-ACT-0201101", "NECAF-ACT-0201102", "NECAF-ACT-0201103", "NECAF-ACT-0201104")
LIBBYS_ACTION = "NECAF-ACT-0201140"

CONTACT_DAY = dt.date(2008, 6, 2)
REFERRAL_DAY = dt.date(2008, 6, 3)
CONTACTPOINT_LIVE = dt.date(2009, 1, 12)
SOCIAL_CARE_ENDS = dt.date(2009, 3, 27)
YOUTH_SERVICE_STARTS = dt.date(2009, 4, 20)
TERM_STARTS = dt.date(2009, 9, 8)
MELANIE_LOOKS = dt.date(2010, 2, 1)
HANNAH_CONSENTS = dt.date(2010, 2, 3)
ASSESSED = dt.date(2010, 2, 10)
TAC_MEETING = dt.date(2010, 2, 17)
LIBBY_JOINS = dt.date(2010, 3, 3)
REVIEW = dt.date(2010, 5, 17)
NEXT_REVIEW = dt.date(2010, 8, 17)
EPILOGUE = dt.date(2010, 5, 18)

REVIEW_SUMMARY = (
    "Three-month review with Hannah and her mother. Hannah goes to the young carers' group every week and is "
    "catching up with her homework with the new deadlines; Housing has arranged help with the bills and a repayment "
    "plan for the rent arrears; adult social care is in touch with her mother. The team keep in touch and meet again "
    "in three months."
)
