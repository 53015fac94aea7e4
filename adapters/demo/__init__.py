"""`ics-interop demo`: Hannah's story (seed §3.1), played step by step through the three reference systems.

This is the project's main job in one command. It starts ContactPoint, National eCAF and
Islington's ICS, each on its own store (an SQLite file in a fresh folder, or one database URL
for all three: their table prefixes keep them apart), wires them together with the
standard's transports (in-process, or each system as a real HTTP service on 127.0.0.1), and
plays the story from 2008 to 2010 on a clock that only the story moves.

Every step goes through the systems' public APIs. Everything one system tells another
travels as a real message of the standard, written to the sender's outbox with the change
that caused it, carried by a transport, and answered with an F10 acknowledgement. The
school's MIS and the youth service's system are feed sources: they build standard F1
messages and deliver them to ContactPoint through a transport too. Over HTTP, what a
practitioner sees (a ContactPoint search, reading the CAF) also comes from the services'
HTTP routes; what they record goes through each system's Python API, the calls those
routes make.

At each step the demo prints the step with its seed reference, which messages went where
and how they were acknowledged, and what each practitioner sees, as plain text.
`play_hannahs_story` returns a `StoryResult` with those observations, so the same story is
an end-to-end test (tests/test_hannahs_story.py). The demo acts as the systems' operator
and their users would: it never reaches into one system on another's behalf, so anything
the story needs that the standard lacks would show up here as a gap, not as a shortcut.

The rooms: `cast` (who is who: the systems, the operators' users, the token service's
clients), `script` (the story's records from the examples, and its calendar), `observations`
(what the story records and returns, its clock, how it fails), `narration` (what is printed),
`screens` (where practitioners look, in process or over HTTP), `wiring` (the systems on their
stores, connected in process or over HTTP), `storyteller` (delivering, recording, printing at
each step), the steps themselves (`before_the_caf`: steps 1 and 2; `the_caf`: steps 3 to 7),
and `story` (the steps in order, and `play_hannahs_story`).
"""

from __future__ import annotations

from .cast import DATA_MANAGER, ISLINGTON_ICS, MELANIE_REASON, NATIONAL_ECAF_IDENTITY, SCHOOL_MIS, YOUTH_SERVICE_SYSTEM
from .observations import Delivery, Refusal, StoryClock, StoryFailed, StoryResult, TransportChoice
from .story import play_hannahs_story

__all__ = [
    "DATA_MANAGER",
    "ISLINGTON_ICS",
    "MELANIE_REASON",
    "NATIONAL_ECAF_IDENTITY",
    "SCHOOL_MIS",
    "YOUTH_SERVICE_SYSTEM",
    "Delivery",
    "Refusal",
    "StoryClock",
    "StoryFailed",
    "StoryResult",
    "TransportChoice",
    "play_hannahs_story",
]
