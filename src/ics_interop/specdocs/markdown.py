"""Markdown for the generated pages: table cells, code spans, tables, anchors and links."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from ..model.codes import SystemKind


def text(value: str) -> str:
    """Plain text for a Markdown table cell: no raw HTML, no column breaks, one line."""
    return html.escape(" ".join(value.split()), quote=False).replace("|", "\\|")


def code(value: str) -> str:
    """A code span (a `|` inside one does not break a table row)."""
    fence = "``" if "`" in value else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines) + "\n"


def fit(table: str) -> str:
    """A wide table, marked so that the site's stylesheet fits it to the page."""
    return f'<div class="ics-fit" markdown>\n\n{table}\n</div>\n'


def summary(doc: str | None) -> str:
    """The first paragraph of a docstring, on one line."""
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def anchor(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def rule_anchor(rule_id: str) -> str:
    return "rule-" + anchor(rule_id)


#: Front matter of a page whose tables need the whole width: no table of contents beside them.
WIDE = "---\nhide:\n  - toc\n---\n\n"


def generated_note(source: str) -> str:
    return (
        '!!! info "Generated"\n'
        f"    This page is generated from {source} when the site is built: do not edit it by hand.\n\n"
    )


def message_link(name: str, prefix: str) -> str:
    return f"[{name}]({prefix}messages/{name}.md)"


def kind_labels(kinds: Iterable[SystemKind]) -> str:
    return ", ".join(k.label for k in SystemKind if k in set(kinds))
