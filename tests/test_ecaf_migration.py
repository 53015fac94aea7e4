"""Migrating a local eCAF's episodes into National eCAF, episode by episode (F8; seed §5.3).

The batch is Islington's (the example) with one more episode whose consent was never
captured: it is refused (CAF-006), the others imported; each episode whole or not at all; and
the import is safe to run again. Both ways in are tested: the migration API and a
`MigrationBatch` delivered as a message (F10 acknowledgement).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ics_interop.adapters.ecaf import ChangeRefused, InvalidInput, UnknownRecord
from ics_interop.adapters.messaging import new_header

from callers import sender
from ics_interop import to_json, to_xml
from ics_interop.examples import LEE, LIBBY, example_messages
from ics_interop.messages import BatchManifest, CafIndicatorUpdate, MessageType, MigrationBatch
from test_ecaf_story import ISLINGTON_LOCAL_ECAF, NATIONAL_ECAF, FakeClock, World, moment, snapshot

#: The local eCAF module that sends the batches, as authenticated.
LOCAL_ECAF_CLIENT = sender(ISLINGTON_LOCAL_ECAF)

KYLE, AISHA, NO_CONSENT = "LA206-CAF-0000655", "LA206-CAF-0000871", "LA206-CAF-0000990"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(moment(2010, 12, 6, 19))


@pytest.fixture
def world(store_url: str, clock: FakeClock) -> Iterator[World]:
    with World.opened(store_url, clock) as opened:
        yield opened


def _batch(*, without_consent: bool = True) -> MigrationBatch:
    """Islington's batch; with a third episode (Kyle's, copied) whose consent was never captured."""
    example = example_messages()[MessageType.MIGRATION_BATCH]
    assert isinstance(example, MigrationBatch)
    episodes = list(example.episodes)
    if without_consent:
        episodes.append(episodes[0].model_copy(update={"episode_id": NO_CONSENT, "consents": []}))
    header = new_header(MessageType.MIGRATION_BATCH, ISLINGTON_LOCAL_ECAF, NATIONAL_ECAF, moment(2010, 12, 6, 18))
    return MigrationBatch(
        header=header, manifest=BatchManifest.for_episodes("LA206-MIG-2010-12-01", episodes), episodes=episodes
    )


def _held(world: World) -> list[str]:
    return sorted(row.split("'episode_id', '")[1].split("'")[0] for row in snapshot(world.ecaf)["ecaf_episodes"])


def _outcomes(report: Any) -> list[tuple[str, str, list[str]]]:
    return [(r.episode_id, r.outcome, r.rule_ids) for r in report.results]


def test_each_episode_is_imported_or_refused_on_its_own(world: World) -> None:
    report = world.ecaf.import_migration_batch(_batch(), client=LOCAL_ECAF_CLIENT)

    assert _outcomes(report) == [
        (KYLE, "imported", []),
        (AISHA, "imported", []),
        (NO_CONSENT, "refused", ["CAF-006"]),
    ]
    assert (report.imported, report.already_imported, report.refused) == (2, 0, 1)
    assert "episodes[2].consents" in (report.results[2].detail or "")
    assert _held(world) == [KYLE, AISHA]
    # Kyle's open episode is on ContactPoint as National eCAF's now; Aisha's closed one is not.
    world.ecaf.deliver()
    assert [u.child.name.given_names for u in world.contactpoint.of_type(CafIndicatorUpdate)] == ["Kyle"]
    assert world.ecaf.read_episode(KYLE, LEE, "first TAC meeting in National eCAF").episode_id == KYLE


def test_running_the_import_again_changes_nothing(world: World) -> None:
    world.ecaf.import_migration_batch(_batch(), client=LOCAL_ECAF_CLIENT)
    stored = ("ecaf_episodes", "ecaf_outbox", "ecaf_access_audit")
    before = snapshot(world.ecaf, tables=stored)

    again = world.ecaf.import_migration_batch(to_xml(_batch()), client=LOCAL_ECAF_CLIENT)

    assert _outcomes(again) == [
        (KYLE, "already-imported", []),
        (AISHA, "already-imported", []),
        (NO_CONSENT, "refused", ["CAF-006"]),
    ]
    assert snapshot(world.ecaf, tables=stored) == before
    assert _outcomes(world.ecaf.migration_report("LA206-MIG-2010-12-01")) == _outcomes(again)


def test_an_episode_changed_after_import_is_still_already_imported(world: World) -> None:
    world.ecaf.import_migration_batch(_batch(without_consent=False), client=LOCAL_ECAF_CLIENT)
    world.ecaf.record_review(KYLE, summary="First review in National eCAF.", by=LEE)
    again = world.ecaf.import_migration_batch(_batch(without_consent=False), client=LOCAL_ECAF_CLIENT)
    assert [r.outcome for r in again.results] == ["already-imported", "already-imported"]
    assert world.ecaf.read_episode(KYLE, LEE, "check").reviews[-1].summary == "First review in National eCAF."


def test_a_batch_whose_manifest_does_not_match_is_refused_whole(world: World) -> None:
    batch = _batch()
    short = batch.model_copy(update={"episodes": batch.episodes[:2]})  # the manifest still says three
    with pytest.raises(ChangeRefused) as refused:
        world.ecaf.import_migration_batch(short, client=LOCAL_ECAF_CLIENT)
    assert refused.value.rule_id == "MIG-001"
    assert _held(world) == []
    with pytest.raises(InvalidInput) as unusable:
        world.ecaf.import_migration_batch(b"<not-a-message/>", client=LOCAL_ECAF_CLIENT)
    assert unusable.value.rule_id in ("INPUT-001",) or unusable.value.rule_id.startswith("XSD-")
    with pytest.raises(UnknownRecord) as unknown:
        world.ecaf.migration_report("LA206-MIG-NEVER")
    assert unknown.value.rule_id == "NECAF-011"


def test_a_failure_part_way_leaves_each_episode_whole_and_the_import_can_resume(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ics_interop.adapters.ecaf import audit

    real_record = audit.record

    def fails_on_aisha(connection: Any, tables: Any, **entry: Any) -> None:
        if entry["episode_id"] == AISHA:
            raise RuntimeError("the connection to the database dropped")
        real_record(connection, tables, **entry)

    # Aisha's episode is written, then its audit entry fails: the episode must go with it.
    monkeypatch.setattr(audit, "record", fails_on_aisha)
    with pytest.raises(RuntimeError):
        world.ecaf.import_migration_batch(_batch(), client=LOCAL_ECAF_CLIENT)
    assert _held(world) == [KYLE]  # Kyle's episode was whole and stays; Aisha's half-written one is gone
    monkeypatch.undo()

    report = world.ecaf.import_migration_batch(_batch(), client=LOCAL_ECAF_CLIENT)
    assert [r.outcome for r in report.results] == ["already-imported", "imported", "refused"]
    assert _held(world) == [KYLE, AISHA]


# --- the same batch, delivered as a message (F10) ------------------------------------------------


def test_a_batch_message_is_accepted_with_the_refused_episodes_as_warnings(world: World) -> None:
    batch = _batch()

    ack = world.receive(batch, form="json")

    assert ack.status.value == "accepted", ack.findings
    assert [(f.rule_id, f.severity, f.path) for f in ack.findings] == [("CAF-006", "warning", "episodes[2].consents")]
    assert _held(world) == [KYLE, AISHA]
    assert world.ecaf.read_episode(AISHA, LIBBY, "check the migration").closure_reason is not None
    assert _outcomes(world.ecaf.migration_report("LA206-MIG-2010-12-01"))[2] == (NO_CONSENT, "refused", ["CAF-006"])
    # A redelivery gets the same answer and changes nothing.
    before = snapshot(world.ecaf)
    assert world.receive(batch, form="json") == ack
    assert snapshot(world.ecaf) == before


def test_a_batch_message_with_a_damaged_manifest_is_rejected_whole(world: World) -> None:
    batch = _batch(without_consent=False)
    damaged = batch.model_copy(update={"manifest": batch.manifest.model_copy(update={"checksum": "0" * 64})})
    body = to_json(damaged)
    reply, _ = world.ecaf.receiver.receive(body, "application/json", client=sender(body))
    assert b'"rejected"' in reply
    assert b"MIG-003" in reply
    assert _held(world) == []
