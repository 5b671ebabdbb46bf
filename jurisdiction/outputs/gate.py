"""The result of one `jurisdiction check` (or `diff`) run, as every output format and the gate
see it: each spec's assessment with where it came from, waivers applied, and, when gating a
change, the assessment of the spec's earlier version."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from jurisdiction.evaluation.assessment import Assessment
from jurisdiction.evaluation.evaluator import Owed, verdict_of
from jurisdiction.reading.loading import Document

__all__ = [
    "FAIL_ON",
    "STATUS_RANK",
    "VERDICT_RANK",
    "Change",
    "Checked",
    "Gate",
    "Report",
    "Tally",
    "changes",
    "worsening",
]

VERDICT_RANK = {"clear": 0, "action_required": 1, "blocked": 2}
STATUS_RANK = {"met": 0, "pending": 1, "violated": 2}
SEVERITY_RANK = {"warning": 0, "blocking": 1}
FAIL_ON = {"blocked": 2, "action_required": 1, "never": 99}


@dataclass(frozen=True)
class Change:
    """What a change to a spec did to its obligations: the regressions (added, worse, due
    sooner) are what a change gate counts."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    sooner: tuple[str, ...]  # still owed, now due earlier
    worse: tuple[str, ...] = ()  # still owed, status or severity worse (met -> violated, warning -> blocking)

    @property
    def new(self) -> frozenset[str]:
        return frozenset(self.added) | frozenset(self.sooner) | frozenset(self.worse)

    def counts(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.worse)} worse, {len(self.sooner)} due sooner, "
            f"{len(self.removed)} removed"
        )


def changes(old: Assessment | None, new: Assessment) -> Change:
    """Obligation by obligation, what changed from `old` to `new`.

    An obligation is *worse* when its status rises (met < pending < violated) or its severity
    does (warning < blocking); *sooner* when, still owed, it falls due earlier."""
    before = {o.id: o for o in old.obligations} if old else {}
    after = {o.id: o for o in new.obligations}
    added = tuple(sorted(set(after) - set(before)))
    removed = tuple(sorted(set(before) - set(after)))
    both = sorted(set(after) & set(before))
    worse = tuple(
        i
        for i in both
        if STATUS_RANK[after[i].status] > STATUS_RANK[before[i].status]
        or SEVERITY_RANK[after[i].severity] > SEVERITY_RANK[before[i].severity]
    )
    sooner = tuple(i for i in both if after[i].status != "met" and after[i].due < before[i].due)
    return Change(added, removed, sooner, worse)


def worsening(was: Owed, now: Owed) -> str:
    """How an obligation got worse: `met -> violated, blocking`, or `pending, warning -> blocking`."""
    status = f"{was.status} -> {now.status}" if was.status != now.status else now.status
    severity = f"{was.severity} -> {now.severity}" if was.severity != now.severity else now.severity
    return f"{status}, {severity}"


@dataclass(frozen=True)
class Gate:
    """The gate: which obligations may fail it and at which verdict it fails. The one place
    where pass/fail is decided; the CLI, every format and the HTTP service ask it.

    >>> Gate("action_required").fails("action_required"), Gate().fails("action_required")
    (True, False)
    """

    fail_on: str = "blocked"  # blocked | action_required | never
    fail_on_warnings: bool = False
    # users in jurisdictions the library does not cover fail the gate, unless accepted
    accept_uncovered: bool = False

    def counted(self, obligations: Iterable[Ob], only: frozenset[str] | None = None) -> list[Ob]:
        """The obligations that may fail the gate: not waived, not warnings (unless
        `fail_on_warnings`), and, when gating a change, only those in `only`."""
        return [
            o
            for o in obligations
            if o.waived is None
            and (self.fail_on_warnings or o.severity != "warning")
            and (only is None or o.id in only)
        ]

    def verdict(self, obligations: Iterable[Owed], only: frozenset[str] | None = None) -> str:
        """The verdict of the obligations the gate counts."""
        return verdict_of(self.counted(obligations, only))

    def fails(self, verdict: str) -> bool:
        """Whether a gate verdict fails `fail_on`."""
        return VERDICT_RANK[verdict] >= FAIL_ON[self.fail_on]

    def passes(
        self, obligations: Iterable[Owed], only: frozenset[str] | None = None, uncovered: Iterable[str] = ()
    ) -> bool:
        """Whether the gate passes: no counted obligation at or past `fail_on`, and no
        jurisdiction with users that the library does not cover (unless accepted)."""
        if self.fail_on != "never" and not self.accept_uncovered and any(True for _ in uncovered):
            return False
        return not self.fails(self.verdict(obligations, only))

    def level(self, o: Owed, only: frozenset[str] | None = None) -> str:
        """How an outstanding obligation is annotated (SARIF, GitHub): `error` when it alone
        fails the gate, `note` when waived, else `warning`."""
        if o.waived is not None:
            return "note"
        return "error" if not self.passes([o], only) else "warning"


@dataclass(frozen=True)
class Checked:
    """One spec's assessment and where it came from."""

    assessment: Assessment
    source: str
    document: Document | None = None
    base: Assessment | None = None  # the earlier version (change gating)
    gated_change: bool = False  # True when only what the change adds may fail the gate

    def field_of(self, fields: Sequence[str]) -> str | None:
        """The most telling of an obligation's spec fields that the spec itself writes (the
        first one, when it writes none of them: its nearest ancestor is shown)."""
        if self.document is not None:
            for dotted in fields:
                if tuple(dotted.split(".")) in self.document.positions:
                    return dotted
        return fields[0] if fields else None

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

    @property
    def only(self) -> frozenset[str] | None:
        """When gating a change: the obligations the change adds or makes due sooner."""
        change = self.change
        return change.new if change is not None else None

    @property
    def uncovered(self) -> list[str]:
        """Affected jurisdictions the library does not cover (when gating a change: those the
        change adds)."""
        now = self.assessment.coverage.uncovered if self.assessment.coverage else []
        if not self.gated_change or self.base is None:
            return list(now)
        before = set(self.base.coverage.uncovered) if self.base.coverage else set()
        return [code for code in now if code not in before]


Ob = TypeVar("Ob", bound=Owed)


@dataclass
class Tally:
    """What a report's summary line and exit code need, counted as the specs go by (so a
    folder of thousands of specs is gated without keeping their assessments)."""

    specs: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    waived: int = 0
    gaps: int = 0  # specs with users where the library has no complete law
    failing: int = 0  # specs that fail the gate
    owes: bool = False  # some spec owes something

    def add(self, report: Report, item: Checked) -> None:
        a = item.assessment
        self.specs += 1
        self.verdicts[a.verdict] += 1
        self.waived += sum(1 for o in a.obligations if o.waived is not None)
        self.gaps += bool(item.uncovered)
        self.failing += report.fails(item)
        self.owes = self.owes or bool(a.obligations)


@dataclass
class Report:
    """The specs checked together and how they are gated. `items` may be a one-shot stream
    (the CLI's folder gate): a format reads it once, through `each()`, and the summary and the
    exit code come from what was counted on the way; `expired` may grow while it is read."""

    items: Iterable[Checked]
    gate: Gate = field(default_factory=Gate)
    expired: Sequence[str] = field(default_factory=tuple)
    many: bool = False
    detail: bool = True  # text: every obligation in full (False: the same duty across laws on one line)
    counted: Tally | None = field(default=None, init=False, repr=False, compare=False)

    def each(self) -> Iterator[Checked]:
        """The items, counted as they go by."""
        tally = Tally()
        for item in self.items:
            tally.add(self, item)
            yield item
        self.counted = tally

    @property
    def tally(self) -> Tally:
        """The counts, from the last full read of the items (read now if they are a list)."""
        if self.counted is None:
            if not isinstance(self.items, Sequence):
                raise RuntimeError("a streamed report is counted when a format has read it")
            for _ in self.each():
                pass
        assert self.counted is not None
        return self.counted

    def gate_verdict(self, item: Checked) -> str:
        return self.gate.verdict(item.assessment.obligations, item.only)

    def fails(self, item: Checked) -> bool:
        """Whether this spec fails the gate."""
        return not self.gate.passes(item.assessment.obligations, item.only, item.uncovered) or self.verdict_worsened(
            item
        )

    def verdict_worsened(self, item: Checked) -> bool:
        """When gating a change: whether the change worsens the spec's gate verdict to a level
        that fails the gate (blocked before and after is no regression)."""
        if not item.gated_change or item.base is None:
            return False
        before = self.gate.verdict(item.base.obligations)
        after = self.gate.verdict(item.assessment.obligations)
        return VERDICT_RANK[after] > VERDICT_RANK[before] and self.gate.fails(after)

    def level(self, item: Checked, o: Owed) -> str:
        return self.gate.level(o, item.only)

    @property
    def passed(self) -> bool:
        return not self.tally.failing and not self.expired

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def summary(self) -> str:
        tally = self.tally
        counts, n = tally.verdicts, tally.specs
        line = (
            f"{n} spec{'s' if n != 1 else ''}, {counts['blocked']} blocked, {counts['action_required']} "
            f"action required, {counts['clear']} clear, {tally.waived} waived"
        )
        if tally.gaps:
            accepted = " (accepted)" if self.gate.accept_uncovered else ""
            line += f", {tally.gaps} with users where the library has no complete law{accepted}"
        if self.expired:
            line += f", {len(self.expired)} expired waiver{'s' if len(self.expired) != 1 else ''}"
        return line
