"""Code sets of the standard: each an enum of codes with labels.

Where the Children in Need (CIN) census already defines a code set, the standard uses the
census's codes and labels (taken from the 2026 census schema), so an authority's existing
data needs no translation. The other sets are the standard's own.
"""

from __future__ import annotations

from ._base import CodeSet

__all__ = [
    "AbuseCategory",
    "AgencyType",
    "CafClosureReason",
    "CafResponsibility",
    "CafStatus",
    "CinClosureReason",
    "ConsentDecision",
    "ConsentGiver",
    "Disability",
    "Ethnicity",
    "Gender",
    "PlanType",
    "PrimaryNeed",
    "ReferralSource",
    "Relationship",
    "SensitiveBasis",
    "SensitiveService",
    "SystemKind",
]


class Gender(CodeSet):
    """Gender of a child (CIN census codes up to 2024; the regulations allow 'not specified')."""

    MALE = "1", "Male"
    FEMALE = "2", "Female"
    NOT_KNOWN = "0", "Not recorded, or unborn"
    NOT_SPECIFIED = "9", "Not specified (indeterminate)"


class AgencyType(CodeSet):
    """The kind of agency an organisation or service belongs to."""

    SOCIAL_CARE = "social-care", "Children's social care"
    EDUCATION = "education", "Education (school, college, education service)"
    HEALTH = "health", "Health (other than GP)"
    GP = "gp", "General practice"
    YOUTH_SERVICE = "youth-service", "Youth service"
    CONNEXIONS = "connexions", "Connexions"
    YOUTH_OFFENDING = "youth-offending", "Youth offending team"
    HOUSING = "housing", "Housing"
    VOLUNTARY = "voluntary", "Voluntary or community organisation"
    OTHER = "other", "Other"


class SensitiveService(CodeSet):
    """Services whose involvement ContactPoint records only as the regulations allow (SI 2007/2182)."""

    SEXUAL_HEALTH = "sexual-health", "Sexual health"
    MENTAL_HEALTH = "mental-health", "Mental health"
    SUBSTANCE_MISUSE = "substance-misuse", "Substance misuse"


class SensitiveBasis(CodeSet):
    """Why a sensitive service's involvement may be recorded at all (SI 2007/2182)."""

    CONSENT = "consent", "The child (or young person) consents"
    SIGNIFICANT_HARM = "significant-harm", "Significant harm is suspected"


class Relationship(CodeSet):
    """How a parent or carer is related to the child."""

    MOTHER = "mother", "Mother"
    FATHER = "father", "Father"
    STEP_PARENT = "step-parent", "Step-parent"
    GRANDPARENT = "grandparent", "Grandparent"
    OTHER_RELATIVE = "other-relative", "Other relative"
    FOSTER_CARER = "foster-carer", "Foster carer"
    SPECIAL_GUARDIAN = "special-guardian", "Special guardian"
    OTHER = "other", "Other carer"


class SystemKind(CodeSet):
    """The kinds of system that exchange messages of the standard (the conformance actors)."""

    CONTACTPOINT = "contactpoint", "ContactPoint directory"
    NATIONAL_ECAF = "national-ecaf", "National eCAF"
    LOCAL_ECAF = "local-ecaf", "Local eCAF system or module"
    ICS = "ics", "ICS case-management system"
    FEED_SOURCE = "feed-source", "Other local system feeding ContactPoint"


class CafStatus(CodeSet):
    """Whether a CAF episode is open or closed."""

    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class CafResponsibility(CodeSet):
    """Who is responsible for a CAF episode (seed §4.2: a structured marker, not free text)."""

    CAF_LEAD = "caf-lead", "The CAF lead professional and the Team Around the Child"
    SOCIAL_CARE = (
        "social-care",
        "Responsibility has transferred to children's social care",
    )


class CafClosureReason(CodeSet):
    """Why a CAF episode was closed."""

    NEEDS_MET = "needs-met", "Needs met"
    CONSENT_WITHDRAWN = (
        "consent-withdrawn",
        "Consent withdrawn, or the family disengaged",
    )
    MOVED_AUTHORITY = (
        "moved-authority",
        "Moved to another authority (episode transferred)",
    )
    ALTERNATIVE_HOLISTIC_ASSESSMENT = (
        "alternative-holistic-assessment",
        "Transfer to alternative holistic assessment (social care)",
    )
    OTHER = "other", "Other"


class ConsentGiver(CodeSet):
    """Who gave or withdrew consent."""

    CHILD = "child", "The child or young person"
    PARENT_CARER = "parent-carer", "A parent or carer"


class ConsentDecision(CodeSet):
    """Whether consent was given or withdrawn."""

    GIVEN = "given", "Consent given"
    WITHDRAWN = "withdrawn", "Consent withdrawn"


class PlanType(CodeSet):
    """The kind of plan recorded for a child in ICS."""

    CHILD_IN_NEED = "cin", "Child in need plan"
    CHILD_PROTECTION = "cp", "Child protection plan"
    LOOKED_AFTER = "lac", "Care plan for a looked-after child"


class Ethnicity(CodeSet):
    """Ethnicity, as the Children in Need census codes it."""

    WHITE_BRITISH = "WBRI", "White British"
    WHITE_IRISH = "WIRI", "White Irish"
    TRAVELLER_OF_IRISH_HERITAGE = "WIRT", "Traveller of Irish heritage"
    ANY_OTHER_WHITE_BACKGROUND = "WOTH", "Any other White background"
    GYPSY_ROMA = "WROM", "Gypsy/Roma"
    WHITE_AND_BLACK_CARIBBEAN = "MWBC", "White and Black Caribbean"
    WHITE_AND_BLACK_AFRICAN = "MWBA", "White and Black African"
    WHITE_AND_ASIAN = "MWAS", "White and Asian"
    ANY_OTHER_MIXED_BACKGROUND = "MOTH", "Any other mixed background"
    INDIAN = "AIND", "Indian"
    PAKISTANI = "APKN", "Pakistani"
    BANGLADESHI = "ABAN", "Bangladeshi"
    ANY_OTHER_ASIAN_BACKGROUND = "AOTH", "Any other Asian background"
    CARIBBEAN = "BCRB", "Caribbean"
    AFRICAN = "BAFR", "African"
    ANY_OTHER_BLACK_BACKGROUND = "BOTH", "Any other black background"
    CHINESE = "CHNE", "Chinese"
    ANY_OTHER_ETHNIC_GROUP = "OOTH", "Any other ethnic group"
    REFUSED = "REFU", "Refused"
    INFORMATION_NOT_YET_OBTAINED = "NOBT", "Information not yet obtained"


class Disability(CodeSet):
    """Disability, as the Children in Need census codes it."""

    NO_DISABILITY = "NONE", "No disability"
    MOBILITY = "MOB", "Mobility"
    HAND_FUNCTION = "HAND", "Hand function"
    PERSONAL_CARE = "PC", "Personal care"
    INCONTINENCE = "INC", "Incontinence"
    COMMUNICATION = "COMM", "Communication"
    LEARNING = "LD", "Learning"
    HEARING = "HEAR", "Hearing"
    VISION = "VIS", "Vision"
    BEHAVIOUR = "BEH", "Behaviour"
    CONSCIOUSNESS = "CON", "Consciousness"
    AUTISM = "AUT", "Autism"
    OTHER = "DDA", "Other"


class ReferralSource(CodeSet):
    """Source of a referral to children's social care (Children in Need census)."""

    FAMILY_MEMBER_RELATIVE_OR_CARER = (
        "1A",
        "INDIVIDUAL – family member, relative or carer",
    )
    ACQUAINTANCE = (
        "1B",
        "INDIVIDUAL – acquaintance (including neighbours and child minders)",
    )
    SELF = "1C", "INDIVIDUAL – self"
    OTHER_INDIVIDUAL = "1D", "INDIVIDUAL – other (including strangers)"
    SCHOOLS = "2A", "SCHOOLS"
    EDUCATION_SERVICES = "2B", "EDUCATION SERVICES"
    GP = "3A", "HEALTH SERVICES – general practitioner (GP)"
    HEALTH_VISITOR = "3B", "HEALTH SERVICES – health visitor"
    SCHOOL_NURSE = "3C", "HEALTH SERVICES – school nurse"
    OTHER_PRIMARY_HEALTH = "3D", "HEALTH SERVICES – other primary health services"
    ACCIDENT_AND_EMERGENCY = (
        "3E",
        "HEALTH SERVICES – A&E (accident and emergency department)",
    )
    OTHER_HEALTH = "3F", "HEALTH SERVICES – other (for example hospice)"
    HOUSING = "4", "HOUSING - local authority housing or housing association"
    LA_SOCIAL_CARE = (
        "5A",
        "LA SERVICES – social care for example adults social care services",
    )
    LA_OTHER_INTERNAL = (
        "5B",
        "LA SERVICES – other internal (department other than social care in local authorities, for example, youth offending (excluding housing))",
    )
    LA_EXTERNAL = (
        "5C",
        "LA SERVICES – external, for example, from another local authority’s adults social care services",
    )
    LA_EARLY_HELP = "5D", "LA SERVICES – early help"
    POLICE = "6", "POLICE"
    OTHER_LEGAL_AGENCY = (
        "7",
        "OTHER LEGAL AGENCY – including courts, probation, immigration, CAFCASS (Children and Family Court Advisory and Support Service) or prison",
    )
    OTHER = (
        "8",
        "OTHER – including children’s centres, independent agency providers or voluntary organisations",
    )
    ANONYMOUS = "9", "ANONYMOUS"
    UNKNOWN = "10", "UNKNOWN"


class AbuseCategory(CodeSet):
    """Category of abuse of a child protection plan (Children in Need census)."""

    NEGLECT = "NEG", "Neglect"
    PHYSICAL_ABUSE = "PHY", "Physical abuse"
    SEXUAL_ABUSE = "SAB", "Sexual abuse"
    EMOTIONAL_ABUSE = "EMO", "Emotional abuse"
    MULTIPLE_NOT_RECOMMENDED = "MUL", "Multiple/not recommended"


class PrimaryNeed(CodeSet):
    """Primary need code of a child in need (Children in Need census)."""

    ABUSE_NEGLECT_EXPLOITATION = "N1", "Abuse, neglect and exploitation"
    CHILD_DISABILITY = "N2", "Child's disability"
    PARENTAL_DISABILITY_OR_ILLNESS = "N3", "Parental disability or illness"
    FAMILY_IN_ACUTE_STRESS = "N4", "Family in acute stress"
    FAMILY_DYSFUNCTION = "N5", "Family dysfunction"
    SOCIALLY_UNACCEPTABLE_BEHAVIOUR = "N6", "Socially unacceptable behaviour"
    LOW_INCOME = "N7", "Low income"
    ABSENT_PARENTING = "N8", "Absent parenting"
    NOT_IN_NEED = "N9", "Cases other than children in need"
    NOT_STATED = "N0", "Not stated"


class CinClosureReason(CodeSet):
    """Reason a child in need case was closed (Children in Need census)."""

    RC1 = "RC1", "Adopted"
    RC2 = "RC2", "Died"
    RC3 = "RC3", "Child arrangements order"
    RC4 = "RC4", "Special guardianship order"
    RC5 = "RC5", "Transferred to services of another local authority"
    RC6 = "RC6", "Transferred to adult social care services"
    RC7 = (
        "RC7",
        "Services ceased for any other reason, including child no longer in need",
    )
    RC8 = "RC8", "Case closed after assessment, no further action"
    RC9 = "RC9", "Case closed after assessment, referred to early help"
