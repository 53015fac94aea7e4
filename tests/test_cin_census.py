"""The CIN census over real files: the anchors' samples, exports for every year, imports, the commands.

The anchors (`shared/anchors/`, beside the checkout) hold Social Finance's census schemas and
sample returns: `liia-tools/.../cin-2022.xml` is valid against its schema; the validator's
`fake_data` files are deliberately broken (stray text between elements, `<Sex>1</Sex>`, bad
codes). Each is checked for exactly the findings its content implies, child by child; the
expected codes were worked out by hand from the files' dates and values, and are explained
beside each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import string
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
    census_to_imported,
    export_case_records,
    export_census,
    export_return,
    import_return,
    parse_return,
    read_census,
    read_return,
    schema_findings,
    validate_return,
    write_return,
)
from ics_interop.adapters.formats.cin.cli import add_cin_commands
from ics_interop.adapters.formats.cin.rules import rule_list

from anchors import ANCHORS, needs_anchors
from ics_interop.findings import Finding
from ics_interop.model.codes import AbuseCategory, CinClosureReason, Disability, Ethnicity, PrimaryNeed, ReferralSource
from ics_interop.model.identifiers import upn_check_letter

SAMPLE = ANCHORS / "liia-tools" / "cin_census" / "samples" / "cin-2022.xml"
FAKE = ANCHORS / "csc-validator-be-cin" / "fake_data"
ROOT = Path(__file__).resolve().parents[1]
PACKAGE_SCHEMAS = ROOT / "adapters" / "formats" / "cin" / "schemas"
WHEN = dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC)


def anchor_schema(year: int) -> Path:
    folder = "liia-tools" if year <= 2024 else "liia-tools-pipeline"
    return ANCHORS / folder / "cin_census" / f"CIN_schema_{year}.xsd"


@cache
def xsd(year: int) -> xmlschema.XMLSchema:
    """The year's schema with xmlschema (a second validator, independent of lxml's)."""
    path = anchor_schema(year) if ANCHORS.is_dir() else PACKAGE_SCHEMAS / f"CIN_schema_{year}.xsd"
    return xmlschema.XMLSchema(str(path))


def xsd_errors(document: bytes, year: int) -> list[str]:
    return [str(e.reason) for e in xsd(year).iter_errors(document.decode("utf-8"))]


def codes_by_child(source: Path | bytes, year: int) -> tuple[list[tuple[str, int | None]], dict[str | None, set[str]]]:
    """Schema findings as (rule, line); census rule codes by LAchildID (None: the header or whole return)."""
    report = validate_return(source, year)
    assert report.unusable is None
    schema = [(f.rule_id, f.line) for f in report.findings if f.rule_id.startswith("XSD-")]
    rules: dict[str | None, set[str]] = {}
    for finding in report.findings:
        if not finding.rule_id.startswith("XSD-"):
            rules.setdefault(report.la_child_id(finding), set()).add(finding.rule_id)
            assert finding.line is not None, finding
    return schema, rules


# --- the packaged schemas are the anchors' ----------------------------------------------------------


@needs_anchors
@pytest.mark.parametrize("year", sorted(YEARS))
def test_packaged_schemas_are_the_anchors(year: int) -> None:
    assert (PACKAGE_SCHEMAS / f"CIN_schema_{year}.xsd").read_bytes() == anchor_schema(year).read_bytes()


@needs_anchors
def test_packaged_rule_list_is_the_anchors() -> None:
    packaged = ROOT / "adapters" / "formats" / "cin" / "data" / "rule_list.csv"
    assert packaged.read_bytes() == (ANCHORS / "csc-validator-be-cin" / "cin_rules_extracted.csv").read_bytes()
    assert len(rule_list()) == 114


def test_code_sets_are_read_from_each_years_schema() -> None:
    assert "5D" not in YEARS[2022].codes("ReferralSource")
    assert "5D" in YEARS[2023].codes("ReferralSource")
    assert "RC9" not in YEARS[2022].codes("ReasonForClosure")
    assert "RC9" in YEARS[2024].codes("ReasonForClosure")
    assert YEARS[2024].codes("GenderCurrent") == {"0", "1", "2", "9"}
    assert YEARS[2025].codes("Sex") == {"M", "F", "U"}
    assert "18A" in YEARS[2025].codes("AssessmentFactors")
    assert "18A" not in YEARS[2024].codes("AssessmentFactors")
    assert YEARS[2026].codes("Ethnicity") == set(Ethnicity.codes())
    assert YEARS[2022].reference_date == dt.date(2022, 3, 31)
    assert YEARS[2022].period_start == dt.date(2021, 4, 1)


# --- the valid sample ---------------------------------------------------------------------------------

# cin-2022.xml is valid against the 2022 schema, but its dates are from 1966-1980 against a 2022
# reference date, its UPN fails its check letter and LA code, and it gives both a birth date and
# an expected one: the census rules find all of that. These are every finding its content implies.
SAMPLE_2022 = {
    None: {"2887Q"},  # only HAND and HEAR used in the whole return
    "DfEX0000001": {
        "1510",  # A123456789123: the check letter is P
        "1530",  # 123 is not an LA code
        "8525Q",  # PersonBirthDate and ExpectedPersonBirthDate both given
        "8530Q",  # expected 1966-03-22, not March to December 2022
        "8545Q",  # died 1980-10-08, outside the census year
        "8620",  # closed 1971-02-27, outside the census year
        "8715",  # conferences on 1970-12-06 and 1970-06-17, outside the census year
        "8875",  # 1970-12-06 was a Sunday
        "1103",  # assessment started 1970-06-03, before the referral 1970-10-06
        "8565",  # assessment authorised 1971-07-18 and CP plan ended 1971-03-14, after the closure
        "8696",  # assessment authorised 1971-07-18, outside the census year
        "4016",  # CIN plan started 1971-01-24 during the CP plan (1970-02-17 to 1971-03-14)
        "4013",  # CIN plan ended 1971-01-26, outside the census year
        "2889",  # section 47 started 1970-06-02, before the referral
        "1104",  # conference 1970-06-17, before the referral
        "1105",  # CP plan started 1970-02-17, before the referral
        "8930",  # CP plan ended 1971-03-14, outside the census year
    },
}


@needs_anchors
@pytest.mark.parametrize("year", [2022, 2023, 2024])
def test_the_sample_is_valid_against_the_2022_to_2024_schemas(year: int) -> None:
    assert schema_findings(parse_return(SAMPLE.read_bytes()), YEARS[year]) == []
    assert xsd_errors(SAMPLE.read_bytes(), year) == []


@needs_anchors
@pytest.mark.parametrize("year", [2025, 2026])
def test_the_sample_is_a_negative_fixture_for_2025_and_2026(year: int) -> None:
    schema, rules = codes_by_child(SAMPLE, year)
    # GenderCurrent where Sex is expected; "false" where only 0/1 are allowed
    assert schema == [("XSD-element-content", 26), ("XSD-cvc-enumeration-valid", 60), ("XSD-cvc-enumeration-valid", 62)]
    assert "4180" in rules["DfEX0000001"]  # no Sex element
    assert len(xsd_errors(SAMPLE.read_bytes(), year)) == 3


@needs_anchors
def test_the_sample_gives_the_findings_its_content_implies() -> None:
    schema, rules = codes_by_child(SAMPLE, 2022)
    assert schema == []
    assert rules == SAMPLE_2022


@needs_anchors
def test_findings_carry_lines_paths_and_fields() -> None:
    report = validate_return(SAMPLE, 2022)
    found = {f.rule_id: f for f in report.findings}
    assert found["1103"].line == 44
    assert found["1103"].path == "child[LAchildID=DfEX0000001].CINdetails[0].Assessments[0].AssessmentActualStartDate"
    assert found["1510"].line == 21
    data = report.to_dict()
    first = next(f for f in data["findings"] if f["ruleId"] == "1103")
    assert first["laChildId"] == "DfEX0000001"
    assert first["fields"] == ["AssessmentActualStartDate", "CINreferralDate"]
    assert first["type"] == "error"
    assert next(f for f in data["findings"] if f["ruleId"] == "8525Q")["severity"] == "warning"


# --- the broken samples ------------------------------------------------------------------------------------

STRAY_TEXT = ("XSD-cvc-complex-type-2-3", 19)  # "</UPNunknown>PersonBirthDate" in ChildIdentifiers

# The 2022-23 style files (CIN_Census_2021.xml and the two header/LA issue copies): the sample's
# 1960s-1980s content against the 2023 collection.
OLD_CONTENT = SAMPLE_2022["DfEX0000001"]

# The 2023-24 style files (CIN2rows, CIN_Census_2021_copy, ..._no_assessment_factors) against 2024:
# referral 2022-10-06, closed 2023-02-27 (before the census year); an assessment started
# 2023-01-24 and never completed; a CIN plan and a CP plan that end before the year starts.
NEW_CONTENT = {
    "1510",
    "1530",
    "8620",  # closed 2023-02-27, before 1 April 2023
    "8715",  # conferences 2022-12-06 and 2022-06-17, before the census year
    "8867",  # the episode is closed and the assessment is not completed
    "8670Q",  # the assessment started 2023-01-24, more than 45 working days before 31 March 2024
    "8736",  # ... and not completed, though started before the census year
    "4016",  # the CIN plan starts during the CP plan
    "4013",  # the CIN plan ended 2023-01-26, outside the census year
    "2889",  # section 47 started 2022-06-02, before the referral 2022-10-06
    "1104",  # its conference 2022-06-17, before the referral
    "1105",  # CP plan started 2022-02-17, before the referral
    "8565",  # CP plan ended 2023-03-14, after the closure 2023-02-27
    "8930",  # CP plan ended outside the census year
}

BROKEN: list[tuple[str, int, list[tuple[str, int | None]], dict[str | None, set[str]]]] = [
    ("CIN_Census_2021.xml", 2023, [STRAY_TEXT], {None: {"2887Q"}, "DfEX0000001": OLD_CONTENT}),
    ("CIN_la_issues_2887Q.xml", 2023, [STRAY_TEXT], {None: {"2887Q"}, "DfEX0000001": OLD_CONTENT}),
    # ReferenceDate 2023-03-28: not 31 March
    ("CIN_header_issues_100.xml", 2023, [STRAY_TEXT], {None: {"100", "2887Q"}, "DfEX0000001": OLD_CONTENT}),
    # two identical CP plans: they overlap
    ("CIN2rows.xml", 2024, [STRAY_TEXT], {None: {"2887Q"}, "DfEX0000001": NEW_CONTENT | {"8940"}}),
    ("CIN_Census_2021_copy.xml", 2024, [STRAY_TEXT], {None: {"2887Q"}, "DfEX0000001": NEW_CONTENT}),
    ("CIN_Census_2021_no_assessment_factors.xml", 2024, [STRAY_TEXT], {None: {"2887Q"}, "DfEX0000001": NEW_CONTENT}),
    (
        "CIN_Census_2024.xml",
        2024,
        [
            STRAY_TEXT,
            ("XSD-element-content", 25),  # <Sex> where 2024 has <GenderCurrent>
            ("XSD-cvc-enumeration-valid", 46),  # factor "RB"
            ("XSD-element-content", 78),  # <Sex> again, second child
            ("XSD-element-content", 95),  # an empty FactorsIdentifiedAtAssessment
        ],
        {
            None: {"2887Q", "2886Q"},  # neither child has a GenderCurrent: 100% with no sex recorded
            "DfEX0000001": {
                "4180",  # no GenderCurrent
                "1510",
                "1530",
                "8620",
                "8715",
                "8565",  # assessment started 2028-04-28, after the closure
                "8608",  # ... and after its authorisation 2020-09-19
                "8696",  # authorised 2020-09-19, outside the census year
                "4016",
                "4013",
                "2889",
                "1104",
                "1105",
                "8930",
            },
            "child_fails_assessments": {
                "4180",  # no GenderCurrent
                "8600",  # referred 2024-10-24, after the census year
                "8620",  # closed 2024-10-29, after the census year
                "1103",  # assessment started 2023-12-25, before the referral
                "8897Q",  # completed assessment with no factors
            },
        },
    ),
    (
        "CIN_Census_2024.xml",
        2025,
        [
            STRAY_TEXT,
            ("XSD-cvc-enumeration-valid", 25),  # Sex 1
            ("XSD-cvc-enumeration-valid", 46),  # factor "RB"
            ("XSD-cvc-enumeration-valid", 58),  # ICPCnotRequired "false": 0/1 only from 2025
            ("XSD-element-content", 95),
            ("XSD-cvc-enumeration-valid", 97),  # ReferralNFA "false"
        ],
        {
            # ReferenceDate 2024-03-31 is not the 2025 one; Sex 1 records no sex (1 child of 2)
            None: {"100", "2886Q", "2887Q"},
            "DfEX0000001": {
                "4180",  # Sex 1: not M, F or U
                "1510",
                "1530",
                "8620",
                "8715",
                "8565",
                "8608",
                "8696",
                "4016",
                "4013",
                "2889",
                "1104",
                "1105",
                "8930",
            },
            "child_fails_assessments": {
                "1570",  # 23 characters
                "1580",  # underscores
                "1103",
                "8696",  # authorised 2024-01-27, before 1 April 2024
                # no 8897Q: factors are asked of assessments authorised in the census year only
            },
        },
    ),
]


@needs_anchors
@pytest.mark.parametrize(("name", "year", "schema", "rules"), BROKEN, ids=[f"{n}-{y}" for n, y, _s, _r in BROKEN])
def test_broken_samples_give_the_findings_their_content_implies(
    name: str, year: int, schema: list[tuple[str, int | None]], rules: dict[str | None, set[str]]
) -> None:
    found_schema, found_rules = codes_by_child(FAKE / name, year)
    assert found_schema == schema
    assert found_rules == rules
    assert xsd_errors((FAKE / name).read_bytes(), year)  # xmlschema agrees the file is invalid


# --- export for every year -------------------------------------------------------------------------------


@needs_anchors
@pytest.mark.parametrize("year", sorted(YEARS))
def test_the_sample_exports_valid_for_every_year(year: int) -> None:
    result = export_return(SAMPLE, year, generated_at=WHEN)
    assert result.valid
    assert result.children == 1
    assert xsd_errors(result.document, year) == []
    assert validate_return(result.document, year).errors > 0  # still 1970s content: the rules say so
    again = read_return(result.document, YEARS[year])
    original = read_return(SAMPLE)
    assert again.children == original.children  # every field, respelled for the year
    assert again.header is not None
    assert again.header.reference_date == dt.date(year, 3, 31)


@needs_anchors
@pytest.mark.parametrize("year", sorted(YEARS))
def test_the_sample_exports_through_the_models_for_every_year(year: int) -> None:
    imported = import_return(SAMPLE)
    result = export_case_records(imported.imported.case_records, year, la=imported.imported.la, generated_at=WHEN)
    assert result.valid
    assert xsd_errors(result.document, year) == []


def carried(child: CensusChild) -> dict[str, Any]:
    """The fields of a census child that the standard's models carry (see mapping.py)."""
    return {
        "la_child_id": child.la_child_id,
        "upn": child.upn,
        "birth_date": child.birth_date,
        "expected_birth_date": child.expected_birth_date if child.birth_date is None else None,
        "sex": child.sex,
        "ethnicity": child.ethnicity,
        "disabilities": child.disabilities,
        "episodes": [
            {
                "referral": (e.referral_date, e.referral_source, e.primary_need, e.referral_nfa),
                "closure": (e.closure_date, e.closure_reason) if e.closure_date and e.closure_reason else None,
                "assessments": sorted(((a.start_date, a.authorisation_date) for a in e.assessments), key=repr),
                "cin_plans": sorted(((p.start_date, p.end_date) for p in e.cin_plans), key=repr),
                "protection_plans": sorted(
                    [
                        (p.start_date, p.end_date, p.latest_category, tuple(sorted(d for d in p.review_dates if d)))
                        for p in e.protection_plans
                    ],
                    key=repr,
                ),
            }
            for e in child.episodes
        ],
    }


@needs_anchors
def test_the_sample_imports_and_reexports_to_an_equivalent_file() -> None:
    result = import_return(SAMPLE)
    assert result.complete
    assert result.children == 1
    records = result.imported.case_records
    assert len(records) == 1
    assert records[0].case_id == "DfEX0000001.cin1"
    assert records[0].child.identifiers.local_id == "DfEX0000001"
    assert [e.event for e in records[0].chronology] == [
        "Section 47 enquiry started",
        "Initial child protection conference",
        "Initial child protection conference",
        "Child died",
    ]
    not_carried = {n.path.rsplit(".", 1)[-1] for n in result.notes}
    assert {"FormerUPN", "UPNunknown", "ExpectedPersonBirthDate", "PersonDeathDate"} <= not_carried
    exported = export_case_records(records, 2022, la=result.imported.la, generated_at=WHEN)
    assert exported.valid
    original, again = read_return(SAMPLE), read_return(exported.document, YEARS[2022])
    assert [carried(c) for c in again.children] == [carried(c) for c in original.children]
    assert again.header is not None
    assert again.header.lea == "201"


@needs_anchors
def test_the_imported_form_reads_back(tmp_path: Path) -> None:
    result = import_return(SAMPLE)
    path = tmp_path / "imported.json"
    path.write_bytes(result.to_json())
    assert json.loads(path.read_text())["la"] == "201"
    exported = export_return(path, 2023, generated_at=WHEN)
    assert exported.valid
    assert xsd_errors(exported.document, 2023) == []


@pytest.mark.parametrize("suffix", ["xml", "json"])
@pytest.mark.parametrize("year", sorted(YEARS))
def test_case_record_transfer_messages_export_for_every_year(suffix: str, year: int) -> None:
    source = ROOT / "schemas" / "v1" / "examples" / f"CaseRecordTransfer.{suffix}"
    result = export_return(source, year, generated_at=WHEN)
    assert result.valid, result.schema_errors
    assert xsd_errors(result.document, year) == []
    child = read_return(result.document, YEARS[year]).children[0]
    assert child.upn == "A206205199047"
    assert child.sex is Sex.FEMALE
    assert [e.referral_date for e in child.episodes] == [dt.date(2008, 6, 3), dt.date(2010, 5, 19)]
    assert any("one closure" in n.message for n in result.notes)


def test_an_export_that_would_be_invalid_says_why() -> None:
    census = CensusReturn(
        header=Header(lea="201"),
        children=(CensusChild(la_child_id="C1", sex=Sex.MALE, ethnicity="WBRI", episodes=(CinEpisode(),)),),
    )
    result = export_census(census, 2024, generated_at=WHEN)
    assert not result.valid
    assert {f.path for f in result.schema_errors} == {"child[LAchildID=C1].CINdetails[0]"}


def test_period_only_keeps_the_episodes_of_the_census_year() -> None:
    inside = CinEpisode(dt.date(2023, 5, 1), "1A", "N1", referral_nfa=False)
    before = CinEpisode(dt.date(2020, 5, 1), "1A", "N1", dt.date(2021, 1, 1), "RC7", referral_nfa=False)
    census = CensusReturn(
        children=(
            CensusChild(
                "C1", birth_date=dt.date(2015, 1, 1), sex=Sex.MALE, ethnicity="WBRI", episodes=(before, inside)
            ),
            CensusChild("C2", birth_date=dt.date(2015, 1, 1), sex=Sex.MALE, ethnicity="WBRI", episodes=(before,)),
        )
    )
    result = export_census(census, 2024, la="201", generated_at=WHEN, period_only=True)
    assert result.valid
    assert result.children == 1
    assert [e.referral_date for e in read_return(result.document).children[0].episodes] == [dt.date(2023, 5, 1)]


def test_years_respell_sex_and_previous_plans() -> None:
    plan = ProtectionPlan(dt.date(2024, 5, 1), None, "NEG", "NEG", 0)
    episode = CinEpisode(dt.date(2024, 4, 10), "1A", "N1", referral_nfa=False, protection_plans=(plan,))
    census = CensusReturn(
        children=(
            CensusChild(
                "C1", sex=Sex.INDETERMINATE, birth_date=dt.date(2015, 1, 1), ethnicity="WBRI", episodes=(episode,)
            ),
        )
    )
    in_2025 = export_census(census, 2025, la="201", generated_at=WHEN)
    assert in_2025.valid
    assert b"<Sex>U</Sex>" in in_2025.document
    assert b"<ReferralNFA>0</ReferralNFA>" in in_2025.document
    assert b"<NumberOfPreviousCPP>0</NumberOfPreviousCPP>" in in_2025.document
    in_2024 = export_census(census, 2024, la="201", generated_at=WHEN)
    assert in_2024.valid
    assert b"<GenderCurrent>9</GenderCurrent>" in in_2024.document
    assert b"<ReferralNFA>false</ReferralNFA>" in in_2024.document
    assert b"<NumberOfPreviousCPP>1</NumberOfPreviousCPP>" in in_2024.document  # the 2024 schema cannot say 0
    assert any("NumberOfPreviousCPP" in n.path for n in in_2024.notes)


def test_a_return_with_an_invalid_child_still_imports_the_others() -> None:
    good = CensusChild(
        "C1",
        birth_date=dt.date(2015, 1, 1),
        sex=Sex.MALE,
        ethnicity="WBRI",
        episodes=(CinEpisode(dt.date(2023, 5, 1), "1A", "N1", referral_nfa=False),),
    )
    bad = CensusChild("C 2!", sex=Sex.MALE, ethnicity="WBRI", episodes=(CinEpisode(dt.date(2023, 5, 1), "XX"),))
    result = census_to_imported(CensusReturn(header=Header(lea="201"), children=(good, bad)))
    assert not result.complete
    assert [r.case_id for r in result.imported.case_records] == ["C1.cin1"]
    assert any(n.record == 1 and n.severity.value == "error" for n in result.notes)


# --- the commands ------------------------------------------------------------------------------------------


def cin(*args: str) -> int:
    parser = argparse.ArgumentParser(prog="ics-interop")
    add_cin_commands(parser.add_subparsers(dest="command", required=True))
    parsed = parser.parse_args(["cin", *args])
    run: Callable[[argparse.Namespace], int] = parsed.run
    return run(parsed)


@needs_anchors
def test_cin_validate_exit_status_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cin("validate", str(SAMPLE), "--year", "2022", "--format", "json") == 1
    data = json.loads(capsys.readouterr().out)
    assert data["year"] == 2022
    assert data["errors"] == 16
    assert data["queries"] == 4
    assert cin("validate", str(FAKE / "CIN2rows.xml"), "--year", "2024") == 1
    out = capsys.readouterr().out
    assert "XSD-cvc-complex-type-2-3" in out
    assert "(line 19)" in out
    assert "8940" in out


@needs_anchors
def test_the_collection_year_comes_from_the_header() -> None:
    report = validate_return(SAMPLE)
    assert (report.year, report.year_source) == (2022, "the header's ReferenceDate 2022-03-31")
    assert "100" not in {f.rule_id for f in report.findings}
    given = validate_return(SAMPLE, 2023)  # a --year that the header does not match
    assert given.year_source == "given"
    hundred = [f for f in given.findings if f.rule_id == "100"]
    assert [(f.path, f.line) for f in hundred] == [("Header.CollectionDetails.ReferenceDate", 6)]
    assert "2023-03-31" in hundred[0].hint


def _header_edit(old: bytes, new: bytes) -> bytes:
    from test_cin_rules import clean

    document = write_return(clean(2024), 2024)
    assert old in document
    return document.replace(old, new)


@pytest.mark.parametrize(
    ("old", "new", "year", "source"),
    [
        # 1 April starts the next census year: checked for 2025, where rule 100 reports it
        (b"<ReferenceDate>2024-03-31", b"<ReferenceDate>2024-04-01", 2025, "ReferenceDate 2024-04-01"),
        (b"<ReferenceDate>2024-03-31", b"<ReferenceDate>2023-04-01", 2024, "ReferenceDate 2023-04-01"),
        (b"<ReferenceDate>2024-03-31</ReferenceDate>", b"", 2024, "Year 2024"),  # no ReferenceDate: its Year
        (b"<ReferenceDate>2024-03-31", b"<ReferenceDate>31/03/2024", 2024, "Year 2024"),
    ],
)
def test_the_header_names_the_census_period(old: bytes, new: bytes, year: int, source: str) -> None:
    report = validate_return(_header_edit(old, new))
    assert report.unusable is None
    assert report.year == year
    assert source in report.year_source
    assert ("100" in {f.rule_id for f in report.findings}) is (b"04-01" in new or b"/" in new or not new)


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (
            b"<Year>2024</Year>\n            <ReferenceDate>2024-03-31</ReferenceDate>",
            b"",
            "gives no ReferenceDate or Year",
        ),
        (b"<ReferenceDate>2024-03-31", b"<ReferenceDate>2021-03-31", "the 2021 collection, which has no census schema"),
    ],
)
def test_a_header_that_names_no_known_year_asks_for_one(
    old: bytes, new: bytes, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "return.xml"
    path.write_bytes(_header_edit(old, new))
    assert cin("validate", str(path)) == 2
    out = capsys.readouterr().out
    assert said in out
    assert "--year" in out
    assert cin("validate", str(path), "--year", "2024") == 1  # rule 100, and checked all the same
    assert "ERROR 100 at the header" in capsys.readouterr().out


@needs_anchors
def test_cin_findings_name_the_child_the_element_and_a_fix_of_their_own(capsys: pytest.CaptureFixture[str]) -> None:
    assert cin("validate", str(FAKE / "CIN_header_issues_100.xml")) == 1
    out = capsys.readouterr().out
    assert "record 0" not in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("  ERROR 100 "))
    assert "at the header, Header.CollectionDetails.ReferenceDate (line 6)" in lines[header]
    assert lines[header + 1].strip() == (
        "fix: set Header/CollectionDetails/ReferenceDate to 2023-03-31, or check the return against the "
        "collection year its ReferenceDate belongs to (--year)"
    )
    check_letter = next(line for line in lines if line.startswith("  ERROR 1510 "))
    assert "at child DfEX0000001, ChildIdentifiers.UPN (line 21)" in check_letter
    fixes = [line.strip() for line in lines if line.strip().startswith("fix:")]
    assert len(set(fixes)) >= 10  # one hint per rule, not one for all


@needs_anchors
@pytest.mark.parametrize("name", ["CIN_Census_2024.xml", "CIN2rows.xml"])
def test_the_compact_form_says_what_the_full_form_says(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cin("validate", str(FAKE / name), "--year", "2025", "--format", "json") == 1
    full = json.loads(capsys.readouterr().out)
    assert cin("validate", str(FAKE / name), "--year", "2025", "--format", "compact") == 1
    compact = json.loads(capsys.readouterr().out)
    assert {k: compact[k] for k in ("year", "children", "errors", "queries")} == {
        k: full[k] for k in ("year", "children", "errors", "queries")
    }
    assert compact["findingColumns"] == ["ruleId", "laChildId", "element", "line", "value", "detail"]
    assert len(compact["findings"]) == len(full["findings"])
    for (code, child_id, element, line, value, detail), whole in zip(
        compact["findings"], full["findings"], strict=True
    ):
        rule = compact["rules"][code]
        assert (code, child_id, element, line) == (whole["ruleId"], whole["laChildId"], whole["element"], whole["line"])
        assert value == whole.get("value")
        assert rule["fix"] == whole["hint"]
        if whole["kind"] == "rule":
            assert f"{rule['message']}: {detail}" == whole["message"]
            assert rule["severity"] == whole["severity"]
        else:
            assert detail == whole["message"]


@needs_anchors
def test_the_compact_form_is_the_same_written_whole_or_streamed(capsys: pytest.CaptureFixture[str]) -> None:
    assert cin("validate", str(FAKE / "CIN_Census_2024.xml"), "--format", "compact") == 1
    streamed = json.loads(capsys.readouterr().out)
    assert streamed == validate_return(FAKE / "CIN_Census_2024.xml").to_compact_dict()
    values = {(f[0], f[4]) for f in streamed["findings"]}
    assert ("XSD-cvc-enumeration-valid", "RB") in values  # the factor the schema refuses
    assert ("1510", "A123456789123") in values


@needs_anchors
def test_findings_handed_over_as_found_are_the_findings_kept() -> None:
    handed: list[Finding] = []
    streamed = validate_return(FAKE / "CIN_Census_2024.xml", 2025, on_finding=lambda _r, f: handed.append(f))
    kept = validate_return(FAKE / "CIN_Census_2024.xml", 2025)
    assert streamed.findings == []
    assert handed == kept.findings
    assert (streamed.errors, streamed.queries, streamed.children) == (kept.errors, kept.queries, kept.children)
    # the header first, then child by child, then the whole return
    records = [-1 if f.path.startswith("Header") else (10**6 if f.record is None else f.record) for f in handed]
    assert records == sorted(records)


@needs_anchors
def test_validate_points_a_census_return_to_cin_validate(capsys: pytest.CaptureFixture[str]) -> None:
    from ics_interop.cli import main

    assert main(["validate", str(SAMPLE)]) == 2
    out = capsys.readouterr().out
    assert "this is a Children in Need census return" in out
    assert "ics-interop cin validate FILE" in out


def test_cin_validate_a_clean_return_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from test_cin_rules import clean

    path = tmp_path / "clean.xml"
    path.write_bytes(write_return(clean(2024), 2024))
    assert cin("validate", str(path), "--year", "2024") == 0
    assert "ok for the 2024 collection" in capsys.readouterr().out


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<Message>&x;</Message>',
        b"not xml at all",
        b'<Message xmlns="urn:other"><Children/></Message>',
        b"<Message><Children>",
    ],
)
def test_cin_validate_unusable_input_exits_2(data: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(data)
    assert cin("validate", str(path), "--year", "2023") == 2
    assert "UNUSABLE" in capsys.readouterr().out


def test_cin_validate_missing_file_exits_2(tmp_path: Path) -> None:
    assert cin("validate", str(tmp_path / "nowhere.xml"), "--year", "2023") == 2


@needs_anchors
def test_cin_import_then_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    imported = tmp_path / "imported.json"
    # The sample's content breaks 16 rules for its own year: written, and exit 1 all the same.
    assert cin("import", str(SAMPLE), "-o", str(imported)) == 1
    out = capsys.readouterr().out
    assert "1 children imported as 1 case record(s)" in out
    assert "the return has 16 error(s) and 4 query(ies) for the 2022 collection" in out
    assert "cin validate" in out
    for year in sorted(YEARS):
        out = tmp_path / f"cin-{year}.xml"
        assert cin("export", "--year", str(year), "--from", str(imported), "-o", str(out)) == 0
        assert xsd_errors(out.read_bytes(), year) == []
    assert cin("export", "--year", "2023", "--from", str(SAMPLE), "-o", str(tmp_path / "direct.xml")) == 0


@needs_anchors
def test_cin_export_refuses_to_write_an_invalid_return(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.xml"
    # child 1 of this file has <Sex>1</Sex>: no sex the census knows, and the schemas require one
    assert cin("export", "--year", "2024", "--from", str(FAKE / "CIN_Census_2024.xml"), "-o", str(out)) == 1
    assert not out.exists()
    assert "NOT written" in capsys.readouterr().out


def test_cin_import_of_a_valid_return_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from test_cin_rules import clean

    path = tmp_path / "clean.xml"
    path.write_bytes(write_return(clean(2026), 2026))
    assert cin("import", str(path), "-o", str(tmp_path / "out.json")) == 0
    assert "the return is valid for the 2026 collection" in capsys.readouterr().out


@needs_anchors
def test_import_notes_every_value_the_models_cannot_carry(tmp_path: Path) -> None:
    # A 2026 return with an invalid <Sex>1</Sex> and a group the census does not define.
    data = (FAKE / "CIN_Census_2024.xml").read_bytes()
    data = data.replace(b"<ReferenceDate>2024-03-31", b"<ReferenceDate>2026-03-31")
    data = data.replace(
        b"<ReferralNFA>0</ReferralNFA>",
        b"<ReferralNFA>0</ReferralNFA>\n<PreProceedingsandFGDM><PreProceedingsStartDate>2025-06-01"
        b"</PreProceedingsStartDate></PreProceedingsandFGDM>",
    )
    result = import_return(data)
    notes = {(n.path, n.message) for n in result.notes}
    assert (
        "child[LAchildID=DfEX0000001].ChildIdentifiers.Sex",
        "not carried by the standard's models: '1' is not a sex code the census knows: "
        "the child is imported with gender not known (0)",
    ) in notes
    pre = next(n for n in result.notes if n.path.endswith("PreProceedingsandFGDM"))
    assert pre.path == "child[LAchildID=DfEX0000001].CINdetails[0].PreProceedingsandFGDM"
    assert pre.line == 61  # the line after ReferralNFA
    assert "not an element of the census" in pre.message
    assert result.check is not None
    assert result.check.year == 2026
    assert result.check.errors


def test_cin_export_from_the_database_needs_the_organisation(capsys: pytest.CaptureFixture[str]) -> None:
    # Exporting from an ICS system's store is tested in test_cin_ics_export.py.
    assert cin("export", "--year", "2024", "--db", "sqlite:///store.db") == 2
    assert "--db needs --organisation" in capsys.readouterr().err


def test_cin_export_json_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = ROOT / "schemas" / "v1" / "examples" / "CaseRecordTransfer.json"
    out = tmp_path / "out.xml"
    assert cin("export", "--year", "2025", "--from", str(source), "-o", str(out), "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is True
    assert data["children"] == 1
    assert data["notes"]


def test_the_docs_account_for_every_rule() -> None:
    docs = (ROOT / "docs" / "cin-census.md").read_text("utf-8")
    for rule in rule_list():
        assert f"`{rule.code}`" in docs, rule.code


# --- properties: every year writes and reads back what it was given ------------------------------------------

_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_DATES = st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31))


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def _codes(year: int, element: str) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(YEARS[year].codes(element)))


def _upns() -> st.SearchStrategy[str]:
    return st.builds(
        lambda first, digits, last: first + digits + last,
        st.sampled_from(_UPN_LETTERS),
        st.text(string.digits, min_size=11, max_size=11),
        st.sampled_from(string.digits + _UPN_LETTERS),
    )


def _episodes(year: int) -> st.SearchStrategy[CinEpisode]:
    factors = st.lists(_codes(year, "AssessmentFactors"), max_size=3).map(tuple)
    assessments = st.builds(Assessment, _DATES, _maybe(_DATES), _maybe(_DATES), factors)
    cin_plans = st.builds(CinPlan, _DATES, _maybe(_DATES))
    s47s = st.builds(Section47, _DATES, _maybe(_DATES), _maybe(_DATES), st.booleans())
    plans = st.builds(
        ProtectionPlan,
        _DATES,
        _maybe(_DATES),
        _codes(year, "InitialCategoryOfAbuse"),
        _codes(year, "LatestCategoryOfAbuse"),
        st.integers(YEARS[year].min_previous_plans, 30),
        st.lists(_DATES, max_size=2).map(tuple),
    )
    return st.builds(
        CinEpisode,
        _DATES,
        _codes(year, "ReferralSource"),
        _maybe(_codes(year, "PrimaryNeedCode")),
        _maybe(_DATES),
        _maybe(_codes(year, "ReasonForClosure")),
        _maybe(_DATES),
        st.lists(assessments, max_size=2).map(tuple),
        st.lists(cin_plans, max_size=2).map(tuple),
        st.lists(s47s, max_size=2).map(tuple),
        st.booleans(),
        st.lists(plans, max_size=2).map(tuple),
    )


def census_children(year: int) -> st.SearchStrategy[CensusChild]:
    sexes = [s for s in Sex if year <= 2024 or s is not Sex.INDETERMINATE]
    return st.builds(
        CensusChild,
        st.text(string.ascii_letters + string.digits, min_size=1, max_size=20),
        _maybe(_upns()),
        _maybe(_upns()),
        _maybe(_codes(year, "UPNunknown")),
        _maybe(_DATES),
        _maybe(_DATES),
        st.sampled_from(sexes),
        _maybe(_DATES),
        _codes(year, "Ethnicity"),
        st.lists(_codes(year, "Disability"), max_size=3).map(tuple),
        st.lists(_episodes(year), min_size=1, max_size=2).map(tuple),
    )


def headers(year: int) -> st.SearchStrategy[Header]:
    text = st.text(string.ascii_letters + string.digits + " .-", min_size=1, max_size=20).filter(
        lambda s: s.strip() == s
    )
    return st.builds(
        Header,
        st.just("CIN"),
        st.just(year),
        st.just(YEARS[year].reference_date),
        st.just("L"),
        st.text(string.digits, min_size=3, max_size=3),
        text,
        text,
        st.text(string.digits, min_size=3, max_size=6),
        st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2030, 1, 1)).map(lambda d: d.replace(microsecond=0)),
    )


@pytest.mark.parametrize("year", sorted(YEARS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_export_then_import_round_trips_generated_children(year: int, data: st.DataObject) -> None:
    census = CensusReturn(
        header=data.draw(headers(year)),
        children=tuple(data.draw(st.lists(census_children(year), min_size=1, max_size=3))),
    )
    document = write_return(census, year)
    tree = parse_return(document)
    assert schema_findings(tree, YEARS[year]) == []
    assert read_census(tree, YEARS[year])[0] == census


def _mappable_children(year: int) -> st.SearchStrategy[CensusChild]:
    """Children holding only what the models carry, each episode's activity inside its own window of dates."""
    codes = YEARS[year].codes

    def allowed(code_set: type[Any], element: str) -> list[str]:
        return sorted(set(code_set.codes()) & codes(element))

    def episode(start: dt.date) -> st.SearchStrategy[CinEpisode]:
        inside = st.dates(start, start + dt.timedelta(days=300))
        category = st.sampled_from(allowed(AbuseCategory, "LatestCategoryOfAbuse"))
        plan = st.builds(
            lambda s, e, c, reviews: ProtectionPlan(s, e, c, c, None, tuple(sorted(reviews))),
            inside,
            _maybe(inside),
            category,
            st.lists(inside, max_size=2),
        )
        closure = _maybe(st.tuples(inside, st.sampled_from(allowed(CinClosureReason, "ReasonForClosure"))))
        return st.builds(
            lambda source, need, close, assessments, cins, cpps, nfa: CinEpisode(
                referral_date=start,
                referral_source=source,
                primary_need=need,
                closure_date=close[0] if close else None,
                closure_reason=close[1] if close else None,
                assessments=tuple(sorted(assessments, key=lambda a: a.start_date)),
                cin_plans=tuple(sorted(cins, key=lambda p: p.start_date)),
                referral_nfa=nfa,
                protection_plans=tuple(sorted(cpps, key=lambda p: p.start_date)),
            ),
            st.sampled_from(allowed(ReferralSource, "ReferralSource")),
            _maybe(st.sampled_from(allowed(PrimaryNeed, "PrimaryNeedCode"))),
            closure,
            st.lists(st.builds(Assessment, inside, st.none(), _maybe(inside)), max_size=2),
            st.lists(st.builds(CinPlan, inside, _maybe(inside)), max_size=2),
            st.lists(plan, max_size=2),
            st.booleans(),
        )

    def child(key: str, count: int, body: str, born: dt.date | None) -> st.SearchStrategy[CensusChild]:
        starts = [dt.date(2001, 1, 1) + dt.timedelta(days=400 * i) for i in range(count)]
        return st.builds(
            lambda episodes, sex, ethnicity, disabilities: CensusChild(
                la_child_id=key,
                upn=upn_check_letter(body) + body,
                birth_date=born,
                expected_birth_date=None if born else dt.date(2001, 1, 1),
                sex=sex,
                ethnicity=ethnicity,
                disabilities=tuple(disabilities),
                episodes=tuple(episodes),
            ),
            st.tuples(*[episode(s) for s in starts]),
            st.sampled_from([s for s in Sex if year <= 2024 or s is not Sex.INDETERMINATE]),
            st.sampled_from(allowed(Ethnicity, "Ethnicity")),
            st.lists(st.sampled_from(allowed(Disability, "Disability")), min_size=1, max_size=3, unique=True),
        )

    return st.tuples(
        st.text(string.ascii_letters + string.digits, min_size=1, max_size=20),
        st.integers(1, 3),
        st.text(string.digits, min_size=12, max_size=12),
        _maybe(_DATES),
    ).flatmap(lambda t: child(*t))


@pytest.mark.parametrize("year", [2022, 2025])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_children_round_trip_through_the_models(year: int, data: st.DataObject) -> None:
    original = data.draw(_mappable_children(year))
    imported = census_to_imported(
        CensusReturn(header=Header(lea="201", reference_date=dt.date(year, 3, 31)), children=(original,))
    )
    assert imported.complete
    result = export_case_records(imported.imported.case_records, year, la="201", generated_at=WHEN)
    assert result.valid, result.schema_errors
    (again,) = read_return(result.document, YEARS[year]).children
    assert carried(again) == carried(original)


def test_the_package_exports_what_it_lists() -> None:
    import ics_interop.adapters.formats.cin as package

    for name in package.__all__:
        assert hasattr(package, name), name
