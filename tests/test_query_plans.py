"""No statement the feed, a search or a view runs reads a table that grows with the children held.

Each test runs real work through a reference system on a small store, recording every
statement, then asks the database how it would run each one on a large store (see
`ics_interop.adapters.plans`): on SQLite with the statistics scaled up to a large store's, on
PostgreSQL with sequential scans switched off. A statement that would still read a whole table
fails the test, with the plan and the statement, on both engines.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from ics_interop.adapters.contactpoint import ContactPointDirectory, ShieldingChange
from ics_interop.adapters.demo import play_hannahs_story
from ics_interop.adapters.ics import IcsSettings, IcsSystem
from ics_interop.adapters.messaging import new_header
from ics_interop.adapters.plans import FullScan, Statement, as_if_large, full_scans, recording
from ics_interop.adapters.storage import Store
from ics_interop.adapters.transport import InProcessTransport
from sqlalchemy import MetaData

from ics_interop.examples import (
    HACKNEY,
    HANNAH,
    HANNAH_EPISODE_ID,
    ISLINGTON,
    JOHN,
    MELANIE,
    SOCIAL_CARE_DUTY_TEAM,
    example_messages,
)
from ics_interop.messages import (
    AcknowledgementStatus,
    CafIndicatorUpdate,
    CaseRecordTransfer,
    EpisodeTransfer,
    MessageType,
    MigrationBatch,
)
from ics_interop.model import IcsClosure, PersonName
from ics_interop.model.codes import CinClosureReason
from test_contactpoint_story import (
    DATA_MANAGER,
    GP_SURGERY,
    ISLINGTON_ICS,
    MELANIE_ID,
    NATIONAL_ECAF,
    SCHOOL,
    FakeClock,
    accepted,
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
from test_ecaf_story import ISLINGTON_LOCAL_ECAF, World, form_the_tac, log_hannah
from test_ecaf_story import NATIONAL_ECAF as ECAF
from test_ecaf_story import FakeClock as FakeEcafClock

BORN = dt.date(2003, 3, 9)
_CASE_TRANSFER = example_messages()[MessageType.CASE_RECORD_TRANSFER]
assert isinstance(_CASE_TRANSFER, CaseRecordTransfer)
ICS_ISLINGTON, ICS_HACKNEY = _CASE_TRANSFER.header.sender, _CASE_TRANSFER.header.recipient

#: Statements that read every row by design, none of them on the path of a message, search or view.
WHOLE_BY_DESIGN = {
    "SELECT count(*)": "the demo's check that it starts from empty stores",
    "ORDER BY ics_cases.created_at, ics_cases.case_id": "the ICS's list of every case (and the census export)",
    "cp_child.died_on IS NOT NULL OR": "the directory's nightly maintenance: the records due to be archived",
    "SELECT cp_child.contactpoint_id, cp_child.archived_at": "the nightly maintenance: the archived records to purge",
}


def _on_the_paths(statements: list[Statement]) -> list[Statement]:
    return [s for s in statements if not any(fragment in s.sql for fragment in WHOLE_BY_DESIGN)]


def _explain(store: Store, statements: list[Statement], prefixes: tuple[str, ...]) -> list[FullScan]:
    tables = set()
    with store.engine.connect() as connection:
        for name in connection.dialect.get_table_names(connection):
            if name.startswith(prefixes):
                tables.add(name)
        if store.dialect == "sqlite":
            as_if_large(connection)
        return full_scans(connection, statements, tables)


def _feed_and_search(directory: ContactPointDirectory, clock: FakeClock) -> None:
    """Every kind of feed message and matching outcome, then every kind of search and a view."""
    hannah = make_child("Hannah Louise", "Smith", BORN, nhs=nhs_number(1), local_id="ICS-1", upn="A801200201001")
    assert accepted(send(directory, identity_update(hannah, sender=ISLINGTON_ICS)))
    gp = service_involvement("GP-1")
    known_to_gp = make_child("Hannah", "Smith", BORN, nhs=nhs_number(1))
    assert accepted(send(directory, involvement_started(known_to_gp, gp)))  # by NHS number
    twin = make_child("Sophie", "Smith", BORN, nhs=nhs_number(2), local_id="ICS-2")
    assert accepted(send(directory, identity_update(twin, sender=ISLINGTON_ICS)))  # same birth date: a new child
    by_details = make_child("Hannah", "Smith", BORN)
    assert accepted(send(directory, involvement_started(by_details, service_involvement("YS-1"), sender=SCHOOL)))
    moved = make_child("Hannah", "Smith", BORN, postcode="N1 9ZZ", local_id="Y-1")
    held = send(directory, identity_update(moved, sender=GP_SURGERY))
    assert "CP-MATCH-HELD" in rule_ids(held)
    behind = send(directory, involvement_started(moved, service_involvement("GP-2"), sender=GP_SURGERY))
    assert "CP-MATCH-HELD" in rule_ids(behind)  # waits behind the held message
    clock.on(2010, 3, 1)
    assert accepted(send(directory, involvement_ended(known_to_gp, gp, dt.date(2010, 2, 20), at=moment(2010, 3, 1))))
    caf = CafIndicatorUpdate(
        header=new_header(MessageType.CAF_INDICATOR_UPDATE, NATIONAL_ECAF, directory.identity, moment(2010, 3, 2)),
        child=known_to_gp,
        caf_exists=True,
        updated_on=dt.date(2010, 3, 1),
        completed_by=gp.practitioner,
    )
    assert accepted(send(directory, caf))
    renamed = hannah.model_copy(update={"name": PersonName(given_names="Hannah Louise", family_name="Jones")})
    assert accepted(send(directory, identity_update(renamed, sender=ISLINGTON_ICS, at=moment(2010, 3, 3))))
    for criteria in (
        {"identifier": nhs_number(1)},
        {"identifier": "A801200201001"},
        {"family_name": "Smith", "date_of_birth": BORN},
        {"family_name": "Jones", "given_names": "Hannah"},
        {"family_name": "Jones", "given_names": "Hannah", "date_of_birth": BORN, "postcode": "N7 6XP"},
        {"family_name": "Smith", "postcode": "N7 6XP"},
    ):
        found = search(directory, **criteria)
    (record,) = search(directory, identifier=nhs_number(2)).records
    search(directory, identifier=record.contactpoint_id)
    directory.view(record.contactpoint_id, practitioner_id=MELANIE_ID, reason="attendance")
    assert found.records


def test_the_directory_reads_no_whole_table_for_the_feed_searches_or_views(store_url: str) -> None:
    clock = FakeClock(moment(2010, 2, 1))
    directory = open_directory(store_url, clock)
    try:
        shielded = make_child("Ava", "Brown", BORN, nhs=nhs_number(3))
        assert accepted(send(directory, identity_update(shielded)))
        (record,) = search(directory, identifier=nhs_number(3)).records
        directory.set_shielding(
            record.contactpoint_id, ShieldingChange(shielded=True, reason="refuge"), by=DATA_MANAGER
        )
        with recording() as statements:
            _feed_and_search(directory, clock)
        assert len(statements) > 25, "the workload ran the directory's statements"
        scans = _explain(directory.store, statements, ("cp_",))
        assert not scans, "statements that read a whole table:\n" + "\n".join(s.describe() for s in scans)
    finally:
        directory.dispose()


def test_ecaf_and_ics_read_no_whole_table_for_a_childs_records(store_url: str) -> None:
    """Hannah's story through the three systems: every statement on eCAF's and the ICS's per-child tables."""
    with recording() as statements:
        result = play_hannahs_story(db_url=store_url, out=io.StringIO())
    assert result.all_accepted
    store = Store(store_url, MetaData())
    try:
        scans = _explain(store, _on_the_paths(statements), ("ecaf_", "ics_", "cp_"))
    finally:
        store.dispose()
    assert not scans, "statements that read a whole table:\n" + "\n".join(s.describe() for s in scans)


def test_a_whole_table_read_is_reported_with_its_plan(store_url: str) -> None:
    """The check has teeth: a search on a column no index serves is reported, on both engines."""
    clock = FakeClock(moment(2010, 2, 1))
    directory = open_directory(store_url, clock)
    try:
        assert accepted(send(directory, identity_update(make_child("Ava", "Brown", BORN, nhs=nhs_number(3)))))
        child = directory.tables.child
        with recording() as statements, directory.store.reading() as connection:
            connection.execute(child.select().where(child.c.died_on == dt.date(2010, 1, 1)))
        scans = _explain(directory.store, statements, ("cp_",))
        assert [s.table for s in scans] == ["cp_child"]
        assert "cp_child" in scans[0].describe()
    finally:
        directory.dispose()


def test_records_moving_between_systems_read_no_whole_table(store_url: str, tmp_path: Path) -> None:
    """Episodes and cases leaving and arriving (F7, F8, F9, F10): eCAF's and the ICS's per-child tables.

    Hannah's story never moves a record between authorities; these paths look a record up by the
    identifiers it arrived with (a transfer's source, a migration batch's episodes), so they too
    must not read every episode or case held. Hackney's ICS, which sends nothing here, runs on its
    own SQLite file; Islington's ICS and National eCAF on the store under test.
    """
    clock = FakeEcafClock(moment(2010, 11, 10, 9))
    islington = IcsSystem(
        store_url, identity=ICS_ISLINGTON, clock=clock, settings=IcsSettings(central_team=SOCIAL_CARE_DUTY_TEAM)
    )
    hackney = IcsSystem(f"sqlite:///{tmp_path / 'hackney.db'}", identity=ICS_HACKNEY, clock=clock)
    try:
        with World.opened(store_url, clock) as world, recording() as statements:
            # National eCAF: an episode arrives from a local eCAF (F7), a migration batch (F8, F10), one leaves (F7).
            transfer = example_messages()[MessageType.EPISODE_TRANSFER]
            assert isinstance(transfer, EpisodeTransfer)
            header = new_header(MessageType.EPISODE_TRANSFER, ISLINGTON_LOCAL_ECAF, ECAF, moment(2010, 11, 10, 8))
            assert world.receive(transfer.model_copy(update={"header": header})).status.value == "accepted"
            batch = example_messages()[MessageType.MIGRATION_BATCH]
            assert isinstance(batch, MigrationBatch)
            header = new_header(MessageType.MIGRATION_BATCH, ISLINGTON_LOCAL_ECAF, ECAF, moment(2010, 11, 10, 8))
            assert world.receive(batch.model_copy(update={"header": header})).status.value == "accepted"
            log_hannah(world)
            form_the_tac(world)
            world.ecaf.transfer_out(
                HANNAH_EPISODE_ID, ISLINGTON_LOCAL_ECAF, ISLINGTON, "Moved.", from_la=HACKNEY, by=MELANIE
            )
            world.ecaf.deliver()
            # Islington's ICS: its local eCAF module exports (F7, F8); a case moves to Hackney (F9).
            kyle, aisha = batch.episodes
            for episode in (kyle, aisha, transfer.episode):
                islington.local_ecaf.create_episode(episode)
            islington.local_ecaf.export_migration_batch("LA206-MIG-9", [kyle.episode_id, aisha.episode_id])
            islington.local_ecaf.transfer_episode(
                transfer.episode.episode_id, to=ECAF, to_la=HACKNEY, reason="The family moved to Hackney."
            )
            case_id = islington.open_case(HANNAH, allocated_worker=JOHN, opened_on=dt.date(2010, 5, 19)).case_id
            islington.close_case(case_id, IcsClosure(closure_date=dt.date(2010, 10, 1), reason=CinClosureReason.RC7))
            islington.transfer_case(case_id, ICS_HACKNEY, "204", "The family moved to Hackney.")
            islington.connect("ics:LA204-CSC", InProcessTransport(hackney.receiver.receive, islington.identity))
            acks = islington.deliver()
            assert [ack.status for ack in acks] == [AcknowledgementStatus.ACCEPTED] * len(acks)
            assert acks, "the case reached Hackney"
        assert len(statements) > 25, "the workload ran eCAF's and the ICS's statements"
        scans = _explain(islington.store, _on_the_paths(statements), ("ecaf_", "ics_"))
    finally:
        islington.store.dispose()
        hackney.store.dispose()
    assert not scans, "statements that read a whole table:\n" + "\n".join(s.describe() for s in scans)
