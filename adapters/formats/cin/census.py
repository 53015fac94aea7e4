"""A Children in Need census return, in memory: the header and the children with their CIN details.

The classes follow the census's own structure (`Message/Header`, `Message/Children/Child`,
`ChildIdentifiers`, `ChildCharacteristics`, `CINdetails` with `Assessments`, `CINPlanDates`,
`Section47` and `ChildProtectionPlans`) and hold what a return file holds, even when it is
wrong: a code the year does not know stays as its text, and a value that is missing or cannot
be read (a date that is not a date) is `None`. That is what lets the census rules report
"missing or invalid" the way DfE does, instead of the reader refusing the file.

Two things are held in a form that does not depend on the collection year, because their
spelling changes between years (`years.py` spells them): the child's sex (`GenderCurrent`
1/2/0/9 up to 2024, `Sex` M/F/U from 2025) and the yes/no flags (a `bool`).
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

__all__ = [
    "Assessment",
    "CensusChild",
    "CensusReturn",
    "CinEpisode",
    "CinPlan",
    "Header",
    "ProtectionPlan",
    "Section47",
    "Sex",
]


class Sex(enum.Enum):
    """A child's sex (or gender, as the census called it up to 2024), whatever the year's spelling."""

    MALE = "male"
    FEMALE = "female"
    #: Not recorded, not known, or unborn: `0` up to 2024, `U` from 2025.
    UNKNOWN = "unknown"
    #: Indeterminate: `9` up to 2024; from 2025 the census has no such code and writes `U`.
    INDETERMINATE = "indeterminate"


@attrs.frozen
class Header:
    """The return's header: the collection and the authority that sends it."""

    collection: str | None = "CIN"
    year: int | None = None
    reference_date: dt.date | None = None
    source_level: str | None = "L"
    lea: str | None = None
    software_code: str | None = None
    release: str | None = None
    serial_no: str | None = None
    date_time: dt.datetime | None = None


@attrs.frozen
class Assessment:
    """An assessment of the child during a CIN episode (`Assessments`)."""

    start_date: dt.date | None = None
    internal_review_date: dt.date | None = None
    authorisation_date: dt.date | None = None
    #: `FactorsIdentifiedAtAssessment/AssessmentFactors`, as written.
    factors: tuple[str, ...] = ()

    @property
    def completed(self) -> bool:
        """An assessment is complete once it is authorised."""
        return self.authorisation_date is not None


@attrs.frozen
class CinPlan:
    """A child in need plan (`CINPlanDates`)."""

    start_date: dt.date | None = None
    end_date: dt.date | None = None


@attrs.frozen
class Section47:
    """A section 47 enquiry, and the initial child protection conference that may follow it."""

    start_date: dt.date | None = None
    icpc_target_date: dt.date | None = None
    icpc_date: dt.date | None = None
    icpc_not_required: bool | None = None

    @property
    def open(self) -> bool:
        """Still open: no conference held, and none said not to be needed."""
        return self.icpc_date is None and self.icpc_not_required is not True


@attrs.frozen
class ProtectionPlan:
    """A child protection plan (`ChildProtectionPlans`) with its review dates."""

    start_date: dt.date | None = None
    end_date: dt.date | None = None
    initial_category: str | None = None
    latest_category: str | None = None
    previous_plans: int | None = None
    #: `Reviews/CPPreviewDate`; `None` stands for a review element with no readable date.
    review_dates: tuple[dt.date | None, ...] = ()


@attrs.frozen
class CinEpisode:
    """One `CINdetails` group: a referral and what followed it, up to the episode's closure."""

    referral_date: dt.date | None = None
    referral_source: str | None = None
    primary_need: str | None = None
    closure_date: dt.date | None = None
    closure_reason: str | None = None
    #: `DateOfInitialCPC` at episode level (a conference recorded outside a section 47 group).
    icpc_date: dt.date | None = None
    assessments: tuple[Assessment, ...] = ()
    cin_plans: tuple[CinPlan, ...] = ()
    section47s: tuple[Section47, ...] = ()
    referral_nfa: bool | None = None
    protection_plans: tuple[ProtectionPlan, ...] = ()

    def icpc_dates(self) -> list[dt.date]:
        """Every initial conference date of the episode: episode level and section 47 level."""
        dates = [self.icpc_date] if self.icpc_date is not None else []
        return dates + [s.icpc_date for s in self.section47s if s.icpc_date is not None]


@attrs.frozen
class CensusChild:
    """One `Child`: identifiers, characteristics and CIN episodes."""

    la_child_id: str | None = None
    upn: str | None = None
    former_upn: str | None = None
    upn_unknown: str | None = None
    birth_date: dt.date | None = None
    expected_birth_date: dt.date | None = None
    sex: Sex | None = None
    death_date: dt.date | None = None
    ethnicity: str | None = None
    disabilities: tuple[str, ...] = ()
    episodes: tuple[CinEpisode, ...] = ()
    #: The sex code as written (`GenderCurrent` or `Sex`), even one no year knows; None when absent.
    #: A detail of the file, not of the child: two children with the same `sex` are equal.
    sex_code: str | None = attrs.field(default=None, eq=False)

    @property
    def unborn(self) -> bool:
        """Recorded as unborn: an expected date of birth and no date of birth."""
        return self.birth_date is None and self.expected_birth_date is not None


@attrs.frozen
class CensusReturn:
    """A whole return: the header (which a file may leave out) and the children."""

    header: Header | None = None
    children: tuple[CensusChild, ...] = ()
