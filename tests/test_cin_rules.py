"""Every CIN census rule fails on a return built to break it, and passes on a clean one.

The clean return (`clean()`) is one child whose record is consistent in every way the rules
check, for the 2023 collection (census period 1 April 2022 to 31 March 2023); each case
changes one thing and names the rule code it must raise and the field it must point at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs
import pytest
from ics_interop.adapters.formats.cin import (
    YEARS,
    Assessment,
    CensusChild,
    CensusReturn,
    CinEpisode,
    CinPlan,
    Header,
    ProtectionPlan,
    Section47,
    Sex,
    rule_list,
    run_census_rules,
    validate_return,
    write_return,
)
from ics_interop.adapters.formats.cin.calendar import is_working_day, working_day_before, working_days_between
from ics_interop.adapters.formats.cin.rules import registered_codes, rule_fix, rules_for

from ics_interop.findings import Finding, Severity

D = dt.date
UPN = "A201123412345"  # LA 201, check letter A
EIGHT_DISABILITIES = ("MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS")


def clean(year: int = 2023) -> CensusReturn:
    """A return with one child that breaks no rule in the given year (2022 to 2026)."""
    shift = year - 2023  # move every date with the census period

    def d(y: int, m: int, day: int) -> dt.date:
        return D(y + shift, m, day)

    episode = CinEpisode(
        referral_date=d(2022, 5, 3),
        referral_source="1A",
        primary_need="N1",
        closure_date=d(2023, 3, 1),
        closure_reason="RC7",
        assessments=(Assessment(start_date=d(2022, 5, 4), authorisation_date=d(2022, 6, 1), factors=("2B", "3A")),),
        cin_plans=(CinPlan(d(2022, 11, 1), d(2023, 2, 28)),),
        section47s=(Section47(d(2022, 5, 5), _weekday(d(2022, 5, 19)), _weekday(d(2022, 5, 18)), False),),
        referral_nfa=False,
        protection_plans=(
            ProtectionPlan(
                start_date=_weekday(d(2022, 5, 18)),
                end_date=d(2022, 11, 1),
                initial_category="NEG",
                latest_category="NEG",
                previous_plans=1,
                review_dates=(d(2022, 8, 10),),
            ),
        ),
    )
    child = CensusChild(
        la_child_id="Child1",
        upn=UPN,
        birth_date=d(2015, 5, 10),
        sex=Sex.MALE,
        ethnicity="WBRI",
        disabilities=EIGHT_DISABILITIES,
        episodes=(episode,),
    )
    header = Header(year=year, reference_date=D(year, 3, 31), lea="201", serial_no="001")
    return CensusReturn(header=header, children=(child,))


def _weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


# --- small editors: each changes one part of the clean return --------------------------------------

Edit = Callable[[CensusReturn], CensusReturn]


def child(**changes: object) -> Edit:
    return lambda r: attrs.evolve(r, children=(attrs.evolve(r.children[0], **changes),))


def episode(**changes: object) -> Edit:
    def edit(r: CensusReturn) -> CensusReturn:
        first = r.children[0]
        return attrs.evolve(r, children=(attrs.evolve(first, episodes=(attrs.evolve(first.episodes[0], **changes),)),))

    return edit


def _part(name: str, **changes: object) -> Edit:
    def edit(r: CensusReturn) -> CensusReturn:
        items = getattr(r.children[0].episodes[0], name)
        return episode(**{name: (attrs.evolve(items[0], **changes), *items[1:])})(r)

    return edit


def assessment(**changes: object) -> Edit:
    return _part("assessments", **changes)


def s47(**changes: object) -> Edit:
    return _part("section47s", **changes)


def cpp(**changes: object) -> Edit:
    return _part("protection_plans", **changes)


def cin_plan(**changes: object) -> Edit:
    return _part("cin_plans", **changes)


def both(*edits: Edit) -> Edit:
    def edit(r: CensusReturn) -> CensusReturn:
        for one in edits:
            r = one(r)
        return r

    return edit


def second_child(**changes: object) -> Edit:
    return lambda r: attrs.evolve(r, children=(r.children[0], attrs.evolve(r.children[0], **changes)))


def more(name: str, *items: object) -> Edit:
    """Add items to a group of the first episode."""
    return lambda r: episode(**{name: (*getattr(r.children[0].episodes[0], name), *items)})(r)


def header(**changes: object) -> Edit:
    return lambda r: attrs.evolve(r, header=attrs.evolve(r.header, **changes))


def findings(census: CensusReturn, year: int = 2023) -> list[Finding]:
    return run_census_rules(census, YEARS[year])


# --- the clean return is clean ----------------------------------------------------------------------


@pytest.mark.parametrize("year", sorted(YEARS))
def test_the_clean_return_breaks_no_rule(year: int) -> None:
    assert findings(clean(year), year) == []


@pytest.mark.parametrize("year", sorted(YEARS))
def test_the_clean_return_is_clean_as_a_file(year: int) -> None:
    report = validate_return(write_return(clean(year), year), year)
    assert report.unusable is None
    assert report.findings == []


# --- every rule fails when broken --------------------------------------------------------------------

# (code, year, edit, the field the finding must point at)
FAILING: list[tuple[str, int, Edit, str]] = [
    # header and whole return
    ("100", 2023, header(reference_date=D(2023, 3, 30)), "Header.CollectionDetails.ReferenceDate"),
    ("1520", 2023, second_child(la_child_id="Child2"), "ChildIdentifiers.UPN"),
    ("8510", 2023, second_child(upn="A201123412346"), "ChildIdentifiers.LAchildID"),
    ("2886Q", 2023, child(sex=Sex.UNKNOWN), "Children"),
    ("2886Q", 2025, child(sex=Sex.UNKNOWN), "Children"),
    ("2886Q", 2023, child(sex=None), "Children"),  # missing counts too (DfE's text)
    ("2886Q", 2025, child(sex=None), "Children"),
    ("2887Q", 2023, child(disabilities=("NONE",)), "Children"),
    ("2888Q", 2023, child(disabilities=("MOB",)), "Children"),
    # identifiers
    ("1510", 2023, child(upn="B201123412345"), "ChildIdentifiers.UPN"),
    ("1530", 2023, child(upn="N123123412345"), "ChildIdentifiers.UPN"),
    ("1540", 2023, child(upn="A201ABCD12345"), "ChildIdentifiers.UPN"),
    ("1550", 2023, child(upn="A20112341234I"), "ChildIdentifiers.UPN"),
    ("1560Q", 2023, child(former_upn="12345"), "ChildIdentifiers.FormerUPN"),
    ("1570", 2025, child(la_child_id="A" * 21), "ChildIdentifiers.LAchildID"),
    ("1580", 2025, child(la_child_id="child_1"), "ChildIdentifiers.LAchildID"),
    ("8500", 2023, child(la_child_id=None), "ChildIdentifiers.LAchildID"),
    ("8770Q", 2023, child(upn=None), "ChildIdentifiers.UPN"),
    ("8770Q", 2025, child(upn=None, upn_unknown="UN1"), "ChildIdentifiers.UPNunknown"),
    ("8772", 2023, child(upn=None, upn_unknown="UN7"), "ChildIdentifiers.UPNunknown"),
    # birth, death, sex
    ("4180", 2023, child(sex=None), "ChildIdentifiers.GenderCurrent"),
    ("4180", 2025, child(sex=None), "ChildIdentifiers.Sex"),
    ("8750", 2023, child(birth_date=None, expected_birth_date=D(2023, 6, 1)), "ChildIdentifiers.GenderCurrent"),
    ("8750", 2025, child(birth_date=None, expected_birth_date=D(2025, 6, 1)), "ChildIdentifiers.Sex"),
    ("8520", 2023, child(birth_date=D(2023, 4, 1)), "ChildIdentifiers.PersonBirthDate"),
    ("8525Q", 2023, child(expected_birth_date=D(2023, 6, 1)), "ChildIdentifiers.PersonBirthDate"),
    ("8525Q", 2023, child(birth_date=None), "ChildIdentifiers.PersonBirthDate"),
    (
        "8530Q",
        2023,
        child(birth_date=None, expected_birth_date=D(2024, 2, 1), sex=Sex.UNKNOWN),
        "ChildIdentifiers.ExpectedPersonBirthDate",
    ),
    ("8535Q", 2023, child(death_date=D(2015, 1, 1)), "ChildIdentifiers.PersonDeathDate"),
    ("8545Q", 2023, child(death_date=D(2021, 1, 1)), "ChildIdentifiers.PersonDeathDate"),
    ("8775Q", 2023, child(birth_date=D(1990, 1, 1)), "ChildIdentifiers.PersonBirthDate"),
    (
        "8775Q",
        2023,
        both(child(birth_date=D(1997, 2, 28)), episode(closure_date=D(2023, 3, 1))),
        "ChildIdentifiers.PersonBirthDate",
    ),  # closed the day after the 25th birthday
    (
        "8775Q",
        2023,
        both(child(birth_date=D(1998, 3, 30)), episode(closure_date=None, closure_reason=None)),
        "ChildIdentifiers.PersonBirthDate",
    ),  # open, and 25 the day before the reference date
    ("8555Q", 2023, child(death_date=D(2022, 5, 1)), "CINdetails[0].CINreferralDate"),
    ("8585Q", 2023, episode(closure_reason="RC2"), "CINdetails[0].ReasonForClosure"),
    # characteristics
    ("4220", 2023, child(ethnicity="XXXX"), "ChildCharacteristics.Ethnicity"),
    ("4220", 2023, child(ethnicity=None), "ChildCharacteristics.Ethnicity"),
    ("8540", 2023, child(disabilities=("XYZ",)), "ChildCharacteristics.Disabilities.Disability[0]"),
    ("8540", 2023, child(disabilities=()), "ChildCharacteristics.Disabilities"),
    ("8790", 2023, child(disabilities=("MOB", "NONE")), "ChildCharacteristics.Disabilities.Disability[1]"),
    ("8794", 2023, child(disabilities=("MOB", "MOB")), "ChildCharacteristics.Disabilities.Disability[1]"),
    # episodes
    ("8590", 2023, child(episodes=()), ""),
    ("8568", 2023, episode(referral_nfa=None), "CINdetails[0].ReferralNFA"),
    ("8569Q", 2023, episode(referral_nfa=True, referral_date=D(2022, 3, 30)), "CINdetails[0].ReferralNFA"),
    ("8600", 2023, episode(referral_date=D(2023, 4, 1)), "CINdetails[0].CINreferralDate"),
    ("8600", 2023, episode(referral_date=None), "CINdetails[0].CINreferralDate"),
    ("8606", 2023, episode(referral_date=D(2014, 1, 1)), "CINdetails[0].CINreferralDate"),
    ("8606", 2023, child(expected_birth_date=D(2023, 6, 1)), "CINdetails[0].CINreferralDate"),  # checked on both
    ("8606", 2023, episode(referral_date=D(2014, 8, 2)), "CINdetails[0].CINreferralDate"),  # 281 days before
    ("8610", 2023, episode(primary_need=None), "CINdetails[0].PrimaryNeedCode"),
    ("8650", 2023, episode(primary_need="N99"), "CINdetails[0].PrimaryNeedCode"),
    ("8866", 2022, episode(referral_source="5D"), "CINdetails[0].ReferralSource"),
    ("8866", 2023, episode(referral_source=None), "CINdetails[0].ReferralSource"),
    ("8620", 2023, episode(closure_date=D(2023, 4, 2)), "CINdetails[0].CINclosureDate"),
    ("8630", 2023, episode(closure_date=D(2022, 5, 1)), "CINdetails[0].CINclosureDate"),
    ("8640", 2022, episode(closure_reason="RC9"), "CINdetails[0].ReasonForClosure"),
    ("8805", 2023, episode(closure_reason=None), "CINdetails[0].ReasonForClosure"),
    ("8810", 2023, episode(closure_date=None), "CINdetails[0].CINclosureDate"),
    (
        "8815",
        2023,
        lambda r: child(
            episodes=(
                attrs.evolve(r.children[0].episodes[0], closure_date=None, closure_reason=None),
                CinEpisode(referral_date=D(2023, 3, 10), referral_source="1A", primary_need="N1", referral_nfa=False),
            )
        )(r),
        "CINdetails[0].CINclosureDate",
    ),
    (
        "8816",
        2023,
        lambda r: child(
            episodes=(
                CinEpisode(referral_date=D(2022, 4, 20), referral_source="1A", primary_need="N1", referral_nfa=False),
                r.children[0].episodes[0],
            )
        )(r),
        "CINdetails[0].CINreferralDate",
    ),
    (
        "8820",
        2023,
        lambda r: child(
            episodes=(
                r.children[0].episodes[0],
                CinEpisode(
                    referral_date=D(2022, 6, 1),
                    referral_source="1A",
                    primary_need="N1",
                    closure_date=D(2022, 7, 1),
                    closure_reason="RC7",
                    referral_nfa=False,
                ),
            )
        )(r),
        "CINdetails[1].CINreferralDate",
    ),
    ("8825Q", 2023, episode(closure_reason="RC8", assessments=()), "CINdetails[0].ReasonForClosure"),
    ("2990", 2023, episode(closure_reason="RC9"), "CINdetails[0].ReasonForClosure"),
    (
        "2990",
        2023,
        episode(closure_reason="RC8", cin_plans=(), section47s=(), protection_plans=(), icpc_date=D(2022, 5, 18)),
        "CINdetails[0].ReasonForClosure",
    ),  # a conference recorded in the CINdetails module itself
    ("2991Q", 2023, episode(assessments=()), "CINdetails[0]"),
    ("8565", 2023, episode(closure_date=D(2022, 10, 1)), "CINdetails[0].CINPlanDates[0].CINPlanStartDate"),
    ("8831", 2023, episode(referral_nfa=True), "CINdetails[0].ReferralNFA"),
    ("8832", 2023, episode(referral_nfa=True), "CINdetails[0].ChildProtectionPlans[0]"),
    ("4000", 2023, episode(referral_nfa=True), "CINdetails[0].CINPlanDates[0]"),
    # assessments
    ("1103", 2023, assessment(start_date=D(2022, 5, 1)), "Assessments[0].AssessmentActualStartDate"),
    ("8608", 2023, assessment(start_date=D(2022, 6, 2)), "Assessments[0].AssessmentActualStartDate"),
    ("8614", 2023, assessment(authorisation_date=None), "Assessments[0].FactorsIdentifiedAtAssessment"),
    (
        "8670Q",
        2023,
        assessment(authorisation_date=None, factors=()),
        "Assessments[0].AssessmentActualStartDate",
    ),
    ("8696", 2023, assessment(authorisation_date=D(2023, 4, 5)), "Assessments[0].AssessmentAuthorisationDate"),
    (
        "8736",
        2023,
        both(episode(referral_date=D(2022, 3, 1)), assessment(start_date=D(2022, 3, 2), authorisation_date=None)),
        "Assessments[0].AssessmentActualStartDate",
    ),
    (
        "8863Q",
        2023,
        more("assessments", Assessment(D(2022, 5, 10), None, D(2022, 5, 20), ("2B",))),
        "Assessments[1].AssessmentActualStartDate",
    ),
    ("8867", 2023, assessment(authorisation_date=None, factors=()), "Assessments[0].AssessmentAuthorisationDate"),
    (
        "8896",
        2023,
        both(
            assessment(authorisation_date=None, factors=()),
            more("assessments", Assessment(D(2022, 5, 10))),
        ),
        "Assessments[1].AssessmentAuthorisationDate",
    ),
    (
        "8869",
        2023,
        assessment(factors=("2B", "21")),
        "Assessments[0].FactorsIdentifiedAtAssessment.AssessmentFactors[1]",
    ),
    ("8873Q", 2023, assessment(factors=("21",)), "CINdetails[0].ReasonForClosure"),
    ("8897Q", 2023, assessment(factors=()), "Assessments[0].FactorsIdentifiedAtAssessment"),
    ("8897Q", 2023, assessment(factors=("RB",)), "Assessments[0].FactorsIdentifiedAtAssessment"),
    (
        "8897Q",
        2023,
        both(
            episode(referral_date=D(2022, 3, 1)),
            assessment(start_date=D(2022, 3, 2), authorisation_date=D(2022, 4, 1), factors=()),
        ),
        "Assessments[0].FactorsIdentifiedAtAssessment",
    ),  # authorised on the first day of the census year
    (
        "8898",
        2023,
        assessment(factors=("2B", "2B")),
        "Assessments[0].FactorsIdentifiedAtAssessment.AssessmentFactors[1]",
    ),
    ("8945Q", 2025, assessment(factors=("18A",)), "FactorsIdentifiedAtAssessment.AssessmentFactors[0]"),
    ("8950Q", 2025, assessment(factors=("2B", "19A")), "FactorsIdentifiedAtAssessment.AssessmentFactors[1]"),
    # CIN plans
    ("4001", 2023, both(cin_plan(end_date=None), cpp(end_date=None)), "CINPlanDates[0].CINPlanEndDate"),
    (
        "4003",
        2023,
        cpp(review_dates=(D(2022, 8, 10), D(2022, 12, 1))),
        "ChildProtectionPlans[0].Reviews.CPPreviewDate[1]",
    ),
    (
        "4004",
        2023,
        both(cin_plan(end_date=None), more("cin_plans", CinPlan(D(2023, 3, 1)))),
        "CINPlanDates[1].CINPlanEndDate",
    ),
    ("4008", 2023, child(death_date=D(2022, 10, 1)), "CINPlanDates[0].CINPlanStartDate"),
    ("4009Q", 2023, child(death_date=D(2023, 1, 1)), "CINPlanDates[0].CINPlanEndDate"),
    ("4010", 2023, cin_plan(start_date=D(2023, 4, 1), end_date=None), "CINPlanDates[0].CINPlanStartDate"),
    ("4010", 2023, cin_plan(start_date=None), "CINPlanDates[0].CINPlanStartDate"),
    ("4011", 2023, cin_plan(end_date=D(2022, 10, 1)), "CINPlanDates[0].CINPlanEndDate"),
    ("4012Q", 2023, cin_plan(end_date=D(2022, 11, 1)), "CINPlanDates[0].CINPlanEndDate"),
    ("4013", 2023, cin_plan(end_date=D(2023, 4, 15)), "CINPlanDates[0].CINPlanEndDate"),
    ("4014", 2023, more("cin_plans", CinPlan(D(2022, 12, 1), D(2023, 2, 1))), "CINPlanDates[1].CINPlanStartDate"),
    ("4015", 2023, cin_plan(start_date=D(2022, 5, 1)), "CINPlanDates[0].CINPlanStartDate"),
    ("4016", 2023, cin_plan(start_date=D(2022, 6, 1)), "CINPlanDates[0].CINPlanStartDate"),
    (
        "4017",
        2023,
        cin_plan(start_date=D(2022, 5, 10), end_date=D(2022, 6, 30)),
        "ChildProtectionPlans[0].CPPstartDate",
    ),
    # section 47 enquiries and conferences
    ("1104", 2023, s47(icpc_date=D(2022, 5, 2)), "Section47[0].DateOfInitialCPC"),
    ("2889", 2023, s47(start_date=D(2022, 5, 2)), "Section47[0].S47ActualStartDate"),
    ("8615", 2023, s47(start_date=None), "Section47[0].S47ActualStartDate"),
    ("8615", 2023, s47(start_date=D(2022, 5, 19)), "Section47[0].S47ActualStartDate"),
    ("8675Q", 2023, s47(icpc_date=None), "Section47[0].S47ActualStartDate"),
    ("8715", 2023, episode(icpc_date=D(2023, 4, 3)), "CINdetails[0].DateOfInitialCPC"),
    (
        "8740",
        2023,
        both(episode(referral_date=D(2022, 3, 1)), s47(start_date=D(2022, 3, 2), icpc_date=None)),
        "Section47[0].S47ActualStartDate",
    ),
    (
        "8839",
        2023,
        both(s47(icpc_date=None), more("section47s", Section47(D(2022, 5, 6), None, None, False))),
        "Section47[1].DateOfInitialCPC",
    ),
    ("8868", 2023, s47(icpc_date=None), "Section47[0].DateOfInitialCPC"),
    ("8870Q", 2023, s47(icpc_target_date=D(2022, 5, 21)), "Section47[0].InitialCPCtarget"),
    ("8875", 2023, s47(icpc_date=D(2022, 5, 22)), "Section47[0].DateOfInitialCPC"),
    (
        "8890",
        2023,
        more("section47s", Section47(D(2022, 5, 10), None, D(2022, 5, 13), False)),
        "Section47[1].S47ActualStartDate",
    ),
    ("2884", 2023, episode(icpc_date=D(2022, 5, 18)), "CINdetails[0].DateOfInitialCPC"),
    ("2883", 2023, s47(icpc_date=None, icpc_not_required=True), "Children"),
    ("2885", 2023, cpp(start_date=D(2022, 5, 20)), "ChildProtectionPlans[0].CPPstartDate"),
    (
        "2885",
        2023,
        s47(icpc_date=None, icpc_not_required=True),
        "ChildProtectionPlans[0].CPPstartDate",
    ),  # no conference in the episode at all
    # child protection plans
    ("1105", 2023, cpp(start_date=D(2022, 5, 2)), "ChildProtectionPlans[0].CPPstartDate"),
    ("8720", 2023, cpp(start_date=None), "ChildProtectionPlans[0].CPPstartDate"),
    ("8720", 2023, cpp(start_date=D(2023, 4, 3), end_date=None), "ChildProtectionPlans[0].CPPstartDate"),
    ("8730", 2023, cpp(previous_plans=None), "ChildProtectionPlans[0].NumberOfPreviousCPP"),
    ("8840", 2023, cpp(end_date=D(2022, 5, 18)), "ChildProtectionPlans[0].CPPendDate"),
    ("8841", 2023, cpp(review_dates=(D(2022, 5, 18),)), "ChildProtectionPlans[0].Reviews.CPPreviewDate[0]"),
    ("8842Q", 2023, cpp(review_dates=(None,)), "ChildProtectionPlans[0].Reviews.CPPreviewDate[0]"),
    ("8905", 2023, cpp(initial_category="XXX"), "ChildProtectionPlans[0].InitialCategoryOfAbuse"),
    ("8910", 2023, cpp(latest_category=None), "ChildProtectionPlans[0].LatestCategoryOfAbuse"),
    ("8915", 2023, child(death_date=D(2022, 5, 10)), "ChildProtectionPlans[0].CPPstartDate"),
    ("8920", 2023, child(death_date=D(2022, 10, 1)), "ChildProtectionPlans[0].CPPendDate"),
    ("8925", 2023, cpp(end_date=D(2022, 5, 10)), "ChildProtectionPlans[0].CPPendDate"),
    ("8930", 2023, cpp(end_date=D(2023, 4, 10)), "ChildProtectionPlans[0].CPPendDate"),
    (
        "8935",
        2023,
        both(cpp(end_date=None), more("protection_plans", ProtectionPlan(D(2022, 6, 1), None, "NEG", "NEG", 1))),
        "ChildProtectionPlans[1].CPPendDate",
    ),
    (
        "8940",
        2023,
        more("protection_plans", ProtectionPlan(D(2022, 6, 1), D(2022, 7, 1), "NEG", "NEG", 1)),
        "ChildProtectionPlans[1].CPPstartDate",
    ),
]


@pytest.mark.parametrize(
    ("code", "year", "edit", "field"), FAILING, ids=[f"{c}-{y}-{i}" for i, (c, y, _e, _f) in enumerate(FAILING)]
)
def test_each_rule_fails_when_broken(code: str, year: int, edit: Edit, field: str) -> None:
    found = findings(edit(clean(year)), year)
    hits = [f for f in found if f.rule_id == code]
    assert hits, f"{code} not raised; found {[f.rule_id for f in found]}"
    rule = rules_for(YEARS[year])[code]
    assert all(f.severity is (Severity.WARNING if code.endswith("Q") else Severity.ERROR) for f in hits)
    assert rule.query == code.endswith("Q")
    assert any(f.path.endswith(field) for f in hits), [f.path for f in hits]
    if field not in ("Children", "Header.CollectionDetails.ReferenceDate"):
        assert all(f.path.startswith("child[") and f.record is not None for f in hits)
    assert all(f.message.startswith(rule.message) for f in hits)


def test_every_rule_in_force_is_tested_failing() -> None:
    tested = {code for code, *_ in FAILING}
    in_force = {code for year in YEARS.values() for code in rules_for(year)}
    assert in_force - tested == set()


def test_every_rule_in_the_list_has_exactly_one_check() -> None:
    assert {r.code for r in rule_list()} == registered_codes()


def test_every_rule_has_a_fix_of_its_own() -> None:
    codes = {r.code for r in rule_list()}
    fixes = {code: rule_fix(code, YEARS[2025]) for code in codes}
    assert len(set(fixes.values())) == len(codes)
    assert "2025-03-31" in fixes["100"]
    assert fixes["8750"].startswith("record an unborn child's sex as not known (Sex U)")
    assert rule_fix("8750", YEARS[2023]).startswith("record an unborn child's sex as not known (GenderCurrent 0)")
    assert fixes["8670Q"].endswith("give DfE the reason when the return is submitted")
    found = findings(cpp(end_date=D(2023, 4, 10))(clean()))
    assert [f.hint for f in found if f.rule_id == "8930"] == [rule_fix("8930", YEARS[2023])]


def test_findings_name_the_right_child() -> None:
    census = second_child(la_child_id="Child2", upn="A201123412346", birth_date=D(2023, 4, 1))(clean())
    hits = [f for f in findings(census) if f.rule_id == "8520"]
    assert [(f.record, f.path) for f in hits] == [(1, "child[LAchildID=Child2].ChildIdentifiers.PersonBirthDate")]


def test_a_child_without_an_id_is_named_by_position() -> None:
    hits = [f for f in findings(child(la_child_id=None)(clean())) if f.rule_id == "8500"]
    assert hits[0].path == "child[0].ChildIdentifiers.LAchildID"


# --- and passes at the boundaries ----------------------------------------------------------------------

# (code, year, edit): the edit is right at the rule's edge, and the rule must stay quiet.
PASSING: list[tuple[str, int, Edit]] = [
    ("8520", 2023, child(birth_date=D(2023, 3, 31))),
    ("8620", 2023, episode(closure_date=D(2023, 3, 31))),
    ("8866", 2023, episode(referral_source="5D")),
    ("8640", 2023, episode(closure_reason="RC9", cin_plans=(), section47s=(), protection_plans=())),
    ("8569Q", 2023, both(episode(referral_nfa=True, referral_date=D(2022, 3, 31)))),
    ("4016", 2023, cin_plan(start_date=D(2022, 11, 1))),
    ("4003", 2023, cpp(review_dates=(D(2022, 11, 1),))),
    ("2885", 2023, cpp(start_date=D(2022, 3, 1), end_date=D(2022, 11, 1))),
    ("8770Q", 2023, child(birth_date=D(2018, 4, 1), upn=None)),
    ("8770Q", 2025, child(upn=None, upn_unknown="UN2")),
    ("8770Q", 2023, both(child(upn=None), episode(referral_nfa=True))),  # no referral with further action
    ("2886Q", 2023, child(sex=None, birth_date=None, expected_birth_date=D(2023, 6, 1))),  # unborn
    ("2990", 2023, episode(closure_reason="RC8", cin_plans=(), section47s=(), protection_plans=())),
    (
        "8897Q",
        2023,
        both(
            episode(referral_date=D(2022, 3, 1)),
            assessment(start_date=D(2022, 3, 2), authorisation_date=D(2022, 3, 31), factors=()),
        ),
    ),  # authorised the day before the census year
    ("8775Q", 2023, child(birth_date=D(1998, 3, 31))),  # exactly 25 on the reference date
    ("8775Q", 2023, both(child(birth_date=D(1997, 3, 1)), episode(closure_date=D(2022, 3, 1)))),  # closed on the day
    ("8606", 2023, episode(referral_date=D(2014, 8, 3))),  # exactly 280 days before the birth
    ("4180", 2025, child(sex=Sex.UNKNOWN)),
    ("8750", 2023, child(birth_date=None, expected_birth_date=D(2023, 6, 1), sex=Sex.UNKNOWN)),
    ("8945Q", 2023, assessment(factors=("2B",))),
    ("1570", 2025, child(la_child_id="A" * 20)),
    ("1580", 2023, child(la_child_id="child_1")),  # the 2024-25 rule is not in force in 2023
    ("8890", 2023, more("section47s", Section47(D(2022, 5, 18), None, D(2022, 5, 20), False))),
    ("8940", 2023, more("protection_plans", ProtectionPlan(D(2022, 11, 1), D(2022, 12, 1), "NEG", "NEG", 1))),
    ("8820", 2023, lambda r: child(episodes=(*r.children[0].episodes, CinEpisode(D(2023, 3, 1), "1A", "N1")))(r)),
    ("8875", 2023, s47(icpc_date=D(2022, 5, 20))),
    ("4001", 2023, cin_plan(end_date=None)),
    ("8839", 2023, more("section47s", Section47(D(2022, 5, 20), None, None, True))),
    (
        "8815",
        2023,
        lambda r: child(
            episodes=(*r.children[0].episodes, CinEpisode(D(2023, 3, 10), "1A", None, None, None, referral_nfa=True))
        )(r),
    ),
]


@pytest.mark.parametrize(("code", "year", "edit"), PASSING, ids=[f"{c}-{y}" for c, y, _e in PASSING])
def test_rules_stay_quiet_at_their_edges(code: str, year: int, edit: Edit) -> None:
    assert code not in {f.rule_id for f in findings(edit(clean(year)), year)}


def test_rule_sets_follow_the_year() -> None:
    assert "1570" not in rules_for(YEARS[2024])
    assert "1570" in rules_for(YEARS[2025])
    assert rules_for(YEARS[2023])["4180"].message == "Gender is missing"
    assert rules_for(YEARS[2026])["4180"].message.startswith("Sex must be provided")
    assert rules_for(YEARS[2024])["1530"].ruleset == "2023_24"


# --- working days -------------------------------------------------------------------------------------


def test_working_days_skip_weekends_and_england_and_wales_bank_holidays() -> None:
    assert not is_working_day(D(2022, 6, 2))
    assert not is_working_day(D(2022, 6, 3))
    assert not is_working_day(D(2023, 5, 8))  # the Coronation
    assert not is_working_day(D(2024, 4, 1))  # Easter Monday
    assert not is_working_day(D(2022, 12, 27))  # Christmas Day, moved from the Sunday
    assert is_working_day(D(2023, 3, 17))  # St Patrick's Day is a holiday in Northern Ireland only
    assert working_day_before(D(2024, 4, 1)) == D(2024, 3, 28)  # before Easter
    assert working_days_between(D(2023, 3, 24), D(2023, 3, 31)) == 5


def _working_days_from(start: dt.date, end: dt.date) -> int:
    """Working days from `start` (included) to `end` (not included)."""
    return sum(is_working_day(start + dt.timedelta(days=n)) for n in range((end - start).days))


@pytest.mark.parametrize("year", sorted(YEARS))
def test_the_45_working_day_query_counts_working_days(year: int) -> None:
    census_year = YEARS[year]
    edge = working_day_before(census_year.reference_date, 45)
    assert _working_days_from(edge, census_year.reference_date) == 45  # 2024: 31 March is Easter Sunday
    on_edge = assessment(start_date=edge, authorisation_date=None, factors=())
    # DfE's text: "not before the reference date minus 45 working days": the calendar day before
    # the edge is before it, whether or not it is a working day.
    past_edge = assessment(start_date=edge - dt.timedelta(days=1), authorisation_date=None, factors=())
    assert "8670Q" not in {f.rule_id for f in findings(on_edge(clean(year)), year)}
    assert "8670Q" in {f.rule_id for f in findings(past_edge(clean(year)), year)}


@pytest.mark.parametrize("year", sorted(YEARS))
def test_the_15_working_day_query_counts_working_days(year: int) -> None:
    census_year = YEARS[year]
    edge = working_day_before(census_year.reference_date, 15)
    assert _working_days_from(edge, census_year.reference_date) == 15
    # the enquiry has no conference; the referral moves back with it so that only the edge matters
    for start, flagged in ((edge, False), (edge - dt.timedelta(days=1), True)):
        edit = both(
            s47(start_date=start, icpc_date=None, icpc_target_date=None),
            cpp(start_date=start, end_date=None),
            cin_plan(start_date=start, end_date=None),
        )
        found = {f.rule_id for f in findings(edit(clean(year)), year)}
        assert ("8675Q" in found) is flagged, (start, found)


def test_the_2_percent_of_children_without_a_sex_is_a_strict_limit() -> None:
    def census(total: int, missing: int) -> CensusReturn:
        base = clean()
        children = tuple(
            attrs.evolve(
                base.children[0],
                la_child_id=f"Child{i}",
                upn=None,
                sex=None if i < missing else Sex.FEMALE,
            )
            for i in range(total)
        )
        return attrs.evolve(base, children=children)

    assert "2886Q" not in {f.rule_id for f in findings(census(50, 1))}  # exactly 2%
    assert "2886Q" in {f.rule_id for f in findings(census(49, 1))}  # 2.04%


def test_plans_and_conferences_are_counted_over_the_whole_return() -> None:
    # One child's plan has no conference; another child's episode has two: 2 plans, 2 conferences.
    base = clean()
    no_conference = s47(icpc_date=None, icpc_not_required=True)(base).children[0]
    two = episode(icpc_date=D(2022, 6, 1))(base).children[0]
    census = attrs.evolve(
        base, children=(attrs.evolve(no_conference, la_child_id="A", upn=None), attrs.evolve(two, la_child_id="B"))
    )
    found = {f.rule_id for f in findings(census)}
    assert "2883" not in found
    assert "2885" in found  # the first child's plan starts on no conference day
