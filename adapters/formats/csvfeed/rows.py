"""The rows of a spreadsheet feed: the header row, which says which column is where, and a data row's cells.

A data row's cells are read by their columns (`columns`, `cells`); each problem is recorded
against the column's header as the file writes it, so the report speaks the user's words.
"""

from __future__ import annotations

import difflib
from typing import Any

from ics_interop import Severity

from .cells import CellProblem, normalise_header
from .columns import Column, FeedKind, columns_for
from .feed import RowProblem, file_problem

__all__ = ["Header", "Row", "column_letter"]


class Header:
    """The header row: which column of the layout each position holds, as the file spells it."""

    def __init__(self, cells: list[str], kind: FeedKind, problems: list[RowProblem]) -> None:
        layout = columns_for(kind)
        by_name = {column.name: column for column in layout}
        self.positions: dict[int, Column] = {}
        self.spelling: dict[str, str] = {}
        #: The position of each column, by its header as written (to list a row's problems left to right).
        self.order: dict[str, int] = {"": -1}
        for position, cell in enumerate(cells):
            name = normalise_header(cell)
            if not name:
                continue  # an empty header cell: a row with a value under it is reported (CSV-ROW)
            column = by_name.get(name)
            if column is None:
                close = difflib.get_close_matches(name, list(by_name), n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append(
                    file_problem(
                        "CSV-HEADER",
                        cell,
                        f"{cell.strip()!r} is not a column of the {kind.value} layout",
                        f"{hint}rename or remove the column (see `ics-interop csv template` and docs/csv-feeds.md)",
                    )
                )
            elif name in self.spelling:
                problems.append(
                    file_problem(
                        "CSV-HEADER",
                        cell,
                        f"the column {name!r} appears twice",
                        "keep one of the two columns",
                    )
                )
            else:
                self.positions[position] = column
                self.spelling[name] = cell.strip()
                self.order[cell.strip()] = position
        for column in layout:
            if column.required and column.name not in self.spelling:
                problems.append(
                    file_problem(
                        "CSV-HEADER",
                        column.name,
                        f"the required column {column.name!r} is missing",
                        f"add a column headed {column.name!r} ({column.format})",
                    )
                )

    def header_of(self, name: str) -> str:
        """A column's header as the file writes it, or its layout name when the file has no such column."""
        return self.spelling.get(name, name)


def column_letter(position: int) -> str:
    """A column's letters as a spreadsheet shows them: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


class Row:
    """One data row: its cells by column, their parsed values, and the problems found so far."""

    def __init__(self, number: int, cells: list[str], header: Header) -> None:
        self.number = number
        self.header = header
        self.raw: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self.problems: list[RowProblem] = []
        # Which parent slot and address line each list position of the message came from.
        self.parent_slots: list[int] = []
        self.address_lines: list[int] = []
        for position, cell in enumerate(cells):
            column = header.positions.get(position)
            if column is not None:
                self.raw[column.name] = cell
            elif cell.strip():
                self.problem(
                    "",
                    "CSV-ROW",
                    f"value {cell.strip()[:40]!r} in column {column_letter(position)}, which has no header",
                    "remove the value, or give its column a header from the layout",
                )
        for column in header.positions.values():
            text = self.raw.get(column.name, "")
            if not text.strip():
                if column.required:
                    self.problem(column.name, "CSV-REQUIRED", "a value is required", f"give {column.format}")
                continue
            try:
                self.values[column.name] = column.parse(text)
            except CellProblem as problem:
                self.problem(column.name, "CSV-VALUE", problem.message, problem.fix)

    def given(self, name: str) -> bool:
        """The cell has a value (valid or not)."""
        return bool(self.raw.get(name, "").strip())

    def problem(self, name: str, rule_id: str, message: str, fix: str, severity: Severity = Severity.ERROR) -> None:
        """Record a problem in a column (by layout name; '' for the row)."""
        column = self.header.header_of(name) if name else ""
        value = self.raw.get(name, "").strip() if name else ""
        found = RowProblem(self.number, column, value, rule_id, severity, message, fix)
        if found not in self.problems:  # one value can break one rule in several places of a message
            self.problems.append(found)

    def require(self, names: tuple[str, ...], because: str) -> None:
        """CSV-REQUIRED for each of `names` left empty, `because` says when they are needed."""
        for name in names:
            if not self.given(name):
                self.problem(name, "CSV-REQUIRED", f"a value is required {because}", f"give {name}")
