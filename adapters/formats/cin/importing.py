"""Importing a census return into the standard's models: one case record per CIN episode.

What `cin import` writes is an `ImportedReturn`: the authority, the collection year and
reference date from the header, and the case records, as JSON in the standard's style
(camelCase members, no nulls). `cin export --from` reads it back.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import attrs
from pydantic import Field, ValidationError

from ics_interop.codecs.xml import pydantic_findings
from ics_interop.errors import DecodeError, UnusableInputError
from ics_interop.findings import Finding, Severity
from ics_interop.model._base import IcsModel
from ics_interop.model.ics_records import CaseRecord
from ics_interop.model.identifiers import LaCode

from .census import CensusReturn
from .mapping import child_to_case_records
from .reader import child_label, parse_return, read_census, unread_elements
from .validation import CinReport, check_tree
from .years import CollectionYear

__all__ = ["ImportResult", "ImportedReturn", "census_to_imported", "import_return", "read_imported"]


class ImportedReturn(IcsModel):
    """A census return held in the standard's models."""

    la: LaCode | None = Field(default=None, description="The authority that made the return (its LEA code).")
    collection_year: int | None = Field(default=None, description="The return's collection year (its header's Year).")
    reference_date: dt.date | None = Field(default=None, description="The return's reference date.")
    case_records: list[CaseRecord] = Field(default_factory=list, description="One case record per CIN episode.")


@attrs.frozen
class ImportResult:
    """An imported return, how many children it had, what could not be carried, and its check."""

    imported: ImportedReturn
    children: int
    notes: list[Finding]
    #: The return checked against its collection year's schema and rules (None when not asked).
    check: CinReport | None = None

    @property
    def complete(self) -> bool:
        """Every child and episode was imported (notes about single fields aside)."""
        return not any(n.severity is Severity.ERROR for n in self.notes)

    def to_json(self) -> bytes:
        """The imported return as a JSON document."""
        return self.imported.model_dump_json(by_alias=True, exclude_none=True, indent=2).encode("utf-8") + b"\n"


def census_to_imported(census: CensusReturn) -> ImportResult:
    """Map a return already in memory."""
    header = census.header
    reference = header.reference_date if header is not None else None
    records: list[CaseRecord] = []
    notes: list[Finding] = []
    for index, child in enumerate(census.children):
        found, child_notes = child_to_case_records(child, index, reference or dt.date.today())
        records.extend(found)
        notes.extend(child_notes)
    la = header.lea if header is not None else None
    if header is not None:
        written = [
            f"{name} {value}"
            for name, value in (
                ("SoftwareCode", header.software_code),
                ("Release", header.release),
                ("SerialNo", header.serial_no),
                ("DateTime", header.date_time),
            )
            if value is not None
        ]
        if written:
            notes.append(
                Finding(
                    "CIN-IMPORT",
                    Severity.WARNING,
                    f"not carried by the standard's models: {', '.join(written)} (they describe the file; "
                    "an export writes its own)",
                    path="Header.Source[0]",
                    hint="nothing to do: see docs/cin-census.md for the fields the models do not carry",
                    source="ics-interop CIN mapping",
                )
            )
    if la is not None and not re.fullmatch(r"[0-9]{3}", la):
        notes.append(
            Finding(
                "CIN-IMPORT",
                Severity.WARNING,
                f"the header's LEA {la!r} is not a three-digit LA code: not carried",
                path="Header.Source.LEA",
                hint="correct the LEA in the return, or give --la when exporting",
                source="ics-interop CIN mapping",
            )
        )
        la = None
    imported = ImportedReturn(
        la=la,
        collection_year=header.year if header is not None else None,
        reference_date=reference,
        case_records=records,
    )
    return ImportResult(imported=imported, children=len(census.children), notes=notes)


def import_return(
    source: str | Path | bytes, year: int | CollectionYear | None = None, *, check: bool = True
) -> ImportResult:
    """Read a return file and map it into the standard's models, noting every value not carried.

    With `check`, the return is also validated (for `year`, or the year its header names), so
    a caller can tell an import of a valid return from one of a return with errors.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    tree = parse_return(data)
    census, lines = read_census(tree)
    result = census_to_imported(census)
    labels = [child_label(child, i) for i, child in enumerate(census.children)]
    for child, path, line in unread_elements(tree, lines):
        where = f"{labels[child]}.{path}" if child is not None else path
        result.notes.append(
            Finding(
                "CIN-IMPORT",
                Severity.WARNING,
                f"not carried by the standard's models: {path.rpartition('.')[2]} is not an element of the census",
                path=where,
                line=line,
                record=child,
                hint="check the element's name and place against the year's schema (`ics-interop cin validate`)",
                source="ics-interop CIN mapping",
            )
        )
    if not check:
        return result
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    return attrs.evolve(result, check=check_tree(tree, year, source=name))


def read_imported(data: bytes) -> ImportedReturn:
    """Read what `cin import` wrote."""
    try:
        return ImportedReturn.model_validate(json.loads(data))
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            raise DecodeError("the JSON is not an imported CIN return", pydantic_findings(exc)) from None
        raise UnusableInputError(f"not valid JSON: {exc}", hint="fix the JSON syntax") from None
