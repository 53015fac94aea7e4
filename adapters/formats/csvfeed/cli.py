"""The `ics-interop csv` commands: import a spreadsheet feed into F1 messages, and write a template.

Thin: each subcommand calls the library and prints what it returns. Exit status of `csv import`:

- 0: every row was valid and every message was accepted (or written); with `--skip-invalid`,
  every valid row was, and the rows left out are listed;
- 1: a row has errors (without `--skip-invalid`, then nothing is sent or written), or no row
  was valid, or the directory rejected a message, or one could not be delivered;
- 2: the file cannot be used at all (unreadable, not UTF-8 CSV, a header that does not match the
  layout), or the options are wrong.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ics_interop import SystemRef
from ics_interop.model.codes import SystemKind

from ...auth.cli import add_client_options, client_from
from .columns import FeedKind, columns_for, example_row
from .delivery import Delivery, DeliveryStatus, Wire, send_feed, write_feed
from .feed import CONTACTPOINT, FeedFile
from .reading import read_feed

__all__ = ["add_csv_commands", "feed_report", "template"]

EXIT_OK, EXIT_ERRORS, EXIT_UNUSABLE = 0, 1, 2

#: The kinds of system a spreadsheet can stand in for (never ContactPoint: it feeds no one).
SENDER_KINDS = tuple(k.value for k in SystemKind if k is not SystemKind.CONTACTPOINT)


def template(kind: FeedKind | str, *, example: bool = False) -> str:
    """The header row of a layout (and, with `example`, one valid example row), as CSV text."""
    kind = FeedKind(kind)
    out = io.StringIO()
    writer = csv.writer(out, dialect="excel")
    writer.writerow([column.name for column in columns_for(kind)])
    if example:
        writer.writerow(example_row(kind))
    return out.getvalue()


def _cmd_template(args: argparse.Namespace) -> int:
    text = template(args.kind, example=args.example)
    if args.output:
        # A byte order mark tells Excel the file is UTF-8, so names with accents survive a round trip.
        Path(args.output).write_text(text, encoding="utf-8-sig", newline="")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _identity(kind: SystemKind, organisation: str, name: str | None, option: str) -> SystemRef:
    try:
        return SystemRef(system=kind, organisation_id=organisation, organisation_name=name)
    except ValidationError:
        raise ValueError(
            f"{option} {organisation!r} is not an organisation ID: use letters, digits and - _ . : "
            "(and a name of at most 200 characters)"
        ) from None


def _print_text(feed: FeedFile, args: argparse.Namespace, deliveries: list[Delivery], written: list[Path]) -> None:
    out = sys.stdout
    if feed.unusable:
        out.write(f"{feed.source}: UNUSABLE: {feed.unusable}\n")
    else:
        out.write(
            f"{feed.source}: {feed.rows} row(s) of {feed.kind.value}, {len(feed.messages)} valid, "
            f"{len(feed.rows_left_out)} with errors\n"
        )
    for problem in feed.problems:
        out.write("  " + problem.describe().replace("\n", "\n  ") + "\n")
    if feed.unusable or (feed.errors and not args.skip_invalid):
        if args.send or args.out:
            out.write(
                "nothing sent or written: correct the rows above"
                + ("" if feed.unusable else ", or give --skip-invalid to send the valid rows only")
                + "\n"
            )
        return
    if feed.rows_left_out:
        rows = ", ".join(str(row) for row in feed.rows_left_out)
        out.write(f"left out (not sent or written), with the errors above: row(s) {rows}\n")
    if written:
        out.write(f"wrote {len(written)} message(s) to {args.out}\n")
    if args.send:
        counts = {status: sum(1 for d in deliveries if d.status is status) for status in DeliveryStatus}
        summary = ", ".join(f"{n} {status.value}" for status, n in counts.items() if n)
        out.write(f"sent to {args.send}: {summary or 'nothing to send'}\n")
        for delivery in deliveries:
            out.write("  " + delivery.describe().replace("\n", "\n  ") + "\n")
        if any(d.status in (DeliveryStatus.NOT_DELIVERED, DeliveryStatus.NOT_SENT) for d in deliveries):
            out.write("the directory could not be reached: import the file again later (nothing is duplicated)\n")
    if not args.send and not args.out:
        out.write("checked only: give --send URL or --out DIR to deliver the messages\n")


def feed_report(
    feed: FeedFile, deliveries: Sequence[Delivery] = (), written: Sequence[Path] = (), *, sent: bool = False
) -> dict[str, Any]:
    """What `csv import --report json` prints: the file, its rows, every problem, what was sent or written."""
    return {
        "source": feed.source,
        "kind": feed.kind.value,
        "rows": feed.rows,
        "valid": len(feed.messages),
        "unusable": feed.unusable,
        "problems": [p.to_dict() for p in feed.problems],
        "leftOut": feed.rows_left_out,
        "sent": sent,
        "written": [str(path) for path in written],
        "deliveries": [d.to_dict() for d in deliveries],
    }


def _print_json(feed: FeedFile, deliveries: list[Delivery], written: list[Path], sent: bool) -> None:
    json.dump(feed_report(feed, deliveries, written, sent=sent), sys.stdout, indent=2)
    sys.stdout.write("\n")


def _cmd_import(args: argparse.Namespace) -> int:
    try:
        sender = _identity(SystemKind(args.sender_kind), args.organisation, args.organisation_name, "--organisation")
        recipient = _identity(
            SystemKind.CONTACTPOINT,
            args.contactpoint_organisation,
            args.contactpoint_name,
            "--contactpoint-organisation",
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    feed = read_feed(args.path, args.kind, sender=sender, recipient=recipient)
    deliveries: list[Delivery] = []
    written: list[Path] = []
    go = feed.unusable is None and (args.skip_invalid or not feed.errors)
    wire: Wire = args.format
    if go:
        try:
            if args.out:
                written = write_feed(feed, args.out, wire=wire)
            if args.send:
                # Imported when used: it brings httpx and SQLAlchemy (see the package docstring).
                from ...transport import HttpTransport

                try:
                    credentials = client_from(args)
                except ValueError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    return EXIT_UNUSABLE
                transport = HttpTransport(args.send, credentials=credentials, audience=args.audience)
                try:
                    deliveries = send_feed(feed, transport, wire=wire)
                finally:
                    transport.client.close()
        except OSError as exc:
            print(f"error: cannot write to {args.out}: {exc.strerror}", file=sys.stderr)
            return EXIT_UNUSABLE
    if args.report == "json":
        _print_json(feed, deliveries, written, sent=bool(deliveries))
    else:
        _print_text(feed, args, deliveries, written)
    if feed.unusable:
        return EXIT_UNUSABLE
    if not go or (feed.rows_left_out and not feed.messages):
        return EXIT_ERRORS
    return EXIT_ERRORS if any(d.status is not DeliveryStatus.ACCEPTED for d in deliveries) else EXIT_OK


def add_csv_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `csv` command, with `import` and `template`, to a command line's subcommands."""
    kinds = [kind.value for kind in FeedKind]
    command = subparsers.add_parser(
        "csv",
        help="spreadsheet feeds to ContactPoint: import a CSV file as F1 messages, write a template",
        description="Spreadsheet feeds (seed §5.1): a CSV file of children or of involvements, in the layout "
        "docs/csv-feeds.md documents, sent to ContactPoint as F1 messages.",
    )
    sub = command.add_subparsers(dest="csv_command", required=True)

    imports = sub.add_parser(
        "import",
        help="check a CSV file, row by row, and send its messages to ContactPoint or write them as files",
        description="Check every row (its form, the models, the standard's rules); a file with any error sends "
        "nothing unless --skip-invalid is given. Without --send or --out the file is only checked.",
    )
    imports.add_argument("path", help="the CSV file (UTF-8, with or without a byte order mark)")
    imports.add_argument("--kind", choices=kinds, required=True, help="the layout of the file")
    imports.add_argument("--organisation", required=True, help="the sender: the organisation the file comes from")
    imports.add_argument("--organisation-name", help="the sender's name (also the service organisation's, by default)")
    imports.add_argument(
        "--sender-kind",
        choices=SENDER_KINDS,
        default=SystemKind.FEED_SOURCE.value,
        help="the kind of system the spreadsheet stands for (default feed-source)",
    )
    imports.add_argument(
        "--contactpoint-organisation",
        default=CONTACTPOINT.organisation_id,
        help=f"the directory's organisation ID (default {CONTACTPOINT.organisation_id})",
    )
    imports.add_argument(
        "--contactpoint-name", default=CONTACTPOINT.organisation_name, help="the directory's organisation name"
    )
    imports.add_argument("--send", metavar="URL", help="post each message to URL/messages (the HTTP binding)")
    imports.add_argument("--audience", help="the audience ContactPoint's tokens are for (default: the --send URL)")
    add_client_options(imports, what="the messages are sent")
    imports.add_argument("--out", metavar="DIR", help="write each message to a file in DIR")
    imports.add_argument("--format", choices=["xml", "json"], default="xml", help="the messages' form (default xml)")
    imports.add_argument(
        "--skip-invalid",
        action="store_true",
        help="send the valid rows and list the rows left out, instead of sending nothing",
    )
    imports.add_argument("--report", choices=["text", "json"], default="text", help="format of the report")
    imports.set_defaults(run=_cmd_import)

    templates = sub.add_parser("template", help="write an empty CSV file with the layout's header row")
    templates.add_argument("--kind", choices=kinds, required=True, help="the layout")
    templates.add_argument("--example", action="store_true", help="add one example row under the header")
    templates.add_argument(
        "-o", "--output", help="write here (UTF-8 with a byte order mark) instead of standard output"
    )
    templates.set_defaults(run=_cmd_template)
