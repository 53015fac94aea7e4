"""The Common Assessment Framework episode, as National eCAF and local eCAF systems hold it.

An episode holds the assessment (three domains with their fixed elements, as the CAF form
has them), the consent ledger, the Team Around the Child, the lead professional, the agreed
actions and the reviews. Episodes never close by themselves (seed §4.3 note 7); a closed
episode says why.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from ._base import ChoiceModel, IcsModel, XmlName
from .codes import CafClosureReason, CafResponsibility, CafStatus, ConsentDecision, ConsentGiver
from .people import Child, PersonName, Practitioner
from .scalars import Boolean, Date, Identifier, ShortText, Text

__all__ = [
    "CafAction",
    "CafAssessment",
    "CafEpisode",
    "CafReview",
    "ConsentRecord",
    "DevelopmentDomain",
    "ElementAssessment",
    "FamilyEnvironmentDomain",
    "LeadProfessional",
    "ParentsCarersDomain",
    "TacMember",
]


class ElementAssessment(IcsModel):
    """What the assessment found for one element: strengths and needs, either or both."""

    strengths: Text | None = Field(default=None, description="Strengths identified.")
    needs: Text | None = Field(default=None, description="Needs identified.")


def _element(label: str) -> ElementAssessment:
    return Field(default_factory=ElementAssessment, description=label)


class DevelopmentDomain(IcsModel):
    """CAF domain 1: development of the baby, child or young person."""

    general_health: ElementAssessment = _element("General health.")
    physical_development: ElementAssessment = _element("Physical development.")
    speech_language_communication: ElementAssessment = _element("Speech, language and communication development.")
    emotional_social_development: ElementAssessment = _element("Emotional and social development.")
    behavioural_development: ElementAssessment = _element("Behavioural development.")
    identity: ElementAssessment = _element("Identity, including self-esteem, self-image and social presentation.")
    family_social_relationships: ElementAssessment = _element("Family and social relationships.")
    self_care_independence: ElementAssessment = _element("Self-care skills and independence.")
    learning: ElementAssessment = _element("Learning (understanding, reasoning, progress and achievement).")


class ParentsCarersDomain(IcsModel):
    """CAF domain 2: parents and carers."""

    basic_care_safety_protection: ElementAssessment = _element("Basic care, ensuring safety and protection.")
    emotional_warmth_stability: ElementAssessment = _element("Emotional warmth and stability.")
    guidance_boundaries_stimulation: ElementAssessment = _element("Guidance, boundaries and stimulation.")


class FamilyEnvironmentDomain(IcsModel):
    """CAF domain 3: family and environmental factors."""

    family_history_functioning: ElementAssessment = _element("Family history, functioning and well-being.")
    wider_family: ElementAssessment = _element("Wider family.")
    housing_employment_finance: ElementAssessment = _element("Housing, employment and financial considerations.")
    social_community_resources: ElementAssessment = _element(
        "Social and community elements and resources, including education."
    )


class CafAssessment(IcsModel):
    """The common assessment itself (the standard CAF form)."""

    assessment_id: Identifier = Field(description="The assessment's identifier.")
    assessment_date: Date = Field(description="The date the assessment was completed.")
    assessor: Practitioner = Field(description="The practitioner who completed the assessment.")
    people_present: Annotated[list[ShortText], XmlName("PersonPresent")] = Field(
        default_factory=list, description="Who was present at the assessment."
    )
    reason: Text = Field(description="What led to the assessment.")
    development: DevelopmentDomain = Field(description="Domain 1: development of the child or young person.")
    parents_carers: ParentsCarersDomain = Field(description="Domain 2: parents and carers.")
    family_environment: FamilyEnvironmentDomain = Field(description="Domain 3: family and environmental factors.")
    child_comments: Text | None = Field(default=None, description="The child's or young person's comments.")
    parent_comments: Text | None = Field(default=None, description="The parent's or carer's comments.")
    conclusions: Text | None = Field(default=None, description="Conclusions, solutions and actions agreed.")


class ConsentRecord(ChoiceModel):
    """One entry of an episode's consent ledger: consent given or withdrawn, for whom."""

    choice_groups: ClassVar[tuple[tuple[str, ...], ...]] = (("practitioner_id", "organisation_id"),)

    consent_id: Identifier = Field(description="The consent record's identifier.")
    decision: ConsentDecision = Field(description="Whether consent was given or withdrawn.")
    given_by: ConsentGiver = Field(description="Who gave or withdrew it.")
    given_by_name: PersonName | None = Field(
        default=None, description="The name of the parent or carer, where it was one."
    )
    practitioner_id: Identifier | None = Field(default=None, description="The practitioner the consent is for.")
    organisation_id: Identifier | None = Field(default=None, description="The organisation the consent is for.")
    recorded_on: Date = Field(description="The date the decision was recorded.")
    store_and_share: Boolean = Field(
        default=True, description="Consent to store the CAF and share it (as the CAF form asks); false for view only."
    )


class TacMember(IcsModel):
    """A member of the Team Around the Child."""

    practitioner: Practitioner = Field(description="The member.")
    joined_on: Date = Field(description="The date the member joined the team.")
    left_on: Date | None = Field(default=None, description="The date the member left the team.")
    social_care_representative: Boolean = Field(
        default=False,
        description="A representative of social services standing in until a social worker is allocated (seed §4.2).",
    )


class LeadProfessional(IcsModel):
    """The lead professional of an episode: a member of the TAC."""

    practitioner_id: Identifier = Field(description="The TAC member who is lead professional.")
    appointed_on: Date = Field(description="The date of appointment.")


class CafAction(IcsModel):
    """An agreed action: who, what, by when."""

    action_id: Identifier = Field(description="The action's identifier.")
    owner_id: Identifier = Field(description="The practitioner who will do it (a TAC member).")
    description: Text = Field(description="What will be done.")
    due_on: Date = Field(description="By when.")
    completed_on: Date | None = Field(default=None, description="When it was done.")


class CafReview(IcsModel):
    """A review of progress by the TAC."""

    review_id: Identifier = Field(description="The review's identifier.")
    review_date: Date = Field(description="The date of the review.")
    summary: Text = Field(description="Progress and decisions.")
    next_review_on: Date | None = Field(default=None, description="The date of the next review.")


class CafEpisode(IcsModel):
    """A CAF episode: the assessment and everything the TAC does about it."""

    episode_id: Identifier = Field(description="The episode's identifier, stable across systems once assigned.")
    child: Child = Field(description="The child or young person the episode is about.")
    status: CafStatus = Field(description="Open or closed.")
    opened_on: Date = Field(description="The date the episode was opened.")
    responsibility: CafResponsibility = Field(
        default=CafResponsibility.CAF_LEAD, description="Who is responsible for the episode (seed §4.2)."
    )
    assessment: CafAssessment | None = Field(default=None, description="The common assessment, once recorded.")
    consents: Annotated[list[ConsentRecord], XmlName("Consent")] = Field(
        default_factory=list, description="The consent ledger, oldest first."
    )
    tac_members: Annotated[list[TacMember], XmlName("TacMember")] = Field(
        default_factory=list, description="The Team Around the Child."
    )
    lead_professional: LeadProfessional | None = Field(default=None, description="The lead professional.")
    actions: Annotated[list[CafAction], XmlName("Action")] = Field(default_factory=list, description="Agreed actions.")
    reviews: Annotated[list[CafReview], XmlName("Review")] = Field(default_factory=list, description="Reviews.")
    shared_with: Annotated[list[Identifier], XmlName("SharedWith")] = Field(
        default_factory=list, description="Practitioners given access to the episode (each needs consent on record)."
    )
    closure_reason: CafClosureReason | None = Field(default=None, description="Why the episode was closed.")
    closed_on: Date | None = Field(default=None, description="The date the episode was closed.")
