"""The flows F1–F10: their data description (`docs/flows.toml`), checked against the message classes, and their page."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import attrs

from ..messages import MESSAGE_CLASSES, MessageType
from ..model.codes import SystemKind
from . import markdown as md
from .diagrams import Arrow, Note, Participant, figure, sequence_svg
from .sources import SiteBuildError, read_toml, strings

_PARTICIPANT_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@attrs.frozen
class FlowParticipant:
    """A system taking part in a flow; `system` is a SystemKind code, or empty for any system."""

    id: str
    label: str
    system: str = ""


@attrs.frozen
class FlowStep:
    """A message sent from one participant to another, or (with no message) a note over participants."""

    sender: str = ""
    receiver: str = ""
    message: str = ""
    text: str = ""
    note: str = ""
    over: tuple[str, ...] = ()


@attrs.frozen
class Flow:
    """One flow of the standard (F1–F10): who takes part, and the messages they exchange."""

    id: str
    title: str
    seed: str
    summary: str
    participants: tuple[FlowParticipant, ...]
    steps: tuple[FlowStep, ...]

    def participant(self, participant_id: str) -> FlowParticipant:
        """The participant with this ID."""
        for participant in self.participants:
            if participant.id == participant_id:
                return participant
        raise KeyError(participant_id)


def load_flows(path: Path) -> list[Flow]:
    """Read the data description of the flows (`docs/flows.toml`) and check it against the message classes.

    Every flow a message class names has an entry; every step's message type exists, serves that
    flow and may be sent to the receiving participant's kind of system; and every message type
    appears in a step of each flow it serves.
    """
    raw = read_toml(path)
    flows: list[Flow] = []
    problems: list[str] = []
    kinds = {k.value for k in SystemKind}
    for entry in raw.get("flow", []):
        fid = entry.get("id", "?")
        participants = tuple(
            FlowParticipant(id=p.get("id", ""), label=p.get("label", ""), system=p.get("system", ""))
            for p in entry.get("participant", [])
        )
        steps = tuple(
            FlowStep(
                sender=s.get("from", ""),
                receiver=s.get("to", ""),
                message=s.get("message", ""),
                text=s.get("text", ""),
                note=s.get("note", ""),
                over=strings(s.get("over"), f"{path}: flow {fid}"),
            )
            for s in entry.get("step", [])
        )
        flow = Flow(
            id=fid,
            title=entry.get("title", ""),
            seed=entry.get("seed", ""),
            summary=entry.get("summary", ""),
            participants=participants,
            steps=steps,
        )
        flows.append(flow)
        ids = [p.id for p in participants]
        if len(set(ids)) != len(ids):
            problems.append(f"flow {fid}: two participants share an ID")
        for p in participants:
            if not p.label:
                problems.append(f"flow {fid}: participant {p.id!r} has no label")
            if not _PARTICIPANT_ID.match(p.id):
                problems.append(f"flow {fid}: participant ID {p.id!r} must be letters, digits and '_'")
            if p.system and p.system not in kinds:
                problems.append(f"flow {fid}: participant {p.id} has system {p.system!r}, not one of {sorted(kinds)}")
        for step in steps:
            named = [*([step.sender, step.receiver] if step.message else []), *step.over]
            problems.extend(f"flow {fid}: a step names participant {n!r}, not declared" for n in named if n not in ids)
            if not step.message:
                if not step.note:
                    problems.append(f"flow {fid}: a step has neither a message nor a note")
                continue
            try:
                cls = MESSAGE_CLASSES[MessageType(step.message)]
            except ValueError:
                problems.append(f"flow {fid}: {step.message!r} is not a message type")
                continue
            if fid not in cls.flows:
                problems.append(f"flow {fid}: {step.message} serves {', '.join(cls.flows)}, not {fid}")
            if step.receiver in ids:
                system = flow.participant(step.receiver).system
                if system and SystemKind(system) not in cls.recipients:
                    allowed = ", ".join(sorted(k.value for k in cls.recipients))
                    problems.append(f"flow {fid}: {step.message} may be sent to {allowed}, not to {system}")
    declared = {f.id for f in flows}
    if len(declared) != len(flows):
        problems.append("two flows share an ID")
    for message_type, cls in MESSAGE_CLASSES.items():
        for fid in cls.flows:
            if fid not in declared:
                problems.append(f"flow {fid} (served by {message_type.value}) has no entry")
                continue
            flow = next(f for f in flows if f.id == fid)
            if not any(s.message == message_type.value for s in flow.steps):
                problems.append(f"flow {fid}: {message_type.value} serves it but appears in no step")
    if problems:
        raise SiteBuildError(f"{path} disagrees with the message classes:\n  " + "\n  ".join(problems))
    return sorted(flows, key=lambda f: int(f.id[1:]) if f.id[1:].isdigit() else 0)


def sequence_diagram(flow: Flow) -> str:
    """The sequence diagram of a flow, drawn as SVG, as a raw HTML block for a Markdown page."""
    events: list[Arrow | Note] = [
        Arrow(step.sender, step.receiver, step.message + (f" ({step.text})" if step.text else ""))
        if step.message
        else Note(step.over, step.note)
        for step in flow.steps
    ]
    participants = [Participant(p.id, p.label) for p in flow.participants]
    return figure(sequence_svg(participants, events, title=f"{flow.id}: {flow.title}"))


def flows_page(flows: Sequence[Flow]) -> str:
    """The flows page: a sequence diagram and a table of messages for each flow F1–F10."""
    out = ["# Flows\n\n", md.generated_note("`docs/flows.toml`, checked against the message classes,")]
    out.append(
        "Each flow of the standard is a message, or a pair, between two kinds of system. "
        "For one child's way through them all, see [Hannah's story](hannah.md).\n\n"
    )
    out.append(
        md.table(
            ["Flow", "What", "Seed", "Message types"],
            (
                [
                    f"[{f.id}](#{md.anchor(f.id)})",
                    md.text(f.title),
                    md.text(f.seed),
                    ", ".join(dict.fromkeys(md.message_link(s.message, "") for s in f.steps if s.message)),
                ]
                for f in flows
            ),
        )
    )
    for flow in flows:
        out.append(f"\n## {flow.id}: {md.text(flow.title)} {{#{md.anchor(flow.id)}}}\n\n")
        source = f"seed {flow.seed}" if flow.seed.startswith("§") else flow.seed
        out.append(f"{md.text(flow.summary)} ({md.text(source)})\n\n")
        out.append(sequence_diagram(flow) + "\n")
        rows = []
        for step in flow.steps:
            if not step.message:
                continue
            cls = MESSAGE_CLASSES[MessageType(step.message)]
            rows.append(
                [
                    md.text(flow.participant(step.sender).label),
                    md.text(flow.participant(step.receiver).label),
                    md.message_link(step.message, ""),
                    md.text(step.text or cls.message_type.label),
                    md.text(md.kind_labels(cls.recipients)),
                ]
            )
        out.append(md.table(["From", "To", "Message", "What it says", "May be sent to"], rows))
    return "".join(out)
