"""Where practitioners look: ContactPoint's search and National eCAF's episode, in process or over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

import attrs
import httpx

from ics_interop.examples import HANNAH_EPISODE_ID
from ics_interop.model import CafEpisode, Practitioner

from ..contactpoint import ContactPointDirectory, SearchResult
from ..ecaf import ConsentRefused, NationalEcaf
from .narration import Page, name_of
from .observations import Refusal, StoryFailed


class Screens(Protocol):
    """Where practitioners look: ContactPoint's search, and National eCAF's episode."""

    def search(self, practitioner: Practitioner, reason: str) -> SearchResult:
        """Search ContactPoint for Hannah by name and date of birth, as Melanie does."""
        ...

    def read_episode(self, reader: Practitioner, reason: str) -> CafEpisode | Refusal:
        """Read Hannah's CAF on National eCAF: the episode, or the refusal when no consent is on record."""
        ...


@attrs.frozen
class LocalScreens:
    contactpoint: ContactPointDirectory
    ecaf: NationalEcaf

    def search(self, practitioner: Practitioner, reason: str) -> SearchResult:
        return self.contactpoint.search(
            practitioner_id=practitioner.practitioner_id,
            reason=reason,
            family_name="Mills",
            given_names="Hannah",
            date_of_birth=dt.date(1994, 6, 14),
        )

    def read_episode(self, reader: Practitioner, reason: str) -> CafEpisode | Refusal:
        try:
            return self.ecaf.read_episode(HANNAH_EPISODE_ID, reader, reason)
        except ConsentRefused as refused:
            return Refusal(refused.rule_id, refused.message, refused.hint)


@attrs.frozen
class HttpScreens:
    """The practitioners' screens over HTTP: each practitioner acts with their own user token."""

    client: httpx.Client
    contactpoint_url: str
    ecaf_url: str
    user_token: Callable[[Practitioner, str], str]  # a practitioner's token for a service (its URL)
    page: Page

    def _as(self, person: Practitioner, audience: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.user_token(person, audience)}"}

    def search(self, practitioner: Practitioner, reason: str) -> SearchResult:
        response = self.client.get(
            f"{self.contactpoint_url}/children",
            params={"familyName": "Mills", "givenNames": "Hannah", "dateOfBirth": "1994-06-14"},
            headers={**self._as(practitioner, self.contactpoint_url), "X-Access-Reason": reason},
        )
        if response.status_code != 200:
            raise _http_failure("ContactPoint's search", response)
        self.page.line(f"{name_of(practitioner)} searches with her own user token ({practitioner.practitioner_id})", 4)
        return SearchResult.model_validate(response.json())

    def read_episode(self, reader: Practitioner, reason: str) -> CafEpisode | Refusal:
        response = self.client.get(
            f"{self.ecaf_url}/episodes/{HANNAH_EPISODE_ID}",
            params={"reason": reason},
            headers=self._as(reader, self.ecaf_url),
        )
        if response.status_code == 403:
            error = response.json()["error"]
            return Refusal(str(error["id"]), str(error["message"]), str(error["hint"]))
        if response.status_code != 200:
            raise _http_failure("National eCAF's episode route", response)
        return CafEpisode.model_validate(response.json())


def _http_failure(what: str, response: httpx.Response) -> StoryFailed:
    return StoryFailed(
        f"{what} answered HTTP {response.status_code}: {response.text[:500]}",
        hint="the error names the rule and how to fix it; if it is the demo's request, report it as a bug",
    )
