"""The specification site: generated from the standard, built strictly, and readable in a browser.

Unit tests of `ics_interop.specdocs` (the data dictionary, the checks on the site's own data,
the validation of the examples); the vendors' guide's examples, run as a vendor would run
them; `mkdocs build --strict`; and the built site served on 127.0.0.1 and opened in headless
Chromium. The browser test skips where /usr/bin/chromium is missing (apt-get install chromium),
except in CI (CI set), where it fails.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from lxml import etree

from browser import chrome, needs_browser
from ics_interop import MESSAGE_CLASSES, MessageType
from ics_interop.messages import ChildIdentityUpdate, MigrationBatch, SocialCareReferral
from ics_interop.model import Child, IcsModel
from ics_interop.model.codes import CafStatus, Gender, PrimaryNeed
from ics_interop.rules import catalogue
from ics_interop.schemagen import version_folder
from ics_interop.schemas_path import schemas_root
from ics_interop.shape import shape_of
from ics_interop.specdocs import (
    DictionaryRow,
    SiteBuildError,
    SiteSources,
    check_example,
    check_examples,
    code_sets_page,
    code_sets_used,
    data_dictionary,
    data_dictionary_table,
    is_census_code_set,
    load_flows,
    load_requirements,
    load_seed_statements,
    requirements_page,
    rules_page,
    schema_downloads,
    sequence_diagram,
    site_pages,
)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CHROMIUM = Path("/usr/bin/chromium")


def _rows_by_path(cls: type[IcsModel]) -> dict[str, DictionaryRow]:
    return {row.path: row for row in data_dictionary(cls)}


# --- the data dictionary ------------------------------------------------------------------------


def test_the_nhs_number_row_of_a_child_identity_update() -> None:
    row = _rows_by_path(ChildIdentityUpdate)["child.identifiers.nhsNumber"]
    assert row.xml_name == "NhsNumber"
    assert row.json_name == "nhsNumber"
    assert row.cardinality == "0..1"
    assert row.type_name == "NhsNumber"
    assert "pattern `^[0-9]{10}$`" in row.constraints
    assert "exactly 10 characters" in row.constraints
    assert row.definition == "NHS number."
    table = data_dictionary_table(ChildIdentityUpdate)
    line = next(line for line in table.splitlines() if "nhsNumber</code>" in line)
    assert "`NhsNumber`" in line
    assert "0..1" in line
    assert "`^[0-9]{10}$`" in line


def test_every_nested_element_is_followed_by_its_own_elements() -> None:
    rows = data_dictionary(SocialCareReferral)

    def expected(cls: type[IcsModel]) -> int:
        return sum(1 + (expected(s.model) if s.model is not None else 0) for s in shape_of(cls))

    assert len(rows) == expected(SocialCareReferral)
    for i, row in enumerate(rows):
        if row.is_nested:
            child = rows[i + 1]
            assert child.depth == row.depth + 1
            assert child.path.startswith(row.path + ("[]." if "*" in row.cardinality else "."))


def test_lists_choices_and_code_sets_in_the_data_dictionary() -> None:
    rows = _rows_by_path(MigrationBatch)
    assert rows["episodes"].cardinality == "0..*"
    assert rows["episodes"].xml_name == "Episode"
    assert any(path.startswith("episodes[].") for path in rows)
    child = _rows_by_path(ChildIdentityUpdate)
    assert "exactly one of `dateOfBirth`, `expectedDateOfBirth`" in child["child.dateOfBirth"].constraints
    assert child["child.gender"].code_set is Gender
    assert "[Gender](../code-sets.md#gender) (code list)" in data_dictionary_table(Child)


# --- code sets, rules, flows ----------------------------------------------------------------------


def test_code_sets_say_which_come_from_the_census() -> None:
    assert is_census_code_set(PrimaryNeed)
    assert is_census_code_set(Gender)
    assert not is_census_code_set(CafStatus)
    used = code_sets_used()
    assert MessageType in used
    assert PrimaryNeed in used
    assert "Child.gender" in used[Gender]
    page = code_sets_page()
    for code_set in used:
        assert f"## {code_set.__name__} {{#{code_set.__name__.lower()}}}" in page
    assert "| `N1` | Abuse, neglect and exploitation | `ABUSE_NEGLECT_EXPLOITATION` |" in page


def test_the_rule_page_lists_every_rule_with_its_fields() -> None:
    page = rules_page(catalogue())
    for rule in catalogue().values():
        line = next(line for line in page.splitlines() if f"**{rule.id}**" in line)
        assert rule.severity.value in line
        assert rule.checked_by in line
    assert "[Acknowledgement](messages/Acknowledgement.md)" in page


def test_the_flows_agree_with_the_message_classes() -> None:
    flows = load_flows(DOCS / "flows.toml")
    assert [f.id for f in flows] == [f"F{i}" for i in range(1, 11)]
    diagram = sequence_diagram(flows[0])
    svg = etree.fromstring(diagram.strip().removeprefix('<figure class="seq-figure">').removesuffix("</figure>"))
    names = {"svg": "http://www.w3.org/2000/svg"}
    assert svg.findtext("svg:title", namespaces=names) == "F1: Identity and involvement feed"
    # One box and one lifeline per participant, one arrow per message, one box per note.
    assert [" ".join(t.itertext()) for t in svg.iterfind("svg:text[@class='seq-actor-label']", names)] == [
        "Local system",
        "ContactPoint",
    ]
    assert len(svg.findall("svg:line[@class='seq-lifeline']", names)) == 2
    messages = [" ".join(t.itertext()) for t in svg.iterfind("svg:text[@class='seq-message']", names)]
    assert messages[0].startswith("ChildIdentityUpdate (the child's details")
    assert len(svg.findall("svg:line[@class='seq-arrow']", names)) == len(messages) == 3
    assert len(svg.findall("svg:rect[@class='seq-note']", names)) == 1
    # Every arrow goes from the local system's lifeline to ContactPoint's, left to right.
    lifelines = [float(line.get("x1")) for line in svg.iterfind("svg:line[@class='seq-lifeline']", names)]
    for arrow in svg.iterfind("svg:line[@class='seq-arrow']", names):
        assert (float(arrow.get("x1")), float(arrow.get("x2"))) == (lifelines[0], lifelines[1])
    assert "Local system to ContactPoint: ChildIdentityUpdate" in svg.findtext("svg:desc", namespaces=names)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('message = "StepDown"', 'message = "StepUp"', "'StepUp' is not a message type"),
        ('system = "contactpoint"', 'system = "ics"', "ChildIdentityUpdate may be sent to contactpoint, not to ics"),
        ('id = "F9"', 'id = "F99"', "flow F9 (served by CaseRecordTransfer) has no entry"),
    ],
    ids=["unknown message type", "wrong recipient", "missing flow"],
)
def test_a_flow_that_disagrees_with_the_code_stops_the_build(tmp_path: Path, old: str, new: str, problem: str) -> None:
    text = (DOCS / "flows.toml").read_text("utf-8")
    assert old in text
    (tmp_path / "flows.toml").write_text(text.replace(old, new, 1), "utf-8")
    with pytest.raises(SiteBuildError, match=re.escape(problem)):
        load_flows(tmp_path / "flows.toml")


# --- the seed's statements and the requirement catalogue ----------------------------------------


def test_the_seed_statements_name_only_rules_and_message_types_that_exist(tmp_path: Path) -> None:
    statements = load_seed_statements(DOCS / "seed-statements.toml", catalogue(), None)
    assert len({s.id for s in statements}) == len(statements) > 10
    assert {"CP-001", "CAF-002"} <= {r for s in statements for r in s.rules}
    bad = tmp_path / "seed-statements.toml"
    bad.write_text(
        '[[statement]]\nid = "S9"\nsection = "§9"\nstatement = "x"\nrules = ["NOPE-001"]\n'
        'message_types = ["Telegram"]\nrequirements = ["REQ-1"]\n',
        "utf-8",
    )
    with pytest.raises(SiteBuildError, match="NOPE-001 is not in the rule catalogue") as caught:
        load_seed_statements(bad, catalogue(), ["REQ-2"])
    assert "Telegram is not a message type" in str(caught.value)
    assert "requirement REQ-1 is not in" in str(caught.value)


def test_the_requirement_page_waits_for_the_catalogue_then_lists_it(tmp_path: Path) -> None:
    missing = tmp_path / "requirements.toml"
    assert load_requirements(missing) is None
    assert "not yet published" in requirements_page(None)
    missing.write_text(
        '[[requirement]]\nid = "REQ-CP-001"\nlevel = "SHALL"\ntext = "A feed never carries case information."\n'
        'actors = ["ics"]\nrules = ["CP-001"]\nmessage_types = ["InvolvementStarted"]\n',
        "utf-8",
    )
    requirements = load_requirements(missing)
    assert requirements is not None
    assert [r.id for r in requirements] == ["REQ-CP-001"]
    page = requirements_page(requirements)
    assert "**REQ-CP-001**" in page
    assert "[CP-001](rules.md#rule-cp-001)" in page
    # The published catalogue: the seed's statements name its requirements, and the build checks them.
    published = DOCS.parent / "conformance" / "requirements.toml"
    pages = site_pages(SiteSources(DOCS, published, schemas_root()))
    assert "CP-R01" in pages["requirements.md"]
    assert "Requirements to come" not in pages["seed-statements.md"]


# --- the examples ---------------------------------------------------------------------------------


def test_every_shipped_example_is_valid_and_shown(tmp_path: Path) -> None:
    pages = site_pages(SiteSources(DOCS, tmp_path / "requirements.toml", schemas_root()))
    assert set(pages) >= {f"messages/{t.value}.md" for t in MESSAGE_CLASSES}
    page = pages["messages/StepDown.md"]
    assert "```xml" in page
    assert "```json" in page
    assert "<StepDown xmlns=" in page
    assert "[F6: Stepping down](../flows.md#f6)" in page
    assert "**Sent to**: National eCAF, Local eCAF system or module" in page
    assert "[STEP-001]" not in page
    assert "[ENV-001](../rules.md#rule-env-001)" in page
    assert "schemas/v1/ics-interop.xsd" in schema_downloads(schemas_root())


@pytest.fixture
def schemas_copy(tmp_path: Path) -> Path:
    """A copy of the shipped schemas, to break."""
    shutil.copytree(schemas_root() / version_folder(), tmp_path / version_folder())
    return tmp_path


def test_an_example_its_xml_schema_rejects_stops_the_build(schemas_copy: Path) -> None:
    example = schemas_copy / version_folder() / "examples" / "ChildIdentityUpdate.xml"
    example.write_text(example.read_text("utf-8").replace("9991000046", "99910000AB"), "utf-8")
    with pytest.raises(SiteBuildError, match=r"ChildIdentityUpdate\.xml:\d+: .*NhsNumber"):
        check_example(schemas_copy / version_folder(), "ChildIdentityUpdate")
    with pytest.raises(SiteBuildError, match="the example of ChildIdentityUpdate is not valid"):
        site_pages(SiteSources(DOCS, schemas_copy / "requirements.toml", schemas_copy))


def test_an_example_its_json_schema_rejects_stops_the_build(schemas_copy: Path) -> None:
    example = schemas_copy / version_folder() / "examples" / "StepDown.json"
    data = json.loads(example.read_bytes())
    data["outstandingNeeds"] = []
    example.write_text(json.dumps(data), "utf-8")
    with pytest.raises(SiteBuildError, match=r"StepDown\.json: at /outstandingNeeds: \[\] should be non-empty"):
        check_examples(schemas_copy / version_folder())


def test_an_xml_and_json_pair_that_disagree_stops_the_build(schemas_copy: Path) -> None:
    example = schemas_copy / version_folder() / "examples" / "StepDown.json"
    data = json.loads(example.read_bytes())
    data["request"] = "reopen"
    example.write_text(json.dumps(data), "utf-8")
    with pytest.raises(SiteBuildError, match=r"StepDown\.xml and StepDown\.json are not the same message"):
        check_example(schemas_copy / version_folder(), "StepDown")


def test_an_example_that_breaks_a_rule_stops_the_build(schemas_copy: Path) -> None:
    folder = schemas_copy / version_folder() / "examples"
    for name in ("ChildIdentityUpdate.xml", "ChildIdentityUpdate.json"):
        (folder / name).write_text((folder / name).read_text("utf-8").replace("9991000046", "9991000047"), "utf-8")
    with pytest.raises(SiteBuildError, match=r"breaks rule ID-001 at child\.identifiers\.nhsNumber"):
        check_example(schemas_copy / version_folder(), "ChildIdentityUpdate")


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ics_docs_hook", DOCS / "hooks" / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_hook_turns_an_invalid_example_into_a_build_error(
    schemas_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mkdocs.config import load_config
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import Files

    hook = _hook()
    example = schemas_copy / version_folder() / "examples" / "Acknowledgement.json"
    example.write_text("{}", "utf-8")
    monkeypatch.setattr(hook, "schemas_root", lambda: schemas_copy)
    config = load_config(str(ROOT / "mkdocs.yml"))
    with pytest.raises(PluginError, match="the example of Acknowledgement is not valid"):
        hook.on_files(Files([]), config)


# --- the vendors' guide, run as a vendor would ----------------------------------------------------


def test_the_vendors_guide_examples_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every `python` and `sh` block of the guide, in order, in an empty folder (`shell` blocks are not run)."""
    monkeypatch.chdir(tmp_path)
    text = (DOCS / "guides" / "vendors.md").read_text("utf-8")
    blocks = re.findall(r"^```(\w+)\n(.*?)^```", text, re.S | re.M)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    namespace: dict[str, Any] = {}
    ran = 0
    for language, body in blocks:
        if language == "python":
            exec(compile(body, "docs/guides/vendors.md", "exec"), namespace)
            ran += 1
        elif language == "sh":
            for line in body.splitlines():
                expected = re.search(r"#\s*exit status (\d+)", line)
                result = subprocess.run(line, shell=True, env=env, capture_output=True, text=True, timeout=120)
                assert result.returncode == (int(expected.group(1)) if expected else 0), (line, result.stderr)
                ran += 1
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value()
    assert ran >= 8
    assert (tmp_path / "converted.json").is_file()


# --- the whole site -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built with `mkdocs build --strict` into a temporary folder."""
    pytest.importorskip("mkdocs", reason="pip install -e '.[test]' installs MkDocs")
    site = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return site


def test_the_site_builds_strictly_with_every_page(built_site: Path) -> None:
    for page in ("index.html", "rules/index.html", "code-sets/index.html", "flows/index.html", "hannah/index.html"):
        assert (built_site / page).is_file(), page
    for message_type in MESSAGE_CLASSES:
        assert (built_site / "messages" / message_type.value / "index.html").is_file()
    assert (built_site / "schemas" / "v1" / "ics-interop.xsd").read_bytes() == (
        schemas_root() / "v1" / "ics-interop.xsd"
    ).read_bytes()
    assert (built_site / "schemas" / "v1" / "json" / "StepDown.schema.json").is_file()
    assert (built_site / "reference" / "model" / "index.html").is_file()
    assert 'id="ics_interop.model.Child"' in (built_site / "reference" / "model" / "index.html").read_text("utf-8")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _serve(folder: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # Only the site on 127.0.0.1 is reachable: the page's request for the Mermaid script from a CDN fails at once.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_the_site_renders_in_a_browser(built_site: Path, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: apt-get install -y chromium")
        pytest.skip("no /usr/bin/chromium: apt-get install chromium to run the browser test")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    pages = {
        "home": ("", ["Where to start", "ContactPoint", "National eCAF"]),
        "message": (
            "messages/ChildIdentityUpdate/",
            ["Data dictionary", "child.identifiers.nhsNumber", "NhsNumber", "^[0-9]{10}$", "ENV-001", "3f9c2a71"],
        ),
        "rules": ("rules/", ["Rule catalogue", "CP-001", "Nothing bound for ContactPoint carries case information"]),
    }
    with _serve(built_site) as base:
        for name, (path, expected) in pages.items():
            url = f"{base}/{path}"
            dom = _chromium(tmp_path / f"profile-{name}", "--dump-dom", url)
            assert dom.returncode == 0, dom.stderr
            rendered = dom.stdout.replace("<wbr>", "")  # a data dictionary path may break after each dot
            assert "md-content" in rendered, f"{url} did not render"
            for text in expected:
                assert text in rendered, f"{url}: {text!r} not on the page"
            shot = shots / f"{name}.png"
            result = _chromium(tmp_path / f"profile-{name}", f"--screenshot={shot}", "--window-size=1280,2000", url)
            assert result.returncode == 0, result.stderr
            assert shot.stat().st_size > 10_000, f"{shot} is too small to show the page"
            print(f"screenshot of {url}: {shot}")


def test_the_diagrams_are_drawn_with_the_network_off(built_site: Path, tmp_path: Path) -> None:
    """The flows page in a browser that reaches nothing but the site: every diagram is an SVG with its text laid out."""
    needs_browser()
    with _serve(built_site) as base:
        driver = chrome(tmp_path / "profile", offline=True)
        try:
            driver.get(f"{base}/flows/")
            diagrams = driver.execute_script(
                """return [...document.querySelectorAll('svg.seq-diagram')].map(svg => {
                    const box = svg.getBoundingClientRect();
                    const texts = [...svg.querySelectorAll('text')];
                    return {width: box.width, height: box.height, texts: texts.length,
                            drawn: texts.filter(t => t.getComputedTextLength() > 0).length,
                            arrows: svg.querySelectorAll('.seq-arrow').length};
                })"""
            )
            assert len(diagrams) == 10, diagrams
            for diagram in diagrams:
                assert diagram["width"] > 300, diagram
                assert diagram["height"] > 100, diagram
                assert diagram["arrows"] > 0, diagram
                assert diagram["drawn"] == diagram["texts"] > 0, diagram
            # Nothing on the page asked for anything beyond the site (it would have failed, offline).
            elsewhere = driver.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name)"
                ".filter(n => !n.startsWith(arguments[0]))",
                base,
            )
            assert elsewhere == []
            driver.get(f"{base}/hannah/")
            # One arrow in the story's diagram per message in the table under it.
            arrows, rows = driver.execute_script(
                "const svg = document.querySelector('svg.seq-diagram');"
                "return [svg ? svg.querySelectorAll('.seq-arrow').length : 0,"
                " document.querySelectorAll('.md-content table tbody tr').length]"
            )
            assert arrows == rows > 10
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(1280, min(int(height), 6000))
            shot = Path(os.environ.get("ICS_INTEROP_SCREENSHOTS") or tmp_path) / "hannah.png"
            driver.save_screenshot(str(shot))
            assert shot.stat().st_size > 10_000
            print(f"screenshot: {shot}")
        finally:
            driver.quit()


def test_the_requirement_page_shows_what_verifies_each_requirement_by_profile(tmp_path: Path) -> None:
    catalogue_file = tmp_path / "requirements.toml"
    catalogue_file.write_text(
        '[[requirement]]\nid = "X-R01"\nlevel = "SHALL"\ntitle = "Checked"\ntext = "A thing."\n'
        'actors = ["ics", "feed-source"]\nverification = "automated"\n'
        'not_applicable = { "feed-source" = "It sends nothing." }\n'
        '[[requirement]]\nid = "X-R02"\nlevel = "SHALL"\ntitle = "Unchecked"\ntext = "Another."\n'
        'actors = ["ics"]\nverification = "automated"\n'
        '[[requirement]]\nid = "X-R03"\nlevel = "SHOULD"\ntitle = "Inspected"\ntext = "By hand."\n'
        'actors = ["ics"]\nverification = "attestation"\ninspect = "The deployment."\n',
        "utf-8",
    )
    requirements = load_requirements(catalogue_file)
    assert requirements is not None
    page = requirements_page(requirements, {"X-R01": {"ics": ["ics.thing"]}})
    section = page[page.index("### Profile `ics`") :]
    assert "`ics.thing`" in section
    unchecked = next(line for line in section.splitlines() if "X-R02" in line)
    assert "**none**" in unchecked
    assert "attestation: The deployment." in section
    feed = page[page.index("### Profile `feed-source`") : page.index("### Profile `ics`")]
    assert "not applicable: It sends nothing." in feed
