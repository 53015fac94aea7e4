"""`ics-interop serve web`: the page on this computer, opened with the address it prints.

The page listens on 127.0.0.1 unless told otherwise, and prints the address to open, which
carries the key of this launch (`security`). It runs until interrupted (Ctrl-C).
"""

from __future__ import annotations

import sys
from typing import TextIO

import uvicorn

from .app import DEFAULT_LIMIT, PageSettings, create_app
from .security import PageKey

__all__ = ["page_address", "serve_web"]


def page_address(host: str, port: int, key: PageKey) -> str:
    """The address that opens the page: the key goes once in the address, then lives in a cookie."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/?token={key.key}"


def serve_web(
    host: str = "127.0.0.1", port: int = 8000, *, limit: int = DEFAULT_LIMIT, out: TextIO = sys.stdout
) -> None:
    """Serve the page until interrupted, after printing the address to open."""
    settings = PageSettings(limit=limit)
    if host not in ("127.0.0.1", "localhost", "::1"):
        out.write(
            f"warning: the page listens on {host}, not only on this computer: anyone who can reach it and has the "
            "address below can check files with it\n"
        )
    address = page_address(host, port, settings.key)
    out.write(
        "Check a file: the page runs on this computer; files are checked here and not stored.\n"
        f"Open this address in your browser (it carries this launch's key):\n\n    {address}\n\n"
        "Stop the page with Ctrl-C.\n"
    )
    out.flush()
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
