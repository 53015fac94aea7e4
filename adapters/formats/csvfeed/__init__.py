"""Spreadsheet feeds to ContactPoint: a CSV file of children or involvements, as F1 messages (seed §5.1, §5.2).

Some local systems are "structured spreadsheets" (seed §5.1). This package lets one feed the
directory like any other local system. The rooms, in the order a file goes through them:

- `columns`: the two documented layouts (they generate the tables of docs/csv-feeds.md);
- `cells`: reading one cell, undoing what spreadsheets do to values;
- `rows`: the header row and a data row's cells;
- `conversion`: a checked row into messages (the models, then the project's business rules);
- `reading`: a whole file (`read_feed`), giving a `FeedFile` (`feed`): messages and problems;
- `delivery`: sending to a ContactPoint directory over a transport, or writing files;
- `cli`: `ics-interop csv import` and `csv template`.

The shared messaging layer (`adapters.messaging`, `adapters.transport`) brings SQLAlchemy and
httpx with it; this package imports it only when a feed is read or sent, so that `ics-interop`
(whose parser adds the `csv` commands) starts as fast for every other command.
"""

from __future__ import annotations

from .cli import add_csv_commands, template
from .columns import CHILDREN_COLUMNS, INVOLVEMENT_COLUMNS, Column, FeedKind, columns_for, columns_table, example_row
from .delivery import Delivery, DeliveryStatus, send_feed, write_feed
from .feed import CONTACTPOINT, FeedFile, FeedMessage, RowProblem
from .reading import feed_kind, read_feed

__all__ = [
    "CHILDREN_COLUMNS",
    "CONTACTPOINT",
    "INVOLVEMENT_COLUMNS",
    "Column",
    "Delivery",
    "DeliveryStatus",
    "FeedFile",
    "FeedKind",
    "FeedMessage",
    "RowProblem",
    "add_csv_commands",
    "columns_for",
    "columns_table",
    "example_row",
    "feed_kind",
    "read_feed",
    "send_feed",
    "template",
    "write_feed",
]
