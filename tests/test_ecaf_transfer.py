"""Single episodes moving between National eCAF and a local eCAF with a child (F7; seed §5.3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from ics_interop.adapters.ecaf import ChangeRefused, ConsentRefused
from ics_interop.adapters.messaging import new_header

from ics_interop.examples import (
    CHLOE_EPISODE_ID,
    HACKNEY,
    HANNAH_EPISODE_ID,
    ISLINGTON,
    LIBBY,
    MELANIE,
    STEVE,
    example_messages,
)
from ics_interop.messages import CafIndicatorUpdate, EpisodeTransfer, MessageType
from ics_interop.model.codes import CafClosureReason, CafStatus
from test_ecaf_story import (
    ISLINGTON_LOCAL_ECAF,
    NATIONAL_ECAF,
    FakeClock,
    World,
    form_the_tac,
    log_hannah,
    moment,
    snapshot,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(moment(2010, 11, 10, 9))


@pytest.fixture
def world(store_url: str, clock: FakeClock) -> Iterator[World]:
    with World.opened(store_url, clock) as opened:
        yield opened


def _chloe_transfer() -> EpisodeTransfer:
    """Chloe's CAF leaving Islington's local eCAF for National eCAF (the example), as a fresh message."""
    example = example_messages()[MessageType.EPISODE_TRANSFER]
    assert isinstance(example, EpisodeTransfer)
    header = new_header(MessageType.EPISODE_TRANSFER, ISLINGTON_LOCAL_ECAF, NATIONAL_ECAF, moment(2010, 11, 10, 8))
    return example.model_copy(update={"header": header})


def test_a_transferred_episode_is_stored_whole_under_its_own_id(world: World) -> None:
    message = _chloe_transfer()

    ack = world.receive(message)

    assert ack.status.value == "accepted", ack.findings
    # Libby has consent on Chloe's ledger: she reads exactly the episode that was sent.
    assert world.ecaf.read_episode(CHLOE_EPISODE_ID, LIBBY, "continue the TAC") == message.episode
    # ContactPoint learns that National eCAF holds an open CAF for Chloe; the assessor is the contact.
    world.ecaf.deliver()
    [update] = world.contactpoint.of_type(CafIndicatorUpdate)
    assert (update.child, update.completed_by, update.lead_professional) == (
        message.episode.child,
        LIBBY,
        LIBBY,
    )


def test_the_same_episode_again_changes_nothing(world: World) -> None:
    message = _chloe_transfer()
    first = world.receive(message, form="json")
    before = snapshot(world.ecaf)

    assert world.receive(message, form="json") == first  # a redelivery: the inbox answers
    assert snapshot(world.ecaf) == before

    resent = _chloe_transfer()  # the same episode under a new message ID: accepted, and nothing changes
    assert world.receive(resent).status.value == "accepted"
    after = snapshot(world.ecaf, tables=("ecaf_episodes", "ecaf_outbox", "ecaf_access_audit"))
    assert after == {name: rows for name, rows in before.items() if name in after}


def test_an_episode_id_held_from_elsewhere_is_refused_and_not_overwritten(world: World) -> None:
    world.receive(_chloe_transfer())
    changed = _chloe_transfer()
    changed = changed.model_copy(
        update={"episode": changed.episode.model_copy(update={"opened_on": dt.date(2010, 3, 25)})}
    )
    before = snapshot(world.ecaf, tables=("ecaf_episodes", "ecaf_outbox"))

    ack = world.receive(changed)

    assert ack.status.value == "rejected"
    [finding] = ack.findings
    assert (finding.rule_id, finding.path) == ("NECAF-002", "episode.episodeId")
    assert snapshot(world.ecaf, tables=("ecaf_episodes", "ecaf_outbox")) == before

    # An episode logged here is not replaced by a transfer that reuses its ID either.
    log_hannah(world, episode_id="NECAF-2010-0050100")
    clash = _chloe_transfer()
    clash = clash.model_copy(update={"episode": clash.episode.model_copy(update={"episode_id": "NECAF-2010-0050100"})})
    assert [f.rule_id for f in world.receive(clash).findings] == ["NECAF-002"]


def test_a_transfer_breaking_the_standard_is_rejected_by_the_receiver(world: World) -> None:
    message = _chloe_transfer()
    broken = message.model_copy(update={"to_la": ISLINGTON})  # from Islington to Islington
    ack = world.receive(broken)
    assert ack.status.value == "rejected"
    assert "XFER-001" in [f.rule_id for f in ack.findings]
    assert snapshot(world.ecaf, tables=("ecaf_episodes",)) == {"ecaf_episodes": []}


def test_transferring_out_sends_the_episode_whole_and_closes_the_copy_here(world: World, clock: FakeClock) -> None:
    clock.on(2010, 2, 10)
    log_hannah(world)
    form_the_tac(world)
    sent_episode = world.read()
    clock.on(2010, 11, 8)

    message_id = world.ecaf.transfer_out(
        HANNAH_EPISODE_ID,
        ISLINGTON_LOCAL_ECAF,
        ISLINGTON,
        "The family moved to Islington.",
        from_la=HACKNEY,
        by=MELANIE,
    )

    assert ("EpisodeTransfer", f"local-ecaf:{ISLINGTON_LOCAL_ECAF.organisation_id}") in world.pending_types()
    world.ecaf.deliver()
    [transfer] = world.local_ecaf.of_type(EpisodeTransfer)
    assert transfer.header.message_id == message_id
    assert (transfer.from_la, transfer.to_la, transfer.episode) == (HACKNEY, ISLINGTON, sent_episode)
    left = world.read()
    assert (left.status, left.closure_reason, left.closed_on) == (
        CafStatus.CLOSED,
        CafClosureReason.MOVED_AUTHORITY,
        dt.date(2010, 11, 8),
    )

    # The child comes back: the episode returns, replaces the closed copy, and is open again.
    clock.on(2011, 3, 1)
    back = EpisodeTransfer(
        header=new_header(MessageType.EPISODE_TRANSFER, ISLINGTON_LOCAL_ECAF, NATIONAL_ECAF, clock.now),
        from_la=ISLINGTON,
        to_la=HACKNEY,
        reason="The family moved back to Hackney.",
        episode=transfer.episode,
    )
    assert world.receive(back).status.value == "accepted"
    assert world.read().status is CafStatus.OPEN


def test_transferring_out_needs_the_authority_left_consent_and_an_open_episode(world: World, clock: FakeClock) -> None:
    clock.on(2010, 2, 10)
    log_hannah(world)
    with pytest.raises(ConsentRefused):
        world.ecaf.transfer_out(HANNAH_EPISODE_ID, ISLINGTON_LOCAL_ECAF, ISLINGTON, "Moved.", by=STEVE)
    # Melanie's school is in Camden: the episode was logged under Camden, so from Camden to Camden is no transfer.
    with pytest.raises(ChangeRefused) as same_authority:
        world.ecaf.transfer_out(HANNAH_EPISODE_ID, ISLINGTON_LOCAL_ECAF, MELANIE.organisation.la_code or "", "Moved.")
    assert same_authority.value.rule_id == "XFER-001"
    world.ecaf.close_episode(HANNAH_EPISODE_ID, "needs-met", by=MELANIE)
    before = snapshot(world.ecaf)
    with pytest.raises(ChangeRefused) as closed:
        world.ecaf.transfer_out(HANNAH_EPISODE_ID, ISLINGTON_LOCAL_ECAF, ISLINGTON, "Moved.")
    assert closed.value.rule_id == "NECAF-003"
    assert snapshot(world.ecaf) == before
