"""F7 and F8: the ICS's local eCAF module holds CAF episodes and exports them, one at a time or in a migration batch.

Episodes come from Hannah's story (Chloe's episode, and the two Islington migrated). What
leaves goes through the outbox; the tests read it back and put it through the validator, so
an export the standard would reject fails here. Each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from ics_interop.adapters.ics import ChangeRefused, IcsSystem, RecordNotFound, StateConflict, has_consent_to_store

from ics_interop import to_xml, validate_bytes
from ics_interop.codecs import from_json_data
from ics_interop.examples import CHLOE_EPISODE_ID, example_messages
from ics_interop.messages import (
    BatchManifest,
    CafIndicatorUpdate,
    EpisodeTransfer,
    MessageType,
    MigrationBatch,
    SystemRef,
)
from ics_interop.model import CafEpisode, ConsentRecord
from ics_interop.model.codes import ConsentDecision, ConsentGiver, SystemKind

EXAMPLES = example_messages()
TRANSFER = EXAMPLES[MessageType.EPISODE_TRANSFER]
BATCH = EXAMPLES[MessageType.MIGRATION_BATCH]
assert isinstance(TRANSFER, EpisodeTransfer)
assert isinstance(BATCH, MigrationBatch)
CHLOE = TRANSFER.episode
KYLE, AISHA = BATCH.episodes
ISLINGTON_ICS = EXAMPLES[MessageType.SOCIAL_CARE_REFERRAL].header.recipient
NATIONAL_ECAF = SystemRef(system=SystemKind.NATIONAL_ECAF, organisation_id="DCSF")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def ics(store_url: str) -> Iterator[IcsSystem]:
    system = IcsSystem(store_url, identity=ISLINGTON_ICS, clock=Clock(dt.datetime(2010, 12, 6, 19, tzinfo=dt.UTC)))
    yield system
    system.store.dispose()


def sent(ics: IcsSystem, *, to_directory: bool = False) -> list[tuple[str, object]]:
    """What the module sent to eCAF systems (or, with `to_directory`, to ContactPoint: the F3 indicators)."""
    rows = [(row["destination"], from_json_data(row["body"])) for row in ics.outbox.pending(ics.store)]
    return [(d, m) for d, m in rows if (d == "contactpoint") == to_directory]


def without_consent(episode: CafEpisode, episode_id: str) -> CafEpisode:
    """An episode as a legacy local eCAF held it: no consent captured, no assessment to need one yet."""
    return episode.model_copy(update={"episode_id": episode_id, "assessment": None, "consents": [], "shared_with": []})


def consent(consent_id: str, decision: ConsentDecision = ConsentDecision.GIVEN) -> ConsentRecord:
    return ConsentRecord(
        consent_id=consent_id,
        decision=decision,
        given_by=ConsentGiver.CHILD,
        organisation_id="LA206",
        recorded_on=dt.date(2010, 11, 23),
    )


def test_an_episode_with_an_assessment_is_held_only_with_consent_to_store_it(ics: IcsSystem) -> None:
    bare = CHLOE.model_copy(update={"consents": [], "shared_with": []})
    with pytest.raises(ChangeRefused) as refused:
        ics.local_ecaf.create_episode(bare)
    assert (refused.value.rule_id, refused.value.where) == ("CAF-006", "episode.consents")
    assert ics.local_ecaf.episodes() == []
    ics.local_ecaf.create_episode(CHLOE)
    assert [e.episode for e in ics.local_ecaf.episodes()] == [CHLOE]
    with pytest.raises(StateConflict, match="ICS-015"):
        ics.local_ecaf.create_episode(CHLOE)


def test_a_single_episode_goes_whole_to_national_ecaf_once(ics: IcsSystem) -> None:
    ics.local_ecaf.create_episode(CHLOE)
    receipt = ics.local_ecaf.transfer_episode(
        CHLOE_EPISODE_ID, to=NATIONAL_ECAF, to_la="204", reason="The family moved to Hackney."
    )
    [(destination, message)] = sent(ics)
    assert destination == receipt.destination == "national-ecaf"
    assert isinstance(message, EpisodeTransfer)
    assert message.header.message_id == receipt.message_id
    assert message.header.sender.system is SystemKind.LOCAL_ECAF
    assert (message.from_la, message.to_la) == ("206", "204")
    assert message.episode == CHLOE
    assert validate_bytes(to_xml(message)).errors == 0
    held = ics.local_ecaf.episode(CHLOE_EPISODE_ID)
    assert (held.state, held.exported_to) == ("transferred", "national-ecaf")
    with pytest.raises(StateConflict, match="ICS-014"):
        ics.local_ecaf.transfer_episode(CHLOE_EPISODE_ID, to=NATIONAL_ECAF, to_la="204", reason="Again.")
    assert len(sent(ics)) == 1


def test_an_episode_can_go_to_another_authoritys_local_ecaf(ics: IcsSystem) -> None:
    ics.local_ecaf.create_episode(CHLOE)
    hackney = SystemRef(system=SystemKind.LOCAL_ECAF, organisation_id="LA204")
    receipt = ics.local_ecaf.transfer_episode(CHLOE_EPISODE_ID, to=hackney, to_la="204", reason="Moved.")
    assert receipt.destination == "local-ecaf:LA204"


def test_a_migration_batch_sends_episodes_with_consent_and_reports_the_others(ics: IcsSystem) -> None:
    for episode in (
        KYLE,
        AISHA,
        without_consent(KYLE, "LA206-CAF-0000700"),
        without_consent(AISHA, "LA206-CAF-0000701"),
    ):
        ics.local_ecaf.create_episode(episode)
    # Consent captured, then withdrawn: not consent to store.
    ics.local_ecaf.record_consent("LA206-CAF-0000701", consent("C-1"))
    ics.local_ecaf.record_consent("LA206-CAF-0000701", consent("C-2", ConsentDecision.WITHDRAWN))
    assert not has_consent_to_store(ics.local_ecaf.episode("LA206-CAF-0000701").episode)

    report = ics.local_ecaf.export_migration_batch("LA206-MIG-1")
    assert report.sent == [KYLE.episode_id, AISHA.episode_id]
    assert [e.episode_id for e in report.left_out] == ["LA206-CAF-0000700", "LA206-CAF-0000701"]
    assert all("consent" in e.reason for e in report.left_out)
    [(destination, batch)] = sent(ics)
    assert destination == "national-ecaf"
    assert isinstance(batch, MigrationBatch)
    assert batch.episodes == [KYLE, AISHA]
    assert batch.manifest == BatchManifest.for_episodes("LA206-MIG-1", [KYLE, AISHA])
    assert validate_bytes(to_xml(batch)).errors == 0, "MIG-001..MIG-004 and the CAF rules all pass"
    assert {e.episode.episode_id: e.state for e in ics.local_ecaf.episodes()} == {
        KYLE.episode_id: "migrated",
        AISHA.episode_id: "migrated",
        "LA206-CAF-0000700": "held",
        "LA206-CAF-0000701": "held",
    }

    # Consent captured for one of those left out: the next batch takes it, and only it.
    ics.local_ecaf.record_consent("LA206-CAF-0000700", consent("C-3"))
    again = ics.local_ecaf.export_migration_batch("LA206-MIG-2")
    assert again.sent == ["LA206-CAF-0000700"]
    assert {e.episode_id: e.reason for e in again.left_out}[KYLE.episode_id].startswith("already migrated")
    with pytest.raises(StateConflict, match="ICS-021"):
        ics.local_ecaf.export_migration_batch("LA206-MIG-2")


def test_a_batch_with_nothing_to_send_is_refused_and_nothing_is_sent(ics: IcsSystem) -> None:
    ics.local_ecaf.create_episode(without_consent(KYLE, "LA206-CAF-0000700"))
    with pytest.raises(StateConflict) as refused:
        ics.local_ecaf.export_migration_batch("LA206-MIG-1")
    assert refused.value.rule_id == "ICS-016"
    assert sent(ics) == []
    assert ics.local_ecaf.episode("LA206-CAF-0000700").state == "held"
    with pytest.raises(RecordNotFound, match="ICS-019"):
        ics.local_ecaf.export_migration_batch("LA206-MIG-1", ["NO-SUCH-EPISODE"])


def test_a_caf_logged_in_the_local_module_tells_contactpoint(ics: IcsSystem) -> None:
    ics.local_ecaf.create_episode(CHLOE)
    [(destination, message)] = sent(ics, to_directory=True)
    assert destination == "contactpoint"
    assert isinstance(message, CafIndicatorUpdate)
    assert message.caf_exists
    assert message.header.sender.system is SystemKind.LOCAL_ECAF
    assert CHLOE.assessment is not None
    assert message.completed_by == CHLOE.assessment.assessor
    assert message.updated_on == CHLOE.assessment.assessment_date
    assert validate_bytes(to_xml(message)).findings == []  # no case information: CP-001 and CP-002 quiet


def test_an_episode_without_an_assessment_is_not_yet_a_logged_caf(ics: IcsSystem) -> None:
    ics.local_ecaf.create_episode(without_consent(KYLE, "LOCAL-KYLE-LEGACY"))
    assert sent(ics, to_directory=True) == []
