"""Properties of the business rules over generated messages (Hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ics_interop import catalogue, run_rules
from ics_interop.messages import BatchManifest, ChildIdentityUpdate, InvolvementEnded, Message, MigrationBatch
from ics_interop.testing.strategies import messages, models

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(messages())
def test_rules_report_only_catalogued_rules_with_their_severity_and_a_place(message: Message) -> None:
    rules = catalogue()
    for finding in run_rules(message):
        rule = rules[finding.rule_id]
        assert rule.applies(message.message_type)
        assert finding.severity is rule.severity
        assert finding.path
        assert finding.source == rule.source


def _is_18(born: dt.date, on: dt.date) -> bool:
    # Counted the way people count birthdays, independently of the rule's own arithmetic.
    return (on.year - born.year) - ((on.month, on.day) < (born.month, born.day)) >= 18


@SETTINGS
@given(models(ChildIdentityUpdate))
def test_child_001_fires_exactly_when_the_child_is_18(message: ChildIdentityUpdate) -> None:
    born = message.child.date_of_birth
    found = "CHILD-001" in {f.rule_id for f in run_rules(message)}
    assert found == (born is not None and _is_18(born, message.effective_date))


@SETTINGS
@given(models(InvolvementEnded))
def test_date_001_fires_exactly_when_the_end_is_before_the_start(message: InvolvementEnded) -> None:
    found = [f for f in run_rules(message) if f.rule_id == "DATE-001" and f.path == "endDate"]
    assert bool(found) == (message.end_date < message.start_date)


@SETTINGS
@given(models(ChildIdentityUpdate))
def test_generated_identifiers_pass_and_a_changed_nhs_digit_fails(message: ChildIdentityUpdate) -> None:
    assert not {f.rule_id for f in run_rules(message)} & {"ID-001", "ID-002", "ID-004"}
    nhs = message.child.identifiers.nhs_number
    if nhs is None:
        return
    changed = nhs[:3] + str((int(nhs[3]) + 1) % 10) + nhs[4:]
    identifiers = message.child.identifiers.model_copy(update={"nhs_number": changed})
    broken = message.model_copy(update={"child": message.child.model_copy(update={"identifiers": identifiers})})
    # a single changed digit always changes the modulus-11 sum
    assert "ID-001" in {f.rule_id for f in run_rules(broken)}


@SETTINGS
@given(models(MigrationBatch), st.data())
def test_a_true_manifest_passes_and_a_lost_episode_is_caught(batch: MigrationBatch, data: st.DataObject) -> None:
    honest = batch.model_copy(update={"manifest": BatchManifest.for_episodes("B-1", batch.episodes)})
    mig = {f.rule_id for f in run_rules(honest) if f.rule_id.startswith("MIG-")}
    assert not mig & {"MIG-001", "MIG-002", "MIG-003"}
    if not batch.episodes:
        return
    lost = data.draw(st.integers(0, len(batch.episodes) - 1))
    truncated = honest.model_copy(update={"episodes": batch.episodes[:lost] + batch.episodes[lost + 1 :]})
    found = {f.rule_id for f in run_rules(truncated)}
    assert {"MIG-001", "MIG-003"} <= found


_WORDS = st.sampled_from(
    ["Abused", "neglected", "ASSAULT", "allegations", "diagnosed", "self-harm", "Self Harm", "overdoses", "suicidal",
     "pregnancy", "convicted", "offences", "arrested", "case notes", "exam results", "disclosure", "injured",
     "bruising", "domestic violence", "eating disorder", "depressed", "addiction", "youth", "team", "housing"]
)  # fmt: skip


@SETTINGS
@given(st.lists(st.one_of(_WORDS, st.text(max_size=8)), max_size=6).map(" ".join))
def test_the_cheap_first_look_never_hides_case_words(text: str) -> None:
    from ics_interop.rules.checks import _CASE_STEMS, _CASE_WORDS

    if _CASE_WORDS.search(text):
        assert any(stem in text.lower() for stem in _CASE_STEMS)
