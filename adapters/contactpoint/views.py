"""What the directory shows and takes over its API: the record a practitioner sees, and the data-management forms.

A `DirectoryRecord` is everything the directory may show about a child (SI 2007/2182
Sch. 1): names, date of birth, gender, address, parents and carers, each involvement with
its contact, the CAF indicator and the lead professional. It has no field for case
information, so none can be shown. A shielded child's record, unless overridden, has only
the names, gender, date of birth, ID and the parents' and carers' names, with `locationHidden`
true (SI 2007/2182 reg. 6(5)–(6)); a sensitive service appears only to its own organisation's
practitioners. JSON members are camelCase, as in the standard's own JSON.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from ics_interop.model import Address, LeftEngland, NoKnownAddress, PersonName
from ics_interop.model.codes import AgencyType, Gender, Relationship, SensitiveService

__all__ = [
    "AuditAlert",
    "AuditEntry",
    "DirectoryCafIndicator",
    "DirectoryContact",
    "DirectoryInvolvement",
    "DirectoryModel",
    "DirectoryParentCarer",
    "DirectoryPractitioner",
    "DirectoryRecord",
    "DirectoryRole",
    "DirectoryTeam",
    "MatchCandidate",
    "MatchQueueEntry",
    "MatchResolution",
    "MatchResolved",
    "PractitionerRegistration",
    "Reason",
    "RegisteredPractitioner",
    "SearchResult",
    "ShieldingChange",
    "ShieldingState",
]

#: A reason stated by a user: required for every access, override and data-management act.
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class DirectoryModel(BaseModel):
    """Base of the directory's API models: camelCase JSON, unknown members rejected."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class DirectoryRole(enum.StrEnum):
    """What a registered user of the directory may do."""

    #: Search and view records.
    PRACTITIONER = "practitioner"
    #: As a practitioner, and may override shielding with a stated reason (which raises an audit alert).
    CHILD_PROTECTION = "child-protection"
    #: Registers users, sets shielding, resolves held messages, runs maintenance, reads the audit log.
    DATA_MANAGER = "data-manager"


# --- the record a practitioner sees ----------------------------------------------------------


class DirectoryContact(DirectoryModel):
    """How to reach someone; the address is left out for a shielded child."""

    telephone: str | None = None
    email: str | None = None
    address: Address | None = None


class DirectoryPractitioner(DirectoryModel):
    """A practitioner to contact: a service's worker, the CAF's author or the lead professional."""

    practitioner_id: str
    name: PersonName
    role: str
    organisation_name: str | None = Field(default=None, description="Left out for a shielded child.")
    contact: DirectoryContact


class DirectoryTeam(DirectoryModel):
    """A team to contact as a whole (for children's social care, its central number: seed §5.2)."""

    team_id: str
    name: str
    organisation_name: str | None = Field(default=None, description="Left out for a shielded child.")
    contact: DirectoryContact


class DirectoryInvolvement(DirectoryModel):
    """A service involved with the child, and whom to contact: never what the service does for the child."""

    involvement_id: str
    service_name: str
    agency_type: AgencyType
    organisation_name: str | None = Field(default=None, description="Left out for a shielded child.")
    la_code: str | None = Field(default=None, description="Left out for a shielded child.")
    practitioner: DirectoryPractitioner | None = None
    team: DirectoryTeam | None = None
    start_date: dt.date
    end_date: dt.date | None = None
    visible_until: dt.date | None = Field(
        default=None, description="For an ended involvement: the last day it is shown (a year after its end)."
    )
    sensitive: SensitiveService | None = Field(
        default=None, description="Set only for a viewer of the sensitive service's own organisation."
    )


class DirectoryCafIndicator(DirectoryModel):
    """A CAF exists (seed §5.1): who completed or updated it, and the lead professional. Never the CAF itself."""

    recorded_by: str = Field(description="The organisation of the eCAF system that reported it.")
    updated_on: dt.date
    completed_by: DirectoryPractitioner
    lead_professional: DirectoryPractitioner | None = None


class DirectoryParentCarer(DirectoryModel):
    """A person with parental responsibility for, or care of, the child."""

    name: PersonName
    relationship: Relationship
    has_parental_responsibility: bool
    contact: DirectoryContact | None = None


class DirectoryRecord(DirectoryModel):
    """A child's directory record as one practitioner may see it."""

    contactpoint_id: str
    name: PersonName
    former_names: list[PersonName] = Field(default_factory=list)
    date_of_birth: dt.date | None = None
    expected_date_of_birth: dt.date | None = None
    gender: Gender
    shielded: bool = Field(description="The child's location is protected.")
    location_hidden: bool = Field(
        description="Shielded and not overridden: only the names, gender, date of birth, ID and the parents' and "
        "carers' names are shown (SI 2007/2182 reg. 6(5)-(6)); every other field is left out."
    )
    address: Address | None = None
    last_known_address: Address | None = None
    no_known_address: NoKnownAddress | None = None
    left_england: LeftEngland | None = None
    died_on: dt.date | None = None
    parents_carers: list[DirectoryParentCarer] = Field(default_factory=list)
    involvements: list[DirectoryInvolvement] = Field(default_factory=list)
    caf_indicators: list[DirectoryCafIndicator] = Field(default_factory=list)
    lead_professional: DirectoryPractitioner | None = Field(
        default=None, description="The lead professional of the most recently updated CAF."
    )


class SearchResult(DirectoryModel):
    """The records a search found (live records only), at most `limit` of them."""

    records: list[DirectoryRecord]
    truncated: bool = Field(description="More records matched than are shown: narrow the search.")


# --- data management ---------------------------------------------------------------------------


class PractitionerRegistration(DirectoryModel):
    """A user to register as an authorised user of the directory."""

    practitioner_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$", max_length=64)]
    name: PersonName
    role: DirectoryRole
    organisation_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$", max_length=64)] = (
        Field(description="The user's organisation: a sensitive service is shown to its own organisation only.")
    )


class RegisteredPractitioner(PractitionerRegistration):
    """A registered user of the directory."""

    registered_at: dt.datetime
    registered_by: str | None = None


class ShieldingChange(DirectoryModel):
    """Shield a child's location, or lift the shielding, for a stated reason."""

    shielded: bool
    reason: Reason


class ShieldingState(DirectoryModel):
    """Whether a child's location is shielded."""

    contactpoint_id: str
    shielded: bool


class MatchCandidate(DirectoryModel):
    """A record a held message might be about (shown to data managers only)."""

    contactpoint_id: str
    name: PersonName
    date_of_birth: dt.date | None = None
    postcode: str | None = None
    shielded: bool
    status: str


class MatchQueueEntry(DirectoryModel):
    """A message whose child could not be matched with confidence, waiting for a data manager."""

    entry_id: int
    received_at: dt.datetime
    message_id: str
    message_type: str
    sender: str
    reason: str
    child: dict[str, object] = Field(description="The child as the message gives it (the standard's JSON).")
    candidates: list[MatchCandidate]
    status: Literal["held", "resolved"]
    contactpoint_id: str | None = Field(default=None, description="Once resolved: the record the message went to.")


class MatchResolution(DirectoryModel):
    """A data manager's decision on a held message: it is about this record (merge), or a new child (new)."""

    action: Literal["merge", "new"]
    contactpoint_id: str | None = Field(default=None, description="For 'merge': the record the message is about.")
    reason: Reason


class MatchResolved(DirectoryModel):
    """What a resolution did."""

    entry_id: int
    action: Literal["merge", "new"]
    contactpoint_id: str
    shielded: bool


class AuditEntry(DirectoryModel):
    """One access to the directory, or act of data management: who, when, which records, why, and the outcome."""

    audit_id: int
    at: dt.datetime
    practitioner_id: str
    client_id: str
    action: str
    outcome: str
    reason: str
    records: list[str]
    query: dict[str, object]
    detail: str


class AuditAlert(DirectoryModel):
    """An access that needs looking at: shielding overridden."""

    alert_id: int
    audit_id: int
    at: dt.datetime
    kind: str
    practitioner_id: str
    contactpoint_id: str
    reason: str
