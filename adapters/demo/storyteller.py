"""The storyteller: moves the clock, delivers and records each message, prints what practitioners see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy.exc import SQLAlchemyError

from ics_interop import IcsInteropError, Message, to_json, to_xml
from ics_interop.examples import HANNAH_EPISODE_ID, LEE, LIBBY, MELANIE, STEVE
from ics_interop.messages import AcknowledgementStatus, MessageType
from ics_interop.model import CafEpisode, Practitioner
from ics_interop.model.codes import SystemKind

from ..contactpoint import CONTACTPOINT_IDENTITY, DirectoryRecord, SearchResult
from ..messaging import decode_acknowledgement, route_key
from .cast import MELANIE_REASON, SCHOOL_MIS, SYSTEM_NAMES, YOUTH_SERVICE_SYSTEM
from .narration import Page, iso_day, name_of, show_record
from .observations import Delivery, Refusal, StoryClock, StoryFailed
from .script import LIBBYS_ACTION, TAC_ACTIONS, read_script
from .wiring import FeedSource, Sender, Systems


def _flow(message_type: str, sender: SystemKind) -> str:
    """The flow a message belongs to (DOMAIN.md): an ICS's InvolvementStarted is F2, a feed's F1."""
    if message_type == MessageType.INVOLVEMENT_STARTED.value:
        return "F2" if sender is SystemKind.ICS else "F1"
    if message_type == MessageType.INVOLVEMENT_ENDED.value:
        return "F1"
    return MessageType(message_type).label.split(":")[0]


class Storyteller:
    """Hannah's story, step by step: each step moves the clock, acts through the systems, and prints."""

    def __init__(self, systems: Systems, clock: StoryClock, page: Page) -> None:
        self.systems = systems
        self.clock = clock
        self.page = page
        self.script = read_script()
        self.deliveries: list[Delivery] = []
        self.number = 0
        self.completed: set[str] = set()  # the agreed actions marked done so far
        contactpoint = route_key(CONTACTPOINT_IDENTITY)
        self.school = FeedSource("Camden Park School's MIS", SCHOOL_MIS, systems.link(SCHOOL_MIS, contactpoint), "xml")
        self.youth_service = FeedSource(
            "the youth service's system", YOUTH_SERVICE_SYSTEM, systems.link(YOUTH_SERVICE_SYSTEM, contactpoint), "json"
        )

    # --- plumbing --------------------------------------------------------------------------------

    @contextmanager
    def step(self, number: int, title: str, when: str, seed: str) -> Iterator[None]:
        """Print the step's heading; turn any failure inside it into a StoryFailed that says which step."""
        self.number = number
        self.page.heading(number, title, when, seed)
        try:
            yield
        except StoryFailed as failure:
            raise StoryFailed(f"step {number} ({title}): {failure.message}", hint=failure.hint) from failure
        except (IcsInteropError, PermissionError, SQLAlchemyError, httpx.HTTPError, ValueError) as exc:
            hint = getattr(exc, "hint", "") or (
                "a reference system refused or failed where the story expects it to succeed: "
                "run pytest tests/test_hannahs_story.py and report what it says"
            )
            raise StoryFailed(f"step {number} ({title}): {type(exc).__name__}: {exc}", hint=str(hint)) from exc

    def _record(self, delivery: Delivery) -> Delivery:
        self.deliveries.append(delivery)
        if delivery.status is not AcknowledgementStatus.ACCEPTED:
            raise StoryFailed(
                f"{delivery.recipient} rejected {delivery.message_type} {delivery.message_id} from {delivery.sender}: "
                + "; ".join(delivery.findings),
                hint="each finding names the rule that failed and how to fix it",
            )
        return delivery

    def flush(self, name: str, system: Sender) -> list[Delivery]:
        """Deliver a system's outbox; every message must be delivered and accepted."""
        waiting = {row["message_id"]: row for row in system.outbox.pending(system.store)}
        acks = system.deliver()
        delivered = []
        for ack in acks:
            row = waiting.pop(ack.acknowledged_message_id)
            delivered.append(
                self._record(
                    Delivery(
                        step=self.number,
                        at=self.clock(),
                        sender=name,
                        recipient=SYSTEM_NAMES.get(row["destination"], row["destination"]),
                        message_type=row["message_type"],
                        flow=_flow(row["message_type"], _sender_kind(row["body"])),
                        message_id=row["message_id"],
                        wire="xml",
                        status=ack.status,
                        findings=tuple(f.message for f in ack.findings),
                    )
                )
            )
        if waiting:
            still = system.outbox.pending(system.store)
            errors = "; ".join(f"{row['message_type']} to {row['destination']}: {row['last_error']}" for row in still)
            raise StoryFailed(
                f"{name} could not deliver {len(waiting)} message(s): {errors}",
                hint="the receiving service is not reachable; the outbox keeps the messages and retries",
            )
        return delivered

    def feed(self, source: FeedSource, message: Message) -> Delivery:
        """A feed source sends one F1 message to ContactPoint through its transport."""
        body = to_xml(message) if source.wire == "xml" else to_json(message)
        reply, content_type = source.transport.send(body, f"application/{source.wire}", source.identity)
        ack = decode_acknowledgement(reply, content_type)
        return self._record(
            Delivery(
                step=self.number,
                at=self.clock(),
                sender=source.name,
                recipient="ContactPoint",
                message_type=message.message_type.value,
                flow=_flow(message.message_type.value, source.identity.system),
                message_id=message.header.message_id,
                wire=source.wire,
                status=ack.status,
                findings=tuple(f.message for f in ack.findings),
            )
        )

    def show_messages(self, *, none: str = "") -> None:
        mine = [d for d in self.deliveries if d.step == self.number]
        self.page.section("Messages")
        if not mine:
            self.page.line(none or "none", 4)
            return
        self.page.table(
            ["when", "from", "to", "message", "flow", "as", "acknowledgement"],
            [
                [
                    d.at.strftime("%Y-%m-%d %H:%M"),
                    d.sender,
                    d.recipient,
                    d.message_type,
                    d.flow,
                    d.wire,
                    d.status.value + (f" ({len(d.findings)} warning(s))" if d.findings else ""),
                ]
                for d in mine
            ],
        )

    def search(self, heading: str) -> SearchResult:
        """Melanie's search, printed as her screen shows it."""
        result = self.systems.screens.search(MELANIE, MELANIE_REASON)
        self.page.section(heading)
        self.page.line(f"search: family name Mills, given names Hannah, born 1994-06-14; reason: {MELANIE_REASON!r}", 4)
        if not result.records:
            self.page.line("no child found", 6)
        for record in result.records:
            show_record(self.page, record)
        return result

    def read(self, reader: Practitioner, reason: str) -> CafEpisode:
        """A practitioner with consent reads Hannah's CAF."""
        seen = self.systems.screens.read_episode(reader, reason)
        if isinstance(seen, Refusal):
            raise StoryFailed(f"National eCAF refused {name_of(reader)}: {seen.message}", hint=seen.hint)
        return seen

    def keep_up_to_date(self, *, until: dt.date) -> None:
        """Each owner marks done, on the day, the agreed actions the examples record as done by `until`."""
        ecaf, page = self.systems.ecaf, self.page
        owners = {p.practitioner_id: p for p in (MELANIE, LEE, STEVE, LIBBY)}
        due = sorted(
            (
                a
                for a in self.script.episode.actions
                if a.action_id in (*TAC_ACTIONS, LIBBYS_ACTION)
                and a.action_id not in self.completed
                and a.completed_on is not None
                and a.completed_on <= until
            ),
            key=lambda a: (a.completed_on, a.action_id),
        )
        rows = []
        for action in due:
            assert action.completed_on is not None  # filtered above
            self.clock.set(action.completed_on, 16)
            owner = owners[action.owner_id]
            ecaf.complete_action(HANNAH_EPISODE_ID, action.action_id, by=owner, completed_on=action.completed_on)
            self.completed.add(action.action_id)
            rows.append([iso_day(action.completed_on), name_of(owner), action.description])
        page.table(["done", "who", "action"], rows, cap=80)

    def one_record(self, result: SearchResult) -> DirectoryRecord:
        if len(result.records) != 1:
            raise StoryFailed(
                f"Melanie's search found {len(result.records)} records for Hannah, not one",
                hint="ContactPoint should match every feed's message to the one record: see its match queue",
            )
        return result.records[0]


def _sender_kind(body: dict[str, object]) -> SystemKind:
    """The kind of system that sent a message, from the message as the outbox stores it (the standard's JSON)."""
    header = body.get("header")
    sender = header.get("sender") if isinstance(header, dict) else None
    kind = sender.get("system") if isinstance(sender, dict) else None
    return SystemKind(str(kind))
