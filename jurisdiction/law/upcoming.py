"""What in the rule library takes effect or ends in a window of dates, library-wide: laws
starting or ending somewhere, rules with their own dates, dated parameter values, transition
periods ending, and changes of the groups a law names (a country joining or leaving the EU).
`jurisdiction rules upcoming` prints it: what a privacy team reviews each month."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from jurisdiction.law.rulebook import Law, RuleBook
from jurisdiction.vocabulary.regions import FOREVER, groups

__all__ = ["Upcoming", "upcoming"]

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, order=True)
class Upcoming:
    """One dated change in the library. `date` is the first day it holds (a law that ends on
    `to` stops applying on the day after)."""

    date: dt.date
    law: str
    kind: str  # law_starts | law_ends | rule_starts | rule_ends | parameter | transition_ends | group_change
    rule: str
    jurisdictions: tuple[str, ...]
    what: str
    citation: str
    url: str
    verified: bool

    def as_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["date"] = self.date.isoformat()
        row["jurisdictions"] = list(self.jurisdictions)
        if not self.rule:
            del row["rule"]
        return row


def upcoming(book: RuleBook, start: dt.date, until: dt.date) -> list[Upcoming]:
    """Every dated change of the library in [start, until], by date, law and kind."""
    found = [row for law in book.laws for row in _law_changes(law) if start <= row.date <= until]
    return sorted(set(found))


def _law_changes(law: Law) -> Iterator[Upcoming]:
    info = law.spec.law
    head = (info.citation, str(info.url), info.verified)
    for entry in info.applies:
        codes = tuple(sorted(entry.in_))
        yield Upcoming(entry.from_, law.id, "law_starts", "", codes, f"{info.title} takes effect", *head)
        if entry.to is not None and entry.to < FOREVER:
            yield Upcoming(
                entry.to + ONE_DAY,
                law.id,
                "law_ends",
                "",
                codes,
                f"{info.title} ends (its last day: {entry.to.isoformat()})",
                *head,
            )
        for scope in entry.in_:
            span = (entry.from_, entry.to or FOREVER)
            yield from (row for row in _group_changes(law, scope, head) if span[0] <= row.date <= span[1])
    where = tuple(sorted({code for entry in info.applies for code in entry.in_}))
    for rule in law.spec.rules:
        rid = f"{law.id}/{rule.id}"
        tail = (rule.citation, str(rule.url), rule.verified and info.verified)
        if rule.from_ is not None:
            yield Upcoming(rule.from_, law.id, "rule_starts", rid, where, f"applies from this day: {rule.title}", *tail)
        if rule.to is not None:
            yield Upcoming(
                rule.to + ONE_DAY,
                law.id,
                "rule_ends",
                rid,
                where,
                f"no longer applies (its last day: {rule.to.isoformat()}): {rule.title}",
                *tail,
            )
        if rule.due.transition is not None:
            yield Upcoming(
                rule.due.transition,
                law.id,
                "transition_ends",
                rid,
                where,
                f"transition period ends: processing begun before the rule applied must comply: {rule.title}",
                *tail,
            )
    for name, param in law.spec.parameters.items():
        for code, given in param.values.items():
            for value in given if isinstance(given, list) else [given]:
                if value.from_ is not None:
                    yield Upcoming(
                        value.from_,
                        law.id,
                        "parameter",
                        "",
                        (code,),
                        f"{name} becomes {value.value!r} ({param.description})",
                        value.citation or param.citation or info.citation,
                        str(value.url or param.url),
                        value.verified and info.verified,
                    )


def _group_changes(law: Law, scope: str, head: tuple[str, str, bool]) -> Iterator[Upcoming]:
    """A country joining or leaving a group the law names, which brings it in or out of the law."""
    found = groups().get(scope)
    if found is None:
        return
    for member, spans in found.members.items():
        for span in spans:
            yield Upcoming(
                span.start,
                law.id,
                "group_change",
                "",
                (member,),
                f"{member} joins {scope}, and so comes under {law.spec.law.title}",
                *head,
            )
            if span.end < FOREVER:
                yield Upcoming(
                    span.end + ONE_DAY,
                    law.id,
                    "group_change",
                    "",
                    (member,),
                    f"{member} leaves {scope} (its last day: {span.end.isoformat()}), and so the scope of "
                    f"{law.spec.law.title}",
                    *head,
                )
