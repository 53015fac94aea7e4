"""Hannah's story from beginning to end: the steps in order, and the entry point that plays it."""

from __future__ import annotations

import datetime as dt
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from ics_interop.messages import AcknowledgementStatus

from .before_the_caf import before_melanie_looks, melanie_looks
from .narration import Page
from .observations import StoryClock, StoryFailed, StoryResult, TransportChoice
from .storyteller import Storyteller
from .the_caf import actions_and_access, consent_and_caf, epilogue, review, team_around_the_child
from .wiring import open_systems, store_urls


def play(story: Storyteller, where: str, transport: TransportChoice) -> StoryResult:
    case_id, waited, case = before_melanie_looks(story)
    first, first_audit = melanie_looks(story)
    john_reads, logged, after_caf = consent_and_caf(story, case_id)
    after_tac, search_after_tac = team_around_the_child(story)
    lee_view, libby_refused, share_refused, audited, libby_view = actions_and_access(story)
    after_review = review(story)
    maintenance, epilogue_search = epilogue(story)
    story.page.line()
    accepted = sum(d.status is AcknowledgementStatus.ACCEPTED for d in story.deliveries)
    story.page.line(
        f"The story played through: {len(story.deliveries)} messages between systems, {accepted} accepted.", 0
    )
    return StoryResult(
        where=where,
        transport=transport,
        deliveries=tuple(story.deliveries),
        ics_case_id=case_id,
        waited_for_contactpoint=tuple(waited),
        ics_case=case,
        first_search=first,
        first_search_audit=first_audit,
        john_reads=tuple(john_reads),
        logged_episode=logged,
        search_after_caf=after_caf,
        episode_after_tac=after_tac,
        search_after_tac=search_after_tac,
        episode_as_lee_reads_it=lee_view,
        libby_before_consent=libby_refused,
        share_before_consent=share_refused,
        refusals_audited=tuple(audited),
        episode_as_libby_reads_it=libby_view,
        episode_after_review=after_review,
        maintenance=maintenance,
        epilogue_search=epilogue_search,
    )


def play_hannahs_story(
    folder: Path | None = None,
    *,
    db_url: str | None = None,
    out: TextIO | None = None,
    transport: TransportChoice = "in-process",
) -> StoryResult:
    """Play Hannah's story through ContactPoint, National eCAF and Islington's ICS, printing each step to `out`.

    The systems store in SQLite files in `folder` (a fresh temporary folder if None), or all
    three in the database `db_url` (for example PostgreSQL). `transport="http"` runs each as an
    HTTP service on 127.0.0.1 and sends every message over HTTP. `out` is standard output unless
    given (looked up at the call, so a redirected `sys.stdout` is honoured). Raise `StoryFailed`, saying
    which step failed and how to fix it, if the story cannot be played through.
    """
    if folder is not None and db_url is not None:
        raise StoryFailed("give a folder or a database URL, not both", hint="use --folder DIR or --db URL")
    if transport not in ("in-process", "http"):
        raise StoryFailed(f"unknown transport {transport!r}", hint="choose 'in-process' or 'http'")
    page = Page(out if out is not None else sys.stdout)
    page.line("Hannah's story (seed §3.1), played through ContactPoint, National eCAF and Islington's ICS.", 0)
    urls, where = store_urls(folder, db_url, page)
    clock = StoryClock(dt.datetime(2008, 6, 2, 9, tzinfo=dt.UTC))
    with ExitStack() as stack:
        systems = open_systems(urls, where, clock, transport, stack, page)
        return play(Storyteller(systems, clock, page), where, transport)
