"""The public face of the library: what `import ics_interop` promises."""

from __future__ import annotations

import importlib

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
