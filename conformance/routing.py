"""Where a sending system must deliver, and what to tell a tester when nothing arrives.

The routes a system delivers on are its own configuration; the suite cannot ask about them. What
it can tell is what has reached its receiver: a check that waits and gets nothing names the
receiver's address, the route names the suite plays, and what did arrive (`routing_hint`); when
nothing at all has arrived this run, the run stops there (`NothingDelivered`) rather than let
every later check wait in vain.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ics_interop.messages import Message, SystemRef

from .scenarios import SUITE_ROUTES

__all__ = ["NothingDelivered", "route_of", "routing_hint"]


class NothingDelivered(Exception):
    """A check waited for a message and nothing at all has reached the suite's receiver this run."""


def route_of(recipient: SystemRef) -> str:
    """The route name a message to `recipient` is delivered on, as the binding names it (docs/binding.md)."""
    kind = str(recipient.system.value)
    if kind in ("contactpoint", "national-ecaf"):
        return kind
    return f"{kind}:{recipient.organisation_id}"


def routing_hint(capture_url: str | None, delivered: Sequence[Message]) -> str:
    """What to configure when a waited-for message did not come: the receiver, the routes, what did arrive."""
    where = capture_url or "the suite's receiver (its URL is printed when the run starts)"
    arrived = Counter(route_of(m.header.recipient) for m in delivered)
    so_far = (
        "so far messages arrived on " + ", ".join(f"{route} ({n})" for route, n in sorted(arrived.items()))
        if arrived
        else "nothing at all has arrived this run"
    )
    return (
        f"the system must deliver on each route the suite plays ({', '.join(SUITE_ROUTES)}) to {where}; {so_far}. "
        f"With the reference services: serve ... --route contactpoint={where} (and so on), or `ics-interop up "
        f"--suite {where}`; a fixed address needs --capture-port"
    )
