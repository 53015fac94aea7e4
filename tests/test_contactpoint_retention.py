"""How long the directory shows and keeps things: ended involvements, the 18th birthday, death, retention."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from ics_interop.adapters.contactpoint import ContactPointDirectory, RecordNotFound, run_maintenance
from ics_interop.adapters.contactpoint import retention as retention
from ics_interop.adapters.contactpoint.retention import add_years, involvement_visible

from test_contactpoint_story import (
    DATA_MANAGER,
    MELANIE_ID,
    FakeClock,
    accepted,
    count,
    identity_update,
    involvement_ended,
    involvement_started,
    make_child,
    moment,
    nhs_number,
    open_directory,
    rule_ids,
    search,
    send,
    service_involvement,
)

NEARLY_18 = dt.date(1992, 5, 1)  # 18 on 2010-05-01
NHS = nhs_number(801)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(moment(2010, 2, 1))


@pytest.fixture
def directory(store_url: str, clock: FakeClock) -> Iterator[ContactPointDirectory]:
    directory = open_directory(store_url, clock, retention_years=6)
    yield directory
    directory.dispose()


def test_the_policy_dates() -> None:
    assert add_years(dt.date(2008, 2, 29), 1) == dt.date(2009, 3, 1)  # a leap-day birthday falls on 1 March
    assert add_years(dt.date(2009, 3, 27), 1) == dt.date(2010, 3, 27)
    assert involvement_visible(None, dt.date(2030, 1, 1))
    assert involvement_visible(dt.date(2009, 3, 27), dt.date(2010, 3, 27))
    assert not involvement_visible(dt.date(2009, 3, 27), dt.date(2010, 3, 28))


def test_an_ended_involvement_is_shown_for_a_year_then_expires(
    directory: ContactPointDirectory, clock: FakeClock
) -> None:
    child = make_child("Kyle", "Turner", dt.date(2001, 5, 17), nhs=NHS)
    gp = service_involvement("GP-1")
    assert accepted(send(directory, involvement_started(child, gp)))
    assert accepted(send(directory, involvement_ended(child, gp, dt.date(2010, 1, 19))))
    clock.on(2011, 1, 19)
    (shown,) = search(directory, identifier=NHS).records[0].involvements
    assert shown.practitioner is not None
    assert shown.practitioner.contact.telephone == "020 7946 0999"
    assert shown.visible_until == dt.date(2011, 1, 19)
    assert directory.run_maintenance().involvements_expired == 0
    clock.on(2011, 1, 20)
    assert search(directory, identifier=NHS).records[0].involvements == []  # gone, before maintenance runs
    assert directory.run_maintenance().involvements_expired == 1
    assert count(directory, directory.tables.involvement) == 0


def test_a_record_is_archived_at_18_and_purged_after_the_retention_period(
    directory: ContactPointDirectory, clock: FakeClock
) -> None:
    child = make_child("Kyle", "Turner", NEARLY_18, nhs=NHS)
    assert accepted(send(directory, involvement_started(child, service_involvement("GP-1"))))
    contactpoint_id = search(directory, identifier=NHS).records[0].contactpoint_id
    clock.on(2010, 4, 30)
    report = directory.run_maintenance()
    assert report.archived_at_eighteen == []
    assert search(directory, identifier=NHS).records  # still 17
    clock.on(2010, 5, 1)
    report = directory.run_maintenance()
    assert report.archived_at_eighteen == [contactpoint_id]
    assert report.ran_at == clock.now
    assert search(directory, identifier=NHS).records == []
    assert search(directory, family_name="Turner", date_of_birth=NEARLY_18).records == []
    with pytest.raises(RecordNotFound):
        directory.view(contactpoint_id, practitioner_id=MELANIE_ID, reason="follow-up")
    # Kept (archived) for the retention period, then purged: nothing of the child is left.
    assert directory.run_maintenance(moment(2016, 4, 30)).purged == []
    assert count(directory, directory.tables.child) == 1
    assert directory.run_maintenance(moment(2016, 5, 1)).purged == [contactpoint_id]
    tables = directory.tables
    for table in (tables.child, tables.name, tables.identifier, tables.involvement, tables.caf_indicator):
        assert count(directory, table) == 0, table.name
    # The audit log outlives the record: it still says who looked, and that maintenance purged it.
    purges = [
        e for e in directory.audit_log(by=DATA_MANAGER, contactpoint_id=contactpoint_id) if e.action == "maintenance"
    ]
    assert len(purges) == 2


def test_a_childs_death_keeps_the_record_live_a_year_then_archives_it(
    directory: ContactPointDirectory, clock: FakeClock
) -> None:
    child = make_child("Kyle", "Turner", dt.date(2005, 3, 3), nhs=NHS)
    assert accepted(send(directory, identity_update(child, at=moment(2010, 1, 11), died_on=dt.date(2010, 1, 10))))
    clock.on(2011, 1, 9)
    (record,) = search(directory, identifier=NHS).records
    assert record.died_on == dt.date(2010, 1, 10)
    assert directory.run_maintenance().archived_after_death == []
    clock.on(2011, 1, 10)
    report = directory.run_maintenance()
    assert report.archived_after_death == [record.contactpoint_id]
    assert report.archived_at_eighteen == []
    assert search(directory, identifier=NHS).records == []
    # A message about the child once archived changes nothing, and says why.
    ack = send(directory, identity_update(child, at=moment(2011, 1, 10)))
    assert not accepted(ack)
    assert rule_ids(ack) == {"CP-ARCHIVED"}
    # A child who dies at 17 stays live past the 18th birthday, for the year after the death.
    nearly_18 = make_child("Kayla", "Turner", NEARLY_18, nhs=nhs_number(802))
    assert accepted(send(directory, identity_update(nearly_18, at=moment(2010, 3, 2), died_on=dt.date(2010, 3, 1))))
    assert directory.run_maintenance(moment(2011, 2, 28)).archived_at_eighteen == []
    assert search(directory, identifier=nearly_18.identifiers.nhs_number).records
    assert len(directory.run_maintenance(moment(2011, 3, 1)).archived_after_death) == 1


def test_the_retention_period_is_configurable_and_the_cli_function_runs_maintenance(store_url: str) -> None:
    clock = FakeClock(moment(2010, 2, 1))
    directory = open_directory(store_url, clock, retention_years=1)
    try:
        assert accepted(send(directory, identity_update(make_child("Kyle", "Turner", NEARLY_18, nhs=NHS))))
    finally:
        directory.dispose()
    assert run_maintenance(store_url, now=moment(2010, 5, 1)).archived_at_eighteen != []
    assert run_maintenance(store_url, now=moment(2011, 4, 30), retention_years=1).purged == []
    assert run_maintenance(store_url, now=moment(2011, 5, 1), retention_years=1).purged != []


def test_a_failed_maintenance_run_changes_nothing(
    directory: ContactPointDirectory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = make_child("Kyle", "Turner", NEARLY_18, nhs=NHS)
    gp = service_involvement("GP-1", start=dt.date(2008, 1, 7))
    assert accepted(send(directory, involvement_started(child, gp)))
    assert accepted(send(directory, involvement_ended(child, gp, dt.date(2009, 4, 30))))

    def broken(*_: Any) -> list[str]:
        raise RuntimeError("lost the connection")

    # Expiry and archiving happen before purging: a failure in purging must undo them.
    monkeypatch.setattr(retention, "_purge", broken)
    clock.on(2010, 5, 1)
    with pytest.raises(RuntimeError):
        directory.run_maintenance()
    assert count(directory, directory.tables.involvement) == 1
    assert search(directory, identifier=NHS).records[0].contactpoint_id
    monkeypatch.undo()
    report = directory.run_maintenance()
    assert report.involvements_expired == 1
    assert len(report.archived_at_eighteen) == 1
