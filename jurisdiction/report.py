"""The result of one `jurisdiction check` (or `diff`) run, as every output format and the gate
see it: each spec's assessment with where it came from, waivers applied, and, when gating a
change, the assessment of the spec's earlier version."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from .assessment import Assessment, Obligation
from .evaluator import Owed, verdict_of
from .loading import Document

__all__ = ["VERDICT_RANK", "Change", "Checked", "Report", "changes", "fails", "gated"]

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
        change = self.change
        return gated(self.assessment.obligations, fail_on_warnings, change.new if change is not None else None)

    def gate_verdict(self, fail_on_warnings: bool) -> str:
        return verdict_of(self.gate_obligations(fail_on_warnings))


Ob = TypeVar("Ob", bound=Owed)


def gated(obligations: Iterable[Ob], fail_on_warnings: bool = False, only: frozenset[str] | None = None) -> list[Ob]:
    """The obligations that may fail the gate: not waived, not warnings (unless asked),
    and, when gating a change, only those the change adds or makes due sooner (`only`)."""
    return [
        o
        for o in obligations
        if o.waived is None and (fail_on_warnings or o.severity != "warning") and (only is None or o.id in only)
    ]


def fails(verdict: str, fail_on: str) -> bool:
    """Whether a gate verdict fails `--fail-on` (blocked | action_required | never)."""
    return VERDICT_RANK[verdict] >= FAIL_ON[fail_on]


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
        return [i for i in self.items if fails(i.gate_verdict(self.fail_on_warnings), self.fail_on)]

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
