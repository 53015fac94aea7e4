"""How a common assessment feeds an ICS initial assessment (F5, seed §4.2): the mapping, as data, in one place.

The CAF and the Assessment Framework look at the same three sides of a child's life (the
child's development; parents and carers; family and environment), which is why "a thorough
CAF can provide 80% of the information required for an IA" (seed §4.2). The seed expects the
incorporation to be manual; this system does the copying and leaves the judgement to the
practitioner: what it makes is a DRAFT initial assessment, which counts for nothing until a
practitioner confirms it (or edits it and then confirms it).

Which CAF element feeds which Assessment Framework dimension(s) — `CAF_TO_FRAMEWORK`:

======================================================  ==================================================
CAF element (domain: element)                           Assessment Framework dimension(s)
======================================================  ==================================================
development: general health                             cdn-health
development: physical development                       cdn-health
development: speech, language and communication        cdn-health, cdn-education
development: emotional and social development           cdn-emotional-behavioural
development: behavioural development                    cdn-emotional-behavioural
development: identity (self-esteem, self-image,         cdn-identity, cdn-social-presentation
social presentation)
development: family and social relationships            cdn-family-social
development: self-care skills and independence          cdn-self-care
development: learning                                   cdn-education
parents and carers: basic care, safety and protection   pc-basic-care, pc-safety
parents and carers: emotional warmth and stability      pc-emotional-warmth, pc-stability
parents and carers: guidance, boundaries, stimulation   pc-guidance-boundaries, pc-stimulation
family and environment: family history, functioning     fef-family-history
family and environment: wider family                    fef-wider-family
family and environment: housing, employment, finance    fef-housing, fef-employment, fef-income
family and environment: social and community            fef-social-integration, fef-community-resources
elements and resources, including education
======================================================  ==================================================

Where the CAF joins two of the Framework's dimensions in one element (basic care *and*
safety; housing, employment *and* finance), the element feeds each of them: the practitioner
sees the whole of what the CAF says under every dimension it may bear on, and trims it.
Speech and language sit in the Framework under health (development) and education
(cognition), so they feed both.

How strengths and needs are combined: for each dimension, in the Framework's order, one
paragraph per contributing CAF element, in the CAF form's order, each labelled with the
element it came from: ``<element> (CAF): strengths: <strengths> Needs: <needs>``, omitting
whichever of the two the CAF left empty. Strengths are never dropped in favour of needs: an
assessment of a child in need weighs both. A dimension no element says anything about gets no
finding (the practitioner adds one). A finding longer than the standard's 4,000 characters is
cut, and says so. What the CAF holds outside the three domains (what led to the assessment,
the child's and parent's comments, the conclusions) is not copied into findings: it is kept
with the draft as its source, for the practitioner to read beside it.
"""

from __future__ import annotations

import attrs

from ics_interop.model import (
    AssessmentDimension,
    CafAssessment,
    DevelopmentDomain,
    DimensionFinding,
    ElementAssessment,
    FamilyEnvironmentDomain,
    IcsModel,
    ParentsCarersDomain,
)

__all__ = ["CAF_TO_FRAMEWORK", "DOMAINS", "ElementMapping", "element_label", "findings_from_caf"]

D = AssessmentDimension

#: The CAF's three domains: the CafAssessment field that holds each, and its model.
DOMAINS: dict[str, type[IcsModel]] = {
    "development": DevelopmentDomain,
    "parents_carers": ParentsCarersDomain,
    "family_environment": FamilyEnvironmentDomain,
}

_MAX_FINDING = 4000
_CUT = " […cut: see the CAF for the rest]"


@attrs.frozen
class ElementMapping:
    """One CAF element and the Assessment Framework dimensions it feeds."""

    domain: str  # a field of CafAssessment (a key of DOMAINS)
    element: str  # a field of that domain's model
    dimensions: tuple[AssessmentDimension, ...]


#: Which CAF element feeds which dimension(s): the table in this module's docstring, as data.
CAF_TO_FRAMEWORK: tuple[ElementMapping, ...] = (
    ElementMapping("development", "general_health", (D.HEALTH,)),
    ElementMapping("development", "physical_development", (D.HEALTH,)),
    ElementMapping("development", "speech_language_communication", (D.HEALTH, D.EDUCATION)),
    ElementMapping("development", "emotional_social_development", (D.EMOTIONAL_BEHAVIOURAL,)),
    ElementMapping("development", "behavioural_development", (D.EMOTIONAL_BEHAVIOURAL,)),
    ElementMapping("development", "identity", (D.IDENTITY, D.SOCIAL_PRESENTATION)),
    ElementMapping("development", "family_social_relationships", (D.FAMILY_SOCIAL_RELATIONSHIPS,)),
    ElementMapping("development", "self_care_independence", (D.SELF_CARE,)),
    ElementMapping("development", "learning", (D.EDUCATION,)),
    ElementMapping("parents_carers", "basic_care_safety_protection", (D.BASIC_CARE, D.ENSURING_SAFETY)),
    ElementMapping("parents_carers", "emotional_warmth_stability", (D.EMOTIONAL_WARMTH, D.STABILITY)),
    ElementMapping("parents_carers", "guidance_boundaries_stimulation", (D.GUIDANCE_BOUNDARIES, D.STIMULATION)),
    ElementMapping("family_environment", "family_history_functioning", (D.FAMILY_HISTORY,)),
    ElementMapping("family_environment", "wider_family", (D.WIDER_FAMILY,)),
    ElementMapping("family_environment", "housing_employment_finance", (D.HOUSING, D.EMPLOYMENT, D.INCOME)),
    ElementMapping("family_environment", "social_community_resources", (D.SOCIAL_INTEGRATION, D.COMMUNITY_RESOURCES)),
)


def element_label(mapping: ElementMapping) -> str:
    """The element's name as the CAF form gives it (the model's own description), without the full stop."""
    description = DOMAINS[mapping.domain].model_fields[mapping.element].description or mapping.element
    return description.rstrip(".")


def _paragraph(label: str, element: ElementAssessment) -> str | None:
    parts = []
    if element.strengths:
        parts.append(f"Strengths: {element.strengths}")
    if element.needs:
        parts.append(f"Needs: {element.needs}")
    return f"{label} (CAF): " + " ".join(parts) if parts else None


def findings_from_caf(assessment: CafAssessment) -> list[DimensionFinding]:
    """The draft findings of an initial assessment, by dimension, from a common assessment (see the module's rules)."""
    paragraphs: dict[AssessmentDimension, list[str]] = {}
    for mapping in CAF_TO_FRAMEWORK:
        element: ElementAssessment = getattr(getattr(assessment, mapping.domain), mapping.element)
        paragraph = _paragraph(element_label(mapping), element)
        if paragraph is None:
            continue
        for dimension in mapping.dimensions:
            paragraphs.setdefault(dimension, []).append(paragraph)
    findings = []
    for dimension in AssessmentDimension:  # the Framework's order, not the CAF's
        if dimension in paragraphs:
            text = "\n".join(paragraphs[dimension])
            if len(text) > _MAX_FINDING:
                text = text[: _MAX_FINDING - len(_CUT)] + _CUT
            findings.append(DimensionFinding(dimension=dimension, finding=text))
    return findings
