"""Hannah's story (seed §3.1): the worked examples, in the order they were sent, as one sequence diagram."""

from __future__ import annotations

from collections.abc import Sequence

from ..examples import example_messages, social_care_involvement_started
from ..messages import Message
from . import markdown as md
from .diagrams import Arrow, Note, Participant, figure, sequence_svg
from .flows import Flow


def _story_messages() -> list[Message]:
    messages = [*example_messages().values(), social_care_involvement_started()]
    return sorted(messages, key=lambda m: m.header.created_at)


def _flows_of(message: Message, flows: Sequence[Flow]) -> list[str]:
    """The flows a message takes part in: those with a step of its type from its sender's kind of system."""
    sender = message.header.sender.system.value
    found = [
        flow.id
        for flow in flows
        if any(
            step.message == message.message_type.value and flow.participant(step.sender).system in ("", sender)
            for step in flow.steps
        )
    ]
    return found or list(message.flows)


def hannah_story_page(flows: Sequence[Flow]) -> str:
    """Hannah's story (seed §3.1) as one sequence diagram, drawn from the worked examples themselves."""
    messages = _story_messages()
    participants: dict[tuple[str, str], tuple[str, str]] = {}
    for message in messages:
        for ref in (message.header.sender, message.header.recipient):
            key = (ref.system.value, ref.organisation_id)
            if key not in participants:
                name = ref.organisation_name or ref.organisation_id
                participants[key] = (f"P{len(participants) + 1}", f"{ref.system.label}: {name}")
    out = [md.WIDE, "# Hannah's story\n\n", md.generated_note("the worked examples, `ics_interop.examples`,")]
    out.append(
        "Hannah is 15 and a young carer for her mother and her three younger brothers and sisters "
        "(seed §3.1). Every message below is one of the standard's worked examples: the same "
        "messages as the examples on each message type's page, in the order they were sent. "
        "The story continues past the seed's own ending, through stepping up and down (seed §4.2, §4.3) "
        "and a move to another authority (seed §5.3).\n\n"
    )
    events: list[Arrow | Note] = []
    rows: list[list[str]] = []
    for message in messages:
        header = message.header
        sender = participants[(header.sender.system.value, header.sender.organisation_id)]
        recipient = participants[(header.recipient.system.value, header.recipient.organisation_id)]
        day = header.created_at.date().isoformat()
        events.append(Arrow(sender[0], recipient[0], f"{day} {message.message_type.value}"))
        rows.append(
            [
                str(len(rows) + 1),
                day,
                ", ".join(f"[{f}](flows.md#{md.anchor(f)})" for f in _flows_of(message, flows)),
                md.text(sender[1]),
                md.text(recipient[1]),
                md.message_link(message.message_type.value, ""),
                md.text(message.message_type.label.split(": ", 1)[-1]),
            ]
        )
    lifelines = [Participant(pid, label) for pid, label in participants.values()]
    out.append(figure(sequence_svg(lifelines, events, title="Hannah's story", numbered=True)) + "\n")
    out.append(md.fit(md.table(["#", "Date", "Flow", "From", "To", "Message", "What it says"], rows)))
    return "".join(out)
