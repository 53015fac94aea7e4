"""MkDocs hooks: the pages that describe the standard are generated from it while the site builds.

The Markdown comes from `ics_interop.specdocs`; this module only hands it to MkDocs. It adds
the generated pages and the schema files (the XSD, the JSON Schemas and the examples of each
version) to the site, and lists one page per message type under "Messages" in the navigation.
When the standard's data disagrees with itself (an invalid example, for one), the build stops
with the reason.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from ics_interop import MESSAGE_CLASSES
from ics_interop.schemas_path import schemas_root
from ics_interop.specdocs import (
    REQUIREMENTS_FILE,
    CoverageMap,
    SiteBuildError,
    SiteSources,
    schema_downloads,
    site_pages,
)

MESSAGES_SECTION = "Messages"


def _coverage() -> CoverageMap | None:
    """Which conformance checks verify each requirement, by profile (None if the suite is not installed)."""
    try:
        suite = importlib.import_module("ics_interop.conformance.coverage")
    except ImportError:
        return None
    return {row.requirement.id: dict(row.checks) for row in suite.coverage().requirements}


def _sources(config: MkDocsConfig) -> SiteSources:
    repository = Path(config.config_file_path).resolve().parent
    return SiteSources(
        docs_dir=Path(config.docs_dir),
        requirements_file=repository / REQUIREMENTS_FILE,
        schemas_root=schemas_root(),
        coverage=_coverage(),
    )


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """List every message type's page under the Messages section of the navigation."""
    for item in config.nav or []:
        if isinstance(item, dict) and MESSAGES_SECTION in item:
            section: list[Any] = item[MESSAGES_SECTION]
            pages = [{t.value: f"messages/{t.value}.md"} for t in MESSAGE_CLASSES]
            section.extend(page for page in pages if page not in section)
            return config
    raise PluginError(f"mkdocs.yml: the nav needs a '{MESSAGES_SECTION}' section for the message pages")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated pages and the schema downloads to the site."""
    sources = _sources(config)
    try:
        pages = site_pages(sources)
    except SiteBuildError as exc:
        raise PluginError(f"the specification site cannot be built:\n{exc}") from None
    for src_uri, markdown in pages.items():
        if files.get_file_from_path(src_uri) is not None:
            raise PluginError(f"docs/{src_uri} is generated when the site builds: remove the hand-written copy")
        files.append(File.generated(config, src_uri, content=markdown))
    for src_uri, path in schema_downloads(sources.schemas_root).items():
        files.append(File.generated(config, src_uri, abs_src_path=str(path)))
    return files
