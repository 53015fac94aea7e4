"""The domain model: people, involvements, CAF episodes, ICS records, identifiers, code sets.

The model knows nothing of XML, JSON, HTTP or storage; the codecs and schema generators
read it.
"""

from __future__ import annotations

from . import codes, identifiers
from ._base import ChoiceModel, CodeSet, IcsModel, SimpleType, XmlName, json_name, xml_name
from .caf import (
    CafAction,
    CafAssessment,
    CafEpisode,
    CafReview,
    ConsentRecord,
    DevelopmentDomain,
    ElementAssessment,
    FamilyEnvironmentDomain,
    LeadProfessional,
    ParentsCarersDomain,
    TacMember,
)
from .ics_records import (
    AssessmentDimension,
    CaseRecord,
    ChildPlan,
    ChronologyEntry,
    CoreAssessment,
    DimensionFinding,
    IcsClosure,
    IcsContact,
    IcsReferral,
    IcsReview,
    InitialAssessment,
)
from .involvement import Involvement, Service
from .people import (
    Address,
    Child,
    ChildCharacteristics,
    ChildIdentifiers,
    ContactDetails,
    LeftEngland,
    NoKnownAddress,
    Organisation,
    ParentCarer,
    PersonName,
    Practitioner,
    Team,
)

__all__ = [
    "Address",
    "AssessmentDimension",
    "CafAction",
    "CafAssessment",
    "CafEpisode",
    "CafReview",
    "CaseRecord",
    "Child",
    "ChildCharacteristics",
    "ChildIdentifiers",
    "ChildPlan",
    "ChoiceModel",
    "ChronologyEntry",
    "CodeSet",
    "ConsentRecord",
    "ContactDetails",
    "CoreAssessment",
    "DevelopmentDomain",
    "DimensionFinding",
    "ElementAssessment",
    "FamilyEnvironmentDomain",
    "IcsClosure",
    "IcsContact",
    "IcsModel",
    "IcsReferral",
    "IcsReview",
    "InitialAssessment",
    "Involvement",
    "LeadProfessional",
    "LeftEngland",
    "NoKnownAddress",
    "Organisation",
    "ParentCarer",
    "ParentsCarersDomain",
    "PersonName",
    "Practitioner",
    "Service",
    "SimpleType",
    "TacMember",
    "Team",
    "XmlName",
    "codes",
    "identifiers",
    "json_name",
    "xml_name",
]
