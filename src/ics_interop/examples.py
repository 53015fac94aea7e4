"""Worked examples of every message type of the standard, told through Hannah's story (seed §3.1).

The examples serve three purposes. They show a vendor what a realistic message of each flow
(DOMAIN.md F1–F10) looks like; they ship as XML and JSON in `schemas/v1/examples/`, written by
`ics-interop schema generate` from the models here, so they cannot drift from the models (the
schema check fails when they do); and they are the known-good messages the tests start from.

The cast is built once, as Python models. Hannah (15 in autumn 2009) lives with her mother
and three younger brothers and sisters in Islington (LA 206) and goes to school across the
border in Camden (LA 202). Melanie is her learning mentor at school; John is the children's
social worker who helped when her mother first fell ill; Lee is her youth worker; Steve works
in Islington's housing service; Libby works for a young carers' project. Hannah's CAF is held
on National eCAF; Islington's own CAFs are held in the local eCAF module of its ICS until it
migrates them to National eCAF at the end of 2010.

The timeline, of the story (seed §3.1, §4.2, §4.3) and an epilogue in the flows of §5.2–§5.3:

- 2008-06-03: Islington children's social care takes a referral from adult social care while
  Hannah's mother is in hospital; John works with the family (F2: the involvement, with the
  central team number, is on ContactPoint).
- 2009-03-27: her mother is much better; John's involvement ends (InvolvementEnded). The team's
  contact details stay visible on ContactPoint until 2010-03-27.
- 2009-04-20: Lee's youth service starts working with Hannah (InvolvementStarted).
- 2009-09-08: the school's MIS sends Hannah's details at the start of Year 11 (ChildIdentityUpdate).
- 2010-02-01..17: Melanie finds John's team and Lee on ContactPoint; Hannah consents; the common
  assessment is recorded on National eCAF; the TAC meets and appoints Melanie lead
  professional (CafIndicatorUpdate, and ContactPoint's Acknowledgement).
- 2010-05-17..25: the three-month review agrees a referral to children's social care for a
  young carer's assessment (SocialCareReferral); John joins the TAC and social care takes
  responsibility (SocialCareReferralResponse); the CAF is offered as a draft initial
  assessment (InitialAssessmentPrepopulation).
- 2010-10-01: social care steps down; the outstanding needs go back to the CAF (StepDown).
- 2010-11-08: the family moves to Hackney (LA 204), which uses National eCAF: the CAF of
  Hannah's sister Chloe moves from Islington's local eCAF (EpisodeTransfer) and Hannah's case
  record moves to Hackney's ICS (CaseRecordTransfer).
- 2010-12-06: Islington migrates its remaining local eCAF episodes (MigrationBatch).

Identifiers are made up but valid: NHS numbers from the 999 test range, UPNs with the right
check letter and Islington's LA code, ContactPoint IDs passing the Luhn check; telephone
numbers are from Ofcom's drama ranges, e-mail domains end in `.example`. Every message ID and
timestamp is fixed, so the generated files are byte-for-byte reproducible.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from .codecs import to_json, to_xml
from .messages import (
    MESSAGE_CLASSES,
    SCHEMA_VERSION,
    Acknowledgement,
    AcknowledgementStatus,
    BatchManifest,
    CafIndicatorUpdate,
    CaseRecordTransfer,
    ChildIdentityUpdate,
    Envelope,
    EpisodeTransfer,
    InitialAssessmentPrepopulation,
    InvolvementEnded,
    InvolvementStarted,
    Message,
    MessageType,
    MigrationBatch,
    SocialCareReferral,
    SocialCareReferralResponse,
    StepDown,
    StepDownRequest,
    StepUpDecision,
    SystemRef,
)
from .model import (
    Address,
    AssessmentDimension,
    CafAction,
    CafAssessment,
    CafEpisode,
    CafReview,
    CaseRecord,
    Child,
    ChildCharacteristics,
    ChildIdentifiers,
    ChildPlan,
    ChronologyEntry,
    ConsentRecord,
    ContactDetails,
    DevelopmentDomain,
    DimensionFinding,
    ElementAssessment,
    FamilyEnvironmentDomain,
    IcsClosure,
    IcsContact,
    IcsReferral,
    IcsReview,
    InitialAssessment,
    Involvement,
    LeadProfessional,
    Organisation,
    ParentCarer,
    ParentsCarersDomain,
    PersonName,
    Practitioner,
    Service,
    TacMember,
    Team,
)
from .model.codes import (
    AgencyType,
    CafClosureReason,
    CafStatus,
    CinClosureReason,
    ConsentDecision,
    ConsentGiver,
    Disability,
    Ethnicity,
    Gender,
    PlanType,
    PrimaryNeed,
    ReferralSource,
    Relationship,
    SystemKind,
)

__all__ = [
    "CAMDEN",
    "CHLOE",
    "CHLOE_EPISODE_ID",
    "HACKNEY",
    "HANNAH",
    "HANNAH_EPISODE_ID",
    "ISLINGTON",
    "JOHN",
    "LEE",
    "LIBBY",
    "MELANIE",
    "MOTHER",
    "SOCIAL_CARE_DUTY_TEAM",
    "SOCIAL_CARE_INVOLVEMENT",
    "STEVE",
    "YOUTH_SERVICE_INVOLVEMENT",
    "example_files",
    "example_messages",
    "social_care_involvement_started",
]


def _on(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    """A fixed moment in UTC."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


# --- places --------------------------------------------------------------------------------------

#: The local authorities of the story (DfE codes): the school's, the family's, and the one they move to.
CAMDEN = "202"
ISLINGTON = "206"
HACKNEY = "204"

_HOME = Address(lines=["Flat 4, Wren House", "Calverley Street", "London"], postcode="N7 6XP")
_NEW_HOME = Address(lines=["23 Sandringham Court", "Mapledene Walk", "London"], postcode="E8 3XQ")

# --- organisations and the systems they run ------------------------------------------------------

_SCHOOL = Organisation(
    organisation_id="DFE-2024105", name="Camden Park School", agency_type=AgencyType.EDUCATION, la_code=CAMDEN
)
_ISLINGTON_SOCIAL_CARE = Organisation(
    organisation_id="LA206-CSC",
    name="London Borough of Islington, Children's Social Care",
    agency_type=AgencyType.SOCIAL_CARE,
    la_code=ISLINGTON,
)
_ISLINGTON_YOUTH_SERVICE = Organisation(
    organisation_id="LA206-YS",
    name="London Borough of Islington, Youth Service",
    agency_type=AgencyType.YOUTH_SERVICE,
    la_code=ISLINGTON,
)
_ISLINGTON_HOUSING = Organisation(
    organisation_id="LA206-HSG",
    name="London Borough of Islington, Housing Services",
    agency_type=AgencyType.HOUSING,
    la_code=ISLINGTON,
)
_YOUNG_CARERS_PROJECT = Organisation(
    organisation_id="VOL-NYCP",
    name="Northside Young Carers Project",
    agency_type=AgencyType.VOLUNTARY,
    la_code=ISLINGTON,
)
_HACKNEY_SOCIAL_CARE = Organisation(
    organisation_id="LA204-CSC",
    name="London Borough of Hackney, Children's Social Care",
    agency_type=AgencyType.SOCIAL_CARE,
    la_code=HACKNEY,
)

_DCSF = "DCSF"
_DCSF_NAME = "Department for Children, Schools and Families"
_CONTACTPOINT = SystemRef(system=SystemKind.CONTACTPOINT, organisation_id=_DCSF, organisation_name=_DCSF_NAME)
_NATIONAL_ECAF = SystemRef(system=SystemKind.NATIONAL_ECAF, organisation_id=_DCSF, organisation_name=_DCSF_NAME)
_SCHOOL_MIS = SystemRef(
    system=SystemKind.FEED_SOURCE, organisation_id=_SCHOOL.organisation_id, organisation_name=_SCHOOL.name
)
_YOUTH_SERVICE_SYSTEM = SystemRef(
    system=SystemKind.FEED_SOURCE,
    organisation_id=_ISLINGTON_YOUTH_SERVICE.organisation_id,
    organisation_name=_ISLINGTON_YOUTH_SERVICE.name,
)
_ISLINGTON_ICS = SystemRef(
    system=SystemKind.ICS,
    organisation_id=_ISLINGTON_SOCIAL_CARE.organisation_id,
    organisation_name=_ISLINGTON_SOCIAL_CARE.name,
)
_ISLINGTON_LOCAL_ECAF = SystemRef(
    system=SystemKind.LOCAL_ECAF, organisation_id="LA206", organisation_name="London Borough of Islington"
)
_HACKNEY_ICS = SystemRef(
    system=SystemKind.ICS,
    organisation_id=_HACKNEY_SOCIAL_CARE.organisation_id,
    organisation_name=_HACKNEY_SOCIAL_CARE.name,
)

# --- the practitioners -----------------------------------------------------------------------------


def _practitioner(
    practitioner_id: str, given: str, family: str, role: str, organisation: Organisation, telephone: str, email: str
) -> Practitioner:
    return Practitioner(
        practitioner_id=practitioner_id,
        name=PersonName(given_names=given, family_name=family),
        role=role,
        organisation=organisation,
        contact=ContactDetails(telephone=telephone, email=email),
    )


#: Hannah's learning mentor at school, later her lead professional.
MELANIE = _practitioner(
    "CPS-MHUGHES", "Melanie", "Hughes", "Learning mentor", _SCHOOL, "020 7946 0312", "m.hughes@camdenpark.sch.example"
)
#: The children's social worker in the neighbouring borough, where Hannah lives.
JOHN = _practitioner(
    "LA206-JCARTER",
    "John",
    "Carter",
    "Social worker",
    _ISLINGTON_SOCIAL_CARE,
    "020 7946 0471",
    "john.carter@islington.gov.example",
)
#: Hannah's youth worker.
LEE = _practitioner(
    "LA206-LROBINSON",
    "Lee",
    "Robinson",
    "Youth worker",
    _ISLINGTON_YOUTH_SERVICE,
    "020 7946 0528",
    "lee.robinson@islington.gov.example",
)
#: Steve from Housing.
STEVE = _practitioner(
    "LA206-SPATEL",
    "Steve",
    "Patel",
    "Housing officer",
    _ISLINGTON_HOUSING,
    "020 7946 0655",
    "steve.patel@islington.gov.example",
)
#: Libby, of the young carers' group.
LIBBY = _practitioner(
    "NYCP-LGREEN",
    "Libby",
    "Green",
    "Young carers support worker",
    _YOUNG_CARERS_PROJECT,
    "020 7946 0780",
    "libby.green@northsideyoungcarers.org.example",
)

#: The social work team whose central number ContactPoint shows (seed §3.1, §5.2).
SOCIAL_CARE_DUTY_TEAM = Team(
    team_id="LA206-CSC-DUTY",
    name="Children's Social Care Contact and Referral Team",
    organisation=_ISLINGTON_SOCIAL_CARE,
    contact=ContactDetails(telephone="020 7946 0400", email="csc.contact@islington.gov.example"),
)

# --- the family --------------------------------------------------------------------------------------

#: Hannah's mother, who has parental responsibility.
MOTHER = ParentCarer(
    name=PersonName(given_names="Julie", family_name="Mills"),
    relationship=Relationship.MOTHER,
    has_parental_responsibility=True,
    contact=ContactDetails(telephone="07700 900461"),
)

_HANNAH_IDS = ChildIdentifiers(contactpoint_id="CP4801720956", nhs_number="9991000046", upn="A206205199047")

#: Hannah, with the identifiers every system may know her by (each sender adds its own local ID).
HANNAH = Child(
    identifiers=_HANNAH_IDS,
    name=PersonName(given_names="Hannah Louise", family_name="Mills"),
    date_of_birth=dt.date(1994, 6, 14),
    gender=Gender.FEMALE,
    address=_HOME,
    parents_carers=[MOTHER],
)

#: Chloe, the elder of Hannah's younger sisters: also a young carer, with a CAF in Islington's local eCAF.
CHLOE = Child(
    identifiers=ChildIdentifiers(contactpoint_id="CP4801721160", nhs_number="9991000054", upn="C206205101112"),
    name=PersonName(given_names="Chloe", family_name="Mills"),
    date_of_birth=dt.date(1997, 3, 2),
    gender=Gender.FEMALE,
    address=_HOME,
    parents_carers=[MOTHER],
)


def _known_as(child: Child, local_id: str, *, moved: bool = False) -> Child:
    """The child as one sender holds them: with its own ID, and the new address once the family moved."""
    identifiers = child.identifiers.model_copy(update={"local_id": local_id})
    update: dict[str, object] = {"identifiers": identifiers}
    if moved:
        update["address"] = _NEW_HOME
    return child.model_copy(update=update)


# --- involvements on ContactPoint ------------------------------------------------------------------

#: Children's social care's involvement, as Islington's ICS sends it: the team to call, not the worker (seed §5.2).
SOCIAL_CARE_INVOLVEMENT = Involvement(
    involvement_id="LA206-CSC-INV-0008121",
    service=Service(
        service_id="LA206-CSC-CIN",
        name="Children's social care",
        agency_type=AgencyType.SOCIAL_CARE,
        organisation=_ISLINGTON_SOCIAL_CARE,
    ),
    team=SOCIAL_CARE_DUTY_TEAM,
    start_date=dt.date(2008, 6, 3),
)
_SOCIAL_CARE_INVOLVEMENT_ENDED = dt.date(2009, 3, 27)

#: Lee's youth service's involvement: nearly a year old when Melanie looks Hannah up.
YOUTH_SERVICE_INVOLVEMENT = Involvement(
    involvement_id="LA206-YS-INV-0031544",
    service=Service(
        service_id="LA206-YS-YW",
        name="Youth service",
        agency_type=AgencyType.YOUTH_SERVICE,
        organisation=_ISLINGTON_YOUTH_SERVICE,
    ),
    practitioner=LEE,
    start_date=dt.date(2009, 4, 20),
)

# --- Hannah's CAF episode on National eCAF ---------------------------------------------------------

#: Hannah's episode's ID in National eCAF.
HANNAH_EPISODE_ID = "NECAF-2010-0041873"
_HANNAH_AT_NECAF = "NECAF-P-00398812"  # National eCAF's own ID for Hannah
_CONSENT_TO_CAF = dt.date(2010, 2, 3)
_ASSESSED = dt.date(2010, 2, 10)
_TAC_MEETING = dt.date(2010, 2, 17)
_LIBBY_JOINS = dt.date(2010, 3, 3)
_REVIEW = dt.date(2010, 5, 17)
_REFERRED = dt.date(2010, 5, 19)
_SOCIAL_CARE_JOINS = dt.date(2010, 5, 24)
_SOCIAL_CARE_ENDS = dt.date(2010, 10, 1)
_FAMILY_MOVES = dt.date(2010, 11, 8)

_HANNAH_ASSESSMENT = CafAssessment(
    assessment_id="NECAF-ASM-0052210",
    assessment_date=_ASSESSED,
    assessor=MELANIE,
    people_present=["Hannah Mills", "Julie Mills (mother)", "Melanie Hughes (learning mentor)"],
    reason=(
        "Hannah has been falling behind, not doing her homework and missing lessons. She gets upset in class and "
        "says that everything is fine. Her youth worker and, earlier, children's social care have known the family."
    ),
    development=DevelopmentDomain(
        general_health=ElementAssessment(
            strengths="Generally well.",
            needs="Often tired: she does the housework and looks after her brothers and sisters late into the evening.",
        ),
        emotional_social_development=ElementAssessment(
            needs=(
                "Anxious and worried that the family will be split up; has kept her worries to herself and gets upset "
                "when under pressure at school."
            ),
        ),
        behavioural_development=ElementAssessment(
            needs="Teachers see her as rude when she is upset; she wants to get on with them.",
        ),
        family_social_relationships=ElementAssessment(
            strengths="Close to her mother and to her three younger brothers and sisters.",
            needs="Does not see her father; has little time to see her friends.",
        ),
        self_care_independence=ElementAssessment(
            strengths="Very capable: runs the household and looks after the family's money.",
            needs="Carries responsibilities beyond her age as a young carer for her mother and siblings.",
        ),
        learning=ElementAssessment(
            strengths="Able; Year 11, and wants to do well in her GCSEs.",
            needs="Behind with homework and coursework; has missed lessons to help at home.",
        ),
    ),
    parents_carers=ParentsCarersDomain(
        basic_care_safety_protection=ElementAssessment(
            strengths="Hannah's mother wants to keep the family together and cares for the children as she can.",
            needs="Her illness means she cannot run the home at present; Hannah does much of the basic care.",
        ),
        emotional_warmth_stability=ElementAssessment(
            strengths="A warm and loving relationship between Hannah and her mother.",
        ),
        guidance_boundaries_stimulation=ElementAssessment(
            needs="Hannah has been hiding letters from school so as not to worry her mother.",
        ),
    ),
    family_environment=FamilyEnvironmentDomain(
        family_history_functioning=ElementAssessment(
            needs=(
                "Hannah's father left a few years ago. Her mother first fell ill in 2008, recovered, and has been "
                "unwell again since late 2009."
            ),
        ),
        housing_employment_finance=ElementAssessment(
            needs=(
                "Rent arrears and unpaid bills: Hannah looks after the money and has not been able to pay the rent "
                "for a while. Her mother cannot work while she is ill."
            ),
        ),
        social_community_resources=ElementAssessment(
            strengths="A youth worker has known Hannah for nearly a year; the school's pastoral team supports her.",
            needs="No support yet from a young carers' group, nor from adult social care for her mother.",
        ),
    ),
    child_comments="I don't want anyone to split us up. I need help with the money and with the housework.",
    parent_comments="I didn't know how much Hannah was doing. I will make an appointment with my GP.",
    conclusions=(
        "Hannah is a young carer for her mother and three younger siblings. She needs support with her schoolwork, "
        "help at home, and the family needs help with the rent arrears and bills. Her mother will see her GP. A Team "
        "Around the Child with the youth service and Housing will agree the actions."
    ),
)


def _consent(
    consent_id: str,
    on: dt.date,
    *,
    practitioner: Practitioner | None = None,
    organisation: Organisation | None = None,
    given_by: ConsentGiver = ConsentGiver.CHILD,
    given_by_name: PersonName | None = None,
) -> ConsentRecord:
    return ConsentRecord(
        consent_id=consent_id,
        decision=ConsentDecision.GIVEN,
        given_by=given_by,
        given_by_name=given_by_name,
        practitioner_id=practitioner.practitioner_id if practitioner is not None else None,
        organisation_id=organisation.organisation_id if organisation is not None else None,
        recorded_on=on,
    )


_HANNAH_CONSENTS = [
    _consent("NECAF-CON-0100231", _CONSENT_TO_CAF, practitioner=MELANIE),
    _consent(
        "NECAF-CON-0100232",
        _ASSESSED,
        practitioner=MELANIE,
        given_by=ConsentGiver.PARENT_CARER,
        given_by_name=MOTHER.name,
    ),
    _consent("NECAF-CON-0100307", _TAC_MEETING, practitioner=LEE),
    _consent("NECAF-CON-0100308", _TAC_MEETING, practitioner=STEVE),
    _consent("NECAF-CON-0100455", _LIBBY_JOINS, practitioner=LIBBY),
    _consent("NECAF-CON-0101190", _REVIEW, organisation=_ISLINGTON_SOCIAL_CARE),
]

_HANNAH_EPISODE = CafEpisode(
    episode_id=HANNAH_EPISODE_ID,
    child=_known_as(HANNAH, _HANNAH_AT_NECAF),
    status=CafStatus.OPEN,
    opened_on=_ASSESSED,
    assessment=_HANNAH_ASSESSMENT,
    consents=_HANNAH_CONSENTS,
    tac_members=[
        TacMember(practitioner=MELANIE, joined_on=_TAC_MEETING),
        TacMember(practitioner=LEE, joined_on=_TAC_MEETING),
        TacMember(practitioner=STEVE, joined_on=_TAC_MEETING),
        TacMember(practitioner=LIBBY, joined_on=_LIBBY_JOINS),
    ],
    lead_professional=LeadProfessional(practitioner_id=MELANIE.practitioner_id, appointed_on=_TAC_MEETING),
    actions=[
        CafAction(
            action_id="NECAF-ACT-0201101",
            owner_id=MELANIE.practitioner_id,
            description="Agree different homework deadlines with Hannah's teachers and better times to meet up.",
            due_on=dt.date(2010, 3, 5),
            completed_on=dt.date(2010, 3, 1),
        ),
        CafAction(
            action_id="NECAF-ACT-0201102",
            owner_id=MELANIE.practitioner_id,
            description="Contact adult social care about support for Hannah's mother.",
            due_on=dt.date(2010, 3, 5),
            completed_on=dt.date(2010, 2, 24),
        ),
        CafAction(
            action_id="NECAF-ACT-0201103",
            owner_id=LEE.practitioner_id,
            description="Contact a young carers' group about a place for Hannah.",
            due_on=dt.date(2010, 3, 5),
            completed_on=dt.date(2010, 3, 3),
        ),
        CafAction(
            action_id="NECAF-ACT-0201104",
            owner_id=STEVE.practitioner_id,
            description=(
                "Arrange help with the bills until Hannah's mother can go back to work, and agree a plan for the "
                "rent arrears."
            ),
            due_on=dt.date(2010, 4, 16),
            completed_on=dt.date(2010, 4, 12),
        ),
        CafAction(
            action_id="NECAF-ACT-0201140",
            owner_id=LIBBY.practitioner_id,
            description="Welcome Hannah to the young carers' group and offer the family support at home.",
            due_on=dt.date(2010, 3, 31),
            completed_on=dt.date(2010, 3, 17),
        ),
        CafAction(
            action_id="NECAF-ACT-0201301",
            owner_id=LEE.practitioner_id,
            description="Speak to children's social care about a specialist young carer's assessment for Hannah.",
            due_on=dt.date(2010, 5, 21),
            completed_on=dt.date(2010, 5, 18),
        ),
    ],
    reviews=[
        CafReview(
            review_id="NECAF-REV-0030017",
            review_date=_REVIEW,
            summary=(
                "Three-month review with Hannah and her mother. Hannah goes to the young carers' group every week and "
                "is catching up with her homework; a repayment plan for the rent arrears is in place. Her mother's "
                "health has not improved and Hannah still does most of the housework: with Hannah's consent the team "
                "agree to refer her to children's social care for a specialist young carer's assessment."
            ),
            next_review_on=dt.date(2010, 8, 17),
        )
    ],
    shared_with=[LEE.practitioner_id, LIBBY.practitioner_id],
)

# --- Islington's local eCAF episodes ---------------------------------------------------------------

#: Chloe's episode's ID in Islington's local eCAF module (kept when it moves to National eCAF).
CHLOE_EPISODE_ID = "LA206-CAF-0000917"
_CHLOE_OPENED = dt.date(2010, 3, 24)
_MELANIE_JOINS_CHLOE = dt.date(2010, 3, 31)

_CHLOE_EPISODE = CafEpisode(
    episode_id=CHLOE_EPISODE_ID,
    child=_known_as(CHLOE, "LA206-CAFP-0002204", moved=True),
    status=CafStatus.OPEN,
    opened_on=_CHLOE_OPENED,
    assessment=CafAssessment(
        assessment_id="LA206-CAFA-0000917",
        assessment_date=_CHLOE_OPENED,
        assessor=LIBBY,
        people_present=["Chloe Mills", "Julie Mills (mother)", "Libby Green (young carers support worker)"],
        reason="Chloe helps her sister Hannah look after their mother and their younger brother and sister.",
        development=DevelopmentDomain(
            emotional_social_development=ElementAssessment(
                strengths="Thoughtful and kind; close to Hannah.",
                needs="Quiet and withdrawn at school; worries about her mother.",
            ),
            learning=ElementAssessment(needs="Homework often not done on the evenings she helps at home."),
        ),
        parents_carers=ParentsCarersDomain(
            emotional_warmth_stability=ElementAssessment(strengths="A warm relationship with her mother."),
        ),
        family_environment=FamilyEnvironmentDomain(
            family_history_functioning=ElementAssessment(
                needs="Mother unwell; Hannah's CAF (National eCAF) already supports the family."
            ),
        ),
        child_comments="I'd like to go to the young carers' group with Hannah.",
        conclusions="Chloe is a young carer: a place at the under-14s young carers' group, and a contact at school.",
    ),
    consents=[
        _consent("LA206-CON-0004410", _CHLOE_OPENED, practitioner=LIBBY),
        _consent(
            "LA206-CON-0004411",
            _CHLOE_OPENED,
            practitioner=LIBBY,
            given_by=ConsentGiver.PARENT_CARER,
            given_by_name=MOTHER.name,
        ),
        _consent("LA206-CON-0004452", _MELANIE_JOINS_CHLOE, practitioner=MELANIE),
    ],
    tac_members=[
        TacMember(practitioner=LIBBY, joined_on=_CHLOE_OPENED),
        TacMember(practitioner=MELANIE, joined_on=_MELANIE_JOINS_CHLOE),
    ],
    lead_professional=LeadProfessional(practitioner_id=LIBBY.practitioner_id, appointed_on=_CHLOE_OPENED),
    actions=[
        CafAction(
            action_id="LA206-ACT-0009120",
            owner_id=LIBBY.practitioner_id,
            description="Offer Chloe a place at the under-14s young carers' group.",
            due_on=dt.date(2010, 4, 30),
            completed_on=dt.date(2010, 4, 14),
        ),
        CafAction(
            action_id="LA206-ACT-0009121",
            owner_id=MELANIE.practitioner_id,
            description="Meet Chloe once a week at school and agree homework deadlines with her teachers.",
            due_on=dt.date(2010, 4, 16),
            completed_on=dt.date(2010, 4, 16),
        ),
    ],
    reviews=[
        CafReview(
            review_id="LA206-REV-0002215",
            review_date=dt.date(2010, 6, 23),
            summary="Chloe enjoys the young carers' group and is more settled at school.",
            next_review_on=dt.date(2010, 9, 22),
        ),
        CafReview(
            review_id="LA206-REV-0002391",
            review_date=dt.date(2010, 9, 22),
            summary="Help at home has eased the load on Chloe; the team keep the episode open over the family's move.",
            next_review_on=dt.date(2010, 12, 15),
        ),
    ],
    shared_with=[MELANIE.practitioner_id],
)

# Two more of Islington's local eCAF episodes, migrated to National eCAF with their consent re-confirmed.
_KYLE = Child(
    identifiers=ChildIdentifiers(
        contactpoint_id="CP4801721343", nhs_number="9991000062", local_id="LA206-CAFP-0001391"
    ),
    name=PersonName(given_names="Kyle", family_name="Brennan"),
    date_of_birth=dt.date(1996, 11, 5),
    gender=Gender.MALE,
    address=Address(lines=["12 Highbury Mews", "London"], postcode="N5 2XL"),
    parents_carers=[
        ParentCarer(
            name=PersonName(given_names="Donna", family_name="Brennan"),
            relationship=Relationship.MOTHER,
            has_parental_responsibility=True,
        )
    ],
)
_AISHA_MOTHER = PersonName(given_names="Rahima", family_name="Begum")
_AISHA = Child(
    identifiers=ChildIdentifiers(
        contactpoint_id="CP4801721525", nhs_number="9991000070", local_id="LA206-CAFP-0001872"
    ),
    name=PersonName(given_names="Aisha", family_name="Begum"),
    date_of_birth=dt.date(2001, 7, 19),
    gender=Gender.FEMALE,
    address=Address(lines=["Flat 9, Tufnell Court", "London"], postcode="N19 5XA"),
    parents_carers=[
        ParentCarer(name=_AISHA_MOTHER, relationship=Relationship.MOTHER, has_parental_responsibility=True)
    ],
)
_MIGRATION_CONSENT = dt.date(2010, 11, 23)

_MIGRATED_EPISODES = [
    CafEpisode(
        episode_id="LA206-CAF-0000655",
        child=_KYLE,
        status=CafStatus.OPEN,
        opened_on=dt.date(2010, 1, 14),
        assessment=CafAssessment(
            assessment_id="LA206-CAFA-0000655",
            assessment_date=dt.date(2010, 1, 14),
            assessor=LEE,
            people_present=["Kyle Brennan", "Donna Brennan (mother)", "Lee Robinson (youth worker)"],
            reason="Kyle's attendance at school has fallen and his mother asked the youth service for help.",
            development=DevelopmentDomain(
                learning=ElementAssessment(needs="Attendance has fallen to 80% this term."),
                identity=ElementAssessment(strengths="Good at football; proud of his team."),
            ),
            parents_carers=ParentsCarersDomain(
                guidance_boundaries_stimulation=ElementAssessment(needs="His mother finds evenings hard to manage."),
            ),
            family_environment=FamilyEnvironmentDomain(
                social_community_resources=ElementAssessment(strengths="Plays for a local youth football club."),
            ),
            conclusions="Weekly sessions with the youth worker; the school's attendance officer to join the team.",
        ),
        consents=[
            _consent("LA206-CON-0003012", dt.date(2010, 1, 14), practitioner=LEE),
            _consent("LA206-CON-0005170", _MIGRATION_CONSENT, practitioner=LEE),
        ],
        tac_members=[TacMember(practitioner=LEE, joined_on=dt.date(2010, 1, 14))],
        lead_professional=LeadProfessional(practitioner_id=LEE.practitioner_id, appointed_on=dt.date(2010, 1, 14)),
        actions=[
            CafAction(
                action_id="LA206-ACT-0006040",
                owner_id=LEE.practitioner_id,
                description="Weekly sessions with Kyle at the youth centre.",
                due_on=dt.date(2010, 2, 1),
                completed_on=dt.date(2010, 1, 25),
            )
        ],
        reviews=[
            CafReview(
                review_id="LA206-REV-0001502",
                review_date=dt.date(2010, 4, 15),
                summary="Attendance is improving; Kyle comes to the youth centre every week.",
                next_review_on=dt.date(2010, 7, 15),
            )
        ],
    ),
    CafEpisode(
        episode_id="LA206-CAF-0000871",
        child=_AISHA,
        status=CafStatus.CLOSED,
        opened_on=dt.date(2009, 10, 5),
        assessment=CafAssessment(
            assessment_id="LA206-CAFA-0000871",
            assessment_date=dt.date(2009, 10, 5),
            assessor=LIBBY,
            people_present=["Aisha Begum", "Rahima Begum (mother)", "Libby Green (young carers support worker)"],
            reason="Aisha helps to look after her grandmother, who lives with the family.",
            development=DevelopmentDomain(
                family_social_relationships=ElementAssessment(strengths="A close and loving family."),
            ),
            parents_carers=ParentsCarersDomain(),
            family_environment=FamilyEnvironmentDomain(
                wider_family=ElementAssessment(needs="Her grandmother needs care during the day."),
            ),
            conclusions="A place at the young carers' group during the school holidays.",
        ),
        consents=[
            _consent(
                "LA206-CON-0002288",
                dt.date(2009, 10, 5),
                practitioner=LIBBY,
                given_by=ConsentGiver.PARENT_CARER,
                given_by_name=_AISHA_MOTHER,
            ),
            _consent(
                "LA206-CON-0005203",
                _MIGRATION_CONSENT,
                practitioner=LIBBY,
                given_by=ConsentGiver.PARENT_CARER,
                given_by_name=_AISHA_MOTHER,
            ),
        ],
        tac_members=[
            TacMember(practitioner=LIBBY, joined_on=dt.date(2009, 10, 5), left_on=dt.date(2010, 7, 16)),
        ],
        actions=[
            CafAction(
                action_id="LA206-ACT-0004410",
                owner_id=LIBBY.practitioner_id,
                description="Book Aisha into the young carers' group's holiday activities.",
                due_on=dt.date(2009, 10, 23),
                completed_on=dt.date(2009, 10, 19),
            )
        ],
        closure_reason=CafClosureReason.NEEDS_MET,
        closed_on=dt.date(2010, 7, 16),
    ),
]

# --- Hannah's case record in Islington's ICS -------------------------------------------------------

_ICS_REFERRAL_ID = "LA206-REF-0002315"
_CIN_PLAN_ID = "LA206-PLAN-0000954"

_CASE_RECORD = CaseRecord(
    case_id="LA206-CASE-0017240",
    child=_known_as(HANNAH, "LA206-CASE-0017240", moved=True),
    characteristics=ChildCharacteristics(
        ethnicity=Ethnicity.WHITE_BRITISH,
        disabilities=[Disability.NO_DISABILITY],
        notes="Young carer for her mother and three younger siblings. Lead professional for her CAF: Melanie Hughes.",
    ),
    allocated_worker=JOHN,
    contacts=[
        IcsContact(
            contact_id="LA206-CON-2008-04417",
            contact_date=dt.date(2008, 6, 2),
            source=ReferralSource.LA_SOCIAL_CARE,
            summary=(
                "The adult social care hospital team report that Hannah, 13, is looking after her three younger "
                "brothers and sisters while her mother is in hospital."
            ),
        ),
        IcsContact(
            contact_id="LA206-CON-2010-02961",
            contact_date=_REFERRED,
            source=ReferralSource.SCHOOLS,
            summary="Referral through National eCAF from Hannah's lead professional, her learning mentor at school.",
        ),
    ],
    referrals=[
        IcsReferral(
            referral_id="LA206-REF-0001108",
            referral_date=SOCIAL_CARE_INVOLVEMENT.start_date,
            source=ReferralSource.LA_SOCIAL_CARE,
            primary_need=PrimaryNeed.PARENTAL_DISABILITY_OR_ILLNESS,
            reason="Young carer: mother in hospital; Hannah caring for the family.",
        ),
        IcsReferral(
            referral_id=_ICS_REFERRAL_ID,
            referral_date=_REFERRED,
            source=ReferralSource.SCHOOLS,
            primary_need=PrimaryNeed.PARENTAL_DISABILITY_OR_ILLNESS,
            reason="Stepping up from the CAF: a specialist young carer's assessment, to commission help at home.",
            caf_episode_id=HANNAH_EPISODE_ID,
        ),
    ],
    initial_assessments=[
        InitialAssessment(
            assessment_id="LA206-IA-0001877",
            started_on=dt.date(2010, 5, 25),
            completed_on=dt.date(2010, 6, 7),
            findings=[
                DimensionFinding(
                    dimension=AssessmentDimension.HEALTH,
                    finding="Generally well; tired from caring for the family late into the evening.",
                ),
                DimensionFinding(
                    dimension=AssessmentDimension.EDUCATION,
                    finding=(
                        "Year 11 at Camden Park School. Had fallen behind and missed lessons; catching up since "
                        "February with different homework deadlines agreed by her learning mentor."
                    ),
                ),
                DimensionFinding(
                    dimension=AssessmentDimension.EMOTIONAL_BEHAVIOURAL,
                    finding="Anxious that the family will be split up; calmer since the Team Around the Child formed.",
                ),
                DimensionFinding(
                    dimension=AssessmentDimension.FAMILY_SOCIAL_RELATIONSHIPS,
                    finding="Close to her mother and siblings; no contact with her father; now has time for friends.",
                ),
                DimensionFinding(
                    dimension=AssessmentDimension.SELF_CARE,
                    finding="Capable and independent; has carried adult responsibility for the home and its money.",
                ),
                DimensionFinding(
                    dimension=AssessmentDimension.BASIC_CARE,
                    finding="Her mother's illness limits what she can do; Hannah gives much of the care at home.",
                ),
                DimensionFinding(
                    dimension=AssessmentDimension.EMOTIONAL_WARMTH,
                    finding="A warm and loving relationship between Hannah's mother and the children.",
                ),
                DimensionFinding(
                    dimension=AssessmentDimension.FAMILY_HISTORY,
                    finding="Father left several years ago; mother first ill in 2008, unwell again since late 2009.",
                ),
                DimensionFinding(
                    dimension=AssessmentDimension.HOUSING,
                    finding="Council tenancy; the rent arrears are under a repayment plan agreed with Housing.",
                ),
                DimensionFinding(
                    dimension=AssessmentDimension.INCOME,
                    finding="Her mother cannot work while ill; Housing has arranged help with the bills.",
                ),
                DimensionFinding(
                    dimension=AssessmentDimension.COMMUNITY_RESOURCES,
                    finding="Youth worker, young carers' group and the school's pastoral team all involved.",
                ),
            ],
            summary=(
                "Started from the CAF, which gave most of what was needed. Hannah is a child in need as a young carer. "
                "The young carer's assessment recommends help with housework, four hours a week, so that Hannah does "
                "not have to do everything. A child in need plan is to be agreed with Hannah, her mother and the TAC."
            ),
            caf_episode_id=HANNAH_EPISODE_ID,
        )
    ],
    plans=[
        ChildPlan(
            plan_id=_CIN_PLAN_ID,
            plan_type=PlanType.CHILD_IN_NEED,
            start_date=dt.date(2010, 6, 10),
            end_date=_SOCIAL_CARE_ENDS,
            summary=(
                "Help with housework four hours a week; adult social care to support Hannah's mother; Hannah keeps her "
                "place at the young carers' group; the CAF team carries on with school and housing support."
            ),
        )
    ],
    reviews=[
        IcsReview(
            review_id="LA206-CINR-0003320",
            review_date=dt.date(2010, 8, 12),
            plan_id=_CIN_PLAN_ID,
            outcome="Help at home is in place and Hannah's mother is getting better; plan to close in the autumn.",
        )
    ],
    closure=IcsClosure(
        closure_date=_SOCIAL_CARE_ENDS,
        reason=CinClosureReason.RC7,
        summary=(
            "Hannah is no longer a child in need. The outstanding needs were stepped down to her CAF on National eCAF, "
            "with Melanie Hughes as lead professional."
        ),
    ),
    chronology=[
        ChronologyEntry(entry_date=dt.date(2008, 6, 2), event="Contact from adult social care"),
        ChronologyEntry(
            entry_date=SOCIAL_CARE_INVOLVEMENT.start_date,
            event="Referral; John Carter allocated",
            detail="Mother in hospital; Hannah caring for the family.",
        ),
        ChronologyEntry(
            entry_date=_SOCIAL_CARE_INVOLVEMENT_ENDED,
            event="Social care involvement ended by agreement",
            detail="Mother much better. John gave Hannah leaflets about local youth groups.",
        ),
        ChronologyEntry(
            entry_date=dt.date(2010, 2, 1),
            event="Learning mentor calls about Hannah",
            detail="Melanie Hughes found the team on ContactPoint; with Hannah's consent, John shared what he knew.",
        ),
        ChronologyEntry(entry_date=_TAC_MEETING, event="CAF completed and Team Around the Child formed"),
        ChronologyEntry(entry_date=_REFERRED, event="Referral from the CAF (stepping up)"),
        ChronologyEntry(entry_date=_SOCIAL_CARE_JOINS, event="John Carter joins the Team Around the Child"),
        ChronologyEntry(entry_date=dt.date(2010, 6, 7), event="Initial assessment and young carer's assessment"),
        ChronologyEntry(entry_date=dt.date(2010, 6, 10), event="Child in need plan started"),
        ChronologyEntry(entry_date=dt.date(2010, 8, 12), event="Child in need review"),
        ChronologyEntry(entry_date=_SOCIAL_CARE_ENDS, event="Case closed; outstanding needs stepped down to the CAF"),
        ChronologyEntry(entry_date=_FAMILY_MOVES, event="Family moved to Hackney"),
    ],
)

# --- the messages ----------------------------------------------------------------------------------


def _header(
    message_type: MessageType,
    message_id: str,
    sender: SystemRef,
    recipient: SystemRef,
    created_at: dt.datetime,
    correlation_id: str | None = None,
) -> Envelope:
    return Envelope(
        message_id=message_id,
        message_type=message_type,
        schema_version=SCHEMA_VERSION,
        sender=sender,
        recipient=recipient,
        created_at=created_at,
        correlation_id=correlation_id,
    )


def _build_social_care_involvement_started() -> InvolvementStarted:
    return InvolvementStarted(
        header=_header(
            MessageType.INVOLVEMENT_STARTED,
            "5b0e7d4c-2f1a-4c83-9d6e-0a7b3e91c254",
            _ISLINGTON_ICS,
            _CONTACTPOINT,
            _on(2009, 1, 12, 2, 30),
        ),
        child=_known_as(HANNAH, "LA206-CASE-0017240"),
        involvement=SOCIAL_CARE_INVOLVEMENT,
    )


@cache
def _build() -> dict[MessageType, Message]:
    caf_indicator_id = "a7d2c9e4-1b36-4f58-8e0a-6c4d2b9f7e13"
    referral_id = "e41f8a2b-7c59-4d06-b3e8-95a1c7d04f62"
    hannah_at_ics = _known_as(HANNAH, "LA206-CASE-0017240")
    messages: list[Message] = [
        # F1: the school's MIS sends Hannah's details at the start of the autumn term.
        ChildIdentityUpdate(
            header=_header(
                MessageType.CHILD_IDENTITY_UPDATE,
                "3f9c2a71-8e4b-4d15-a6c0-2b7e9d1f4a38",
                _SCHOOL_MIS,
                _CONTACTPOINT,
                _on(2009, 9, 8, 6, 15),
            ),
            child=_known_as(HANNAH, "CPS-ADM-004471"),
        ),
        # F1: Lee's youth service records its involvement.
        InvolvementStarted(
            header=_header(
                MessageType.INVOLVEMENT_STARTED,
                "c8e15b3d-94a2-4f7e-b016-d3a8e2c5f971",
                _YOUTH_SERVICE_SYSTEM,
                _CONTACTPOINT,
                _on(2009, 4, 20, 17, 5),
            ),
            child=_known_as(HANNAH, "YS-0031544"),
            involvement=YOUTH_SERVICE_INVOLVEMENT,
        ),
        # F2: John's social care involvement ends; ContactPoint keeps the team's contact visible for a year.
        InvolvementEnded(
            header=_header(
                MessageType.INVOLVEMENT_ENDED,
                "1d6a4e8f-3c72-4b9a-8f25-7e0c9b3a6d41",
                _ISLINGTON_ICS,
                _CONTACTPOINT,
                _on(2009, 3, 27, 16, 40),
            ),
            child=hannah_at_ics,
            involvement_id=SOCIAL_CARE_INVOLVEMENT.involvement_id,
            start_date=SOCIAL_CARE_INVOLVEMENT.start_date,
            end_date=_SOCIAL_CARE_INVOLVEMENT_ENDED,
        ),
        # F3: after the TAC meeting, National eCAF tells ContactPoint a CAF exists and Melanie leads.
        CafIndicatorUpdate(
            header=_header(
                MessageType.CAF_INDICATOR_UPDATE,
                caf_indicator_id,
                _NATIONAL_ECAF,
                _CONTACTPOINT,
                _on(2010, 2, 17, 15, 30),
            ),
            child=_known_as(HANNAH, _HANNAH_AT_NECAF),
            caf_exists=True,
            updated_on=_TAC_MEETING,
            completed_by=MELANIE,
            lead_professional=MELANIE,
        ),
        # F4: stepping up, after the three-month review.
        SocialCareReferral(
            header=_header(
                MessageType.SOCIAL_CARE_REFERRAL, referral_id, _NATIONAL_ECAF, _ISLINGTON_ICS, _on(2010, 5, 19, 10, 12)
            ),
            referral_id="NECAF-REF-0007731",
            referral_date=_REFERRED,
            referred_by=MELANIE,
            reason=(
                "Hannah is a young carer for her mother and three younger siblings. The Team Around the Child asks "
                "for a specialist young carer's assessment, so that help with housework can be commissioned and "
                "Hannah does not have to do everything at home. Hannah and her mother agree to the referral."
            ),
            episode=_HANNAH_EPISODE,
        ),
        # F4: John joins the TAC; the episode stays open as social care's responsibility.
        SocialCareReferralResponse(
            header=_header(
                MessageType.SOCIAL_CARE_REFERRAL_RESPONSE,
                "9a3b6f0e-5d21-4c87-a4f9-1e6d8c2b7a05",
                _ISLINGTON_ICS,
                _NATIONAL_ECAF,
                _on(2010, 5, 24, 11, 45),
                correlation_id=referral_id,
            ),
            episode_id=HANNAH_EPISODE_ID,
            referral_id="NECAF-REF-0007731",
            ics_referral_id=_ICS_REFERRAL_ID,
            joining_member=TacMember(practitioner=JOHN, joined_on=_SOCIAL_CARE_JOINS),
            decision=StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE,
            decided_on=_SOCIAL_CARE_JOINS,
        ),
        # F5: the CAF, offered to John as a draft initial assessment.
        InitialAssessmentPrepopulation(
            header=_header(
                MessageType.INITIAL_ASSESSMENT_PREPOPULATION,
                "62c0d8b7-e4f3-4a19-9c5d-b8f2a7e0c346",
                _NATIONAL_ECAF,
                _ISLINGTON_ICS,
                _on(2010, 5, 25, 9, 2),
            ),
            episode_id=HANNAH_EPISODE_ID,
            child=_known_as(HANNAH, _HANNAH_AT_NECAF),
            assessment=_HANNAH_ASSESSMENT,
            consents=[c for c in _HANNAH_CONSENTS if c.organisation_id == _ISLINGTON_SOCIAL_CARE.organisation_id],
            requested_by=JOHN,
        ),
        # F6: stepping down, with needs still to meet.
        StepDown(
            header=_header(
                MessageType.STEP_DOWN,
                "d57e2a9c-0b84-4e6f-93a1-4c8b6f2d0e79",
                _ISLINGTON_ICS,
                _NATIONAL_ECAF,
                _on(2010, 10, 1, 14, 20),
            ),
            episode_id=HANNAH_EPISODE_ID,
            child=hannah_at_ics,
            social_worker=JOHN,
            social_care_ended_on=_SOCIAL_CARE_ENDS,
            outstanding_needs=[
                "Support with sixth-form coursework and attendance, with the flexible deadlines agreed in Year 11.",
                "Keep to the repayment plan for the rent arrears agreed with Housing.",
                "Young carers' group, and a check that help at home still fits as her mother's health changes.",
            ],
            request=StepDownRequest.REASSESS,
        ),
        # F7: the family moves; Chloe's CAF leaves Islington's local eCAF for National eCAF.
        EpisodeTransfer(
            header=_header(
                MessageType.EPISODE_TRANSFER,
                "f0b9c3e6-7a15-4d2b-8e4c-3a6f1d9b5c87",
                _ISLINGTON_LOCAL_ECAF,
                _NATIONAL_ECAF,
                _on(2010, 11, 10, 8, 55),
            ),
            from_la=ISLINGTON,
            to_la=HACKNEY,
            reason="The family moved from Islington to Hackney, which uses National eCAF.",
            episode=_CHLOE_EPISODE,
        ),
        # F8: Islington moves its remaining local eCAF episodes into National eCAF.
        MigrationBatch(
            header=_header(
                MessageType.MIGRATION_BATCH,
                "2e8d5f1a-c6b3-4a70-9d2e-5f7a0c4b8e16",
                _ISLINGTON_LOCAL_ECAF,
                _NATIONAL_ECAF,
                _on(2010, 12, 6, 19, 0),
            ),
            manifest=BatchManifest.for_episodes("LA206-MIG-2010-12-01", _MIGRATED_EPISODES),
            episodes=_MIGRATED_EPISODES,
        ),
        # F9: Hannah's case record follows her to Hackney.
        CaseRecordTransfer(
            header=_header(
                MessageType.CASE_RECORD_TRANSFER,
                "b6f4a0d3-2e97-4c5a-8b1f-9d3c7e5a2f60",
                _ISLINGTON_ICS,
                _HACKNEY_ICS,
                _on(2010, 11, 15, 13, 10),
            ),
            from_la=ISLINGTON,
            to_la=HACKNEY,
            reason=(
                "Hannah's family moved to Hackney on 8 November 2010. Hackney children's social care asked for her "
                "closed case record, so that the history of social work involvement and decisions moves with her."
            ),
            case_record=_CASE_RECORD,
        ),
        # F10: ContactPoint accepts the CAF indicator.
        Acknowledgement(
            header=_header(
                MessageType.ACKNOWLEDGEMENT,
                "47a1e9c5-6d08-4b3f-a2e7-0c9f5b1d8a34",
                _CONTACTPOINT,
                _NATIONAL_ECAF,
                _on(2010, 2, 17, 15, 30, 4),
                correlation_id=caf_indicator_id,
            ),
            acknowledged_message_id=caf_indicator_id,
            status=AcknowledgementStatus.ACCEPTED,
        ),
    ]
    built = {m.message_type: m for m in messages}
    return {message_type: built[message_type] for message_type in MESSAGE_CLASSES}


def example_messages() -> dict[MessageType, Message]:
    """One realistic message of each type, from Hannah's story, in the order of the flows.

    Each call returns fresh copies: change them freely.
    """
    return {message_type: message.model_copy(deep=True) for message_type, message in _build().items()}


def social_care_involvement_started() -> InvolvementStarted:
    """F2, the other face of InvolvementStarted: Islington's ICS puts social care's involvement on ContactPoint.

    It names the central team to call rather than the social worker (seed §5.2); its involvement
    is the one the InvolvementEnded example ends.
    """
    return _build_social_care_involvement_started()


def example_files() -> dict[str, bytes]:
    """The examples as files: `<MessageType>.xml` and `<MessageType>.json` for every message type."""
    files: dict[str, bytes] = {}
    for message_type, message in _build().items():
        files[f"{message_type.value}.xml"] = to_xml(message)
        files[f"{message_type.value}.json"] = to_json(message) + b"\n"
    return files
