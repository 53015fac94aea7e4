"""What a check works with: the system under test, the capture, its seed, and where its verdicts go.

A check attributes each verdict to a requirement: inside `with ctx.verifying("CP-R06"):` an
assertion that fails (or any error) fails CP-R06 only, and the check goes on to its next
block. So a check that verifies several requirements reports each separately, and a broken
system fails exactly the requirements it breaks. An error outside every block fails all the
check's requirements that have no verdict yet.

Property checks run Hypothesis with the check's own seed (derived from the run's seed and the
check's ID), so the command a failure prints replays the same examples (with fresh IDs: see `generation`).
A property check with several kinds of case (the breakages a receiver must reject, the message
types it must accept) runs every kind in both wire forms in every run (`for_every_kind`): the
seed chooses the data, never whether a kind is tried.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import string
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import attrs
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from ics_interop import Message, from_json, from_xml, to_json, to_xml
from ics_interop.messages import Acknowledgement, SystemRef
from ics_interop.model.codes import SystemKind

from .capture import Capture
from .outcomes import State
from .protocol import Client, Receiving, Reply, Sending
from .registry import TargetKind
from .routing import NothingDelivered, routing_hint

__all__ = ["CheckContext", "CheckFailed", "SkipCheck", "Verdict"]

T = TypeVar("T")

#: Who delivers bytes that cannot be read as a message (a hostile or broken document).
UNREADABLE_SENDER = SystemRef(system=SystemKind.FEED_SOURCE, organisation_id="CONF-FEED-A")


class CheckFailed(AssertionError):
    """Raised by a check when the system does not do what a requirement says."""


class SkipCheck(Exception):
    """Raised by a check that cannot run here (the system has no such module, nothing was sent...)."""


@attrs.define
class Verdict:
    """A check's verdict on one requirement."""

    state: State
    message: str = ""


class CheckContext:
    """The world of one check: the system, the capture, the seed, and the verdicts so far."""

    def __init__(
        self,
        *,
        profile: str,
        kind: TargetKind,
        sut: Any,
        capture: Capture,
        requirements: Sequence[str],
        seed: int,
        max_examples: int,
        shrink: bool = False,
        wait_seconds: float = 15.0,
        folder_messages: Sequence[tuple[str, bytes]] = (),
        options: Mapping[str, str] | None = None,
        replies: list[tuple[str, bytes]] | None = None,
    ) -> None:
        self.profile = profile
        self.kind = kind
        self.sut = sut
        self.capture = capture
        self.requirements = tuple(requirements)
        self.seed = seed
        self.max_examples = max_examples
        self.shrink = shrink
        self.wait_seconds = wait_seconds
        self.folder_messages = list(folder_messages)
        self.options = dict(options or {})
        self.replies = replies if replies is not None else []
        self.verdicts: dict[str, Verdict] = {}
        self.notes: dict[str, list[str]] = {}
        self._current: str | None = None

    # --- verdicts ---------------------------------------------------------------------------------

    @contextmanager
    def verifying(self, requirement_id: str) -> Iterator[None]:
        """Attribute what happens in the block to `requirement_id`: a failure fails it, and the check goes on."""
        if requirement_id not in self.requirements:
            raise ValueError(f"the check does not declare requirement {requirement_id}")
        previous, self._current = self._current, requirement_id
        try:
            yield
        except SkipCheck:
            raise
        except CheckFailed as failure:
            self._fail(requirement_id, str(failure))
        except Exception as error:  # the system raised where it should have answered: that is a failure too
            self._fail(requirement_id, f"{type(error).__name__}: {error}")
        else:
            self.verdicts.setdefault(requirement_id, Verdict(State.PASS))
        finally:
            self._current = previous

    def _fail(self, requirement_id: str, message: str) -> None:
        verdict = self.verdicts.get(requirement_id)
        if verdict is None or verdict.state is not State.FAIL:
            self.verdicts[requirement_id] = Verdict(State.FAIL, message)

    def warn(self, requirement_id: str, message: str) -> None:
        """Record a warning on a requirement (unless it has failed already)."""
        verdict = self.verdicts.get(requirement_id)
        if verdict is None or verdict.state is State.PASS:
            self.verdicts[requirement_id] = Verdict(State.WARNING, message)

    def evidence(self, text: str, requirement_id: str | None = None) -> None:
        """Keep a piece of evidence (a message, an answer) with the requirement being verified."""
        target = requirement_id or self._current
        if target is not None:
            self.notes.setdefault(target, []).append(text[:4000])

    @staticmethod
    def expect(condition: object, message: str) -> None:
        """Fail the requirement being verified with `message` unless `condition` holds."""
        if not condition:
            raise CheckFailed(message)

    @staticmethod
    def skip(reason: str) -> NoReturn:
        """Skip the whole check, with the reason."""
        raise SkipCheck(reason)

    # --- the system under test -----------------------------------------------------------------------

    def receiving(self) -> Receiving:
        """The system, as one that receives messages."""
        if not isinstance(self.sut, Receiving):
            raise SkipCheck("the system under test does not receive messages (it has no deliver method)")
        return self.sut

    def deliver(
        self,
        message: Message | bytes,
        wire: str = "xml",
        content_type: str | None = None,
        *,
        client: Client | None = None,
    ) -> Reply:
        """Deliver a message (or raw bytes) to the system through `client`; its reply.

        The client is, unless given, the system the message's envelope names as its sender (as
        far as the bytes can be read), with every message scope: an honest sender.
        """
        body = message if isinstance(message, bytes) else (to_xml(message) if wire == "xml" else to_json(message))
        kind = content_type or ("application/json" if wire == "json" else "application/xml")
        reply = self.receiving().deliver(body, kind, client or self.sender_of(message))
        # Acknowledgements are messages the system sends too (F10): the static checks read them. The
        # binding's error bodies ({"error": ...}: 401, 403, 413, 415) are answers of HTTP, not messages.
        if ("xml" in reply.content_type or "json" in reply.content_type) and not _error_body(reply):
            self.replies.append((reply.content_type, reply.body))
        return reply

    @staticmethod
    def sender_of(message: Message | bytes) -> Client:
        """The honest client of a message: the system its envelope names (a feed source for unreadable bytes)."""
        if isinstance(message, bytes):
            try:
                message = from_xml(message) if message.lstrip().startswith(b"<") else from_json(message)
            except Exception:  # unreadable bytes: any authenticated sender may send them; the system must refuse
                return Client(UNREADABLE_SENDER)
        return Client(message.header.sender)

    @staticmethod
    def acknowledgement(reply: Reply) -> Acknowledgement:
        """The acknowledgement a reply carries; fails the requirement being verified if it carries none."""
        try:
            body = reply.body
            message = from_xml(body) if body.lstrip().startswith(b"<") else from_json(body)
        except Exception as exc:
            raise CheckFailed(
                f"the answer is not a message of the standard: {exc}; answer: {reply.body[:300]!r}"
            ) from None
        if not isinstance(message, Acknowledgement):
            raise CheckFailed(f"the answer is a {message.message_type.value}, not an Acknowledgement")
        return message

    def accepted(self, message: Message, wire: str = "xml") -> Acknowledgement:
        """Deliver a message the system must accept; fail the requirement being verified if it does not."""
        ack = self.acknowledgement(self.deliver(message, wire))
        if ack.status.value != "accepted":
            rules = ", ".join(f"{f.rule_id} ({f.message[:160]})" for f in ack.findings)
            raise CheckFailed(f"a valid {message.message_type.value} was rejected: {rules}")
        return ack

    def sent(
        self, predicate: Callable[[Message], bool], *, at_least: int = 1, wait: float | None = None
    ) -> list[Message]:
        """The messages the system has sent that match `predicate` (flushing an adapter's outbox first).

        Over HTTP the system delivers in its own time: wait up to `wait` seconds for `at_least` of them.
        When they do not come in the run's full wait, the evidence says what to route where; when
        nothing at all has reached the suite's receiver this run, raise `NothingDelivered` (the run
        stops: every later wait is vain). A `wait` given is a short look, for what should not be sent.
        """
        deadline = time.monotonic() + (self.wait_seconds if wait is None else wait)
        while True:
            if isinstance(self.sut, Sending) and self.kind == "adapter":
                self.sut.flush_outbox(self.capture.receive)
            delivered = self.capture.delivered()
            found = [m for m in delivered if predicate(m)]
            if len(found) >= at_least or self.kind != "http":
                return found
            if time.monotonic() >= deadline:
                if wait is not None:  # a short look (for what should not be sent): nothing to configure
                    return found
                hint = routing_hint(self.capture.url, delivered)
                if not delivered:
                    raise NothingDelivered(hint)
                for requirement_id in [self._current] if self._current else self.requirements:
                    self.evidence(f"waited {self.wait_seconds:g} s: {hint}", requirement_id)
                return found
            time.sleep(0.05)

    # --- unique data --------------------------------------------------------------------------------

    @staticmethod
    def token(size: int = 6) -> str:
        """A fresh token of capital letters, to make names and IDs of this check's own."""
        return "".join(secrets.choice(string.ascii_uppercase) for _ in range(size))

    @staticmethod
    def now() -> dt.datetime:
        """Now, in UTC, to the second (what the suite puts in the messages it creates)."""
        return dt.datetime.now(dt.UTC).replace(microsecond=0)

    # --- properties ----------------------------------------------------------------------------------

    def for_every_kind(
        self,
        kinds: Mapping[str, st.SearchStrategy[T]],
        test: Callable[[T, str], None],
        *,
        wires: Sequence[str] = ("xml", "json"),
    ) -> None:
        """Run `test(case, wire)` on every kind of case, in every wire form, whatever the seed.

        Drawing the kind from the seed would let a system that mishandles one kind pass in the
        runs that happen not to draw it; so each kind runs in each wire form, at least once, and
        the seed varies the rest (the children, texts, dates). The examples are shared out
        between them: `max_examples` in all, but never fewer than one a kind and wire.
        """
        each = max(1, -(-self.max_examples // (len(kinds) * len(wires))))
        for name, strategy in kinds.items():
            for wire in wires:

                def one(case: T, name: str = name, wire: str = wire) -> None:
                    try:
                        test(case, wire)
                    except CheckFailed as failure:
                        raise CheckFailed(f"{name} ({wire}): {failure}") from None

                self.for_all(strategy, one, examples=each, seed=_derived_seed(self.seed, f"{name}:{wire}"))

    def for_all(
        self,
        strategy: st.SearchStrategy[T],
        test: Callable[[T], None],
        *,
        examples: int | None = None,
        seed: int | None = None,
    ) -> None:
        """Run `test` on examples from `strategy`, seeded; a failure says which example, and fails as usual."""
        last: list[T] = []

        def recorded(value: T) -> None:
            last[:] = [value]
            test(value)

        phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if self.shrink else [])
        run = settings(
            max_examples=examples or self.max_examples,
            database=None,
            deadline=None,
            phases=phases,
            suppress_health_check=list(HealthCheck),
            print_blob=False,
            report_multiple_bugs=False,
        )(hypothesis_seed(self.seed if seed is None else seed)(given(strategy)(recorded)))
        try:
            run()
        except BaseException as exc:
            if last:
                self.evidence(f"falsifying example: {_describe(last[0])}")
            if isinstance(exc, CheckFailed | SkipCheck):
                raise
            if isinstance(exc, Exception):
                cause = exc.__cause__ or exc
                raise CheckFailed(f"{type(cause).__name__}: {cause}") from None
            raise


def _derived_seed(seed: int, label: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{label}".encode()).digest()[:4], "big")


def _error_body(reply: Reply) -> bool:
    if "json" not in reply.content_type:
        return False
    try:
        document = json.loads(reply.body)
    except ValueError:
        return False
    return isinstance(document, dict) and set(document) == {"error"}


def _describe(value: object) -> str:
    if isinstance(value, Message):
        return to_xml(value).decode("utf-8", "replace")[:3000]
    if isinstance(value, tuple | list):
        return " | ".join(_describe(v) for v in value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")[:3000]
    return repr(value)[:3000]
