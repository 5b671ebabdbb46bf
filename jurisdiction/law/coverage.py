"""What the rule library covers, as data: for each jurisdiction, the laws encoded; or
"researched: no comprehensive law" (with a source and the day it was checked); or a known gap
(a law exists but is not encoded); or nothing (not researched). The library's `coverage.yaml`
holds the researched entries; encoded laws speak for themselves.

Statuses of a jurisdiction (`Coverage.status`):

- `covered`: laws of the library apply there, and no gap is known. For a subdivision of a
  country the library splits (US states), a law of its own applies or research found none.
- `no_law`: researched, and no comprehensive law exists; nothing is owed that the library
  could know of. Counts as covered.
- `partial`: laws apply, but a law there is not encoded (or the subdivision was not researched).
- `not_covered`: no law of the library applies, and a law there is not encoded.
- `not_researched`: no law applies, and nothing is known.

Only `covered` and `no_law` are covered: an assessment never reports the others as clear.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from jurisdiction.practice.model import Day
from jurisdiction.vocabulary.regions import RegionCode, country_of

__all__ = ["COVERED", "Coverage", "CoverageEntry", "CoverageFile", "CoverageStatus", "JurisdictionCoverage"]

CoverageStatus = Literal["covered", "no_law", "partial", "not_covered", "not_researched"]
COVERED: frozenset[str] = frozenset({"covered", "no_law"})
MODEL = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # built when first used


class CoverageEntry(BaseModel):
    """A researched jurisdiction the library has no law for, or a law it does not encode."""

    model_config = MODEL
    code: RegionCode = Field(description="ISO 3166-1 alpha-2 or ISO 3166-2 code.")
    status: Literal["no_comprehensive_law", "law_not_encoded"] = Field(
        description="no_comprehensive_law: researched, none enacted; law_not_encoded: a law exists "
        "(in force or upcoming) that the library does not encode."
    )
    laws: list[str] = Field(default_factory=list, description="The laws that exist there, with their year.")
    citation: str | None = Field(None, description="The official citation of the law, where there is one.")
    url: HttpUrl = Field(description="The source: the official publisher, or for 'no law' a tracker such as UNCTAD's.")
    checked: Day = Field(description="The day the status was last checked.")
    verified: bool = Field(True, description="False where no primary or official source could be read.")
    note: str | None = Field(None, description="What the status rests on.")


class CoverageFile(BaseModel):
    """`coverage.yaml` at the root of a rule library."""

    model_config = MODEL
    as_of: Day = Field(description="The day the research was last brought up to date.")
    source_note: str | None = Field(None, description="How the entries were compiled.")
    entries: list[CoverageEntry] = Field(default_factory=list)


@dataclass(frozen=True)
class JurisdictionCoverage:
    """One jurisdiction's coverage, as an assessment reports it."""

    status: CoverageStatus
    why: str
    gaps: tuple[str, ...] = ()
    source: str | None = None
    checked: dt.date | None = None
    verified: bool = True

    @property
    def covered(self) -> bool:
        return self.status in COVERED

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"status": self.status, "covered": self.covered, "why": self.why}
        if self.gaps:
            out["gaps"] = list(self.gaps)
        if self.source is not None:
            out["source"] = self.source
        if self.checked is not None:
            out["checked"] = self.checked.isoformat()
        if not self.verified:
            out["verified"] = False
        return out


class Coverage:
    """The coverage entries of a library, by code."""

    def __init__(self, entries: Iterable[CoverageEntry] = (), as_of: dt.date | None = None) -> None:
        self.entries: Mapping[str, CoverageEntry] = {e.code: e for e in entries}
        self.as_of = as_of

    def status(self, code: str, laws: Iterable[str], own_law: bool, subdivided: bool) -> JurisdictionCoverage:
        """`laws`: the library's laws that apply to `code` during the practice; `own_law`: one of
        them names `code` itself (not only its country or a group); `subdivided`: the library
        splits `code`'s country by subdivision, so `code`'s own laws matter."""
        laws = list(laws)
        entry = self.entries.get(code)
        country = country_of(code)
        national = self.entries.get(country) if country != code else None
        gaps = [e for e in (entry, national) if e is not None and e.status == "law_not_encoded"]
        researched = entry is not None and entry.status == "no_comprehensive_law"
        if gaps:
            known = tuple(law for e in gaps for law in (e.laws or [e.citation or "a law"]))
            first = gaps[0]
            status: CoverageStatus = "partial" if laws else "not_covered"
            why = "not encoded in the library: " + "; ".join(known)
            return JurisdictionCoverage(status, why, known, str(first.url), first.checked, first.verified)
        if laws:
            if subdivided and code != country and not own_law and not researched:
                return JurisdictionCoverage("partial", "national laws apply; its own laws were not researched")
            if researched and entry is not None:
                why = "national laws apply; researched: no comprehensive law of its own"
                return JurisdictionCoverage("covered", why, source=str(entry.url), checked=entry.checked)
            return JurisdictionCoverage("covered", "laws of the library apply")
        if not researched and not subdivided and national is not None and national.status == "no_comprehensive_law":
            entry, researched = national, True  # a region of a country without a law, none of its own known
        if researched and entry is not None:
            why = "researched: no comprehensive data-protection law" + (f" ({entry.note})" if entry.note else "")
            return JurisdictionCoverage("no_law", why, (), str(entry.url), entry.checked, entry.verified)
        return JurisdictionCoverage("not_researched", "no law in the library, and its laws were not researched")
