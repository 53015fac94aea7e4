"""The `ics-interop cin` commands: import, export and validate a Children in Need census return.

Thin: each subcommand calls one library function and prints what it returns. Exit status as
for `ics-interop validate`: 0 no errors, 1 errors (a return with rule or schema errors; an
export that would not be valid; an import that left children out or of a return with errors), 2 unusable
input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ics_interop.errors import IcsInteropError
from ics_interop.findings import Finding, Severity

from .years import YEARS

# The commands' work (and the bank holidays it needs) is imported when a command runs, not when
# the command line's parser is built: `ics-interop validate` needs none of it.
if TYPE_CHECKING:
    from .validation import CinReport

__all__ = ["add_cin_commands"]

EXIT_OK, EXIT_ERRORS, EXIT_UNUSABLE = 0, 1, 2


_CHILD_LABEL = re.compile(r"^child\[(?:LAchildID=(?P<id>.*?)|(?P<index>\d+))\]\.?")


def _describe(finding: Finding) -> str:
    """A note for people: the child by LAchildID and the element, not the child's position."""
    match = _CHILD_LABEL.match(finding.path)
    if match is None:
        return finding.describe()
    child = f"child {match['id']}" if match["id"] else f"child {int(match['index']) + 1} (no LAchildID)"
    inside = finding.path[match.end() :]
    where = f"{child}, {inside}" if inside else child
    return finding.describe().replace(f"record {finding.record}: {finding.path}", where, 1)


def _print_findings(findings: Sequence[Finding], stream: TextIO) -> None:
    for finding in findings:
        stream.write("  " + _describe(finding).replace("\n", "\n  ") + "\n")


def _notes_report(command: str, notes: Sequence[Finding], fmt: str, stream: TextIO, **extra: object) -> None:
    if fmt == "json":
        json.dump({"command": command, **extra, "notes": [n.to_dict() for n in notes]}, stream, indent=2)
        stream.write("\n")
    else:
        _print_findings(notes, stream)


def _write(data: bytes, output: str | None) -> None:
    if output:
        Path(output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


class _Stream:
    """Writes findings as they are found: text lines, or the members of a JSON document's findings array.

    The document's summary (counts, unusable) is known only at the end, so it is written after
    the findings: `{"source", "year", "yearFrom", "findings": [...], "children", "errors", ...}`.
    The compact form lists each finding as `COMPACT_COLUMNS` and, once, the rules it refers to
    (`rules`: message, type, fields and fix by code): `CinReport.to_compact_dict` in pieces.
    """

    def __init__(self, form: str, quiet: bool, out: TextIO) -> None:
        self.form, self.quiet, self.out = form, quiet, out
        self.opened = False
        self.seen: dict[str, Finding] = {}  # the first finding of each rule: the catalogue lists them

    def _open(self, report: CinReport) -> None:
        if self.opened:
            return
        self.opened = True
        if self.form == "text":
            return
        head: dict[str, object] = {"source": report.source, "year": report.year, "yearFrom": report.year_source}
        if self.form == "compact":
            from .validation import COMPACT_COLUMNS

            head["findingColumns"] = list(COMPACT_COLUMNS)
        self.out.write(json.dumps(head, indent=1)[:-2] + ',\n "findings": [')
        self.first = True

    def __call__(self, report: CinReport, finding: Finding) -> None:
        self._open(report)
        if self.form == "text":
            if not self.quiet:
                self.out.write("  " + report.describe(finding).replace("\n", "\n  ") + "\n")
            return
        if self.form == "compact":
            self.seen.setdefault(finding.rule_id, finding)
            item = json.dumps(report.compact_finding(finding), separators=(",", ":"))
        else:
            item = json.dumps(report.finding_dict(finding))
        self.out.write(("\n  " if self.first else ",\n  ") + item)
        self.first = False

    def close(self, report: CinReport) -> None:
        if self.form == "text":
            return
        if not self.opened and report.unusable:
            self.out.write(json.dumps({**report.summary(), "findings": []}, indent=2) + "\n")
            return
        self._open(report)
        tail: dict[str, object] = {k: v for k, v in report.summary().items() if k not in ("source", "year", "yearFrom")}
        if self.form == "compact":
            from .validation import compact_rules

            tail["rules"] = compact_rules(report.year, self.seen.values())
        self.out.write("\n ],\n" + json.dumps(tail, indent=1)[2:] + "\n")


def _cmd_validate(args: argparse.Namespace) -> int:
    from .validation import validate_return

    # Findings are written as they are found, so a large return's never all sit in memory at once.
    # The verdict, with the counts, comes last in text too.
    stream = _Stream(args.format, args.quiet, sys.stdout)
    report = validate_return(args.path, args.year, on_finding=stream)
    stream.close(report)
    if args.format == "text":
        print(f"{report.source}: UNUSABLE: {report.unusable}" if report.unusable else _verdict(report))
    if report.unusable:
        return EXIT_UNUSABLE
    return EXIT_ERRORS if report.errors else EXIT_OK


def _verdict(report: CinReport) -> str:
    verdict = "ok" if not report.errors else "INVALID"
    said = "" if report.year_source == "given" else f" (from {report.year_source}; --year checks another)"
    return (
        f"{report.source}: {verdict} for the {report.year} collection{said}: {len(report.children)} children, "
        f"{report.errors} error(s), {report.queries} query(ies)"
    )


def _cmd_import(args: argparse.Namespace) -> int:
    from .importing import import_return

    try:
        result = import_return(args.path, args.year)
    except (IcsInteropError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    _write(result.to_json(), args.output)
    stream = sys.stdout if args.output else sys.stderr
    records = len(result.imported.case_records)
    check = result.check
    if check is None or check.unusable:
        checked = f"the return was not checked: {check.unusable if check else 'not asked'}"
    elif check.errors:
        checked = (
            f"the return has {check.errors} error(s) and {check.queries} query(ies) for the {check.year} collection: "
            f"`ics-interop cin validate {args.path}` lists them"
        )
    else:
        checked = f"the return is valid for the {check.year} collection ({check.queries} query(ies))"
    if args.format == "text":
        stream.write(f"{args.path}: {result.children} children imported as {records} case record(s); {checked}\n")
    _notes_report(
        "import",
        result.notes,
        args.format,
        stream,
        children=result.children,
        caseRecords=records,
        returnErrors=check.errors if check is not None and not check.unusable else None,
        returnQueries=check.queries if check is not None and not check.unusable else None,
        check=checked,
    )
    # 1 when a child or episode could not be imported, or when the return itself has errors: an
    # import of an invalid return is not a clean import, even though every value it could carry is written.
    if not result.complete or check is None or check.unusable or check.errors:
        return EXIT_ERRORS
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from .exporting import export_ics_store, export_return

    if args.db and not args.organisation:
        print(
            "error: --db needs --organisation: the organisation the ICS system runs for, for example LA206-CSC "
            "(its store does not record it)",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    if args.organisation and not args.db:
        print("error: --organisation goes with --db; a file names its own authority (or give --la)", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        if args.db:
            result = export_ics_store(
                args.db, args.year, organisation=args.organisation, la=args.la, period_only=args.period_only
            )
        else:
            result = export_return(args.source, args.year, la=args.la, period_only=args.period_only)
    except (IcsInteropError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    stream = sys.stdout if args.output else sys.stderr
    if result.valid:
        _write(result.document, args.output)
    if args.format == "text":
        verdict = "written" if result.valid else "NOT written: it would not be valid against the year's schema"
        stream.write(f"{result.children} children for the {result.year} collection: {verdict}\n")
    _notes_report(
        "export",
        [*result.notes, *result.schema_errors],
        args.format,
        stream,
        year=result.year,
        children=result.children,
        valid=result.valid,
    )
    errors = any(n.severity is Severity.ERROR for n in result.notes)
    return EXIT_OK if result.valid and not errors else EXIT_ERRORS


def add_cin_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `cin` command, with `import`, `export` and `validate`, to a command line's subcommands."""
    years = sorted(YEARS)
    cin = subparsers.add_parser(
        "cin",
        help="Children in Need census returns: import, export, validate",
        description="Children in Need census returns for the collection years "
        f"{years[0]} to {years[-1]} (the year whose 31 March ends the census period).",
    )
    sub = cin.add_subparsers(dest="cin_command", required=True)

    validate = sub.add_parser(
        "validate", help="check a return against the year's schema (with line numbers) and the census rules"
    )
    validate.add_argument("path", help="the return (XML)")
    validate.add_argument(
        "--year",
        type=int,
        choices=years,
        help="the collection year to check against (default: the one the return's header names, from its "
        "ReferenceDate; given, rule 100 reports a header that does not match it)",
    )
    validate.add_argument(
        "--format",
        choices=["text", "json", "compact"],
        default="text",
        help="output: text for people; json, every finding in full; compact, JSON whose findings refer to "
        "the rules listed once (a fraction of the size for a large return)",
    )
    validate.add_argument("--quiet", action="store_true", help="print the verdict only, not every finding")
    validate.set_defaults(run=_cmd_validate)

    imports = sub.add_parser("import", help="read a return into the standard's case records (JSON)")
    imports.add_argument("path", help="the return (XML)")
    imports.add_argument("-o", "--output", help="write the case records here instead of standard output")
    imports.add_argument(
        "--year", type=int, choices=years, help="the collection year to check the return for (default: its header's)"
    )
    imports.add_argument("--format", choices=["text", "json"], default="text", help="format of the notes")
    imports.set_defaults(run=_cmd_import)

    export = sub.add_parser("export", help="write a return for a collection year, valid against its schema")
    export.add_argument("--year", type=int, choices=years, required=True, help="the collection year")
    source = export.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--from",
        dest="source",
        help="a CIN return, what `cin import` wrote, or CaseRecordTransfer messages (XML or JSON)",
    )
    source.add_argument(
        "--db", help="the store of a reference ICS system (a database URL or SQLite file): its confirmed case records"
    )
    export.add_argument(
        "--organisation",
        help="with --db: the organisation the ICS system runs for, e.g. LA206-CSC (the LA code is read from it)",
    )
    export.add_argument("--la", help="the authority's three-digit LA code, when the source does not give it")
    export.add_argument(
        "--period-only",
        action="store_true",
        help="keep only episodes open at some time in the census period",
    )
    export.add_argument("-o", "--output", help="write the return here instead of standard output")
    export.add_argument("--format", choices=["text", "json"], default="text", help="format of the notes")
    export.set_defaults(run=_cmd_export)
