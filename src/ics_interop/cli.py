"""The `ics-interop` command line: thin, each subcommand one call into the library.

Exit status, for every subcommand: 0 all well, 1 the input has errors (or a check found
differences), 2 the input cannot be used at all (unreadable, not XML/JSON, hostile).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .errors import DecodeError, IcsInteropError
from .logs import configure as configure_logging
from .validate import FileReport, Progress, validate_path

__all__ = ["main"]

EXIT_OK, EXIT_ERRORS, EXIT_UNUSABLE = 0, 1, 2
EXIT_CLOSED_PIPE = 141


class _ProgressBar:
    """A one-line progress bar on a terminal; silent elsewhere."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream, self.label = stream, label
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int | None, records: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        self.shown = True
        if total:
            filled = int(30 * done / total)
            bar = "#" * filled + "-" * (30 - filled)
            text = f"\r{self.label} [{bar}] {100 * done / total:5.1f}% {records} messages"
        else:
            text = f"\r{self.label} {records} messages"
        self.stream.write(text)
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * 80 + "\r")
            self.stream.flush()


def _example_paths() -> list[Path]:
    from .schemagen import version_folder
    from .schemas_path import schemas_root

    folder = schemas_root() / version_folder() / "examples"
    return sorted(p for p in folder.iterdir() if p.suffix in (".xml", ".json"))


def _expand(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for the XML and JSON files in it (not recursively)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in (".xml", ".json", ".jsonl")))
        else:
            out.append(path)
    return out


def _cmd_validate(args: argparse.Namespace) -> int:
    paths = _expand([Path(p) for p in args.paths])
    if args.examples:
        paths.extend(_example_paths())
    if not paths:
        print("error: give at least one file to validate, or --examples", file=sys.stderr)
        return EXIT_UNUSABLE
    reports: list[FileReport] = []
    interactive = sys.stderr.isatty() and args.format == "text"
    for path in paths:
        bar = _ProgressBar(sys.stderr, path.name) if interactive else None
        progress: Progress | None = bar
        reports.append(validate_path(path, progress=progress, workers=args.workers))
        if bar is not None:
            bar.close()
        if args.format == "text":
            _print_report(reports[-1], quiet=args.quiet)
    if args.format == "json":
        json.dump({"files": [r.to_dict() for r in reports]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        errors = sum(r.errors for r in reports)
        warnings = sum(r.warnings for r in reports)
        unusable = sum(1 for r in reports if r.unusable)
        print(
            f"{len(reports)} file(s), {sum(r.records for r in reports)} message(s): "
            f"{errors} error(s), {warnings} warning(s), {unusable} unusable file(s)"
        )
    if any(r.unusable for r in reports):
        return EXIT_UNUSABLE
    return EXIT_ERRORS if any(r.errors for r in reports) else EXIT_OK


def _print_report(report: FileReport, *, quiet: bool) -> None:
    if report.unusable:
        print(f"{report.source}: UNUSABLE: {report.unusable}")
        return
    verdict = "ok" if not report.errors else "INVALID"
    print(
        f"{report.source}: {verdict} ({report.format}, {report.records} message(s), "
        f"{report.errors} error(s), {report.warnings} warning(s))"
    )
    if not quiet:
        for finding in report.findings:
            print("  " + finding.describe().replace("\n", "\n  "))


def _cmd_convert(args: argparse.Namespace) -> int:
    from .convert import convert_path

    try:
        data = convert_path(args.path, args.to)
    except DecodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        for finding in exc.findings:
            print("  " + finding.describe().replace("\n", "\n  "), file=sys.stderr)
        return EXIT_UNUSABLE if not exc.findings else EXIT_ERRORS
    except IcsInteropError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    if args.output:
        Path(args.output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return EXIT_OK


def _cmd_schema_diff(args: argparse.Namespace) -> int:
    from .schemadiff import diff_versions

    try:
        report = diff_versions(args.old, args.new, errata=not args.no_errata)
    except IcsInteropError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    if args.format == "json":
        json.dump(report.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(report.describe())
    return EXIT_ERRORS if report.breaking else EXIT_OK


def _cmd_schema_generate(args: argparse.Namespace) -> int:
    from .schemagen import SchemaGenerationError
    from .schemas_path import schemas_root

    root = Path(args.out) if args.out else schemas_root()
    try:
        return _schema_generate(root, check=args.check)
    except SchemaGenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERRORS


def _schema_generate(root: Path, *, check: bool) -> int:
    from .schemagen import check_schemas, write_schemas

    if check:
        problems = check_schemas(root)
        for problem in problems:
            print(f"{root / problem.split(':')[0]}:{problem.split(':', 1)[1]}", file=sys.stderr)
        if problems:
            print(
                "the committed schemas are out of date: run `ics-interop schema generate` and commit the result",
                file=sys.stderr,
            )
            return EXIT_ERRORS
        print(f"schemas under {root} are current")
        return EXIT_OK
    changed = write_schemas(root)
    for rel in changed:
        print(f"wrote {root / rel}")
    print(f"{len(changed)} file(s) changed under {root}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `ics-interop` command."""
    parser = argparse.ArgumentParser(
        prog="ics-interop",
        description="Children's services interoperability: validate, convert and generate the standard's messages.",
    )
    parser.add_argument("--version", action="version", version=f"ics-interop {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what each step does (to standard error)")
    parser.add_argument("-q", "--quiet", dest="quiet_logs", action="store_true", help="log errors only")
    parser.add_argument(
        "--log-format", choices=["text", "json"], default="text", help="log lines as text, or one JSON object a line"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser("validate", help="check XML or JSON messages or batches against the schemas and rules")
    validate.add_argument("paths", nargs="*", help="files holding one message or a batch, or folders of them")
    validate.add_argument("--examples", action="store_true", help="also validate the examples shipped with the library")
    validate.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    validate.add_argument("--quiet", action="store_true", help="print one line per file, not every finding")
    validate.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes that decode and check a large XML batch (default: one per core from 4 MiB; 1: no workers)",
    )
    validate.set_defaults(run=_cmd_validate)

    convert = sub.add_parser("convert", help="convert a valid message or batch between XML and JSON")
    convert.add_argument("path", help="the file to convert")
    convert.add_argument("--to", choices=["xml", "json"], required=True, help="the form to convert to")
    convert.add_argument("-o", "--output", help="write here instead of standard output")
    convert.set_defaults(run=_cmd_convert)

    schema = sub.add_parser("schema", help="generate the XML Schema and JSON Schemas from the models")
    schema_sub = schema.add_subparsers(dest="schema_command", required=True)
    generate = schema_sub.add_parser("generate", help="write the schemas (or, with --check, compare them)")
    generate.add_argument("--check", action="store_true", help="exit 1 and name each file that differs")
    generate.add_argument("--out", help="the schemas folder (default: the one the library ships)")
    generate.set_defaults(run=_cmd_schema_generate)
    diff = schema_sub.add_parser(
        "diff",
        help="what changed between two versions of the schemas, and whom it breaks (exit 1 on a breaking change)",
    )
    diff.add_argument("old", help="a folder of schemas, a published version (1.0, v1) or git:REF[:PATH]")
    diff.add_argument("new", help="the same, for the newer version")
    diff.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    diff.add_argument("--no-errata", action="store_true", help="count the new version's declared errata as breaking")
    diff.set_defaults(run=_cmd_schema_diff)

    # The command line is the top room of the house: the one place the core reaches the adapters
    # (imported by name, so the core's import graph and its type check stay free of them).
    importlib.import_module("ics_interop.adapters.serve_cli").add_serve_commands(sub)
    importlib.import_module("ics_interop.adapters.auth.cli").add_auth_commands(sub)
    importlib.import_module("ics_interop.adapters.demo_cli").add_demo_command(sub)
    importlib.import_module("ics_interop.adapters.formats.cin.cli").add_cin_commands(sub)
    importlib.import_module("ics_interop.adapters.formats.csvfeed.cli").add_csv_commands(sub)
    importlib.import_module("ics_interop.conformance.cli").add_conformance_commands(sub)
    return parser


#: The extra that brings each optional package a command may need (pyproject.toml's optional dependencies).
_EXTRAS = {
    "fastapi": "systems",
    "starlette": "systems",
    "uvicorn": "systems",
    "sqlalchemy": "systems",
    "httpx": "systems",
    "joserfc": "systems",
    "psycopg": "postgres",
    "holidays": "census",
    "jinja2": "web",
    "multipart": "web",
    "python_multipart": "web",
    "openpyxl": "web",
    "hypothesis": "conformance",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    configure_logging(verbose=args.verbose, quiet=args.quiet_logs, log_format=args.log_format)
    try:
        status: int = args.run(args)
    except ModuleNotFoundError as missing:
        package = (missing.name or "").split(".")[0]
        extra = _EXTRAS.get(package)
        if extra is None:
            raise
        print(
            f"error: this command needs {package}, which comes with the {extra!r} extra of ics-interop: "
            f"pip install 'ics-interop[{extra}]' (or 'ics-interop[all]')",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    except BrokenPipeError:
        # The reader went away (`ics-interop schema diff ... | head`): stop quietly, with the status a
        # program killed by SIGPIPE has (128 + 13), as the shell's own tools do, not with a traceback.
        # Point stdout at nothing, so the interpreter's own flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_CLOSED_PIPE
    return status


if __name__ == "__main__":
    sys.exit(main())
