"""The public face of the library: what `import ics_interop` promises."""

from __future__ import annotations

import builtins
import importlib
import sys
from typing import Any

import pytest

import ics_interop


def test_everything_exported_exists() -> None:
    for name in ics_interop.__all__:
        assert hasattr(ics_interop, name), name


def test_export_lists_are_complete_in_every_room() -> None:
    for module_name in (
        "ics_interop.model",
        "ics_interop.messages",
        "ics_interop.codecs",
        "ics_interop.rules",
        "ics_interop.conformance",
    ):
        module = importlib.import_module(module_name)
        for name in module.__all__:
            assert hasattr(module, name), f"{module_name}.{name}"


def test_adapters_and_conformance_are_importable_from_the_distribution() -> None:
    assert importlib.import_module("ics_interop.adapters")
    assert importlib.import_module("ics_interop.conformance")


def test_the_library_finds_its_own_schemas() -> None:
    from ics_interop.schemas_path import schemas_root

    assert (schemas_root() / "v1" / "ics-interop.xsd").is_file()
    # one per message type, and the common definitions they share
    assert len(list((schemas_root() / "v1" / "json").glob("*.schema.json"))) == len(ics_interop.MESSAGE_CLASSES) + 1
    assert (schemas_root() / "v1.0" / "ics-interop.xsd").is_file()  # 1.0 stays published beside it


def test_the_core_never_imports_the_reference_systems_or_the_suite() -> None:
    import pathlib

    core = pathlib.Path(ics_interop.__file__).parent
    for path in core.rglob("*.py"):
        if path.name == "cli.py":  # the command line is the top room: it may run the reference systems
            continue
        text = path.read_text()
        assert "ics_interop.adapters" not in text.replace("`ics_interop.adapters`", ""), path
        assert "import ics_interop.conformance" not in text, path
        assert "from ics_interop.conformance" not in text, path


#: Packages a user who only validates and converts messages must not need (they come with the extras).
HEAVY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "httpx", "joserfc", "psycopg", "holidays", "jinja2",
         "multipart", "python_multipart", "openpyxl", "hypothesis", "xmlschema")  # fmt: skip


def test_the_core_depends_on_no_web_database_or_test_package() -> None:
    import re
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text("utf-8"))["project"]
    core = {re.split(r"[<>=\[ ;]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}
    assert core == {"pydantic", "lxml", "attrs", "python-stdnum", "jsonschema", "rfc3339-validator"}
    extras = project["optional-dependencies"]
    assert {"systems", "postgres", "census", "web", "conformance", "testing", "all"} <= set(extras)


def test_validating_and_converting_import_no_web_database_or_test_package(tmp_path: Any) -> None:
    """What `pip install ics-interop` (no extras) must be enough for: `validate` and `convert` on the command line."""
    import subprocess

    program = f"""
import sys
from ics_interop.cli import main
from ics_interop.schemas_path import schemas_root
examples = schemas_root() / "v1" / "examples"
assert main(["validate", "--quiet", str(examples)]) == 0
assert main(["convert", str(examples / "ChildIdentityUpdate.xml"), "--to", "json", "-o", "{tmp_path}/out.json"]) == 0
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))
print("LOADED", loaded)
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert "LOADED []" in done.stdout, done.stdout[-2000:]


def test_a_command_that_needs_an_extra_names_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ics_interop.cli import main

    real_import = builtins.__import__

    def without_fastapi(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] == "fastapi":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_fastapi)
    for module in [m for m in sys.modules if m.startswith(("ics_interop.adapters.web", "fastapi"))]:
        monkeypatch.delitem(sys.modules, module)
    assert main(["serve", "web", "--port", "1"]) == 2
    assert "pip install 'ics-interop[systems]'" in capsys.readouterr().err
