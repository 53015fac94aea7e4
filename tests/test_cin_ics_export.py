"""A CIN census return exported straight from the reference ICS system's store (`cin export --db`).

A practitioner records a child's case in an `IcsSystem` (on SQLite and on PostgreSQL); the
authority's data team then exports the 2025 return from the same database. The return must be
valid against the 2025 schema and carry what the case holds; a store that holds no ICS system
is refused, and left as it was.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from ics_interop.adapters.formats.cin import YEARS, read_return, validate_return
from ics_interop.adapters.formats.cin.cli import add_cin_commands
from ics_interop.adapters.formats.cin.exporting import export_ics_store
from ics_interop.adapters.ics import IcsSettings, IcsSystem
from ics_interop.adapters.storage import engine_for
from sqlalchemy import inspect

from ics_interop import UnusableInputError
from ics_interop.examples import SOCIAL_CARE_DUTY_TEAM
from ics_interop.messages import SystemRef
from ics_interop.model import (
    Address,
    Child,
    ChildCharacteristics,
    ChildIdentifiers,
    ChildPlan,
    IcsReferral,
    InitialAssessment,
    PersonName,
)
from ics_interop.model.codes import Disability, Ethnicity, Gender, PlanType, PrimaryNeed, ReferralSource, SystemKind

ISLINGTON = SystemRef(system=SystemKind.ICS, organisation_id="LA206-CSC", organisation_name="Islington CSC")
AMIRA = Child(
    identifiers=ChildIdentifiers(nhs_number="9991000054"),
    name=PersonName(given_names="Amira", family_name="Khan"),
    date_of_birth=dt.date(2015, 3, 2),
    gender=Gender.FEMALE,
    address=Address(lines=["Flat 4, Wren House", "Calverley Street", "London"], postcode="N7 6XP"),
)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def cin(*args: str) -> int:
    parser = argparse.ArgumentParser(prog="ics-interop")
    add_cin_commands(parser.add_subparsers(dest="command", required=True))
    parsed = parser.parse_args(["cin", *args])
    run: Callable[[argparse.Namespace], int] = parsed.run
    return run(parsed)


def record_amiras_case(store_url: str) -> str:
    """A referral in June 2024 (in the 2025 census year), an initial assessment and a child in need plan."""
    clock = Clock(dt.datetime(2024, 6, 3, 9, tzinfo=dt.UTC))
    ics = IcsSystem(
        store_url, identity=ISLINGTON, clock=clock, settings=IcsSettings(central_team=SOCIAL_CARE_DUTY_TEAM)
    )
    try:
        case_id = ics.open_case(
            AMIRA,
            characteristics=ChildCharacteristics(ethnicity=Ethnicity.INDIAN, disabilities=[Disability.NO_DISABILITY]),
            opened_on=dt.date(2024, 6, 3),
        ).case_id
        ics.record_referral(
            case_id,
            IcsReferral(
                referral_id="REF-1",
                referral_date=dt.date(2024, 6, 3),
                source=ReferralSource.SCHOOLS,
                primary_need=PrimaryNeed.FAMILY_IN_ACUTE_STRESS,
                reason="The school asks for help for the family.",
            ),
        )
        clock.now = dt.datetime(2024, 6, 20, 9, tzinfo=dt.UTC)
        ics.record_initial_assessment(
            case_id,
            InitialAssessment(
                assessment_id="IA-1",
                started_on=dt.date(2024, 6, 4),
                completed_on=dt.date(2024, 6, 18),
                summary="A child in need.",
            ),
        )
        ics.record_plan(
            case_id,
            ChildPlan(
                plan_id="PLAN-1",
                plan_type=PlanType.CHILD_IN_NEED,
                start_date=dt.date(2024, 6, 20),
                summary="Support at home.",
            ),
        )
    finally:
        ics.store.dispose()
    return case_id


def test_a_case_recorded_in_ics_exports_a_2025_return_valid_against_the_2025_schema(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id = record_amiras_case(store_url)
    out = tmp_path / "cin-2025.xml"

    assert cin("export", "--year", "2025", "--db", store_url, "--organisation", "LA206-CSC", "-o", str(out)) == 0
    assert "1 children for the 2025 collection: written" in capsys.readouterr().out

    report = validate_return(out, 2025)
    assert report.unusable is None
    assert [f.rule_id for f in report.findings if f.rule_id.startswith("XSD-")] == []
    # The ICS system's case ID is the child's local ID, made to be a census LAchildID.
    assert not {f.rule_id for f in report.findings} & {"1570", "1580"}
    census = read_return(out.read_bytes(), YEARS[2025])
    assert census.header is not None
    assert census.header.lea == "206"  # read from the organisation ID, as the ICS system reads it
    (child,) = census.children
    assert child.la_child_id == case_id
    assert child.birth_date == dt.date(2015, 3, 2)
    (episode,) = child.episodes
    assert episode.referral_date == dt.date(2024, 6, 3)
    assert episode.referral_source == "2A"
    assert episode.primary_need == "N4"
    assert [(a.start_date, a.authorisation_date) for a in episode.assessments] == [
        (dt.date(2024, 6, 4), dt.date(2024, 6, 18))
    ]
    assert [p.start_date for p in episode.cin_plans] == [dt.date(2024, 6, 20)]

    # The library call the command makes: an --la given wins over the organisation's.
    result = export_ics_store(store_url, 2025, organisation="LA206-CSC", la="201")
    assert result.valid
    assert b"<LEA>201</LEA>" in result.document


def test_export_from_a_store_needs_the_organisation(capsys: pytest.CaptureFixture[str]) -> None:
    assert cin("export", "--year", "2025", "--db", "sqlite:///store.db") == 2
    assert "--db needs --organisation" in capsys.readouterr().err
    assert cin("export", "--year", "2025", "--from", "return.xml", "--organisation", "LA206-CSC") == 2
    assert "--organisation goes with --db" in capsys.readouterr().err


def test_a_store_without_an_ics_system_is_refused_and_left_untouched(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cin("export", "--year", "2025", "--db", store_url, "--organisation", "LA206-CSC") == 2
    err = capsys.readouterr().err
    assert "ICS" in err
    assert "To fix:" in err
    if store_url.startswith("sqlite:///"):
        assert not Path(store_url.removeprefix("sqlite:///")).exists()  # no file made
    else:
        engine = engine_for(store_url)
        try:
            assert inspect(engine).get_table_names() == []  # no tables made
        finally:
            engine.dispose()
    with pytest.raises(UnusableInputError, match="not an organisation ID"):
        export_ics_store(store_url, 2025, organisation="LA 206")
