"""Step 5 (output side): the assessment, as pydantic models whose JSON is the contract in
docs/contract.md. Every field is described so that the generated schema documents itself."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jurisdiction.law.rulefile import ObligationKind, Severity, Status

__all__ = [
    "AffectedUsers",
    "Assessment",
    "CoverageSummary",
    "JurisdictionCoverage",
    "JurisdictionResult",
    "LawResult",
    "Obligation",
    "ObligationDetail",
    "PlanStep",
    "Verdict",
]

Verdict = Literal["clear", "action_required", "blocked"]
OUT = ConfigDict(frozen=True, extra="forbid")


# The plan, in dependency order: the assessments decide what the practice may be; the policy
# must say it before users are told; users are told before they are asked or offered the way
# out; then the practice starts (or, where it is prohibited as planned, does not). Steps follow
# these phases, and within a phase their due dates.
PHASE = {
    "impact_assessment": 1,
    "policy_update": 2,
    "notice": 3,
    "consent": 4,
    "opt_out": 4,
    "parental_consent": 4,
    "disclosure": 5,
    "prohibited": 6,
}
STEP_TITLE = {
    "prohibited": "Stop: the practice is prohibited here as planned",
    "policy_update": "Update the privacy policy to disclose the practice",
    "notice": "Notify users individually before processing",
    "consent": "Obtain opt-in consent before processing",
    "opt_out": "Offer the opt-out / objection route before processing",
    "parental_consent": "Obtain verifiable parental consent",
    "impact_assessment": "Complete the assessments before processing starts",
    "disclosure": "Publish the required documentation",
}
SEVERITY_OF_STATUS = {"met": 0, "pending": 1, "violated": 2}


class ObligationDetail(BaseModel):
    """Where an obligation's due date or status differs between jurisdictions."""

    model_config = OUT
    jurisdictions: list[str] = Field(description="Codes this detail covers.")
    due: dt.date = Field(description="Due date there.")
    status: Status = Field(description="Status there.")
    because: list[str] = Field(description="Why, there.")


class Waiver(BaseModel):
    """A recorded decision to accept an obligation as not met, for a time."""

    model_config = OUT
    obligation: str = Field(description="Obligation id or glob it was written for.")
    reason: str
    owner: str
    expires: dt.date
    source: str = Field(description="Waivers file and line.")


class Obligation(BaseModel):
    """Something the practice owes, under one rule, in one or more jurisdictions."""

    model_config = OUT
    id: str = Field(description="Rule id: <law>/<rule>.")
    title: str = Field(description="What to do.")
    kind: ObligationKind = Field(description="Kind of obligation.")
    law: str = Field(description="Law id.")
    jurisdictions: list[str] = Field(description="Codes where it applies.")
    citation: str = Field(description="Article/section.")
    url: str = Field(description="Source URL.")
    due: dt.date = Field(description="Earliest date by which it must be met.")
    status: Status = Field(description="met | pending | violated (worst across jurisdictions).")
    severity: Severity = Field(description="blocking | warning.")
    because: list[str] = Field(
        description="The legal reason, the spec facts that made the rule apply, and what decided the status."
    )
    verified: bool = Field(True, description="False where the rule's source was not checked against the primary text.")
    uncertain: str | None = Field(None, description="Where the law is unsettled, and the reading taken.")
    details: list[ObligationDetail] | None = Field(None, description="Per-jurisdiction differences.")
    fields: list[str] = Field(
        default_factory=list,
        description="The spec fields that made the rule apply "
        "or decided its status (dotted paths), most telling first.",
    )
    waived: Waiver | None = Field(
        None, description="Set when a waiver covers this obligation; it then does not count toward the verdict."
    )


class JurisdictionCoverage(BaseModel):
    """What the rule library covers in one jurisdiction (law/coverage.py)."""

    model_config = OUT
    status: Literal["covered", "no_law", "partial", "not_covered", "not_researched"] = Field(
        description="covered: the library's laws apply and no gap is known; no_law: researched, no comprehensive "
        "law; partial: laws apply but a law there is not encoded (or a subdivision was not researched); "
        "not_covered: a law there is not encoded and none of the library applies; not_researched: nothing known."
    )
    covered: bool = Field(description="True for covered and no_law only: the others are never reported as clear.")
    why: str = Field(description="What the status rests on.")
    gaps: list[str] | None = Field(None, description="Laws there that the library does not encode.")
    source: str | None = Field(None, description="Where the research entry comes from.")
    checked: dt.date | None = Field(None, description="When the research entry was last checked.")
    verified: bool | None = Field(None, description="False where no primary or official source could be read.")


class CoverageSummary(BaseModel):
    """The jurisdictions with users that the library does not (fully) cover."""

    model_config = OUT
    complete: bool = Field(description="Every affected jurisdiction is covered.")
    uncovered: list[str] = Field(default_factory=list, description="Affected codes not (fully) covered.")
    users: int | None = Field(
        None, description="Users in uncovered jurisdictions (from users.counts, where a count names only them)."
    )


class JurisdictionResult(BaseModel):
    """One code in scope of the practice."""

    model_config = OUT
    code: str = Field(description="ISO 3166-1/-2 code.")
    name: str = Field(description="Name (pycountry).")
    affected: bool = Field(description="Users here are within the practice.")
    reason: str | None = Field(None, description="Why not affected, or a note.")
    laws: list[str] = Field(default_factory=list, description="Laws in the library that apply here.")
    obligations: list[str] = Field(default_factory=list, description="Obligation ids that apply here.")
    below_thresholds: list[str] | None = Field(
        None, description="Laws in force here whose applicability thresholds the business does not meet."
    )
    not_protected: list[str] | None = Field(
        None, description="Laws in force here that do not protect the practice's data subjects (e.g. employees)."
    )
    coverage: JurisdictionCoverage | None = Field(None, description="What the library covers here (when affected).")


class LawResult(BaseModel):
    """A law that applies somewhere in scope."""

    model_config = OUT
    id: str
    title: str
    citation: str
    url: str
    effective: dt.date = Field(
        description="Earliest day it is in force in a jurisdiction in scope (within the practice's period)."
    )
    status: Literal["in_force", "upcoming"] = Field(description="upcoming: enacted, in force after `today`.")
    jurisdictions: int = Field(description="How many codes in scope it applies to.")
    verified: bool = True
    uncertain: str | None = None


class PlanStep(BaseModel):
    """One step of the ordered plan."""

    model_config = OUT
    step: int = Field(description="1-based order.")
    kind: ObligationKind
    title: str = Field(description="What the step is.")
    due: dt.date = Field(description="Earliest due date among its obligations.")
    status: Status = Field(description="Worst status among its obligations.")
    jurisdictions: list[str]
    obligations: list[str]
    note: str | None = Field(
        None, description="Why a step is due after the practice started (a law or rule that took effect later)."
    )


class AffectedUsers(BaseModel):
    """User numbers, when the spec gives `users.counts`."""

    model_config = OUT
    affected: int = Field(description="Users in affected jurisdictions.")
    excluded: int = Field(0, description="Users in jurisdictions the practice leaves out.")


class Assessment(BaseModel):
    """The answer for one practice as of one date."""

    model_config = OUT
    practice: str = Field(description="Practice id.")
    title: str = Field(description="Practice title.")
    today: dt.date = Field(description="Evaluation date.")
    verdict: Verdict
    rules_revision: str = Field(description="Version and content hash of the rule library.")
    jurisdictions: list[JurisdictionResult]
    laws: list[LawResult]
    obligations: list[Obligation]
    plan: list[PlanStep]
    users: AffectedUsers | None = None
    coverage: CoverageSummary | None = Field(
        None, description="Affected jurisdictions the library does not cover: never reported as clear."
    )
    assumptions: list[str] = Field(default_factory=list, description="Unknown spec facts and the reading taken.")

    def uncovered_by_reason(self) -> list[tuple[str, list[str]]]:
        """The affected jurisdictions the library does not cover, grouped by why: (why, codes)."""
        by_why: dict[str, list[str]] = {}
        for j in self.jurisdictions:
            if j.affected and j.coverage is not None and not j.coverage.covered:
                by_why.setdefault(j.coverage.why, []).append(j.code)
        return sorted(by_why.items(), key=lambda kv: kv[1][0])
