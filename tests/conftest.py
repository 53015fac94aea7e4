"""Shared fixtures: a fresh store on SQLite and on PostgreSQL, and the check that the anchors are there.

Storage-dependent tests take `store_url`, which runs them once on an SQLite file and once on
a fresh PostgreSQL database. The PostgreSQL server is named by ICS_INTEROP_TEST_POSTGRES
(`.ci/run` starts one and sets it). Without it the PostgreSQL runs are skipped locally; in CI
(CI=true) they fail instead, so a green CI always means both back ends ran.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from anchors import ANCHORS, needs_anchor

POSTGRES = os.environ.get("ICS_INTEROP_TEST_POSTGRES")


def _postgres_database() -> Iterator[str]:
    if not POSTGRES:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: set ICS_INTEROP_TEST_POSTGRES (see .ci/postgres.sh)")
        pytest.skip("no PostgreSQL server: set ICS_INTEROP_TEST_POSTGRES (see .ci/postgres.sh)")
    import psycopg

    name = f"ics_test_{uuid.uuid4().hex[:12]}"
    admin = POSTGRES.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty store, on each back end in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL for an empty PostgreSQL database (for tests that need PostgreSQL specifically)."""
    yield from _postgres_database()


@pytest.fixture
def _anchors_present() -> None:
    """For `anchors.needs_anchors`: skip (fail in CI) when the real-world anchors are missing."""
    needs_anchor(ANCHORS)
