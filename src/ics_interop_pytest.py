"""The conformance suite's pytest plugin: registered by installing ics-interop, and free until it is used.

pytest loads it in every project where ics-interop is installed (a `pytest11` entry point), so it
is a module of its own, outside the `ics_interop` package, and imports nothing but pytest at
load: the standard, the suite, its systems and their web and database packages are imported only
when `--conformance-profile` is given, or when a test module calls `conformance_tests` (see
`ics_interop.conformance.pytest_suite` for both modes).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest

__all__ = ["conformance_tests"]

_SUITE = "ics_interop.conformance.pytest_suite"


def conformance_tests(profile: str, adapter: Callable[[], Any] | str, **options: Any) -> Callable[..., None]:
    """A test parametrized over the profile's checks (see `pytest_suite.conformance_tests`)."""
    made: Callable[..., None] = importlib.import_module(_SUITE).conformance_tests(profile, adapter, **options)
    return made


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "ics-interop conformance suite")
    group.addoption(
        "--conformance-profile", help="the profile the system implements (contactpoint, ecaf, ics, feed-source)"
    )
    group.addoption("--conformance-target", help="http://host:port, a folder, or package.module:factory")
    group.addoption("--conformance-option", action="append", default=[], metavar="NAME=VALUE", help="a target option")
    group.addoption("--conformance-report", help="write the reports and evidence bundle to this folder")
    group.addoption("--conformance-seed", type=int, default=None, help="the run's seed")
    group.addoption("--conformance-max-examples", type=int, default=25, help="examples per property")


def _used(config: pytest.Config) -> bool:
    return bool(config.getoption("conformance_profile", None) and config.getoption("conformance_target", None))


def pytest_configure(config: pytest.Config) -> None:
    if not _used(config):
        return
    options = {}
    for pair in config.getoption("conformance_option") or []:
        key, _, value = pair.partition("=")
        options[key] = value
    profile, target = config.getoption("conformance_profile"), config.getoption("conformance_target")
    importlib.import_module(_SUITE).start(config, profile, target, options)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if _used(config):
        importlib.import_module(_SUITE).add_items(session, config, items)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _used(session.config):
        importlib.import_module(_SUITE).finish(session)
