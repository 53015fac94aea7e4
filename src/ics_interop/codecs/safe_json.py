"""Parsing JSON safely and strictly: RFC 8259 JSON, UTF-8, bounded size and depth.

Python's `json` module is generous where a standard must not be: it reads `NaN` and
`Infinity`, keeps the last of two members with the same name, lets a `\\ud800` escape make a
string no encoder can write, decodes UTF-16 and UTF-32, and recurses once per level of
nesting, so a document of 100,000 `[` exhausts the interpreter's stack. `parse_json` refuses
all of these with an `UnusableInputError` (a `HostileInputError` for nesting deeper than
`MAX_JSON_DEPTH`), before the parser or a schema validator can recurse into them.

The depth check costs a few passes of C-speed byte operations: escapes and strings are
removed, the brackets kept (as parentheses), and innermost pairs removed level by level.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from ..errors import HostileInputError, UnusableInputError

__all__ = ["MAX_JSON_DEPTH", "JsonText", "parse_json"]

#: The deepest nesting of arrays and objects a message may have. The deepest message of the
#: standard nests about 10 levels; libxml2 stops XML at 256.
MAX_JSON_DEPTH = 64

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPEN_CLOSE = bytes.maketrans(b"[{]}", b"(())")
# A \u escape of a surrogate, with what may pair it; any other escape is taken whole, so an
# escaped backslash before "u" is not mistaken for one.
_SURROGATES = re.compile(
    r"\\(u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|(u[dD][89a-fA-F][0-9a-fA-F]{2})|.)", re.DOTALL
)


def _too_deep(raw: bytes, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` deep (or, in broken JSON, might)."""
    text = _ESCAPE.sub(b"", raw) if b"\\" in raw else raw
    brackets = _STRING.sub(b"", text).translate(_OPEN_CLOSE, _NOT_BRACKETS)
    if brackets.count(b"(") <= limit:
        return False
    for passes in range(limit):
        reduced = brackets.replace(b"()", b"")  # one level: every innermost pair
        if not reduced:
            return False
        if reduced == brackets:
            # Unbalanced, so not JSON; what is left is ")...)(...(" and the parser would
            # descend through those opens and the `passes` levels already removed inside them.
            return brackets.count(b"(") + passes > limit
        brackets = reduced
    return True


def _lone_surrogate(text: str) -> str | None:
    for match in _SURROGATES.finditer(text):
        if match.group(2):
            return match.group(0)
    return None


class JsonText:
    """What parsing saw besides the data: whether any member is `null` (the standard omits members instead)."""

    __slots__ = ("has_null",)

    def __init__(self) -> None:
        self.has_null = False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large for a JSON number any system can read")
    return value


def parse_json(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH, seen: JsonText | None = None) -> Any:
    """Parse one JSON text strictly, or raise `UnusableInputError` saying what is wrong and how to fix it.

    `raw` is UTF-8 (a UTF-8 byte order mark is ignored, as RFC 8259 allows); the size limit is
    the caller's to apply. `seen`, when given, records whether any member was `null`.
    """
    if isinstance(raw, str):
        text = raw.removeprefix("\ufeff")
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise UnusableInputError(
                f"the JSON text holds a lone surrogate at character {exc.start}, which is no character",
                hint="give the text as valid Unicode, or as UTF-8 bytes",
            ) from None
    else:
        data = raw.removeprefix(b"\xef\xbb\xbf")
        if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4]:
            raise UnusableInputError("the JSON is UTF-16 or UTF-32, not UTF-8", hint="re-encode the document as UTF-8")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnusableInputError(
                f"the JSON is not valid UTF-8: byte {exc.start} ({data[exc.start : exc.start + 1]!r}) is not UTF-8",
                hint="re-encode the document as UTF-8",
            ) from None
    if _too_deep(data, max_depth):
        raise HostileInputError(
            f"the JSON nests arrays and objects more than {max_depth} levels deep",
            hint="no message of the standard nests that deep: check the document was written by a JSON encoder",
        )
    if "\\u" in text:
        lone = _lone_surrogate(text)
        if lone is not None:
            raise UnusableInputError(
                f"the JSON has a lone surrogate escape {lone}, which is no character",
                hint="write a character outside the Basic Multilingual Plane as a surrogate pair, or as UTF-8",
            )

    def members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            names = [name for name, _ in pairs]
            twice = next(name for name in names if names.count(name) > 1)
            raise ValueError(f"the member {twice!r} appears twice in one object")
        if seen is not None and None in obj.values():
            seen.has_null = True
        return obj

    try:
        return json.loads(text, object_pairs_hook=members, parse_constant=_refuse_constant, parse_float=_finite)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError; so are the hooks' refusals
        raise UnusableInputError(f"not valid JSON: {exc}", hint="fix the JSON so that it is RFC 8259 JSON") from None
    except RecursionError:  # the depth check makes this unreachable; kept so no input can raise it
        raise HostileInputError("the JSON nests too deeply", hint="flatten the document") from None
