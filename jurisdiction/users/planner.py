"""Affected users: from an assessment to a platform's own user table.

An assessment names jurisdictions; a mailing or consent system needs people. This module
turns one practice, as of one date, into a `UserPlan` — which (jurisdiction, age band, existing
data) segments each plan step covers, and which are excluded and why — and compiles that plan
to one SQL query of CASE expressions over the mapped columns of a user table. The query runs
on DuckDB (embedded, the default) or Spark (`jurisdiction.users.backends`), or in a warehouse
(`jurisdiction users --print-sql`). `reference_rows` is the same count in plain Python: the
oracle the SQL is tested against.

How a user is placed:

- jurisdiction: the country column, and for countries the rule library distinguishes by
  subdivision (US), the subdivision column (``CA`` or ``US-CA``). A user of such a country with
  no subdivision may live in any of its subdivisions in scope: they get every step any of
  them needs (the safer reading).
- age at the evaluation date (`today`), from a birth date or an age column. The practice is
  evaluated once per age band (the bands are cut where a rule's age test changes), so a user
  younger than a jurisdiction's threshold is in its parental-consent step. No birth date means
  an unknown age, evaluated like an absent `users.min_age`: never "adult".
- existing data: signed up before `starts` (unknown sign-up date counts as existing). When the
  practice uses existing data, users who signed up later are evaluated without it, so steps
  owed only for retroactive use (consent for a new purpose of old data) leave them out.
- excluded, in this order: outside `users.regions`; in a jurisdiction the assessment leaves
  out (with its reason); younger than `users.min_age`; opted out (the opt-out column).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jurisdiction.evaluation.assessment import PHASE, SEVERITY_OF_STATUS, STEP_TITLE, Assessment, Obligation
from jurisdiction.evaluation.evaluator import Evaluator
from jurisdiction.law.rulefile import ObligationKind, Status
from jurisdiction.practice.model import Practice
from jurisdiction.vocabulary.regions import country_of, subdivision_code

__all__ = ["OUTSIDE", "UNKNOWN_AGE", "Segment", "UserPlan", "UserStep", "age_on", "birth_cutoff", "plan_users"]

UNKNOWN_AGE = -1  # the age band of users without a birth date or age
OUTSIDE = "outside the practice's regions (users.regions)"


@dataclass(frozen=True)
class Segment:
    """Users alike for every rule: one jurisdiction, one age band, existing data or not."""

    code: str
    band: int  # UNKNOWN_AGE, or the youngest age of the band
    existing: bool


@dataclass(frozen=True)
class UserStep:
    """A plan step and the segments it covers."""

    step: int
    kind: ObligationKind
    title: str
    due: dt.date
    status: Status
    obligations: tuple[str, ...]
    covers: Mapping[str, frozenset[tuple[int, bool]]]  # code → (band, existing) pairs
    in_assessment: bool = True  # False: owed only for users the spec did not foresee (unknown ages)

    def applies(self, seg: Segment) -> bool:
        return (seg.band, seg.existing) in self.covers.get(seg.code, frozenset())


@dataclass(frozen=True)
class UserPlan:
    """One practice as of one day, ready to be counted over a user table."""

    practice: Practice
    assessment: Assessment
    today: dt.date
    bands: tuple[int, ...]  # youngest age of each band, ascending, starting at 0
    affected: tuple[str, ...]  # codes users can be placed in (with `US` for "state unknown")
    excluded: Mapping[str, str]  # code → why not affected
    subdivided: Mapping[str, tuple[str, ...]]  # country → its subdivisions in scope
    whole: frozenset[str]  # countries in scope as a whole (not split by subdivision)
    steps: tuple[UserStep, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def min_age(self) -> int | None:
        return self.practice.users.min_age

    @property
    def used_bands(self) -> tuple[int, ...]:
        """Bands users can be in: unknown, and those at or above `users.min_age`."""
        m = self.min_age or 0
        return (UNKNOWN_AGE, *(b for b in self.bands if b >= m))

    def band_of(self, age: int | None) -> int:
        if age is None:
            return UNKNOWN_AGE
        return max((b for b in self.bands if b <= age), default=0)

    def band_label(self, band: int) -> str:
        if band == UNKNOWN_AGE:
            return "age unknown"
        i = self.bands.index(band)
        if i + 1 < len(self.bands):
            return f"{band}–{self.bands[i + 1] - 1}"
        return f"{band}+"

    def code_of(self, country: str | None, subdivision: str | None) -> str | None:
        """The jurisdiction of a user (normalised values), or None when not in scope."""
        if not country:
            return None
        if country in self.subdivided:
            if not subdivision:
                return country
            # a code (`US-CA`), its part after the dash (`CA`) or the name (`CALIFORNIA`)
            sub = subdivision_code(country, subdivision)
            return sub if sub in self.subdivided[country] else None
        return country if country in self.whole else None

    def exclusion(self, code: str | None, band: int, opted_out: bool) -> str | None:
        if code is None:
            return OUTSIDE
        if code in self.excluded:
            return self.excluded[code]
        if self.min_age is not None and band != UNKNOWN_AGE and band < self.min_age:
            return f"younger than users.min_age ({self.min_age})"
        if opted_out:
            return "opted out (opt-out column)"
        return None


def age_on(born: dt.date, today: dt.date) -> int:
    """Completed years on `today` (born on 29 February: a year older on 1 March in other years).

    >>> age_on(dt.date(2008, 2, 29), dt.date(2024, 2, 28))
    15
    """
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def birth_cutoff(today: dt.date, years: int) -> dt.date:
    """The latest birth date of someone at least `years` old on `today`."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year without one
        return dt.date(today.year - years, 2, 28)


def _age_thresholds(evaluator: Evaluator) -> set[int]:
    """Ages at which some rule's age test can change (each compared value and the next)."""
    from jurisdiction.law.compiler import ParamRef

    found: set[int] = set()
    book = evaluator.book
    for cond in book.conditions.values():
        for conj in cond.disjuncts:
            for lit in conj:
                if lit.fact != "min_age":
                    continue
                values: list[Any] = [lit.value]
                if isinstance(lit.value, ParamRef):
                    law = book.by_id[cond.law]
                    param = law.spec.parameters[lit.value.name]
                    values = [param.default]
                    for v in param.values.values():
                        values.extend(x.value for x in (v if isinstance(v, list) else [v]))
                for v in values:
                    if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 130:
                        found.update({int(v), int(v) + 1})
    return found


def plan_users(practice: Practice, evaluator: Evaluator, today: dt.date) -> UserPlan:
    """Evaluate `practice` for every kind of user it may reach and build the `UserPlan`."""
    assessment = evaluator.evaluate(practice, today)
    cuts = _age_thresholds(evaluator)
    if practice.users.min_age is not None:
        cuts.add(practice.users.min_age)
    raw_bands = sorted({0, *cuts})
    m = practice.users.min_age or 0
    existing_values = (True, False) if practice.existing_data else (False,)

    owed: dict[ObligationKind, tuple[dt.date, Status]] = {}  # kind → earliest due, worst status (over every variant)

    def covered(band: int | None, existing: bool) -> dict[str, set[ObligationKind]]:
        """code → kinds of the obligations still owed there."""
        users = practice.users.model_copy(update={"min_age": band})
        variant = practice.model_copy(update={"users": users, "existing_data": existing})
        out: dict[str, set[ObligationKind]] = defaultdict(set)
        for ob in evaluator.evaluate(variant, today).obligations:
            for code in ob.jurisdictions:
                status = _status_at(ob, code)
                if status == "met":
                    continue
                out[code].add(ob.kind)
                due, worst = owed.get(ob.kind, (ob.due, status))
                if SEVERITY_OF_STATUS[status] > SEVERITY_OF_STATUS[worst]:
                    worst = status
                owed[ob.kind] = (min(due, ob.due), worst)
        return out

    evaluations: dict[tuple[int, bool], dict[str, set[ObligationKind]]] = {}
    for band in [UNKNOWN_AGE, *(b for b in raw_bands if b >= m)]:
        for existing in existing_values:
            evaluations[(band, existing)] = covered(None if band == UNKNOWN_AGE else band, existing)
    if not practice.existing_data:  # the sign-up date does not matter: both kinds alike
        for (band, _), found in list(evaluations.items()):
            evaluations[(band, True)] = found
    # Merge neighbouring bands that every rule treats alike.
    bands: list[int] = []
    for b in raw_bands:
        if b < m:
            if not bands:
                bands.append(0)
            continue
        if bands and bands[-1] >= m and all(evaluations[(b, e)] == evaluations[(bands[-1], e)] for e in (True, False)):
            continue
        bands.append(b)

    scope = assessment.jurisdictions
    affected_codes = [j.code for j in scope if j.affected]
    excluded = {j.code: (j.reason or "not affected") for j in scope if not j.affected}
    subdivided: dict[str, list[str]] = defaultdict(list)
    whole: set[str] = set()
    for j in scope:
        if "-" in j.code:
            subdivided[country_of(j.code)].append(j.code)
        else:
            whole.add(j.code)
    # A user with an unknown subdivision: excluded only when every subdivision in scope is.
    for country, subs in subdivided.items():
        if all(s in excluded for s in subs):
            excluded[country] = excluded[subs[0]] if len({excluded[s] for s in subs}) == 1 else "excluded"
        else:
            affected_codes.append(country)

    order: list[ObligationKind] = [s.kind for s in assessment.plan]
    kinds_seen = {k for found in evaluations.values() for kinds in found.values() for k in kinds}
    extra = sorted(kinds_seen - set(order), key=lambda k: (PHASE[k], k))
    steps: list[UserStep] = []
    planned = {s.kind: s for s in assessment.plan}
    notes: list[str] = []
    for n, kind in enumerate([*order, *extra], 1):
        covers: dict[str, set[tuple[int, bool]]] = defaultdict(set)
        for code in affected_codes:
            members = subdivided.get(code, [code]) if code in subdivided else [code]
            members = [c for c in members if c not in excluded]
            for band in bands:
                if band < m:
                    continue
                for existing in (True, False):
                    if any(kind in evaluations[(band, existing)].get(c, {}) for c in members):
                        covers[code].add((band, existing))
            for existing in (True, False):
                if any(kind in evaluations[(UNKNOWN_AGE, existing)].get(c, {}) for c in members):
                    covers[code].add((UNKNOWN_AGE, existing))
        frozen = {c: frozenset(v) for c, v in sorted(covers.items()) if v}
        if kind in planned:
            p = planned[kind]
            steps.append(UserStep(n, kind, p.title, p.due, p.status, tuple(p.obligations), frozen))
        else:
            notes.append(
                f"step {n} ({kind}) is not in the assessment's plan: users of unknown age may be younger "
                f"than users.min_age ({practice.users.min_age}), and are then owed it"
            )
            due, status = owed[kind]
            steps.append(UserStep(n, kind, STEP_TITLE[kind], due, status, (), frozen, in_assessment=False))
    return UserPlan(
        practice=practice,
        assessment=assessment,
        today=today,
        bands=tuple(bands),
        affected=tuple(sorted(affected_codes)),
        excluded=excluded,
        subdivided={c: tuple(sorted(s)) for c, s in subdivided.items()},
        whole=frozenset(whole),
        steps=tuple(steps),
        notes=tuple(notes),
    )


def _status_at(ob: Obligation, code: str) -> Status:
    for detail in ob.details or ():
        if code in detail.jurisdictions:
            return detail.status
    return ob.status
