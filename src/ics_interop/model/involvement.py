"""Services and involvements: who is working with a child (what ContactPoint shows).

An involvement names the service and a practitioner or a team to contact, its start and,
once it has ended, its end. Sensitive services (sexual health, mental health, substance
misuse) carry the basis on which they may be recorded at all.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ._base import ChoiceModel, IcsModel
from .codes import AgencyType, SensitiveBasis, SensitiveService
from .people import Organisation, Practitioner, Team
from .scalars import Date, Identifier, ShortText

__all__ = ["Involvement", "Service"]


class Service(IcsModel):
    """A service provided to children by an organisation."""

    service_id: Identifier = Field(description="The service's identifier in its organisation.")
    name: ShortText = Field(description="The service's name, for example 'Youth service'.")
    agency_type: AgencyType = Field(description="The kind of agency providing the service.")
    organisation: Organisation = Field(description="The organisation that provides the service.")
    sensitive: SensitiveService | None = Field(default=None, description="Set when the service is a sensitive service.")


class Involvement(ChoiceModel):
    """A service's involvement with a child, with the contact to ask about it."""

    choice_groups: ClassVar[tuple[tuple[str, ...], ...]] = (("practitioner", "team"),)

    involvement_id: Identifier = Field(
        description="The sender's identifier for the involvement; stable across updates."
    )
    service: Service = Field(description="The service that is involved.")
    practitioner: Practitioner | None = Field(default=None, description="The practitioner to contact.")
    team: Team | None = Field(default=None, description="The team to contact, where no single practitioner is named.")
    start_date: Date = Field(description="The date the involvement started.")
    end_date: Date | None = Field(default=None, description="The date the involvement ended, once it has.")
    sensitive_basis: SensitiveBasis | None = Field(
        default=None,
        description="For a sensitive service: the basis on which its involvement may be recorded.",
    )
