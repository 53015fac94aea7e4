"""The page: a form to choose a file, and the findings, streamed back while the file is checked.

`GET /` shows the form; `POST /check` takes the file (in memory, up to the limit), recognises
it, and answers with a page that grows as the check goes on: first "Checking", then a progress
line now and then (the children checked so far of a census return), then the findings, the
counts, the summary by rule and the downloads. The check runs in a worker thread, one at a time,
so the server answers other requests meanwhile. A file that cannot be used, or that is hostile,
gets its reason on the page; an unexpected failure is logged and the page says so, never a
traceback. Nothing is kept once the page is made.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

import anyio
import attrs
import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from markupsafe import Markup, escape
from starlette.staticfiles import StaticFiles

from ics_interop import __version__

from .checking import DEFAULT_ORGANISATION, CheckedFile, check_file
from .downloads import downloads
from .security import Guard, PageKey
from .uploads import UploadRefused, read_upload

__all__ = ["DEFAULT_LIMIT", "MAX_SHOWN", "PageSettings", "create_app"]

log = logging.getLogger(__name__)

#: The largest file the page takes (40,000 children make a census return of about 45 MB).
DEFAULT_LIMIT = 64 * 1024 * 1024
#: The most findings the page itself lists; the downloads hold them all.
MAX_SHOWN = 2_000
#: How often the page says how far a check has got.
PROGRESS_EVERY = 0.5

_ORGANISATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_.:]{0,63}$")
_PLURALS = {
    "errors": "error",
    "queries": "query",
    "warnings": "warning",
    "children": "child",
    "rows": "row",
    "messages": "message",
}


@attrs.frozen
class PageSettings:
    """How one launch of the page behaves."""

    key: PageKey = attrs.Factory(PageKey)
    limit: int = DEFAULT_LIMIT


def _size(limit: int) -> str:
    return f"{limit / 1024 / 1024:.0f} MB"


def _plural(count: int, word: str) -> str:
    return _PLURALS.get(word, word) if count == 1 else word


def _templates() -> jinja2.Environment:
    folder = resources.files("ics_interop.adapters.web").joinpath("templates")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )
    env.globals["plural"] = _plural
    env.filters["breakable"] = _breakable
    return env


def _breakable(text: str) -> Markup:
    """Text that may break after each dot (a long element path), escaped."""
    return Markup("<wbr>").join(escape(part) for part in re.split(r"(?<=\.)", text))


def create_app(settings: PageSettings | None = None) -> Guard:
    """The page as an ASGI application, behind its guard (see `security`)."""
    settings = settings or PageSettings()
    env = _templates()
    app = FastAPI(title="ics-interop: check a file", docs_url=None, redoc_url=None, openapi_url=None)
    static = resources.files("ics_interop.adapters.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    limiter = anyio.CapacityLimiter(1)  # one check at a time: a large return takes the memory of one

    def page(template: str, **values: Any) -> str:
        common = {"version": __version__, "limit": _size(settings.limit), "title": "Check a file"}
        return env.get_template(template).render(**{**common, **values})

    def form(problem: str = "", organisation: str = "", status: int = 200) -> HTMLResponse:
        body = page(
            "index.html",
            csrf=settings.key.csrf,
            problem=problem,
            organisation=organisation,
            default_organisation=DEFAULT_ORGANISATION,
            title="Error: Check a file" if problem else "Check a file",
        )
        return HTMLResponse(body, status_code=status)

    @app.get("/", response_class=HTMLResponse)
    async def index() -> HTMLResponse:
        return form()

    @app.post("/check", response_model=None)
    async def check(request: Request) -> Response:
        try:
            upload = await read_upload(request.headers.get("content-type", ""), request.stream(), limit=settings.limit)
        except UploadRefused as exc:
            return form(f"{exc}.", status=exc.status)
        organisation = upload.fields.get("organisation", "").strip()
        if not settings.key.checks(upload.fields.get("csrf", "")):
            return form("The form had expired or came from elsewhere: choose the file again.", organisation, 403)
        if not upload.filename and not upload.data:
            return form("Choose a file to check.", organisation, 400)
        if not upload.data:
            return form(f"The file {upload.filename} is empty: choose the file again.", organisation, 400)
        if organisation and not _ORGANISATION.match(organisation):
            return form(
                "The organisation ID can have letters, digits and - _ . : only (for example LA-206).",
                organisation,
                400,
            )
        data, upload.data = bytes(upload.data), bytearray()
        name = upload.filename or "the file"
        return StreamingResponse(
            _stream(page, limiter, name, data, organisation or DEFAULT_ORGANISATION),
            media_type="text/html; charset=utf-8",
        )

    return Guard(app, settings.key)


async def _stream(
    page: Any, limiter: anyio.CapacityLimiter, name: str, data: bytes, organisation: str
) -> AsyncIterator[str]:
    """The results page, in pieces: the top at once, progress as the check goes, the findings at the end."""
    yield page("checking.html", name=name, title=name)
    held = [data]  # dropped as soon as the check is done, not when the page is
    del data
    loop = asyncio.get_running_loop()
    steps: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY or done == total:
            last[0] = now
            loop.call_soon_threadsafe(steps.put_nowait, (done, total))

    def run() -> CheckedFile:
        try:
            return check_file(name, held[0], organisation=organisation, progress=progress)
        except Exception:  # the page answers every file; the log keeps the details for the maintainers
            log.exception("checking %s failed", name)
            return CheckedFile(name=name, unusable=_FAILED)

    if limiter.borrowed_tokens:
        yield '  <p class="app-progress__step">Waiting for the check of another file to finish.</p>\n'
    task = asyncio.ensure_future(anyio.to_thread.run_sync(run, limiter=limiter))
    while True:
        step = asyncio.ensure_future(steps.get())
        finished, _pending = await asyncio.wait({task, step}, return_when=asyncio.FIRST_COMPLETED)
        if step in finished:
            done, total = step.result()
            what = "children" if total != 1 else "child"
            yield page("progress.html", done=done, total=total, percent=100 * done // max(total, 1), what=what)
            continue
        step.cancel()
        break
    checked = task.result()
    held.clear()
    try:
        results = await anyio.to_thread.run_sync(_results, page, checked)
    except Exception:  # the page is half sent: say so on it rather than cut it off
        log.exception("showing the findings of %s failed", name)
        results = page(
            "results.html",
            checked=CheckedFile(name=name, unusable=_FAILED),
            groups=[],
            shown=0,
            summary=[],
            downloads=[],
        )
    yield results
    yield page("page_end.html")


_FAILED = (
    "the file could not be checked: the checker failed on it. The details are in the log of `ics-interop serve web`; "
    "the command line (`ics-interop cin validate`, `csv import`, `validate`) may say more"
)


def _results(page: Any, checked: CheckedFile) -> str:
    """The findings part of the page, with the downloads inside it (made in a worker thread: a workbook takes time)."""
    shown_groups, shown = [], 0
    for group in checked.groups:
        if shown >= MAX_SHOWN:
            break
        rows = group.rows[: MAX_SHOWN - shown]
        shown += len(rows)
        shown_groups.append(attrs.evolve(group, rows=rows))
    files = downloads(checked) if not checked.unusable else []
    text: str = page(
        "results.html", checked=checked, groups=shown_groups, shown=shown, summary=checked.summary(), downloads=files
    )
    return text
