"""Reading a spreadsheet feed: CSV rows into F1 messages, every row checked, every problem placed.

A row becomes a message only if every cell has its column's form, the columns that go
together are given together, the models accept the result, and the project's business
rules (`ics_interop.run_rules`: NHS check digits, under 18, end after start...) pass. Each
problem names the row as a spreadsheet user sees it (the header is row 1), the column's
header as written in the file, the value, what is wrong and how to fix it. A file whose
header cannot be read (unknown, repeated or missing columns) or that is not UTF-8 text is
unusable: no row is read at all.

The problem IDs of the file itself (the rules' own IDs are used for rule findings):

- `CSV-FILE`: the file cannot be read as UTF-8 CSV text;
- `CSV-HEADER`: a column is unknown, repeated, or a required one is missing;
- `CSV-REQUIRED`: a value the row needs is empty;
- `CSV-VALUE`: a value does not have its column's form;
- `CSV-COMBINATION`: columns that go together (or exclude each other) are not given so;
- `CSV-DUPLICATE`: a row repeats the key (`local_id`, `involvement_id`) of an earlier row;
- `CSV-ROW`: a row has values beyond the header's columns;
- `CSV-MODEL`: the standard's models refuse what the row gives (rare: the checks above come first).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ics_interop import Severity, SystemRef
from ics_interop.model.codes import SystemKind

from .cells import normalise_header
from .columns import FeedKind, columns_for
from .conversion import RowMessages, RowRefused
from .feed import CONTACTPOINT, FeedFile, file_problem
from .rows import Header, Row

if TYPE_CHECKING:
    from ...messaging import Clock

__all__ = ["feed_kind", "read_feed"]

_SAVE_AS_UTF8 = "save the file as 'CSV UTF-8' (in Excel: File > Save As > CSV UTF-8 (Comma delimited))"


def _delimiter(first_line: str) -> str:
    # Spreadsheets set to a European locale write ';', and some exports use tabs: the header tells.
    outside_quotes = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: outside_quotes.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(text: str) -> Iterator[list[str]]:
    first_line = text.split("\n", 1)[0]
    # The excel dialect: fields in double quotes may hold the delimiter, line breaks and "" for a quote.
    yield from csv.reader(io.StringIO(text, newline=""), dialect="excel", delimiter=_delimiter(first_line))


def _is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def feed_kind(data: bytes) -> FeedKind | None:
    """The layout a CSV file's header row names, or None when it names no column of either.

    A file with an `involvement_id` column is an involvements feed; one with other columns of the
    layouts (`local_id`, `given_names`, ...) and none of the involvement ones, a children feed.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    try:
        header = {normalise_header(cell) for cell in next(_records(text), [])}
    except csv.Error:
        return None
    involvement_only = {c.name for c in columns_for(FeedKind.INVOLVEMENTS)} - {
        c.name for c in columns_for(FeedKind.CHILDREN)
    }
    if header & involvement_only:
        return FeedKind.INVOLVEMENTS
    if header & {c.name for c in columns_for(FeedKind.CHILDREN)}:
        return FeedKind.CHILDREN
    return None


# --- the file ----------------------------------------------------------------------------------


def read_feed(
    source: str | Path | bytes,
    kind: FeedKind | str,
    *,
    sender: SystemRef,
    recipient: SystemRef = CONTACTPOINT,
    clock: Clock | None = None,
    name: str | None = None,
) -> FeedFile:
    """Read a spreadsheet feed (CSV, UTF-8 with or without a BOM) into messages from `sender` to ContactPoint.

    Every row is checked; the result holds the messages of the valid rows and every problem.
    Nothing is sent: see `send_feed` and `write_feed`. `clock` gives the messages' time (default: now, UTC).
    """
    # Imported when used: the shared messaging layer brings SQLAlchemy and httpx (see the package docstring).
    from ...messaging import utc_now

    kind = FeedKind(kind)
    if sender.system is SystemKind.CONTACTPOINT:
        raise ValueError("ContactPoint feeds no one (seed §5.2): the sender is the local system the file comes from")
    if recipient.system is not SystemKind.CONTACTPOINT:
        raise ValueError(f"F1 messages go to ContactPoint, not to a {recipient.system.value} system")
    if isinstance(source, bytes):
        data, label = source, name or "<bytes>"
    else:
        label = name or str(source)
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            feed = FeedFile(label, kind, unusable=f"cannot read {source}: {exc.strerror}")
            feed.problems.append(file_problem("CSV-FILE", "", feed.unusable or "", "check the path and permissions"))
            return feed
    feed = FeedFile(label, kind)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        feed.unusable = f"the file is not UTF-8 text (byte {exc.start + 1}, on line {line})"
        feed.problems.append(file_problem("CSV-FILE", "", feed.unusable, _SAVE_AS_UTF8, row=line))
        return feed
    if "\x00" in text:
        feed.unusable = "the file holds NUL characters: it is not a CSV file (a workbook, or UTF-16 text?)"
        feed.problems.append(file_problem("CSV-FILE", "", feed.unusable, _SAVE_AS_UTF8))
        return feed
    try:
        _read_rows(feed, _records(text), sender, recipient, (clock or utc_now)())
    except csv.Error as exc:
        feed.unusable = f"the file is not readable as CSV: {exc}"
        feed.problems.append(file_problem("CSV-FILE", "", feed.unusable, "export the file from the spreadsheet again"))
        feed.messages.clear()
    return feed


def _read_rows(
    feed: FeedFile, records: Iterator[list[str]], sender: SystemRef, recipient: SystemRef, now: dt.datetime
) -> None:
    header_cells = next(records, [])
    if _is_blank(header_cells):
        feed.unusable = "the first row is not the header row"
        fix = "put the column headers in row 1 (`ics-interop csv template` writes them)"
        feed.problems.append(file_problem("CSV-HEADER", "", feed.unusable, fix))
        return
    header = Header(header_cells, feed.kind, feed.problems)
    if feed.problems:
        feed.unusable = "the header row does not match the layout, so no row can be read"
        return
    messages = RowMessages(feed.kind, sender, recipient, now)
    key_column = "local_id" if feed.kind is FeedKind.CHILDREN else "involvement_id"
    first_with: dict[Any, int] = {}  # each key, and the first row that has it
    for number, cells in enumerate(records, start=2):  # the header is row 1, as the spreadsheet shows it
        if _is_blank(cells):
            continue
        feed.rows += 1
        row = Row(number, cells, header)
        messages.check_combinations(row)
        key = row.values.get(key_column)
        if key is not None and first_with.setdefault(key, number) != number:
            row.problem(
                key_column,
                "CSV-DUPLICATE",
                f"row {first_with[key]} has the same {key_column}",
                "give each one row (merge the two), or correct the identifier of one of them",
            )
        if not row.problems:
            try:
                built = messages.messages(row)
            except RowRefused:
                built = None
            if built is not None:
                messages.check_rules(row, built)
                if not any(p.severity is Severity.ERROR for p in row.problems):
                    feed.messages.append(built)
        # Left to right, as the user reads the row; a column the file lacks comes last.
        feed.problems.extend(sorted(row.problems, key=lambda p: header.order.get(p.column, len(cells))))
