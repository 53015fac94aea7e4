"""Comparing two readings of a schema family, and saying whom each change breaks.

The classes (docs/versioning.md):

- **breaking for senders**: a document valid under the old version is refused under the new
  one (something narrowed: a new required element, a removed element or code, a tighter
  pattern, length, bound or cardinality). A sender that has not changed is refused.
- **breaking for receivers**: a document valid under the new version is refused under the old
  one whatever the sender does (the new version demands what the old one refuses: a new
  required element, a required element removed, a type replaced). A receiver that has not
  changed refuses what an up-to-date sender must send.
- **compatible**: neither: a new optional element, a new code, a relaxed constraint (which a
  sender uses only with receivers that know it), documentation, titles, identifiers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import attrs

from ._model import Field, ObjectType, Scalar, SchemaSet, TypeRef

__all__ = ["Change", "Impact", "compare"]

Impact = Literal["breaking-senders", "breaking-receivers", "breaking-both", "compatible"]


@attrs.frozen
class Change:
    """One difference between two versions, where it is, and whom it breaks."""

    family: str
    location: str
    kind: str
    impact: Impact
    detail: str
    type: str = ""  # the named type it is about, where there is one (`Timestamp`, `Gender`)
    erratum: str = ""  # why it is not counted as breaking, where the new version says so

    @property
    def breaking(self) -> bool:
        """Whether it counts as breaking (an erratum does not)."""
        return self.impact != "compatible" and not self.erratum

    @property
    def id(self) -> str:
        """`family:location:kind`, the name an erratum matches."""
        return f"{self.family}:{self.location}:{self.kind}"


def _widen_or_narrow(
    family: str, where: str, what: str, old: int | None, new: int | None, *, upper: bool, type_name: str
) -> Iterator[Change]:
    if old == new:
        return
    narrowed = (new is not None and (old is None or new < old)) if upper else (new or 0) > (old or 0)
    yield Change(
        family,
        where,
        f"{what}-{'narrowed' if narrowed else 'widened'}",
        "breaking-senders" if narrowed else "compatible",
        f"{what} {old if old is not None else 'none'} -> {new if new is not None else 'none'}",
        type_name,
    )


def _scalars(family: str, where: str, old: Scalar, new: Scalar) -> Iterator[Change]:
    name = new.name or old.name
    if old.base != new.base:
        yield Change(family, where, "type-changed", "breaking-both", f"{old.base} -> {new.base}", name)
        return
    if old.codes is not None or new.codes is not None:
        before = dict(old.codes or ())
        after = dict(new.codes or ())
        if new.codes is None:
            yield Change(family, where, "codes-removed-list", "compatible", "no longer a code list", name)
        elif old.codes is None:
            yield Change(family, where, "codes-added-list", "breaking-senders", "became a code list", name)
        else:
            removed = [c for c in before if c not in after]
            added = [c for c in after if c not in before]
            if removed:
                yield Change(family, where, "codes-removed", "breaking-senders", f"removed {removed}", name)
            if added:
                yield Change(family, where, "codes-added", "compatible", f"added {added}", name)
            described = [c for c in before.keys() & after.keys() if after[c] and not before[c]]
            if described:
                yield Change(
                    family,
                    where,
                    "code-meanings-added",
                    "compatible",
                    f"{len(described)} code(s) now say what they mean",
                    name,
                )
            for code in sorted(before.keys() & after.keys()):
                if before[code] and after[code] and before[code] != after[code]:
                    yield Change(
                        family,
                        where,
                        "code-meaning-changed",
                        "breaking-receivers",
                        f"{code!r}: {before[code]!r} -> {after[code]!r}",
                        name,
                    )
    if old.patterns != new.patterns:
        detail = f"{' & '.join(old.patterns) or 'none'} -> {' & '.join(new.patterns) or 'none'}"
        if not new.patterns:
            yield Change(family, where, "pattern-removed", "compatible", detail, name)
        elif not old.patterns:
            yield Change(family, where, "pattern-added", "breaking-senders", detail, name)
        else:
            # Whether one regular expression accepts less than another is not decided here:
            # a changed pattern is taken as narrowed until a reviewer says otherwise.
            yield Change(family, where, "pattern-changed", "breaking-senders", detail, name)
    yield from _widen_or_narrow(family, where, "minLength", old.min_length, new.min_length, upper=False, type_name=name)
    yield from _widen_or_narrow(family, where, "maxLength", old.max_length, new.max_length, upper=True, type_name=name)
    yield from _widen_or_narrow(family, where, "minimum", old.minimum, new.minimum, upper=False, type_name=name)
    yield from _widen_or_narrow(family, where, "maximum", old.maximum, new.maximum, upper=True, type_name=name)
    if old.format != new.format:
        loosened: Impact = "compatible" if new.format is None else "breaking-senders"
        yield Change(family, where, "format-changed", loosened, f"{old.format} -> {new.format}", name)


class _Comparison:
    def __init__(self, old: SchemaSet, new: SchemaSet) -> None:
        self.old, self.new = old, new
        self.family = new.family
        self.seen: set[tuple[str, str]] = set()
        self.scalars_seen: set[tuple[str, str, Scalar, Scalar]] = set()

    def types(self, where: str, old: TypeRef, new: TypeRef) -> Iterator[Change]:
        if isinstance(old, Scalar) and isinstance(new, Scalar):
            # A named simple type is reported once, under its name, however many fields use it.
            named = new.name  # a type narrowed in place (an unnamed copy) is reported where it is used
            if named:
                key = (old.name, new.name, old, new)
                if key in self.scalars_seen:
                    return
                self.scalars_seen.add(key)
            yield from _scalars(self.family, named or where, old, new)
            return
        if isinstance(old, Scalar) or isinstance(new, Scalar):
            yield Change(self.family, where, "type-changed", "breaking-both", f"{_name(old)} -> {_name(new)}")
            return
        yield from self.objects(old, new)

    def objects(self, old_name: str, new_name: str) -> Iterator[Change]:
        if (old_name, new_name) in self.seen:
            return
        self.seen.add((old_name, new_name))
        old, new = self.old.objects.get(old_name), self.new.objects.get(new_name)
        if old is None or new is None:
            return
        label = new.name
        if old.open and not new.open:
            yield Change(self.family, label, "closed", "breaking-senders", "no longer accepts other members", label)
        elif new.open and not old.open:
            yield Change(self.family, label, "opened", "compatible", "now accepts other members", label)
        for field in old.fields:
            after = new.field(field.name)
            where = f"{label}.{field.name}"
            if after is None:
                impact: Impact = "breaking-both" if field.min_occurs else "breaking-senders"
                yield Change(
                    self.family,
                    where,
                    "removed",
                    impact,
                    f"{'required' if field.min_occurs else 'optional'} element removed",
                    label,
                )
                continue
            yield from self.fields(where, label, field, after, old, new)
        for field in new.fields:
            if old.field(field.name) is None:
                where = f"{label}.{field.name}"
                if field.min_occurs and field.choice is None:
                    yield Change(self.family, where, "added-required", "breaking-both", "a new required element", label)
                else:
                    yield Change(self.family, where, "added-optional", "compatible", "a new optional element", label)
        if self.new.ordered:
            common = [f.name for f in old.fields if new.field(f.name) is not None]
            after_order = [f.name for f in new.fields if old.field(f.name) is not None]
            if common != after_order:
                yield Change(self.family, label, "order-changed", "breaking-both", "the elements' order changed", label)

    def fields(
        self, where: str, owner: str, old: Field, new: Field, old_owner: ObjectType, new_owner: ObjectType
    ) -> Iterator[Change]:
        if old.is_list != new.is_list:
            yield Change(self.family, where, "cardinality-changed", "breaking-both", "list <-> single", owner)
        else:
            in_choice_old, in_choice_new = old.choice is not None, new.choice is not None
            if in_choice_old != in_choice_new:
                impact: Impact = "breaking-senders" if in_choice_new else "compatible"
                yield Change(self.family, where, "choice-changed", impact, "joined or left a choice group", owner)
            elif in_choice_old and old.choice is not None and new.choice is not None:
                before = old_owner.choices[old.choice]
                after = new_owner.choices[new.choice]
                if before != after and {n for n in before if new_owner.field(n)} != {
                    n for n in after if old_owner.field(n)
                }:
                    yield Change(
                        self.family,
                        where,
                        "choice-changed",
                        "breaking-both",
                        f"{sorted(before)} -> {sorted(after)}",
                        owner,
                    )
            else:
                yield from _widen_or_narrow(
                    self.family, where, "minOccurs", old.min_occurs, new.min_occurs, upper=False, type_name=owner
                )
                yield from _widen_or_narrow(
                    self.family, where, "maxOccurs", old.max_occurs, new.max_occurs, upper=True, type_name=owner
                )
        yield from self.types(where, old.type, new.type)


def _name(ref: TypeRef) -> str:
    return ref.name or ref.base if isinstance(ref, Scalar) else ref


def compare(old: SchemaSet, new: SchemaSet) -> list[Change]:
    """Every change from `old` to `new`, walked from the roots (each type compared once)."""
    comparison = _Comparison(old, new)
    changes: list[Change] = []
    for root, ref in old.roots.items():
        if root not in new.roots:
            changes.append(Change(new.family, root, "message-removed", "breaking-both", "a message type removed"))
            continue
        changes.extend(comparison.types(root, ref, new.roots[root]))
    for root in new.roots:
        if root not in old.roots:
            changes.append(Change(new.family, root, "message-added", "compatible", "a new message type"))
    unique: dict[tuple[str, str, str], Change] = {}
    for change in changes:
        unique.setdefault((change.location, change.kind, change.detail), change)
    return list(unique.values())
