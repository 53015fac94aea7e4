"""Where the library's own schemas are: shipped inside the package as `ics_interop.schemas`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["schemas_root"]


def schemas_root() -> Path:
    """The `schemas/` folder the library ships (in a source checkout: the repository's `schemas/`)."""
    return Path(str(resources.files("ics_interop.schemas")))
