"""Broken National eCAFs and ICS systems: the reference system with one thing a vendor got wrong, inside it.

Each is a `NationalEcaf` or an `IcsSystem` whose own code is wrong, so the suite meets the same
fault through the Python adapter and over HTTP. `broken` lists them with the requirements they break.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ics_interop import to_xml
from ics_interop.messages import (
    CafIndicatorUpdate,
    EpisodeTransfer,
    MigrationBatch,
    episodes_checksum,
)
from ics_interop.model import CafEpisode, CaseRecord, ConsentRecord, Practitioner
from ics_interop.model.codes import ConsentDecision

from ._adapters import Forbidden, IcsSystem, NationalEcaf
from .broken_plumbing import ReceiverFilter, RewritingTransport, decode, encode_like

__all__ = [
    "ActionsDroppedOnTransferOut",
    "CaseShowsNeighboursReferrals",
    "ChronologySkipsClosure",
    "ConsentCoversColleagues",
    "LeadWithAnotherMembersDetails",
    "LocalCafSaysNoCaf",
    "OneMigrationBatchOnly",
    "OrganisationWithdrawalIgnored",
    "ReportCountsTheDayOpened",
    "ReviewsDroppedOnTransferIn",
    "TransferAgainRefused",
    "UnreadableJsonAnsweredInXml",
    "WrongChecksumAccepted",
]


def _receiving(system: Any, fix: Callable[[Any], Any]) -> None:
    """Put `fix` in front of the system's receiver: each readable message is changed before it is received."""

    def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
        message = decode(body)
        if message is not None:
            changed = fix(message)
            if changed is not message:
                body = encode_like(changed, body)
        return receive(body, content_type, client)

    system.receiver = ReceiverFilter(system.receiver, intercept)


# --- National eCAF -------------------------------------------------------------------------------------


class ReportCountsTheDayOpened(NationalEcaf):
    """Counts the day an episode opened as a day open: 'open more than 365 days' lists those open exactly 365."""

    def open_episodes_report(
        self, older_than_days: int, now: dt.datetime | dt.date | None = None, *, by: Practitioner
    ) -> Any:
        return super().open_episodes_report(max(0, older_than_days - 1), now, by=by)


class OrganisationWithdrawalIgnored(NationalEcaf):
    """Records a withdrawal against a practitioner only: one made for a whole organisation changes no one's access."""

    def record_consent(self, episode_id: str, consent: ConsentRecord, *, by: Practitioner) -> CafEpisode:
        if consent.decision is ConsentDecision.WITHDRAWN and consent.organisation_id is not None:
            consent = consent.model_copy(
                update={"organisation_id": None, "practitioner_id": f"{consent.organisation_id}-OFFICE"[:64]}
            )
        return super().record_consent(episode_id, consent, by=by)


class ConsentCoversColleagues(NationalEcaf):
    """Takes consent for a member of the TAC as consent for their whole organisation ('the school has consent')."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members: dict[str, list[Practitioner]] = {}

    def add_tac_member(self, episode_id: str, practitioner: Practitioner, *args: Any, **kwargs: Any) -> Any:
        self.members.setdefault(episode_id, []).append(practitioner)
        return super().add_tac_member(episode_id, practitioner, *args, **kwargs)

    def read_episode(self, episode_id: str, reader: Practitioner, reason: str) -> CafEpisode:
        try:
            return super().read_episode(episode_id, reader, reason)
        except Forbidden:
            organisation = reader.organisation.organisation_id
            for member in self.members.get(episode_id, []):
                if member.organisation.organisation_id == organisation and member != reader:
                    try:
                        return super().read_episode(episode_id, member, reason)
                    except Forbidden:
                        continue
            raise


class ReviewsDroppedOnTransferIn(NationalEcaf):
    """Imports a transferred episode without its reviews (the import screen has no place for them)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def fix(message: Any) -> Any:
            if not isinstance(message, EpisodeTransfer) or not message.episode.reviews:
                return message
            return message.model_copy(update={"episode": message.episode.model_copy(update={"reviews": []})})

        _receiving(self, fix)


class ActionsDroppedOnTransferOut(NationalEcaf):
    """Sends a transferred episode without its agreed actions (the export template predates them)."""

    def connect(self, route: str, transport: Any) -> None:
        def drop(message: Any) -> Any:
            if not isinstance(message, EpisodeTransfer) or not message.episode.actions:
                return message
            return message.model_copy(update={"episode": message.episode.model_copy(update={"actions": []})})

        super().connect(route, RewritingTransport(transport, drop))


class WrongChecksumAccepted(NationalEcaf):
    """Recomputes a migration batch's checksum instead of checking the one sent (MIG-003)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def fix(message: Any) -> Any:
            if not isinstance(message, MigrationBatch):
                return message
            manifest = message.manifest.model_copy(update={"checksum": episodes_checksum(message.episodes)})
            return message.model_copy(update={"manifest": manifest})

        _receiving(self, fix)


# --- ICS ---------------------------------------------------------------------------------------------------


class UnreadableJsonAnsweredInXml(IcsSystem):
    """Answers a delivery it cannot read in XML, whatever it was sent as."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            reply, kind, status = receive(body, content_type, client)
            if decode(body) is None and "json" in kind:
                ack = decode(reply)
                if ack is not None:
                    return to_xml(ack), "application/xml", status
            return reply, kind, status

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]


class ChronologySkipsClosure(IcsSystem):
    """Shows the chronology without the closure: the closure record is kept on its own screen."""

    def case_record(self, case_id: str) -> CaseRecord:
        record = super().case_record(case_id)
        kept = [e for e in record.chronology if not e.event.startswith("Case closed")]
        return record.model_copy(update={"chronology": kept})


class CaseShowsNeighboursReferrals(IcsSystem):
    """Lists the referrals of a case by the child's family name: a brother's or sister's case's show too."""

    def case_record(self, case_id: str) -> CaseRecord:
        record = super().case_record(case_id)
        family = record.child.name.family_name
        siblings = (super(CaseShowsNeighboursReferrals, self).case_record(c.case_id) for c in self.cases())
        others = [
            r
            for other in siblings
            if other.case_id != case_id and other.child.name.family_name == family
            for r in other.referrals
        ]
        return record.model_copy(update={"referrals": [*record.referrals, *others]})


class LocalCafSaysNoCaf(IcsSystem):
    """The local eCAF module's feed to ContactPoint sends the flag the wrong way round: a CAF logged says 'no CAF'."""

    def connect(self, route: str, transport: Any) -> None:
        def flip(message: Any) -> Any:
            if isinstance(message, CafIndicatorUpdate) and message.caf_exists:
                return message.model_copy(update={"caf_exists": False, "lead_professional": None})
            return message

        super().connect(route, RewritingTransport(transport, flip))


class OneMigrationBatchOnly(IcsSystem):
    """Refuses a second migration batch: 'a batch was exported already' is checked for any batch, not this one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        exported: list[str] = []
        module = self.local_ecaf
        export = module.export_migration_batch

        def export_once(batch_id: str, episode_ids: Any = None) -> Any:
            if exported:
                from ._adapters import ChangeRefused

                raise ChangeRefused("ICS-021", f"batch {exported[0]} was exported already", where="batchId")
            result = export(batch_id, episode_ids)
            exported.append(batch_id)
            return result

        module.export_migration_batch = export_once  # type: ignore[method-assign]


class LeadWithAnotherMembersDetails(NationalEcaf):
    """Tells ContactPoint who leads, with the contact details of the practitioner who completed the CAF."""

    def connect(self, route: str, transport: Any) -> None:
        def mix(message: Any) -> Any:
            lead = getattr(message, "lead_professional", None)
            if not isinstance(message, CafIndicatorUpdate) or lead is None:
                return message
            mixed = lead.model_copy(update={"contact": message.completed_by.contact})
            return message.model_copy(update={"lead_professional": mixed})

        super().connect(route, RewritingTransport(transport, mix))


class TransferAgainRefused(NationalEcaf):
    """Refuses an episode transferred in a second time (in a new message), as if it were another episode."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        first: dict[str, str] = {}

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            message = decode(body)
            if isinstance(message, EpisodeTransfer):
                episode_id = message.episode.episode_id
                known = first.setdefault(episode_id, message.header.message_id)
                if known != message.header.message_id:
                    from ics_interop import Finding, Severity, to_json

                    from ._adapters import acknowledgement_for

                    finding = Finding("XFER-002", Severity.ERROR, f"episode {episode_id} is held here already")
                    header = message.header
                    ack = acknowledgement_for(
                        header.message_id, header.recipient, header.sender, [finding], header.created_at
                    )
                    if "json" in content_type:
                        return to_json(ack), "application/json", 422
                    return to_xml(ack), "application/xml", 422
            return receive(body, content_type, client)

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]
