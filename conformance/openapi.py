"""The HTTP binding, published: the OpenAPI documents of the three reference services.

The binding is what the reference services answer: `POST /messages` for every receiver, and each
system's own routes, which the suite drives over HTTP. `openapi_documents` builds each service on
an in-memory store and asks FastAPI for its document; `write_openapi` writes them as
`contactpoint.json`, `ecaf.json` and `ics.json`, and with `check=True` only compares.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["openapi_documents", "write_openapi"]


def openapi_documents() -> dict[str, dict[str, Any]]:
    """The OpenAPI document of each reference service, by profile name."""
    from ._adapters import LocalIssuer, service_app
    from .credentials import SUITE_ISSUER
    from .reference_adapters import ReferenceDirectory, ReferenceEcaf, ReferenceIcs

    documents: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="ics-openapi-") as folder:
        for name, build in (("contactpoint", ReferenceDirectory), ("ecaf", ReferenceEcaf), ("ics", ReferenceIcs)):
            adapter = build(f"sqlite:///{Path(folder) / (name + '.db')}")
            verifier = LocalIssuer(SUITE_ISSUER).verifier(f"urn:ics-interop:{name}")
            try:
                documents[name] = service_app(name, adapter.system, verifier).openapi()
            finally:
                adapter.close()
    return documents


def _text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_openapi(folder: str | Path, *, check: bool = False) -> list[str]:
    """Write (or, with `check`, compare) the documents in `folder`; the names of the files that differed."""
    out = Path(folder)
    differed = []
    for name, document in openapi_documents().items():
        path = out / f"{name}.json"
        text = _text(document)
        current = path.read_text("utf-8") if path.is_file() else None
        if current != text:
            differed.append(path.name)
            if not check:
                out.mkdir(parents=True, exist_ok=True)
                path.write_text(text, "utf-8")
    return differed
