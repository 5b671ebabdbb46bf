"""The result of one `jurisdiction check` (or `diff`) run, as every output format and the gate
see it: each spec's assessment with where it came from, waivers applied, and, when gating a
change, the assessment of the spec's earlier version."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from .assessment import Assessment, Obligation
from .evaluator import verdict_of
from .loading import Document

__all__ = ["VERDICT_RANK", "Change", "Checked", "Report", "changes"]

VERDICT_RANK = {"clear": 0, "action_required": 1, "blocked": 2}
FAIL_ON = {"blocked": 2, "action_required": 1, "never": 99}


@dataclass(frozen=True)
class Change:
    """What a change to a spec did to its obligations."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    sooner: tuple[str, ...]  # still owed, now due earlier

    @property
    def new(self) -> frozenset[str]:
        return frozenset(self.added) | frozenset(self.sooner)


def changes(old: Assessment | None, new: Assessment) -> Change:
    before = {o.id: o for o in old.obligations} if old else {}
    after = {o.id: o for o in new.obligations}
    added = tuple(sorted(set(after) - set(before)))
    removed = tuple(sorted(set(before) - set(after)))
    sooner = tuple(sorted(i for i in set(after) & set(before) if after[i].due < before[i].due))
    return Change(added, removed, sooner)


@dataclass(frozen=True)
class Checked:
    """One spec's assessment and where it came from."""

    assessment: Assessment
    source: str
    document: Document | None = None
    base: Assessment | None = None  # the earlier version (change gating)
    gated_change: bool = False  # True when only what the change adds may fail the gate

    def line_of(self, dotted: str | None) -> int:
        """The line of a spec field (dotted path), or of its nearest ancestor; 1 when unknown."""
        if self.document is None or not dotted:
            return 1
        path = tuple(dotted.split("."))
        line, _ = self.document.locate(path)
        return line or 1

    @property
    def change(self) -> Change | None:
        return changes(self.base, self.assessment) if self.gated_change else None

    def gate_obligations(self, fail_on_warnings: bool) -> list[Obligation]:
        """The obligations that may fail the gate: not waived, not warnings (unless asked),
        and, when gating a change, only those the change adds or makes due sooner."""
        obs = [o for o in self.assessment.obligations if o.waived is None]
        if not fail_on_warnings:
            obs = [o for o in obs if o.severity != "warning"]
        change = self.change
        if change is not None:
            obs = [o for o in obs if o.id in change.new]
        return obs

    def gate_verdict(self, fail_on_warnings: bool) -> str:
        return verdict_of(self.gate_obligations(fail_on_warnings))


@dataclass(frozen=True)
class Report:
    items: Sequence[Checked]
    fail_on: str = "blocked"
    fail_on_warnings: bool = False
    expired: Sequence[str] = field(default_factory=tuple)
    many: bool = False

    @property
    def assessments(self) -> list[Assessment]:
        return [item.assessment for item in self.items]

    def failing(self) -> list[Checked]:
        limit = FAIL_ON[self.fail_on]
        return [i for i in self.items if VERDICT_RANK[i.gate_verdict(self.fail_on_warnings)] >= limit]

    @property
    def passed(self) -> bool:
        return not self.failing() and not self.expired

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def summary(self) -> str:
        counts = Counter(a.verdict for a in self.assessments)
        waived = sum(1 for a in self.assessments for o in a.obligations if o.waived is not None)
        n = len(self.items)
        line = (
            f"{n} spec{'s' if n != 1 else ''}, {counts['blocked']} blocked, {counts['action_required']} "
            f"action required, {counts['clear']} clear, {waived} waived"
        )
        if self.expired:
            line += f", {len(self.expired)} expired waiver{'s' if len(self.expired) != 1 else ''}"
        return line
