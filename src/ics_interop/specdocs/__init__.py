"""The specification site, generated from the standard itself.

Every table the site shows about the standard (the data dictionary of each message type,
the code sets, the rule catalogue, the flows, the seed's statements, the requirement
catalogue and the schema downloads) is written here, from the models, the rule catalogue
and the shipped schemas and examples, when the site is built. Nothing is copied by hand,
so the site cannot drift from the code.

One module per page or kind of page (`dictionary`, `code_sets`, `rule_catalogue`, `flows`,
`story`, `message_pages`, `seed`, `requirements`, `downloads`), the Markdown helpers they share
(`markdown`), the checks on the worked examples (`examples`) and the sequence diagrams, drawn as
SVG while the site builds (`diagrams`). The functions are pure: each takes what it reads and
returns Markdown. The MkDocs hook
(`docs/hooks/generate.py`) only calls `site_pages` and `schema_downloads`. Whatever the
standard's own data gets wrong (an example its schema rejects, a seed statement naming a
rule that does not exist, a flow whose diagram disagrees with the message classes) raises
`SiteBuildError`, which stops the build with a message saying what to fix.
"""

from __future__ import annotations

from ..messages import MESSAGE_CLASSES
from ..rules import catalogue
from ..schemagen import version_folder
from .code_sets import code_sets_page, code_sets_used, is_census_code_set
from .dictionary import DictionaryRow, data_dictionary, data_dictionary_table
from .downloads import downloads_page, schema_downloads
from .examples import check_example, check_examples
from .flows import Flow, FlowParticipant, FlowStep, flows_page, load_flows, sequence_diagram
from .message_pages import message_index_page, message_page
from .requirements import Requirement, load_requirements, requirements_page
from .rule_catalogue import rules_page
from .seed import SeedStatement, load_seed_statements, seed_statements_page
from .sources import REQUIREMENTS_FILE, CoverageMap, SiteBuildError, SiteSources
from .story import hannah_story_page

__all__ = [
    "REQUIREMENTS_FILE",
    "CoverageMap",
    "DictionaryRow",
    "Flow",
    "FlowParticipant",
    "FlowStep",
    "Requirement",
    "SeedStatement",
    "SiteBuildError",
    "SiteSources",
    "check_example",
    "check_examples",
    "code_sets_page",
    "code_sets_used",
    "data_dictionary",
    "data_dictionary_table",
    "downloads_page",
    "flows_page",
    "hannah_story_page",
    "is_census_code_set",
    "load_flows",
    "load_requirements",
    "load_seed_statements",
    "message_index_page",
    "message_page",
    "requirements_page",
    "rules_page",
    "schema_downloads",
    "seed_statements_page",
    "sequence_diagram",
    "site_pages",
]


def site_pages(sources: SiteSources) -> dict[str, str]:
    """Every generated page, by its path in the docs (`messages/ChildIdentityUpdate.md`, `rules.md`, ...).

    Raises `SiteBuildError` when an example is invalid or the docs' data disagrees with the code.
    """
    rules = catalogue()
    flows = load_flows(sources.docs_dir / "flows.toml")
    requirements = load_requirements(sources.requirements_file)
    statements = load_seed_statements(
        sources.docs_dir / "seed-statements.toml",
        rules,
        None if requirements is None else [r.id for r in requirements],
    )
    examples = check_examples(sources.schemas_root / version_folder())
    pages = {
        "messages/index.md": message_index_page(flows),
        "code-sets.md": code_sets_page(),
        "rules.md": rules_page(rules),
        "flows.md": flows_page(flows),
        "hannah.md": hannah_story_page(flows),
        "seed-statements.md": seed_statements_page(statements, requirements is not None),
        "requirements.md": requirements_page(requirements, sources.coverage),
        "downloads.md": downloads_page(sources.schemas_root),
    }
    for message_type in MESSAGE_CLASSES:
        pages[f"messages/{message_type.value}.md"] = message_page(
            message_type, flows, rules, examples[message_type.value]
        )
    return pages
