"""Sequence diagrams drawn as SVG while the site builds: no script, no network, the same on every machine.

The flows and Hannah's story are data (`docs/flows.toml`, the worked examples), so their
diagrams are laid out here rather than left to a script in the reader's browser: the page
shows them with the network off, with JavaScript off, and in print. Each diagram is an inline
`<svg role="img">` with a title and a text description, so a screen reader says what it shows.

The layout is the usual one: a box per participant with a lifeline under it, then one row per
event, top to bottom; a message is an arrow between two lifelines with its text above; a note
is a box over the lifelines it concerns. Text is wrapped to the room it has, estimated from the
number of characters (the font is the reader's own sans-serif).
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Sequence

import attrs

__all__ = ["Arrow", "Note", "Participant", "figure", "sequence_svg"]

_COLUMN = 190  # from one lifeline to the next
_MARGIN = 16
_CHAR = 6.6  # the width of an average character at _FONT pixels
_FONT = 13
_LINE = 17  # the height of one line of text
_PAD = 8


@attrs.frozen
class Participant:
    """A lifeline: `id` is what the events name, `label` what the box says."""

    id: str
    label: str


@attrs.frozen
class Arrow:
    """A message from one participant to another (or to itself)."""

    sender: str
    receiver: str
    text: str


@attrs.frozen
class Note:
    """A note over one or more participants."""

    over: tuple[str, ...]
    text: str


def _wrap(text: str, width_px: float) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), max(8, int(width_px / _CHAR))) or [""]


def _text(x: float, y: float, lines: Sequence[str], css: str) -> str:
    spans = "".join(
        f'<tspan x="{x:.0f}" dy="{0 if i == 0 else _LINE}">{html.escape(line)}</tspan>' for i, line in enumerate(lines)
    )
    return f'<text class="{css}" x="{x:.0f}" y="{y:.0f}" text-anchor="middle">{spans}</text>'


def sequence_svg(
    participants: Sequence[Participant],
    events: Sequence[Arrow | Note],
    *,
    title: str,
    numbered: bool = False,
) -> str:
    """The diagram as one line-free `<svg>` element, ready to sit in a Markdown page as raw HTML.

    Raises ValueError when an event names a participant that is not in `participants`.
    """
    column = {p.id: i for i, p in enumerate(participants)}
    for event in events:
        named = event.over if isinstance(event, Note) else (event.sender, event.receiver)
        unknown = [name for name in named if name not in column]
        if unknown:
            raise ValueError(f"the diagram {title!r} has an event naming {unknown[0]!r}, not one of its participants")

    # Several diagrams share a page: each arrowhead has an ID of its own.
    marker = "seq-head-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")

    def centre(name: str) -> float:
        return _MARGIN + _COLUMN / 2 + column[name] * _COLUMN

    width = 2 * _MARGIN + _COLUMN * len(participants)
    parts: list[str] = []
    labels = [_wrap(p.label, _COLUMN - 3 * _PAD) for p in participants]
    box_height = max(len(lines) for lines in labels) * _LINE + 2 * _PAD
    top = _MARGIN
    for participant, lines in zip(participants, labels, strict=True):
        x = centre(participant.id)
        parts.append(
            f'<rect class="seq-actor" x="{x - _COLUMN / 2 + _PAD:.0f}" y="{top}" '
            f'width="{_COLUMN - 2 * _PAD}" height="{box_height}" rx="4"/>'
        )
        first = top + _PAD + _FONT + (box_height - 2 * _PAD - len(lines) * _LINE) / 2
        parts.append(_text(x, first, lines, "seq-actor-label"))
    y: float = top + box_height + 2 * _PAD
    rows: list[str] = []
    for number, event in enumerate(events, start=1):
        if isinstance(event, Note):
            xs = [centre(name) for name in event.over]
            left, right = min(xs) - _COLUMN / 2 + 2 * _PAD, max(xs) + _COLUMN / 2 - 2 * _PAD
            lines = _wrap(event.text, right - left - 2 * _PAD)
            note_height = len(lines) * _LINE + 2 * _PAD
            rows.append(
                f'<rect class="seq-note" x="{left:.0f}" y="{y:.0f}" width="{right - left:.0f}" height="{note_height}"/>'
            )
            rows.append(_text((left + right) / 2, y + _PAD + _FONT, lines, "seq-note-text"))
            y += note_height + 2 * _PAD
            continue
        start, end = centre(event.sender), centre(event.receiver)
        label = f"{number}. {event.text}" if numbered else event.text
        span = abs(end - start) or _COLUMN
        lines = _wrap(label, span - 2 * _PAD)
        middle = (start + end) / 2 if start != end else start + _COLUMN / 2
        rows.append(_text(middle, y + _FONT, lines, "seq-message"))
        y += len(lines) * _LINE + _PAD / 2
        if start == end:  # a message to oneself: out to the right and back
            loop = f"M{start:.0f},{y:.0f} h{_COLUMN / 3:.0f} v{_LINE} h-{_COLUMN / 3:.0f}"
            rows.append(f'<path class="seq-arrow" d="{loop}" marker-end="url(#{marker})"/>')
            y += _LINE
        else:
            rows.append(
                f'<line class="seq-arrow" x1="{start:.0f}" y1="{y:.0f}" x2="{end:.0f}" y2="{y:.0f}" '
                f'marker-end="url(#{marker})"/>'
            )
        y += 2 * _PAD
    height = y + _MARGIN
    lifelines = "".join(
        f'<line class="seq-lifeline" x1="{centre(p.id):.0f}" y1="{top + box_height}" '
        f'x2="{centre(p.id):.0f}" y2="{height - _MARGIN}"/>'
        for p in participants
    )
    description = "; ".join(
        f"note over {', '.join(_label(participants, n) for n in e.over)}: {e.text}"
        if isinstance(e, Note)
        else f"{_label(participants, e.sender)} to {_label(participants, e.receiver)}: {e.text}"
        for e in events
    )
    head = (
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path class="seq-head" d="M0,0 L10,5 L0,10 z"/></marker></defs>'
    )
    return (
        f'<svg class="seq-diagram" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height:.0f}" width="{width}" height="{height:.0f}" '
        f'font-size="{_FONT}" font-family="sans-serif">'
        f"<title>{html.escape(title)}</title><desc>{html.escape(description)}</desc>{head}"
        f"{lifelines}{''.join(parts)}{''.join(rows)}</svg>"
    )


def _label(participants: Sequence[Participant], name: str) -> str:
    return next(p.label for p in participants if p.id == name)


def figure(svg: str) -> str:
    """A diagram as a raw HTML block of a Markdown page: one line with blank lines around it."""
    return f'\n<figure class="seq-figure">{svg}</figure>\n\n'
