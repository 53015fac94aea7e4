"""The code sets page: every code set the messages use, with its codes and where it is used."""

from __future__ import annotations

import re

from ..messages import MESSAGE_CLASSES
from ..model._base import CodeSet
from ..shape import shape_of, walk_models
from . import markdown as md

_CENSUS = re.compile(r"Children in Need census|CIN census")


def is_census_code_set(code_set: type[CodeSet]) -> bool:
    """Whether the code set's own documentation says it is taken from the Children in Need census."""
    return bool(_CENSUS.search(code_set.__doc__ or ""))


def code_sets_used() -> dict[type[CodeSet], list[str]]:
    """Every code set the messages use, in the order first met, with the fields (`Model.jsonName`) using it."""
    used: dict[type[CodeSet], list[str]] = {}
    for model in walk_models(MESSAGE_CLASSES.values()):
        for shape in shape_of(model):
            if shape.enum is not None:
                used.setdefault(shape.enum, []).append(f"{model.__name__}.{shape.json}")
    return used


def code_sets_page() -> str:
    """The code sets page: every code set the messages use, its codes and labels."""
    used = code_sets_used()
    out = ["# Code sets\n\n", md.generated_note("the code sets of `ics_interop.model.codes` and the messages")]
    out.append(
        "A code travels on the wire, in XML and JSON alike; the label is what a person reads. "
        "Where the Children in Need census already defines a set, the standard uses the census's "
        "codes and labels, so an authority's existing data needs no translation: those sets are marked "
        "**CIN census** below.\n\n"
    )
    summary = [
        [
            f"[{cls.__name__}](#{md.anchor(cls.__name__)})",
            "CIN census" if is_census_code_set(cls) else "the standard's own",
            str(len(cls)),
            md.text(md.summary(cls.__doc__)),
        ]
        for cls in used
    ]
    out.append(md.table(["Code set", "Source", "Codes", "What it is"], summary))
    for cls, fields in used.items():
        out.append(f"\n## {cls.__name__} {{#{md.anchor(cls.__name__)}}}\n\n")
        out.append(md.text(md.summary(cls.__doc__)) + "\n\n")
        if is_census_code_set(cls):
            out.append("**CIN census**: the codes and labels of the Children in Need census.\n\n")
        out.append("Used by: " + ", ".join(md.code(f) for f in fields) + ".\n\n")
        out.append(
            md.table(
                ["Code", "Label", "Python name"], ([md.code(m.value), md.text(m.label), md.code(m.name)] for m in cls)
            )
        )
    return "".join(out)
