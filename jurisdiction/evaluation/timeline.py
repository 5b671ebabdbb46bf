"""Step 5 over time: how a practice's assessment changes between two dates.

The evaluator reads the practice's own period for everything but the obligations' statuses and
the laws' `in_force`/`upcoming` status: which laws, rules, parameters and group memberships
apply is decided by the practice's dates, and `today` only decides whether a due date has
passed (`pending` → `violated` the day after it, a prohibition on the day itself) and whether
a law is in force yet. So the dates on which an assessment can change are the dates the
assessment itself carries — each law's first day in force, each obligation's due date in each
jurisdiction, and the day after — and these come from the library's dated data (a law's or
rule's `from`, a transition date, a parameter's dated value, a group membership, as they meet
the practice's period). The timeline evaluates at the window's first day and at each of those
dates (and at those of every assessment it meets, so the set closes on itself), compares
consecutive assessments, and keeps the dates where something changes or an unmet obligation
falls due. `tests/test_timeline.py` proves it equals evaluating on every day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jurisdiction.evaluation.assessment import Verdict
from jurisdiction.law.rulefile import ObligationKind, Severity, Status
from jurisdiction.practice.model import Practice

__all__ = [
    "DueItem",
    "GateItem",
    "LawTakesEffect",
    "PracticeTimeline",
    "StatusChange",
    "Timeline",
    "TimelineEvent",
    "TimelineGate",
    "VerdictChange",
    "change_points",
    "practice_timeline",
]

OUT = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
ONE_DAY = dt.timedelta(days=1)

# evaluates a practice as of a day, giving the assessment's plain data (`PlainAssessment.data`)
Evaluate = Callable[[Practice, dt.date], Mapping[str, Any]]


class LawTakesEffect(BaseModel):
    """A law in scope that comes into force on the event's date (it was `upcoming` the day before)."""

    model_config = OUT
    id: str = Field(description="Law id.")
    title: str
    citation: str
    url: str
    jurisdictions: int = Field(description="How many codes in scope it applies to.")


class DueItem(BaseModel):
    """An unmet obligation falling due (or already overdue), in the jurisdictions where it is due
    on that date."""

    model_config = OUT
    id: str = Field(description="Rule id: <law>/<rule>.")
    title: str = Field(description="What to do.")
    kind: ObligationKind
    law: str = Field(description="Law id.")
    citation: str = Field(description="Article/section.")
    url: str = Field(description="Source URL.")
    due: dt.date = Field(description="The due date.")
    jurisdictions: list[str] = Field(description="Codes where it is due on that date.")
    status: Status = Field(description="Its status on the event's date (on the window's first day, for `overdue`).")
    severity: Severity


class StatusChange(BaseModel):
    """An obligation whose status changes on the event's date, in these jurisdictions."""

    model_config = OUT
    id: str = Field(description="Rule id: <law>/<rule>.")
    title: str
    citation: str
    jurisdictions: list[str]
    was: Status = Field(description="Status the day before.")
    now: Status = Field(description="Status from this date.")
    severity: Severity


class VerdictChange(BaseModel):
    """The practice's verdict the day before and from the event's date."""

    model_config = OUT
    was: Verdict
    now: Verdict


class TimelineEvent(BaseModel):
    """One date on which a practice's assessment changes, or an unmet obligation falls due."""

    model_config = OUT
    date: dt.date
    days: int = Field(description="Lead time: days from the window's first day to this date.")
    laws: list[LawTakesEffect] = Field(default_factory=list, description="Laws in scope coming into force.")
    due: list[DueItem] = Field(default_factory=list, description="Unmet obligations due on this date.")
    changes: list[StatusChange] = Field(default_factory=list, description="Obligations whose status changes.")
    added: list[DueItem] = Field(default_factory=list, description="Obligations owed from this date.")
    removed: list[str] = Field(default_factory=list, description="Obligations no longer owed from this date.")
    verdict: VerdictChange | None = Field(None, description="Set when the verdict changes.")


class PracticeTimeline(BaseModel):
    """A practice's assessment over a window of dates."""

    model_config = OUT
    practice: str = Field(description="Practice id.")
    title: str = Field(description="Practice title.")
    from_: dt.date = Field(alias="from", description="First day of the window.")
    until: dt.date = Field(description="Last day of the window.")
    verdict: Verdict = Field(description="The verdict on the window's first day.")
    overdue: list[DueItem] = Field(
        default_factory=list, description="Obligations already overdue (violated) on the window's first day."
    )
    events: list[TimelineEvent] = Field(description="The dates, in order, on which something changes or falls due.")


class GateItem(BaseModel):
    """An unmet obligation of a practice that is due by the gate's last day."""

    model_config = OUT
    practice: str = Field(description="Practice id.")
    id: str = Field(description="Rule id: <law>/<rule>.")
    due: dt.date
    status: Status = Field(description="Status on the window's first day.")
    severity: Severity
    jurisdictions: list[str]
    waiver: str | None = Field(None, description="The waiver that covers it through the gate's last day (file:line).")


class TimelineGate(BaseModel):
    """`--fail-within DAYS`: whether an unmet obligation is due (or overdue) by the window's first
    day plus DAYS."""

    model_config = OUT
    within: int = Field(description="DAYS: how far ahead the gate looks.")
    by: dt.date = Field(description="The last day it looks at: the window's first day plus DAYS.")
    passed: bool
    due: list[GateItem] = Field(description="What fails it: unmet obligations due by `by`, soonest first.")
    waived: list[GateItem] = Field(
        default_factory=list,
        description="Unmet obligations due by `by` that a waiver covers through `by`: not counted.",
    )


class Timeline(BaseModel):
    """Every practice's timeline over one window: what `jurisdiction timeline --format json` prints."""

    model_config = OUT
    from_: dt.date = Field(alias="from", description="First day of the window.")
    until: dt.date = Field(description="Last day of the window.")
    rules_revision: str = Field(description="Version and content hash of the rule library.")
    practices: list[PracticeTimeline]
    gate: TimelineGate | None = Field(None, description="Set by `--fail-within`.")


# ----------------------------------------------------------------------------------------
def change_points(data: Mapping[str, Any]) -> set[dt.date]:
    """Every date on which an assessment with these dates may change: each law's first day in
    force, each obligation's due date in each jurisdiction (a prohibition binds on it) and the
    day after it (an unmet due date has passed)."""
    days: set[dt.date] = {law["effective"] for law in data["laws"]}
    for ob in data["obligations"]:
        for row in ob.get("details") or (ob,):
            days.add(row["due"])
            days.add(row["due"] + ONE_DAY)
    return days


def _per_code(data: Mapping[str, Any]) -> dict[tuple[str, str], tuple[dt.date, str]]:
    """(obligation id, code) → (due, status) there."""
    out: dict[tuple[str, str], tuple[dt.date, str]] = {}
    for ob in data["obligations"]:
        for row in ob.get("details") or (ob,):
            for code in row["jurisdictions"]:
                out[(ob["id"], code)] = (row["due"], row["status"])
    return out


def _due_items(
    obligations: Mapping[str, Mapping[str, Any]], rows: Iterable[tuple[tuple[str, str], tuple[dt.date, str]]]
) -> list[DueItem]:
    """Group (obligation, code) → (due, status) rows into one item per obligation, due date and status."""
    grouped: dict[tuple[str, dt.date, str], list[str]] = defaultdict(list)
    for (oid, code), (due, status) in rows:
        grouped[(oid, due, status)].append(code)
    items = []
    for (oid, due, status), codes in sorted(grouped.items()):
        ob = obligations[oid]
        items.append(
            DueItem(
                id=oid,
                title=ob["title"],
                kind=ob["kind"],
                law=ob["law"],
                citation=ob["citation"],
                url=ob["url"],
                due=due,
                jurisdictions=sorted(codes),
                status=status,
                severity=ob["severity"],
            )
        )
    return items


def _event(
    day: dt.date, start: dt.date, before: Mapping[str, Any] | None, now: Mapping[str, Any]
) -> TimelineEvent | None:
    """What is new on `day` (`before`: the assessment the day before, None on the first day)."""
    obligations = {ob["id"]: ob for ob in now["obligations"]}
    rows = _per_code(now)
    due = _due_items(obligations, ((k, v) for k, v in rows.items() if v[0] == day and v[1] != "met"))
    laws: list[LawTakesEffect] = []
    changes: list[StatusChange] = []
    added: list[DueItem] = []
    removed: list[str] = []
    verdict = None
    if before is not None:
        was_laws = {law["id"]: law["status"] for law in before["laws"]}
        laws = [
            LawTakesEffect(
                id=law["id"],
                title=law["title"],
                citation=law["citation"],
                url=law["url"],
                jurisdictions=law["jurisdictions"],
            )
            for law in now["laws"]
            if law["status"] == "in_force" and was_laws.get(law["id"]) != "in_force"
        ]
        was_rows = _per_code(before)
        flips: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for (oid, code), (_, status) in rows.items():
            old = was_rows.get((oid, code))
            if old is not None and old[1] != status:
                flips[(oid, old[1], status)].append(code)
        for (oid, was, status), codes in sorted(flips.items()):
            ob = obligations[oid]
            changes.append(
                StatusChange(
                    id=oid,
                    title=ob["title"],
                    citation=ob["citation"],
                    jurisdictions=sorted(codes),
                    was=was,
                    now=status,
                    severity=ob["severity"],
                )
            )
        was_ids = {ob["id"] for ob in before["obligations"]}
        added = _due_items(obligations, ((k, v) for k, v in rows.items() if k[0] not in was_ids))
        removed = sorted(was_ids - set(obligations))
        if before["verdict"] != now["verdict"]:
            verdict = VerdictChange(was=before["verdict"], now=now["verdict"])
        if not (due or laws or changes or added or removed or verdict) and _comparable(before) == _comparable(now):
            return None
    elif not due:
        return None
    return TimelineEvent(
        date=day,
        days=(day - start).days,
        laws=laws,
        due=due,
        changes=changes,
        added=added,
        removed=removed,
        verdict=verdict,
    )


def _comparable(data: Mapping[str, Any]) -> dict[str, Any]:
    """An assessment's data but for its evaluation date."""
    return {k: v for k, v in data.items() if k != "today"}


def practice_timeline(evaluate: Evaluate, practice: Practice, start: dt.date, until: dt.date) -> PracticeTimeline:
    """The practice's timeline over [start, until]: evaluated on `start` and on every change
    point of the assessments met within the window (`change_points`)."""
    first = evaluate(practice, start)
    rows = _per_code(first)
    obligations = {ob["id"]: ob for ob in first["obligations"]}
    overdue = _due_items(obligations, ((k, v) for k, v in rows.items() if v[1] == "violated" and v[0] < start))
    events = []
    opening = _event(start, start, None, first)
    if opening is not None:
        events.append(opening)
    seen: set[dt.date] = set()
    pending = {d for d in change_points(first) if start < d <= until}
    before = first
    while pending:
        day = min(pending)
        pending.discard(day)
        seen.add(day)
        now = evaluate(practice, day)
        pending.update(d for d in change_points(now) if day < d <= until and d not in seen)
        event = _event(day, start, before, now)
        if event is not None:
            events.append(event)
        before = now
    return PracticeTimeline.model_validate(
        {
            "practice": practice.id,
            "title": practice.title,
            "from": start,
            "until": until,
            "verdict": first["verdict"],
            "overdue": overdue,
            "events": events,
        }
    )
