"""ICS case records: what a local authority's case-management system holds per child in need.

Contact, referral, initial and core assessment (along the Assessment Framework's three
sides), plan, review, closure and a chronology (seed §2.1). This is case information: it
travels between authorities (F9) and from eCAF to ICS (F5), never to ContactPoint.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ._base import CodeSet, IcsModel, XmlName
from .codes import AbuseCategory, CinClosureReason, PlanType, PrimaryNeed, ReferralSource
from .people import Child, ChildCharacteristics, Practitioner
from .scalars import Boolean, Date, Identifier, ShortText, Text

__all__ = [
    "AssessmentDimension",
    "CaseRecord",
    "ChildPlan",
    "ChronologyEntry",
    "CoreAssessment",
    "DimensionFinding",
    "IcsClosure",
    "IcsContact",
    "IcsReferral",
    "IcsReview",
    "InitialAssessment",
]


class AssessmentDimension(CodeSet):
    """The dimensions of the Assessment Framework triangle that ICS assessments record."""

    HEALTH = "cdn-health", "Child's developmental needs: health"
    EDUCATION = "cdn-education", "Child's developmental needs: education"
    EMOTIONAL_BEHAVIOURAL = (
        "cdn-emotional-behavioural",
        "Child's developmental needs: emotional and behavioural development",
    )
    IDENTITY = "cdn-identity", "Child's developmental needs: identity"
    FAMILY_SOCIAL_RELATIONSHIPS = "cdn-family-social", "Child's developmental needs: family and social relationships"
    SOCIAL_PRESENTATION = "cdn-social-presentation", "Child's developmental needs: social presentation"
    SELF_CARE = "cdn-self-care", "Child's developmental needs: self-care skills"
    BASIC_CARE = "pc-basic-care", "Parenting capacity: basic care"
    ENSURING_SAFETY = "pc-safety", "Parenting capacity: ensuring safety"
    EMOTIONAL_WARMTH = "pc-emotional-warmth", "Parenting capacity: emotional warmth"
    STIMULATION = "pc-stimulation", "Parenting capacity: stimulation"
    GUIDANCE_BOUNDARIES = "pc-guidance-boundaries", "Parenting capacity: guidance and boundaries"
    STABILITY = "pc-stability", "Parenting capacity: stability"
    FAMILY_HISTORY = "fef-family-history", "Family and environmental factors: family history and functioning"
    WIDER_FAMILY = "fef-wider-family", "Family and environmental factors: wider family"
    HOUSING = "fef-housing", "Family and environmental factors: housing"
    EMPLOYMENT = "fef-employment", "Family and environmental factors: employment"
    INCOME = "fef-income", "Family and environmental factors: income"
    SOCIAL_INTEGRATION = "fef-social-integration", "Family and environmental factors: family's social integration"
    COMMUNITY_RESOURCES = "fef-community-resources", "Family and environmental factors: community resources"


class DimensionFinding(IcsModel):
    """What an assessment found on one dimension."""

    dimension: AssessmentDimension = Field(description="The Assessment Framework dimension.")
    finding: Text = Field(description="Strengths and needs found on it.")


class IcsContact(IcsModel):
    """A contact: information received about a child, before any decision to refer."""

    contact_id: Identifier = Field(description="The contact's identifier.")
    contact_date: Date = Field(description="The date of the contact.")
    source: ReferralSource = Field(description="Who made the contact (CIN referral source code).")
    summary: Text = Field(description="What was reported.")


class IcsReferral(IcsModel):
    """A referral to children's social care."""

    referral_id: Identifier = Field(description="The referral's identifier.")
    referral_date: Date = Field(description="The date of the referral.")
    source: ReferralSource = Field(description="Source of the referral (CIN code).")
    primary_need: PrimaryNeed | None = Field(default=None, description="Primary need (CIN code), once identified.")
    reason: Text = Field(description="Why the child was referred.")
    caf_episode_id: Identifier | None = Field(default=None, description="The CAF episode that supported the referral.")
    no_further_action: Boolean = Field(default=False, description="The referral led to no further action.")


class InitialAssessment(IcsModel):
    """An initial assessment of a child in need."""

    assessment_id: Identifier = Field(description="The assessment's identifier.")
    started_on: Date = Field(description="The date the assessment started.")
    completed_on: Date | None = Field(default=None, description="The date it was completed.")
    findings: Annotated[list[DimensionFinding], XmlName("Finding")] = Field(
        default_factory=list, description="Findings by Assessment Framework dimension."
    )
    summary: Text | None = Field(default=None, description="The analysis and decision.")
    caf_episode_id: Identifier | None = Field(default=None, description="The CAF episode it was started from, if any.")


class CoreAssessment(IcsModel):
    """A core (in-depth) assessment of a child in need."""

    assessment_id: Identifier = Field(description="The assessment's identifier.")
    started_on: Date = Field(description="The date the assessment started.")
    completed_on: Date | None = Field(default=None, description="The date it was completed.")
    findings: Annotated[list[DimensionFinding], XmlName("Finding")] = Field(
        default_factory=list, description="Findings by Assessment Framework dimension."
    )
    summary: Text | None = Field(default=None, description="The analysis and decision.")


class ChildPlan(IcsModel):
    """A plan for a child in need, including a child protection plan."""

    plan_id: Identifier = Field(description="The plan's identifier.")
    plan_type: PlanType = Field(description="The kind of plan.")
    start_date: Date = Field(description="The date the plan started.")
    end_date: Date | None = Field(default=None, description="The date the plan ended.")
    abuse_category: AbuseCategory | None = Field(
        default=None, description="For a child protection plan: the category of abuse."
    )
    summary: Text = Field(description="The plan's outcomes and the services to meet them.")


class IcsReview(IcsModel):
    """A review of a child's plan."""

    review_id: Identifier = Field(description="The review's identifier.")
    review_date: Date = Field(description="The date of the review.")
    plan_id: Identifier | None = Field(default=None, description="The plan reviewed.")
    outcome: Text = Field(description="What the review decided.")


class IcsClosure(IcsModel):
    """The closure of a child in need case."""

    closure_date: Date = Field(description="The date the case was closed.")
    reason: CinClosureReason = Field(description="Why the case was closed (CIN code).")
    summary: Text | None = Field(default=None, description="The closure summary.")


class ChronologyEntry(IcsModel):
    """One significant event in the child's life or case."""

    entry_date: Date = Field(description="When it happened.")
    event: ShortText = Field(description="What happened, in a few words.")
    detail: Text | None = Field(default=None, description="More detail.")


class CaseRecord(IcsModel):
    """A child's case record in an ICS system: everything an authority passes on at transfer (F9)."""

    case_id: Identifier = Field(description="The case's identifier in the sending system.")
    child: Child = Field(description="The child.")
    characteristics: ChildCharacteristics | None = Field(default=None, description="Ethnicity, disabilities and notes.")
    allocated_worker: Practitioner | None = Field(default=None, description="The allocated social worker.")
    contacts: Annotated[list[IcsContact], XmlName("Contact")] = Field(default_factory=list, description="Contacts.")
    referrals: Annotated[list[IcsReferral], XmlName("Referral")] = Field(default_factory=list, description="Referrals.")
    initial_assessments: Annotated[list[InitialAssessment], XmlName("InitialAssessment")] = Field(
        default_factory=list, description="Initial assessments."
    )
    core_assessments: Annotated[list[CoreAssessment], XmlName("CoreAssessment")] = Field(
        default_factory=list, description="Core assessments."
    )
    plans: Annotated[list[ChildPlan], XmlName("Plan")] = Field(default_factory=list, description="Plans.")
    reviews: Annotated[list[IcsReview], XmlName("Review")] = Field(default_factory=list, description="Reviews.")
    closure: IcsClosure | None = Field(default=None, description="The closure, once the case is closed.")
    chronology: Annotated[list[ChronologyEntry], XmlName("ChronologyEntry")] = Field(
        default_factory=list, description="The chronology, oldest first."
    )
