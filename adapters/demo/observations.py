"""What the story observes and how it fails: deliveries, refusals, the result the tests assert on, the clock."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import attrs

from ics_interop import IcsInteropError
from ics_interop.messages import AcknowledgementStatus
from ics_interop.model import CafEpisode, CaseRecord, ChronologyEntry

from ..contactpoint import AuditEntry, MaintenanceReport, SearchResult
from ..ecaf import AccessRecord

TransportChoice = Literal["in-process", "http"]


class StoryFailed(IcsInteropError):
    """Raised when the story cannot be played through: what went wrong, at which step, and how to fix it."""


@attrs.frozen
class Delivery:
    """One message from one system to another, and how the receiver acknowledged it (F10)."""

    step: int
    at: dt.datetime
    sender: str
    recipient: str
    message_type: str
    flow: str
    message_id: str
    wire: str  # "xml" or "json": the form it travelled in
    status: AcknowledgementStatus
    findings: tuple[str, ...] = ()


@attrs.frozen
class Refusal:
    """An access a system refused: the rule, what it said, and how to put it right."""

    rule_id: str
    message: str
    hint: str


@attrs.frozen
class StoryResult:
    """What the story observed at each step: what the end-to-end test asserts on."""

    where: str
    transport: TransportChoice
    deliveries: tuple[Delivery, ...]
    #: Step 1: the case in Islington's ICS, and the message that waited while ContactPoint was not live.
    ics_case_id: str
    waited_for_contactpoint: tuple[str, ...]
    ics_case: CaseRecord
    #: Step 2: what Melanie found, and the directory's audit of her search.
    first_search: SearchResult
    first_search_audit: AuditEntry
    #: Step 3: the chronology John reads, the episode Melanie logged, and her next search.
    john_reads: tuple[ChronologyEntry, ...]
    logged_episode: CafEpisode
    search_after_caf: SearchResult
    #: Step 4: the TAC formed, with Melanie as lead professional, and ContactPoint showing it.
    episode_after_tac: CafEpisode
    search_after_tac: SearchResult
    #: Step 5: Lee's view; Libby refused before consent (her read, and Melanie's share), then her view.
    episode_as_lee_reads_it: CafEpisode
    libby_before_consent: Refusal
    share_before_consent: Refusal
    refusals_audited: tuple[AccessRecord, ...]
    episode_as_libby_reads_it: CafEpisode
    #: Step 6: the episode after the review, as Melanie reads it.
    episode_after_review: CafEpisode
    #: Step 7: the directory's maintenance, and Melanie's view afterwards.
    maintenance: MaintenanceReport
    epilogue_search: SearchResult

    @property
    def all_accepted(self) -> bool:
        """Whether every message of the story was accepted."""
        return all(d.status is AcknowledgementStatus.ACCEPTED for d in self.deliveries)


class StoryClock:
    """The story's clock: every system reads it, and only the story moves it (forwards)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, day: dt.date, hour: int = 9, minute: int = 0) -> None:
        """Move to `day` at `hour`:`minute` UTC."""
        moment = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)
        if moment < self.now:
            raise ValueError(f"the story's clock only moves forward: {moment} is before {self.now}")
        self.now = moment
