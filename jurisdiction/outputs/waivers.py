"""Waivers: recorded decisions to accept an obligation as not met, for a time.

A waivers file (`jurisdiction.waivers.yaml` by default) lists entries:

    waivers:
      - obligation: us-ftc-act-5/clear-and-prominent-notice   # an id, or a glob: us-ca-ccpa/*
        spec: genai-training-*                                 # practice id or glob (default: every spec)
        jurisdictions: [US-CA]                                 # optional: only there
        reason: Notice e-mail goes out with the Q3 release; legal signed off (TICKET-123)
        owner: privacy@example.com
        expires: 2026-12-31

Waived obligations are still shown and counted apart; they do not count toward the verdict.
An expired waiver fails the gate and says so. An obligation id (or glob) that matches no rule
in the library is an error, with a suggestion.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from jurisdiction.errors import InputError, Problem, suggest
from jurisdiction.evaluation.assessment import Assessment, Waiver
from jurisdiction.evaluation.evaluator import verdict_of
from jurisdiction.practice.model import Day
from jurisdiction.reading.loading import Document, load_document
from jurisdiction.reading.validate import validate_model
from jurisdiction.vocabulary.regions import RegionCode

__all__ = ["DEFAULT_FILE", "WaiverEntry", "WaiverFile", "Waivers", "load_waivers"]

DEFAULT_FILE = "jurisdiction.waivers.yaml"
MODEL = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # built when first used


class WaiverEntry(BaseModel):
    """One waiver."""

    model_config = MODEL
    obligation: str = Field(min_length=1, description="Obligation id (<law>/<rule>) or a glob.")
    spec: str = Field("*", min_length=1, description="Practice id or glob; default every spec.")
    jurisdictions: list[RegionCode] | None = Field(None, description="Only in these codes; default everywhere.")
    reason: str = Field(min_length=3, description="Why it is accepted.")
    owner: str = Field(min_length=1, description="Who answers for it.")
    expires: Day = Field(description="Last day it holds.")


class WaiverFile(BaseModel):
    """A waivers file."""

    model_config = MODEL
    waivers: list[WaiverEntry] = Field(default_factory=list, description="The waivers.")


@dataclass(frozen=True)
class Waivers:
    entries: tuple[tuple[WaiverEntry, str], ...]  # entry, "file:line"

    def apply(self, assessment: Assessment, today: dt.date) -> tuple[Assessment, list[str]]:
        """The assessment with waived obligations marked (and left out of the verdict), and a
        message per expired waiver that would have applied."""
        expired: list[str] = []
        changed = []
        for ob in assessment.obligations:
            hit = None
            for entry, where in self.entries:
                if not fnmatch.fnmatchcase(assessment.practice, entry.spec):
                    continue
                if not fnmatch.fnmatchcase(ob.id, entry.obligation):
                    continue
                if entry.jurisdictions is not None and not set(ob.jurisdictions) <= set(entry.jurisdictions):
                    continue
                if entry.expires < today:
                    expired.append(
                        f"{where}: the waiver of {ob.id} for {assessment.practice} expired on "
                        f"{entry.expires} (owner {entry.owner})"
                    )
                    continue
                hit = Waiver(
                    obligation=entry.obligation,
                    reason=entry.reason,
                    owner=entry.owner,
                    expires=entry.expires,
                    source=where,
                )
                break
            changed.append(ob.model_copy(update={"waived": hit}) if hit else ob)
        counted = [ob for ob in changed if ob.waived is None]
        uncovered = assessment.coverage.uncovered if assessment.coverage is not None else []
        updated = assessment.model_copy(update={"obligations": changed, "verdict": verdict_of(counted, uncovered)})
        return updated, expired

    def covering(
        self, practice: str, obligation: str, jurisdictions: Sequence[str], through: dt.date
    ) -> tuple[WaiverEntry, str] | None:
        """The first waiver (entry, "file:line") that covers an obligation of a practice in
        these jurisdictions and holds through a day, if any (the timeline's gate asks)."""
        for entry, where in self.entries:
            if (
                fnmatch.fnmatchcase(practice, entry.spec)
                and fnmatch.fnmatchcase(obligation, entry.obligation)
                and (entry.jurisdictions is None or set(jurisdictions) <= set(entry.jurisdictions))
                and entry.expires >= through
            ):
                return entry, where
        return None


def load_waivers(path: Path | str, rule_ids: Iterable[str], *, required: bool = True) -> Waivers:
    """Read a waivers file; every obligation id or glob must match a rule of the library."""
    p = Path(path)
    if not p.exists():
        if required:
            raise InputError([Problem("no such waivers file", file=str(path))])
        return Waivers(())
    doc = load_document(p)
    spec = validate_model(doc, WaiverFile)
    return Waivers(tuple(_checked(doc, spec.waivers, sorted(rule_ids))))


def _checked(doc: Document, entries: Sequence[WaiverEntry], rule_ids: list[str]) -> list[tuple[WaiverEntry, str]]:
    problems = []
    out = []
    for i, entry in enumerate(entries):
        line, _ = doc.locate(("waivers", i))
        if not any(fnmatch.fnmatchcase(rid, entry.obligation) for rid in rule_ids):
            problems.append(
                doc.problem(
                    ("waivers", i, "obligation"),
                    f"no obligation in the rule library matches {entry.obligation!r}",
                    valid="an obligation id such as us-ca-ccpa/secondary-use-consent, or a glob",
                    suggestion=suggest(entry.obligation, rule_ids),
                )
            )
        out.append((entry, f"{doc.source}:{line or 1}"))
    if problems:
        raise InputError(problems)
    return out
