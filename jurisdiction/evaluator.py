"""Step 5: evaluate a practice against a rule book, as of a date.

    scope → laws in force (or upcoming) per jurisdiction → fact sets (deduplicated) →
    engine matches → obligations with due dates and statuses → verdict and ordered plan.

Dates: a rule's obligation is due `days_before` the practice's start, or on the day the rule
first applies there if that is later (a law enacted but not yet in force shows as an
upcoming obligation). Status: `met` when the spec shows it done by the due date, `violated`
when done late or not done and the due date has passed, else `pending`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .assessment import (
    Assessment,
    JurisdictionResult,
    LawResult,
    Obligation,
    ObligationDetail,
    PlanStep,
    UserCounts,
    Verdict,
)
from .compiler import Literal
from .engines import Engine, FactSet, make_engine
from .explain import describe
from .facts import DONE_FIELDS, FACT_FIELDS, practice_facts, spec_keys
from .practice import Practice
from .regions import FOREVER, Interval, expand, name_of
from .rulebook import Law, RuleBook
from .rulefile import Rule, Status

__all__ = ["Evaluator", "evaluate", "verdict_of"]

PHASE = {
    "prohibited": 0,
    "policy_update": 1,
    "notice": 2,
    "consent": 3,
    "opt_out": 3,
    "parental_consent": 3,
    "impact_assessment": 4,
    "disclosure": 5,
}
STEP_TITLE = {
    "prohibited": "Stop: the practice is prohibited here as planned",
    "policy_update": "Update the privacy policy to disclose the practice",
    "notice": "Notify users individually, with the lead time",
    "consent": "Obtain opt-in consent before processing",
    "opt_out": "Offer the opt-out / objection route before processing",
    "parental_consent": "Obtain verifiable parental consent",
    "impact_assessment": "Complete the assessments before processing starts",
    "disclosure": "Publish the required documentation",
}
SEVERITY_OF_STATUS = {"met": 0, "pending": 1, "violated": 2}


@dataclass(frozen=True)
class _Group:
    law: Law
    spans: tuple[Interval, ...]  # when the law applies to these codes (not clipped to the practice)
    codes: tuple[str, ...]
    facts: dict[str, Any]


@dataclass
class _Hit:
    codes: tuple[str, ...]
    due: dt.date
    status: Status
    because: list[str]
    fields: tuple[str, ...] = ()


class Evaluator:
    """A rule book bound to an engine. Immutable after construction; share it freely."""

    def __init__(self, book: RuleBook, engine: str | Engine = "auto") -> None:
        self.book = book
        self.engine: Engine = make_engine(engine, book.conditions) if isinstance(engine, str) else engine
        # Per rule, what does not depend on the practice: the rule, and the spec fields that show
        # it done (for annotations).
        self._rule_static: dict[str, tuple[Rule, tuple[str, ...]]] = {}
        for rid, (_, rule) in book.rules.items():
            done_fields: list[str] = []
            if rule.done is not None and rule.done.on is not None:
                done_fields.append(DONE_FIELDS[rule.done.on])
            if rule.done is not None and rule.done.published is not None:
                done_fields.append(f"published.{rule.done.published}")
            if f"{rid}#done" in book.conditions:
                done_fields += [FACT_FIELDS[lit.fact] for c in book.conditions[f"{rid}#done"].disjuncts for lit in c]
            self._rule_static[rid] = (rule, tuple(done_fields))
        self._plans: dict[str, tuple[tuple[str, Any, bool], ...]] = {}

    def _code_plan(self, code: str) -> tuple[tuple[str, Any, bool], ...]:
        """(law id, law profile, whether the law reads the code's user count) for every law that
        ever applies to `code`; cached."""
        plan = self._plans.get(code)
        if plan is None:
            book = self.book
            plan = self._plans[code] = tuple(
                (law.id, law.profile(code), "consumers_here" in book.facts_used(law.id))
                for law, _ in book.laws_for(code)
            )
        return plan

    def evaluate(self, practice: Practice, today: dt.date) -> Assessment:
        return self.evaluate_many([practice], today)[0]

    def evaluate_many(
        self, practices: Sequence[Practice], today: dt.date, *, workers: int | None = None
    ) -> list[Assessment]:
        """Every practice as of `today`, in order. Big batches run on a process pool (one
        process per core; `workers` overrides), small ones in-process: `jurisdiction.parallel`."""
        if len(practices) < 2:
            return [self._evaluate(p, today) for p in practices]
        from .parallel import evaluate_many

        return evaluate_many(self, practices, today, workers)

    # ------------------------------------------------------------------------------------
    def _evaluate(self, practice: Practice, today: dt.date) -> Assessment:
        book = self.book
        start = practice.starts
        window = Interval(start, practice.ends or FOREVER)
        included = expand(practice.users.regions, start, book.subdivided)
        excluded = set(expand(practice.users.exclude, start, book.subdivided))
        affected = [c for c in included if c not in excluded]

        base = practice_facts(practice)
        keys = spec_keys(practice)

        # Laws per code, and fact sets deduplicated by (law, spans, parameter values).
        laws_here: dict[str, list[str]] = defaultdict(list)
        first_day: dict[str, dt.date] = {}
        groups: dict[tuple[Any, ...], list[str]] = defaultdict(list)
        group_meta: dict[tuple[Any, ...], tuple[Law, tuple[Interval, ...], dict[str, Any]]] = {}
        # Codes whose law profile is the same (every US state under a federal law) are
        # worked out once.
        buckets: dict[tuple[str, Any, Any], list[str]] = defaultdict(list)
        counts = practice.users.counts
        for code in affected:
            for law_id, profile, counted in self._code_plan(code):
                buckets[(law_id, profile, counts.get(code) if counted else None)].append(code)
        for (law_id, profile, local), codes in buckets.items():
            law, always = book.by_id[law_id], profile[0]
            spans = tuple(both for span in always if (both := span & window) is not None)
            if not spans:
                continue
            in_force = next(span.start for span in always if span & window)
            # A dated parameter (an age raised on a day) splits the practice's period: the
            # rules are evaluated for each stretch with the values then in force.
            for periods, on in _stretches(law, codes[0], always, spans):
                params = {f"param:{name}": law.param(name, codes[0], on) for name in law.spec.parameters}
                if local is not None:
                    params["consumers_here"] = local
                key = (law_id, periods, tuple(params.items()), in_force)
                groups[key].extend(codes)
                group_meta[key] = (law, periods, params)
        plan_groups = [
            _Group(group_meta[k][0], group_meta[k][1], tuple(codes), {**base, **group_meta[k][2]})
            for k, codes in groups.items()
        ]
        matches = self.engine.match([FactSet(g.law.id, g.facts) for g in plan_groups])

        hits: dict[str, list[_Hit]] = defaultdict(list)
        assumptions: set[str] = set()
        below: dict[str, set[str]] = defaultdict(set)
        for key, group, found in zip(groups, plan_groups, matches, strict=True):
            law_id = group.law.id
            gate = f"{law_id}/@applies"
            if gate in book.conditions:
                if gate not in found:  # the business is below the law's thresholds
                    for code in group.codes:
                        below[code].add(law_id)
                    continue
                conj = book.conditions[gate].disjuncts[found[gate][0]]
                assumptions.update(
                    f"{law_id} applicability: {describe(lit, group.facts)}"
                    for lit in conj
                    if lit.fact not in group.facts
                )
            for code in group.codes:
                laws_here[code].append(law_id)
            first_day[law_id] = min(first_day.get(law_id, key[3]), key[3])
            for rid in found:
                static = self._rule_static.get(rid)
                if static is None:
                    continue  # a `#done` or `@applies` condition
                rule, done_fields = static
                effective = _rule_start(rule, group.spans, window)
                if effective is None:
                    continue
                cond = book.conditions[rid]
                conj = cond.disjuncts[found[rid][0]]
                why = [rule.because, *(_because(group.law, lit, group.facts, keys) for lit in conj)]
                assumptions.update(describe(lit, group.facts) for lit in conj if lit.fact not in group.facts)
                due = max(start - dt.timedelta(days=rule.due.days_before), effective)
                if rule.due.transition is not None and start < effective:
                    due = max(due, rule.due.transition)
                status, said = _status(rule, rid, found, practice, due, today)
                if effective > start:
                    why.append(f"applies from {effective.isoformat()}, after the practice started")
                fields = (*(FACT_FIELDS[lit.fact] for lit in conj), *done_fields)
                hits[rid].append(_Hit(group.codes, due, status, [*why, said], tuple(dict.fromkeys(fields))))

        obligations = [_obligation(book, rid, hits[rid]) for rid in sorted(hits)]
        by_code: dict[str, list[str]] = defaultdict(list)
        for ob in obligations:
            for code in ob.jurisdictions:
                by_code[code].append(ob.id)

        jurisdictions = []
        for code in included:
            if code in excluded:
                jurisdictions.append(
                    JurisdictionResult(
                        code=code, name=name_of(code), affected=False, reason="excluded by the practice (users.exclude)"
                    )
                )
            else:
                laws = sorted(set(laws_here.get(code, [])))
                thresholds = sorted(below.get(code, set()) - set(laws))
                jurisdictions.append(
                    JurisdictionResult(
                        code=code,
                        name=name_of(code),
                        affected=True,
                        laws=laws,
                        obligations=sorted(by_code.get(code, [])),
                        reason=None if laws else "no law in the rule library applies here",
                        below_thresholds=thresholds or None,
                    )
                )

        return Assessment(
            practice=practice.id,
            title=practice.title,
            today=today,
            verdict=verdict_of(obligations),
            rules_revision=book.revision,
            jurisdictions=jurisdictions,
            laws=_laws(book, laws_here, first_day, today),
            obligations=obligations,
            plan=_plan(obligations),
            users=_users(practice, book, affected, excluded),
            assumptions=sorted(assumptions),
        )


def _stretches(
    law: Law, code: str, always: tuple[Interval, ...], spans: tuple[Interval, ...]
) -> list[tuple[tuple[Interval, ...], dt.date]]:
    """(periods of the law, day the parameters are read) for each stretch of the practice in
    which the law's parameters for `code` do not change. The first stretch keeps the law's
    whole earlier history (so lead times count from the start); later ones begin on the day of
    the change."""
    changes = sorted(d for d in law.param_changes(code) if spans[0].start < d <= spans[-1].end)
    if not changes:
        return [(always, spans[0].start)]
    cuts = [spans[0].start, *changes]
    out = []
    for i, day in enumerate(cuts):
        upto = cuts[i + 1] - dt.timedelta(days=1) if i + 1 < len(cuts) else FOREVER
        lower = dt.date.min if i == 0 else day
        clip = Interval(lower, upto)
        periods = tuple(both for span in always if (both := span & clip) is not None)
        if periods:
            out.append((periods, day))
    return out


def _spans(law: Law, code: str, window: Interval) -> tuple[Interval, ...]:
    """When `law` applies to `code` within the practice's window."""
    return tuple(both for span in law.spans(code) if (both := span & window) is not None)


def _rule_start(rule: Rule, spans: Iterable[Interval], window: Interval) -> dt.date | None:
    """The day the rule first applies in a period of the law that overlaps the practice."""
    own = Interval(rule.from_ or dt.date.min, rule.to or FOREVER)
    for span in spans:
        both = span & own
        if both and both & window:
            return both.start
    return None


def _because(law: Law, lit: Literal, facts: dict[str, Any], spec_keys: dict[str, list[str]]) -> str:
    text = describe(lit, facts, spec_keys)
    if lit.term is not None and lit.term in law.spec.terms:
        text = f"{law.spec.terms[lit.term].description}: {text}"
    return text


def _spec_date(practice: Practice, name: str) -> dt.date | None:
    return {
        "policy_updated": practice.policy.updated,
        "policy_notified": practice.policy.notified,
        "starts": practice.starts,
    }[name]


def _status(
    rule: Rule, rid: str, found: dict[str, tuple[int, ...]], practice: Practice, due: dt.date, today: dt.date
) -> tuple[Status, str]:
    done = rule.done
    when_ok = done is not None and (done.when is None or f"{rid}#done" in found)
    label, date, dated = "", None, False
    if done is not None and done.on:
        label, date, dated = done.on, _spec_date(practice, done.on), True
    elif done is not None and done.published:
        label, date, dated = f"published.{done.published}", practice.published.get(done.published), True
    is_done = when_ok and (not dated or date is not None)
    if is_done and date is not None and date > due:
        return "violated", f"done too late: {label} is {date.isoformat()}, after the due date {due.isoformat()}"
    if is_done:
        shown = f" ({label} {date.isoformat()})" if date is not None else ""
        return "met", f"the spec shows it done{shown}"
    if rule.kind == "prohibited":  # due: the day the ban reaches the running practice
        if due <= today:
            return "violated", f"the practice as planned is prohibited, and has been since {due.isoformat()}"
        return "pending", f"the practice as planned will be prohibited from {due.isoformat()}: change or stop it"
    missing = f"{label} is not set" if dated and date is None else "the spec does not show it done"
    if due < today:
        return "violated", f"not done and the due date {due.isoformat()} has passed ({missing})"
    return "pending", f"due by {due.isoformat()} ({missing})"


def _obligation(book: RuleBook, rid: str, hits: list[_Hit]) -> Obligation:
    law, rule = book.rules[rid]
    seen: set[str] = set()
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: h.due):  # a code owes the obligation once: from its earliest stretch
        codes = tuple(c for c in hit.codes if c not in seen)
        seen.update(codes)
        if codes:
            kept.append(_Hit(codes, hit.due, hit.status, hit.because, hit.fields))
    hits = kept
    # group jurisdictions that share due date and status
    merged: dict[tuple[dt.date, str, tuple[str, ...]], list[str]] = defaultdict(list)
    for hit in hits:
        merged[(hit.due, hit.status, tuple(hit.because))].extend(hit.codes)
    details = sorted(
        ((due, status, why, sorted(codes)) for (due, status, why), codes in merged.items()),
        key=lambda d: (d[0], -SEVERITY_OF_STATUS[d[1]], d[3]),
    )
    all_codes = sorted({c for *_, cs in details for c in cs})
    worst = max((d[1] for d in details), key=lambda s: SEVERITY_OF_STATUS[s])
    first = details[0]
    return Obligation(
        id=rid,
        title=rule.title,
        kind=rule.kind,
        law=law.id,
        jurisdictions=all_codes,
        citation=rule.citation,
        url=str(rule.url),
        due=min(d[0] for d in details),
        status=worst,
        severity=rule.severity,
        because=list(first[2]),
        fields=list(dict.fromkeys(f for hit in hits for f in hit.fields)),
        verified=rule.verified and law.spec.law.verified,
        uncertain=rule.uncertain,
        details=[
            ObligationDetail(jurisdictions=cs, due=due, status=st, because=list(why)) for due, st, why, cs in details
        ]
        if len(details) > 1
        else None,
    )


def verdict_of(obligations: Sequence[Obligation]) -> Verdict:
    """blocked if a blocking obligation is violated or a (blocking) prohibition applies;
    action_required if anything is not met; else clear (DESIGN.md). A rule of severity
    `warning` never blocks, whatever its kind."""
    if any(o.severity == "blocking" and (o.kind == "prohibited" or o.status == "violated") for o in obligations):
        return "blocked"
    if any(o.status != "met" for o in obligations):
        return "action_required"
    return "clear"


def _plan(obligations: Sequence[Obligation]) -> list[PlanStep]:
    todo = [o for o in obligations if o.status != "met"]
    by_kind: dict[str, list[Obligation]] = defaultdict(list)
    for o in todo:
        by_kind[o.kind].append(o)
    order = sorted(by_kind, key=lambda k: (PHASE[k], min(o.due for o in by_kind[k]), k))
    steps = []
    for n, kind in enumerate(order, 1):
        obs = by_kind[kind]
        steps.append(
            PlanStep(
                step=n,
                kind=kind,
                title=STEP_TITLE[kind],
                due=min(o.due for o in obs),
                status=max((o.status for o in obs), key=lambda s: SEVERITY_OF_STATUS[s]),
                jurisdictions=sorted({c for o in obs for c in o.jurisdictions}),
                obligations=sorted(o.id for o in obs),
            )
        )
    return steps


def _laws(
    book: RuleBook, laws_here: dict[str, list[str]], first_day: dict[str, dt.date], today: dt.date
) -> list[LawResult]:
    codes_of: dict[str, list[str]] = defaultdict(list)
    for code, ids in laws_here.items():
        for law_id in ids:
            codes_of[law_id].append(code)
    out = []
    for law_id in sorted(codes_of):
        law = book.by_id[law_id]
        effective = first_day[law_id]
        spec = law.spec.law
        out.append(
            LawResult(
                id=law_id,
                title=spec.title,
                citation=spec.citation,
                url=str(spec.url),
                effective=effective,
                status="upcoming" if effective > today else "in_force",
                jurisdictions=len(codes_of[law_id]),
                verified=spec.verified,
                uncertain=spec.uncertain,
            )
        )
    return out


def _users(practice: Practice, book: RuleBook, affected: Sequence[str], excluded: set[str]) -> UserCounts | None:
    counts = practice.users.counts
    if not counts:
        return None
    hit = set(affected)
    total_affected = total_excluded = 0
    for key, number in counts.items():
        codes = set(expand([key], practice.starts, book.subdivided))
        if codes & hit:
            total_affected += number
        elif codes & excluded:
            total_excluded += number
    return UserCounts(affected=total_affected, excluded=total_excluded)


def evaluate(
    practice: Practice, book: RuleBook | None = None, *, today: dt.date | None = None, engine: str = "auto"
) -> Assessment:
    """Evaluate one practice. `book` defaults to the shipped library; `today` to the system date.

    >>> from jurisdiction import Practice, evaluate
    >>> spec = Practice.model_validate({"id": "demo", "title": "Demo", "data_subjects": ["customer"],
    ...     "data_categories": ["user.content.public"], "data_uses": ["train_ai_system"],
    ...     "users": {"regions": ["US-CA"], "min_age": 18}, "starts": "2030-01-01",
    ...     "policy": {"discloses": ["train_ai_system"], "updated": "2029-01-01", "notified": "2029-01-01"},
    ...     "control": "opt_in", "existing_data": False})
    >>> evaluate(spec, today=__import__("datetime").date(2029, 6, 1)).verdict
    'clear'
    """
    return Evaluator(book or RuleBook.load(), engine).evaluate(practice, today or dt.date.today())
