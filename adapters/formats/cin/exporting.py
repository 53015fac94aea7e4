"""Exporting a census return for a collection year.

The source is a census return (of any year: the export respells it for the year asked), an
imported return (what `cin import` writes), a file of the standard's `CaseRecordTransfer`
messages (XML or JSON, one or a batch), or the store of a reference ICS system (its confirmed
case records: drafts never count). The year decides the schema, the sex element and
codes, and the yes/no spelling. Every document is checked against the year's schema before it
is handed over; `ExportResult.schema_errors` lists what would make it invalid (a code the year
does not know, a value the census requires that the source lacks), and the command line then
writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from pathlib import Path

import attrs

from ics_interop import __version__
from ics_interop.codecs.safe_xml import parse_xml
from ics_interop.errors import UnusableInputError
from ics_interop.findings import Finding, Severity
from ics_interop.messages import CaseRecordTransfer, SystemRef
from ics_interop.model.codes import SystemKind
from ics_interop.model.ics_records import CaseRecord
from ics_interop.validate import read_messages

from .census import CensusChild, CensusReturn, CinEpisode, Header, ProtectionPlan, Sex
from .importing import read_imported
from .mapping import case_records_to_children
from .reader import ROOT_ELEMENT, child_label, parse_return, read_census, schema_findings
from .writer import write_return
from .years import CollectionYear, collection_year

__all__ = ["ExportResult", "export_case_records", "export_census", "export_ics_store", "export_return"]

#: What the exported header names as the software that made the file.
SOFTWARE_CODE = "ics-interop"


@attrs.frozen
class ExportResult:
    """A written return, with what the export had to say about it."""

    document: bytes
    year: int
    children: int
    #: What could not be written as it was, or was filled in (warnings), or left out (errors).
    notes: list[Finding]
    #: The year's schema errors in `document`; empty when it is valid.
    schema_errors: list[Finding]

    @property
    def valid(self) -> bool:
        """The document is valid against the year's schema."""
        return not self.schema_errors


def _note(severity: Severity, path: str, message: str, hint: str, record: int | None = None) -> Finding:
    return Finding(
        "CIN-EXPORT", severity, message, path=path, hint=hint, record=record, source="ics-interop CIN export"
    )


def _in_period(episode: CinEpisode, year: CollectionYear) -> bool:
    referred = episode.referral_date
    closed = episode.closure_date
    return referred is not None and referred <= year.reference_date and (closed is None or closed >= year.period_start)


def _respell(child: CensusChild, index: int, year: CollectionYear, notes: list[Finding]) -> CensusChild:
    """Adjust what the year cannot say as the child has it (indeterminate sex, no previous plans)."""
    label = child_label(child, index)
    if child.sex is Sex.INDETERMINATE and year.sex_element == "Sex":
        notes.append(
            _note(
                Severity.WARNING,
                f"{label}.ChildIdentifiers.Sex",
                f"indeterminate sex (9) has no {year.year} code: written as U",
                "nothing to do: this is the census's own mapping",
                index,
            )
        )
    episodes = []
    for e, episode in enumerate(child.episodes):
        plans: list[ProtectionPlan] = []
        for k, plan in enumerate(episode.protection_plans):
            if plan.previous_plans is not None and plan.previous_plans < year.min_previous_plans:
                notes.append(
                    _note(
                        Severity.WARNING,
                        f"{label}.CINdetails[{e}].ChildProtectionPlans[{k}].NumberOfPreviousCPP",
                        f"NumberOfPreviousCPP {plan.previous_plans} written as {year.min_previous_plans}: "
                        f"the {year.year} schema does not allow {plan.previous_plans}",
                        "check the value before submitting the return",
                        index,
                    )
                )
                plan = attrs.evolve(plan, previous_plans=year.min_previous_plans)
            plans.append(plan)
        episodes.append(attrs.evolve(episode, protection_plans=tuple(plans)))
    return attrs.evolve(child, episodes=tuple(episodes))


def export_census(
    census: CensusReturn,
    year: int | CollectionYear,
    *,
    la: str | None = None,
    generated_at: dt.datetime | None = None,
    period_only: bool = False,
    notes: Iterable[Finding] = (),
) -> ExportResult:
    """Write a return in memory for the collection year, with a new header for that year."""
    spelling = collection_year(year)
    found = list(notes)
    old = census.header
    lea = la or (old.lea if old is not None else None)
    if lea is None:
        found.append(
            _note(
                Severity.ERROR,
                "Header.Source.LEA",
                "the authority's LA code is not known",
                "give it with --la (three digits, for example 201)",
            )
        )
    serial = old.serial_no if old is not None and old.serial_no and re.fullmatch(r"\d{3,}", old.serial_no) else "001"
    header = Header(
        collection="CIN",
        year=spelling.year,
        reference_date=spelling.reference_date,
        source_level="L",
        lea=lea,
        software_code=SOFTWARE_CODE,
        release=__version__,
        serial_no=serial,
        date_time=generated_at or dt.datetime.now(dt.UTC).replace(microsecond=0),
    )
    children = []
    for index, child in enumerate(census.children):
        if period_only:
            child = attrs.evolve(child, episodes=tuple(e for e in child.episodes if _in_period(e, spelling)))
            if not child.episodes:
                continue
        children.append(_respell(child, index, spelling, found))
    written = CensusReturn(header=header, children=tuple(children))
    document = write_return(written, spelling)
    errors = schema_findings(parse_return(document), spelling)
    return ExportResult(document, spelling.year, len(children), found, errors)


def export_case_records(
    records: Iterable[CaseRecord],
    year: int | CollectionYear,
    *,
    la: str | None,
    generated_at: dt.datetime | None = None,
    period_only: bool = False,
    notes: Iterable[Finding] = (),
) -> ExportResult:
    """Write case records (grouped into children) as a return for the collection year."""
    spelling = collection_year(year)
    children, mapping_notes = case_records_to_children(records, spelling)
    mapping_notes.insert(
        0,
        _note(
            Severity.WARNING,
            "",
            "written from the standard's case records, which do not carry FormerUPN, UPNunknown, PersonDeathDate, "
            "Section47, DateOfInitialCPC, AssessmentInternalReviewDate, AssessmentFactors or NumberOfPreviousCPP: "
            "those are left out (NumberOfPreviousCPP is counted from the records)",
            "see docs/cin-census.md; fill them in the return before submitting if DfE needs them",
        ),
    )
    census = CensusReturn(header=Header(lea=la), children=tuple(children))
    return export_census(
        census, spelling, la=la, generated_at=generated_at, period_only=period_only, notes=[*notes, *mapping_notes]
    )


def export_return(
    source: str | Path,
    year: int | CollectionYear,
    *,
    la: str | None = None,
    generated_at: dt.datetime | None = None,
    period_only: bool = False,
) -> ExportResult:
    """Export from a file: a census return, an imported return, or the standard's case-record messages."""
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnusableInputError(
            f"cannot read {path}: {exc.strerror}", hint="check the path and its permissions"
        ) from None
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        tree = parse_xml(data)
        if tree.getroot().tag == ROOT_ELEMENT:
            return export_census(read_census(tree)[0], year, la=la, generated_at=generated_at, period_only=period_only)
    elif head.startswith(b"{"):
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "caseRecords" in parsed and "header" not in parsed:
            imported = read_imported(data)
            return export_case_records(
                imported.case_records, year, la=la or imported.la, generated_at=generated_at, period_only=period_only
            )
    messages, _batch = read_messages(path)
    notes = [
        _note(
            Severity.WARNING,
            f"message[{i}]",
            f"a {m.message_type.value} is not a case record: skipped",
            "give CaseRecordTransfer messages",
        )
        for i, m in enumerate(messages)
        if not isinstance(m, CaseRecordTransfer)
    ]
    transfers = [m for m in messages if isinstance(m, CaseRecordTransfer)]
    if not transfers:
        raise UnusableInputError(
            f"{path} holds no CaseRecordTransfer message, nor a census return or an imported one",
            hint="give a CIN census return, what `ics-interop cin import` wrote, or CaseRecordTransfer messages",
        )
    return export_case_records(
        [m.case_record for m in transfers],
        year,
        la=la or transfers[0].from_la,
        generated_at=generated_at,
        period_only=period_only,
        notes=notes,
    )


def export_ics_store(
    db_url: str,
    year: int | CollectionYear,
    *,
    organisation: str,
    la: str | None = None,
    generated_at: dt.datetime | None = None,
    period_only: bool = False,
) -> ExportResult:
    """Export the confirmed case records held in a reference ICS system's store.

    `organisation` is the organisation the ICS system runs for (for example 'LA206-CSC'): the
    store does not record it. The LA code is `la`, else the one the system reads from its
    organisation ID ('LA206-CSC' -> 206). A store that holds no ICS system is refused before
    anything touches it: opening a system creates its tables, and an export must not.
    """
    # Imported here, not above: the ICS system and its store bring FastAPI and SQLAlchemy, which every other
    # `ics-interop` command would then load at start for nothing.
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    from ...ics import IcsSystem
    from ...ics.tables import IcsTables
    from ...storage import engine_for, normalise_url

    try:
        identity = SystemRef(system=SystemKind.ICS, organisation_id=organisation)
    except ValueError:
        raise UnusableInputError(
            f"{organisation!r} is not an organisation ID",
            hint="give the ICS system's organisation, for example LA206-CSC (letters, digits, '-', '_', '.', ':')",
        ) from None
    url = normalise_url(db_url)
    sqlite_file = (
        url.removeprefix("sqlite:///") if url.startswith("sqlite:///") and not url.endswith(":memory:") else None
    )
    if sqlite_file is not None and not Path(sqlite_file).is_file():
        raise UnusableInputError(
            f"there is no ICS store at {db_url}", hint="give the database the ICS system runs on, as it was served"
        )
    cases_table = IcsTables().cases.name
    engine = engine_for(db_url)
    try:
        held = inspect(engine).has_table(cases_table)
    except SQLAlchemyError as exc:
        raise UnusableInputError(
            f"cannot open the store {db_url}: {exc.__class__.__name__}", hint="check the database URL and that it runs"
        ) from None
    finally:
        engine.dispose()
    if not held:
        raise UnusableInputError(
            f"the store {db_url} holds no ICS system (it has no {cases_table} table)",
            hint="give the database the ICS system runs on (`ics-interop serve ics --db ...`)",
        )
    system = IcsSystem(db_url, identity=identity)
    try:
        records = list(system.case_records())
        la_code = la or system.ctx.la_code
    finally:
        system.store.dispose()
    return export_case_records(records, year, la=la_code, generated_at=generated_at, period_only=period_only)
