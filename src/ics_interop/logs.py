"""Logging for the command line and the services: the standard `logging` module, set up in one place.

Every module logs to a logger named after it (`ics_interop.codecs`, the reference systems' `...messaging`). The command
line calls `configure` once: `--verbose` shows what each step did, `--quiet` only errors, and
`--log-format json` writes one JSON object a line (time, level, logger, message, and the
exception when there is one), for a service whose logs a collector reads.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Literal

__all__ = ["JsonFormatter", "configure"]

LogFormat = Literal["text", "json"]


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        document = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("route", "message_id", "message_type", "client_id", "subject"):
            if hasattr(record, key):
                document[key] = getattr(record, key)
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False)


def configure(*, verbose: bool = False, quiet: bool = False, log_format: LogFormat = "text") -> None:
    """Send the library's log records to standard error, at the level the options ask for."""
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger("ics_interop")
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The services' own server (uvicorn) logs through the same handler and level, in the same form.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        server = logging.getLogger(name)
        server.handlers[:] = [handler]
        server.setLevel(logging.INFO if verbose else level)
