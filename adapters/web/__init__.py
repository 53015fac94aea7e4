"""A web page for local authorities' data teams: check a file in the browser, see what to fix, download it.

`ics-interop serve web` starts it on this computer (`serving`). A data officer chooses a file;
its kind is recognised (`kinds`: a Children in Need census return, a spreadsheet feed, messages
of the standard), it is checked with the same checks as the command line (`checking`), and the
findings come back grouped by child or row, then by rule, with counts, filters, a summary by
rule, and downloads as CSV, an Excel workbook and the command line's JSON (`downloads`). The
page (`app`) is server-rendered (Jinja2 templates, GOV.UK Design System patterns written by
hand, a little script for the filters), serves everything it uses itself, and keeps nothing
once a page is made. It opens only for the browser given its key at launch (`security`), and
reads uploads in memory up to a stated limit (`uploads`).

It depends on the census and feed formats, never on the reference systems or their HTTP layer.
"""

from __future__ import annotations

from .app import DEFAULT_LIMIT, PageSettings, create_app
from .checking import CheckedFile, FindingRow, Group, check_file
from .kinds import FileKind, Recognised, recognise
from .security import PageKey
from .serving import page_address, serve_web

__all__ = [
    "DEFAULT_LIMIT",
    "CheckedFile",
    "FileKind",
    "FindingRow",
    "Group",
    "PageKey",
    "PageSettings",
    "Recognised",
    "check_file",
    "create_app",
    "page_address",
    "recognise",
    "serve_web",
]
