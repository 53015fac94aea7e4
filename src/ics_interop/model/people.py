"""People and organisations: the child, parents and carers, practitioners, teams.

The child's record holds what ContactPoint may hold (SI 2007/2182, Schedule 1): names
including former names, an address or its absence explained, gender or "not specified",
date of birth, identifiers, and the people with parental responsibility or care.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from ._base import ChoiceModel, IcsModel, XmlName
from .codes import AgencyType, Disability, Ethnicity, Gender, Relationship
from .identifiers import ContactPointId, LaCode, NhsNumber, Postcode, Upn
from .scalars import Boolean, Date, Email, Identifier, Name, ShortText, Telephone, Text

__all__ = [
    "Address",
    "Child",
    "ChildCharacteristics",
    "ChildIdentifiers",
    "ContactDetails",
    "LeftEngland",
    "NoKnownAddress",
    "Organisation",
    "ParentCarer",
    "PersonName",
    "Practitioner",
    "Team",
]


class PersonName(IcsModel):
    """A person's name as recorded."""

    given_names: Name = Field(description="Given name or names, in order.")
    family_name: Name = Field(description="Family name (surname).")


class Address(IcsModel):
    """A postal address in the UK."""

    lines: Annotated[list[ShortText], XmlName("Line")] = Field(
        min_length=1, max_length=5, description="Address lines, from the most specific (house) to the town."
    )
    postcode: Postcode | None = Field(default=None, description="The postcode, where the address has one.")


class NoKnownAddress(IcsModel):
    """A statement that the child has no known address."""

    recorded_on: Date = Field(description="The date the absence of an address was recorded.")


class LeftEngland(IcsModel):
    """A statement that the child has left England (SI 2007/2182 Sch. 1)."""

    left_on: Date | None = Field(default=None, description="The date the child left England, where known.")
    destination: ShortText | None = Field(default=None, description="Where the child went, where known.")


class ContactDetails(IcsModel):
    """How to reach a person or a team. At least one way must be given."""

    telephone: Telephone | None = Field(default=None, description="Telephone number.")
    email: Email | None = Field(default=None, description="E-mail address.")
    address: Address | None = Field(default=None, description="Postal address.")


class Organisation(IcsModel):
    """An organisation that provides services to children (an authority, a school, a practice...)."""

    organisation_id: Identifier = Field(
        description="The organisation's code (for a local authority, 'LA' and its code)."
    )
    name: ShortText = Field(description="The organisation's name.")
    agency_type: AgencyType = Field(description="The kind of agency.")
    la_code: LaCode | None = Field(default=None, description="The local authority the organisation is in or is.")


class Practitioner(IcsModel):
    """A member of the children's workforce."""

    practitioner_id: Identifier = Field(description="The practitioner's identifier in the sending organisation.")
    name: PersonName = Field(description="The practitioner's name.")
    role: ShortText = Field(description="The practitioner's role, for example 'Learning mentor'.")
    organisation: Organisation = Field(description="The organisation the practitioner works for.")
    contact: ContactDetails = Field(description="How to contact the practitioner.")


class Team(IcsModel):
    """A team, contacted as a whole (for example a central social work team number, seed §5.2)."""

    team_id: Identifier = Field(description="The team's identifier in its organisation.")
    name: ShortText = Field(description="The team's name.")
    organisation: Organisation = Field(description="The organisation the team belongs to.")
    contact: ContactDetails = Field(description="How to contact the team.")


class ChildIdentifiers(IcsModel):
    """Identifiers of a child known to the sender. Every one is optional; the more, the better the match."""

    contactpoint_id: ContactPointId | None = Field(default=None, description="ContactPoint's own ID for the child.")
    nhs_number: NhsNumber | None = Field(default=None, description="NHS number.")
    upn: Upn | None = Field(default=None, description="Unique Pupil Number.")
    local_id: Identifier | None = Field(default=None, description="The sender's own identifier for the child.")


class ParentCarer(IcsModel):
    """A person with parental responsibility for, or care of, the child."""

    name: PersonName = Field(description="The person's name.")
    relationship: Relationship = Field(description="How the person is related to the child.")
    has_parental_responsibility: Boolean = Field(description="Whether the person has parental responsibility.")
    contact: ContactDetails | None = Field(default=None, description="How to contact the person.")


class Child(ChoiceModel):
    """A child's basic identifying information: what the directory may hold, and no more."""

    choice_groups: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("date_of_birth", "expected_date_of_birth"),
        ("address", "last_known_address", "no_known_address", "left_england"),
    )

    identifiers: ChildIdentifiers = Field(description="Identifiers of the child.")
    name: PersonName = Field(description="The child's current name.")
    former_names: Annotated[list[PersonName], XmlName("FormerName")] = Field(
        default_factory=list, description="Names the child was known by before."
    )
    date_of_birth: Date | None = Field(default=None, description="Date of birth.")
    expected_date_of_birth: Date | None = Field(default=None, description="Expected date of birth of an unborn child.")
    gender: Gender = Field(description="Gender, or 'not specified'.")
    address: Address | None = Field(default=None, description="The child's current address.")
    last_known_address: Address | None = Field(default=None, description="The last address known for the child.")
    no_known_address: NoKnownAddress | None = Field(default=None, description="The child has no known address.")
    left_england: LeftEngland | None = Field(default=None, description="The child has left England.")
    parents_carers: Annotated[list[ParentCarer], XmlName("ParentCarer")] = Field(
        default_factory=list, description="People with parental responsibility for, or care of, the child."
    )


class ChildCharacteristics(IcsModel):
    """Characteristics a case record holds and the directory never does."""

    ethnicity: Ethnicity | None = Field(default=None, description="Ethnicity (CIN census code).")
    disabilities: Annotated[list[Disability], XmlName("Disability")] = Field(
        default_factory=list, description="Disabilities (CIN census codes)."
    )
    notes: Text | None = Field(default=None, description="Anything else a practitioner should know.")
