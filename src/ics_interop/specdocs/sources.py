"""Where the site's data comes from, and the error that stops the build when that data disagrees with itself."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

#: Where the requirement catalogue of the conformance suite is, relative to the repository.
REQUIREMENTS_FILE = "conformance/requirements.toml"


class SiteBuildError(ValueError):
    """The standard's data disagrees with itself, so the site is not built (the message says what to fix)."""


@attrs.frozen
class SiteSources:
    """Where the data the site is generated from lives."""

    docs_dir: Path  # holds flows.toml and seed-statements.toml
    requirements_file: Path  # the conformance suite's requirement catalogue; may not exist yet
    schemas_root: Path  # the `schemas/` folder: one sub-folder per major version
    coverage: CoverageMap | None = None  # from the conformance suite, when the build can read it


#: Requirement ID -> profile -> the IDs of the conformance checks that verify it there.
CoverageMap = Mapping[str, Mapping[str, Sequence[str]]]


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise SiteBuildError(f"{path} is missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise SiteBuildError(f"{path} is not valid TOML: {exc}") from None


def strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise SiteBuildError(f"{where}: expected a string or a list of strings, got {value!r}")
