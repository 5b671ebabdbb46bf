"""Step 5: evaluate a practice against a rule book, as of a date.

    scope → laws in force (or upcoming) per jurisdiction → fact sets (deduplicated) →
    engine matches → obligations with due dates and statuses → verdict and ordered plan.

Dates: a rule's obligation is due `days_before` the practice's start, or on the day the rule
first applies there if that is later (a law enacted but not yet in force shows as an
upcoming obligation). Status: `met` when the spec shows it done by the due date, `violated`
when done late or not done and the due date has passed, else `pending`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from jurisdiction.engines import Engine, FactSet, Matches, make_engine
from jurisdiction.engines.native import is_local
from jurisdiction.evaluation.assessment import PHASE, SEVERITY_OF_STATUS, STEP_TITLE, Assessment, Verdict
from jurisdiction.evaluation.batch import evaluate_in_processes, gc_paused, plan_workers
from jurisdiction.evaluation.words import describe, trace_condition
from jurisdiction.law.compiler import Literal, ParamRef
from jurisdiction.law.coverage import JurisdictionCoverage
from jurisdiction.law.facts import (
    DONE_FIELDS,
    FACT_FIELDS,
    LOCAL_FACTS,
    WARN_UNKNOWN,
    LocalValues,
    local_values,
    practice_contexts,
    practice_facts,
    spec_keys,
)
from jurisdiction.law.rulebook import Law, RuleBook
from jurisdiction.law.rulefile import Rule, Status
from jurisdiction.practice.model import Practice
from jurisdiction.vocabulary.regions import FOREVER, Interval, expand, name_of
from jurisdiction.vocabulary.taxonomy import taxonomy

if TYPE_CHECKING:  # the timeline's module is imported when a timeline is asked for
    from jurisdiction.evaluation.timeline import PracticeTimeline, Timeline

__all__ = ["Evaluator", "LawTrace", "Owed", "PlainAssessment", "RuleTrace", "evaluate", "verdict_of"]

SCOPES_KEPT = 512


class Owed(Protocol):
    """What the verdict and the gate read of an obligation (an `Obligation` is one)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def waived(self) -> object: ...


class PlainAssessment(NamedTuple):
    """An assessment as plain data (`data`: the JSON tree, dates as `datetime.date`), its
    verdict, and its obligations as the gate reads them."""

    data: dict[str, Any]
    verdict: Verdict
    obligations: tuple[Owed, ...]


@dataclass(frozen=True)
class RuleTrace:
    """One rule, as the evaluation saw it for a group of jurisdictions: whether its condition
    matched, whether its own period reaches the practice, and every case of its condition with
    each test marked holds / fails / assumed (`words.trace_condition`)."""

    rule: str
    matched: bool
    reaches: bool
    cases: list[dict[str, Any]]


@dataclass(frozen=True)
class LawTrace:
    """One law, as the evaluation saw it for a group of jurisdictions whose answer is the same:
    the day it is first in force during the practice, the facts it was evaluated over (with the
    jurisdictions' parameters), whether the business meets its applicability thresholds (with
    the trace of that condition), and each of its rules. The one record both `check` and
    `explain` come from."""

    law: str
    codes: tuple[str, ...]
    in_force: dt.date
    facts: Mapping[str, Any]
    applies: bool
    thresholds: list[dict[str, Any]] | None
    rules: list[RuleTrace]


# A hit: one rule's answer for one group of codes.
# (codes, due, status, because, fields)
# (codes, due, status, because, fields, soft: binding only once users' ages are known, verified)
# (law id, profile, the code's per-jurisdiction facts the law reads, codes)
_Bucket = tuple[str, Any, tuple[tuple[str, Any], ...] | None, tuple[str, ...]]
_Hit = tuple[tuple[str, ...], dt.date, Status, tuple[str, ...], tuple[str, ...], bool, bool]


@dataclass(frozen=True)
class _RuleStatic:
    """What the evaluator needs of a rule that does not depend on the practice."""

    law: Law
    rule: Rule
    own: Interval  # the rule's own from/to
    fields: tuple[tuple[str, ...], ...]  # per conjunction: the spec fields it reads, then done fields
    # per conjunction, per literal: (literal, its number, whether it reads a jurisdiction's
    # values, the law's term description to put before it)
    words: tuple[tuple[tuple[Literal, int, bool, str], ...], ...]
    local: tuple[bool, ...]  # per conjunction: whether it reads a jurisdiction's values
    lead: dt.timedelta  # due.days_before
    url: str
    verified: bool
    # how the spec shows it done: a date field (`done.on`) or a published document, and the
    # `done.when` condition's id
    done: bool
    done_on: str | None
    done_published: str | None
    done_when: str | None
    done_label: str


@dataclass(frozen=True)
class _LawStatic:
    law: Law
    gate: tuple[tuple[Literal, ...], ...] | None  # the law's applicability condition, if any
    has_params: bool  # per-jurisdiction parameters, which may also change during a practice
    excludes: tuple[str, ...]  # data subjects the law does not protect
    age_soft: bool  # its rules on minors bind on knowledge of users' ages: unknown ages give warnings
    context: str | None  # the context the law is confined to (`law.context`), if any


class _RuleStatics(dict[str, _RuleStatic]):
    """Rule id → `_RuleStatic`, each built on first use (thread-safe: one builder at a time)."""

    def __init__(self, build: Callable[[str], _RuleStatic]) -> None:
        super().__init__()
        self._build = build
        self._lock = threading.Lock()

    def __missing__(self, rid: str) -> _RuleStatic:
        with self._lock:
            static = dict.get(self, rid)
            if static is None:
                static = self[rid] = self._build(rid)
            return static

    def get(self, rid: str, default: Any = None) -> Any:
        """As `[]` for a rule of the book; `default` for another id (a `#done` or `@applies` condition)."""
        try:
            return self[rid]
        except KeyError:
            return default


class Evaluator:
    """A rule book bound to an engine. Immutable after construction; share it freely.

    It keeps a few caches of answers that do not depend on the practice's facts (which laws
    reach which codes, and how codes group) — bounded, and safe to share between threads."""

    def __init__(self, book: RuleBook, engine: str | Engine = "auto", *, coverage: bool = True) -> None:
        """`coverage=False` leaves out what the library covers per jurisdiction (a rule test runs
        one law alone: every other place would be uncovered)."""
        self.book = book
        self.assess_coverage = coverage
        self.engine: Engine = make_engine(engine, book.conditions) if isinstance(engine, str) else engine
        # what each rule needs that does not depend on the practice: built when a rule is first
        # reached (a one-spec check reaches a few laws of the library), under a lock
        self._rules = _RuleStatics(self._rule_static)
        self._numbers: dict[Literal, int] = {}  # each distinct literal's number (a cache key)
        self._laws: dict[str, _LawStatic] = {}
        # a law's row in the assessment, but for what depends on the practice: (before, after)
        self._law_rows: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        for law in book.laws:
            gate = book.conditions.get(f"{law.id}/@applies")
            applies = gate.disjuncts if gate is not None else None
            protects = law.spec.law.protects
            excludes = tuple(protects.excludes) if protects is not None else ()
            soft = law.spec.law.age_knowledge != "constructive"
            context = law.spec.law.context
            self._laws[law.id] = _LawStatic(law, applies, bool(law.spec.parameters), excludes, soft, context)
            spec = law.spec.law
            tail: dict[str, Any] = {"verified": spec.verified}
            if spec.uncertain is not None:
                tail["uncertain"] = spec.uncertain
            self._law_rows[law.id] = (
                {"id": law.id, "title": spec.title, "citation": spec.citation, "url": str(spec.url)},
                tail,
            )
        self._plans: dict[str, tuple[tuple[str, Any, frozenset[str]], ...]] = {}
        self._protected: dict[tuple[tuple[str, ...], frozenset[str]], bool] = {}
        self._covered: dict[tuple[str, tuple[str, ...]], JurisdictionCoverage] = {}
        # (affected codes, per-jurisdiction facts) → the codes grouped by law and law profile
        self._bucket_cache: dict[tuple[Any, ...], tuple[_Bucket, ...]] = {}

    def _rule_static(self, rid: str) -> _RuleStatic:
        book, numbers = self.book, self._numbers
        law, rule = book.rules[rid]
        terms = law.spec.terms
        done = rule.done
        done_fields: list[str] = []
        done_on = done_published = done_when = None
        done_label = ""
        if done is not None:
            done_on, done_when = done.on or None, f"{rid}#done" if done.when is not None else None
            done_published = done.published or None if done_on is None else None
            done_label = done_on or (f"published.{done_published}" if done_published else "")
            if done.on is not None:
                done_fields.append(DONE_FIELDS[done.on])
            if done.published is not None:
                done_fields.append(f"published.{done.published}")
        if f"{rid}#done" in book.conditions:
            done_fields += [FACT_FIELDS[lit.fact] for c in book.conditions[f"{rid}#done"].disjuncts for lit in c]
        disjuncts = book.conditions[rid].disjuncts
        return _RuleStatic(
            law,
            rule,
            Interval(rule.from_ or dt.date.min, rule.to or FOREVER),
            tuple(tuple(dict.fromkeys((*(FACT_FIELDS[lit.fact] for lit in conj), *done_fields))) for conj in disjuncts),
            tuple(
                tuple(
                    (
                        lit,
                        numbers.setdefault(lit, len(numbers)),
                        is_local(lit),
                        f"{terms[lit.term].description}: " if lit.term is not None and lit.term in terms else "",
                    )
                    for lit in conj
                )
                for conj in disjuncts
            ),
            tuple(any(is_local(lit) for lit in conj) for conj in disjuncts),
            dt.timedelta(days=rule.due.days_before),
            str(rule.url),
            rule.verified and law.spec.law.verified,
            done is not None,
            done_on,
            done_published,
            done_when,
            done_label,
        )

    def _code_plan(self, code: str) -> tuple[tuple[str, Any, frozenset[str]], ...]:
        """(law id, law profile, the per-jurisdiction facts the law reads: the code's user count,
        whether its users' data leaves it) for every law that ever applies to `code`; cached."""
        plan = self._plans.get(code)
        if plan is None:
            book = self.book
            plan = self._plans[code] = tuple(
                (law.id, law.profile(code), LOCAL_FACTS & book.facts_used(law.id)) for law, _ in book.laws_for(code)
            )
        return plan

    def _buckets(self, affected: tuple[str, ...], values: LocalValues) -> tuple[_Bucket, ...]:
        """Codes whose law profile is the same (every US state under a federal law) are worked
        out once: (law id, profile, the code's own per-jurisdiction facts the law reads, codes).
        Kept for the last few hundred scopes (region sets repeat: the US, the EU, ...)."""
        if values:  # only a value of a code in scope whose laws read it changes the answer
            here = set(affected)
            kept = []
            for code, pairs in values:
                if code in here:
                    read = frozenset().union(*(r for _, _, r in self._code_plan(code)))
                    used = tuple(p for p in pairs if p[0] in read)
                    if used:
                        kept.append((code, used))
            values = tuple(kept)
        found = self._bucket_cache.get((affected, values))
        if found is None:
            found = self._bucket_codes(affected, values)
            if len(self._bucket_cache) >= SCOPES_KEPT:
                with contextlib.suppress(RuntimeError, StopIteration):  # another thread got there first
                    self._bucket_cache.pop(next(iter(self._bucket_cache)), None)  # the oldest
            self._bucket_cache[(affected, values)] = found
        return found

    def _bucket_codes(self, affected: tuple[str, ...], values: LocalValues) -> tuple[_Bucket, ...]:
        local = dict(values)
        buckets: dict[tuple[str, Any, Any], list[str]] = defaultdict(list)
        for code in affected:
            pairs = local.get(code, ())
            for law_id, profile, reads in self._code_plan(code):
                here = tuple(p for p in pairs if p[0] in reads) if reads else ()
                buckets[(law_id, profile, here or None)].append(code)
        return tuple((law_id, profile, here, tuple(codes)) for (law_id, profile, here), codes in buckets.items())

    def evaluate(self, practice: Practice, today: dt.date) -> Assessment:
        return self.evaluate_many([practice], today)[0]

    def evaluate_many(
        self, practices: Sequence[Practice], today: dt.date, *, workers: int | None = None
    ) -> list[Assessment]:
        """Every practice as of `today`, in order, in-process with the garbage collector paused;
        `workers=N` runs them on a pool of N processes instead (`jurisdiction.evaluation.batch`)."""
        processes = plan_workers(len(practices), workers)
        with gc_paused():
            if processes == 1 or self.engine.name not in ("native", "rete"):
                return [self._evaluate(p, today) for p in practices]
            make = functools.partial(Evaluator, self.book, self.engine.name)
            return evaluate_in_processes(self, make, practices, today, processes)

    def evaluate_plain(self, practice: Practice, today: dt.date) -> PlainAssessment:
        """The assessment as plain data, for a caller that only serialises it (the HTTP
        service): pydantic's `to_json(result.data)` gives the bytes of `evaluate(...)
        .model_dump_json(exclude_none=True)`, without building the models (docs/api.md)."""
        return self._plain(practice, today)

    def timeline(self, practice: Practice, start: dt.date, until: dt.date) -> PracticeTimeline:
        """Every date in [start, until] on which the practice's assessment changes (a law comes
        into force, an obligation falls due or becomes overdue, the verdict changes) or an unmet
        obligation falls due, with what changes and the lead time from `start`. Worked out from
        the dates the assessments carry, not by evaluating every day (`evaluation/timeline.py`);
        the assessment on any day equals the one on the latest event date before it.

        >>> import datetime as dt
        >>> from jurisdiction import Evaluator, Practice, RuleBook
        >>> spec = Practice.model_validate({"id": "demo", "title": "Demo", "data_subjects": ["customer"],
        ...     "data_categories": ["user.content.public"], "data_uses": ["train_ai_system"],
        ...     "users": {"regions": ["US-CA"], "min_age": 18}, "starts": "2030-01-01",
        ...     "policy": {"discloses": [], "updated": None, "notified": None},
        ...     "control": "opt_in", "existing_data": False})
        >>> line = Evaluator(RuleBook.load()).timeline(spec, dt.date(2029, 6, 1), dt.date(2030, 12, 31))
        >>> line.verdict, [(e.date.isoformat(), e.days, e.verdict and e.verdict.now) for e in line.events]
        ('action_required', [('2030-01-01', 214, None), ('2030-01-02', 215, 'blocked')])
        """
        if until < start:
            raise ValueError(f"the window ends ({until}) before it starts ({start})")
        from jurisdiction.evaluation.timeline import practice_timeline

        return practice_timeline(self._timeline_data, practice, start, until)

    def timelines(self, practices: Sequence[Practice], start: dt.date, until: dt.date) -> Timeline:
        """`timeline` for each practice, in order, over one window."""
        from jurisdiction.evaluation.timeline import Timeline

        lines = [self.timeline(p, start, until) for p in practices]
        return Timeline.model_validate(
            {"from": start, "until": until, "rules_revision": self.book.revision, "practices": lines}
        )

    def _timeline_data(self, practice: Practice, today: dt.date) -> dict[str, Any]:
        return self._plain(practice, today).data

    # ------------------------------------------------------------------------------------
    def _evaluate(self, practice: Practice, today: dt.date) -> Assessment:
        return Assessment.model_validate(self._plain(practice, today).data)

    def _law_trace(
        self,
        static: _LawStatic,
        codes: tuple[str, ...],
        in_force: dt.date,
        periods: tuple[Interval, ...],
        window: Interval,
        facts: Mapping[str, Any],
        keys: Mapping[str, list[str]],
        found: Matches,
        change_day: dt.date,
    ) -> LawTrace:
        law, conditions = static.law, self.book.conditions
        gate = conditions.get(f"{law.id}/@applies")
        rules = [
            RuleTrace(
                rid,
                rid in found,
                _reaches(self._rules[rid], periods, window, change_day),
                trace_condition(conditions[rid], facts, keys),
            )
            for rid in (f"{law.id}/{rule.id}" for rule in law.spec.rules)
        ]
        return LawTrace(
            law.id,
            codes,
            in_force,
            facts,
            gate is None or f"{law.id}/@applies" in found,
            trace_condition(gate, facts, keys) if gate is not None else None,
            rules,
        )

    def explain(self, practice: Practice, today: dt.date) -> tuple[Assessment, list[LawTrace]]:
        """The assessment and the record of how it was reached: for each law and group of
        jurisdictions in scope, its facts, its applicability and every rule's condition case
        by case (`jurisdiction explain` renders it)."""
        traces: list[LawTrace] = []
        plain = self._plain(practice, today, traces)
        return Assessment.model_validate(plain.data), traces

    def _protects(self, excludes: tuple[str, ...], subjects: frozenset[str]) -> bool:
        """Whether some data subject of the practice is not among a law's exclusions."""
        key = (excludes, subjects)
        found = self._protected.get(key)
        if found is None:
            tax = taxonomy()
            found = any(not tax.covers("data_subject", excludes, s) for s in subjects)
            if len(self._protected) >= SCOPES_KEPT:
                self._protected.clear()
            self._protected[key] = found
        return found

    def _coverage(self, code: str, reached: tuple[str, ...]) -> JurisdictionCoverage:
        """What the library covers in `code`, given the laws that reach it (cached)."""
        key = (code, reached)
        found = self._covered.get(key)
        if found is None:
            found = self.book.coverage_status(code, reached)
            if len(self._covered) >= 4 * SCOPES_KEPT:
                self._covered.clear()
            self._covered[key] = found
        return found

    def _fact_sets(
        self,
        affected: tuple[str, ...],
        values: LocalValues,
        window: Interval,
        base: dict[str, Any],
        subjects: frozenset[str],
        unprotected: dict[str, set[str]],
        contexts: frozenset[str] = frozenset(),
        outside: dict[str, str] | None = None,
    ) -> tuple[
        dict[tuple[Any, ...], list[str]],
        list[tuple[_LawStatic, tuple[Interval, ...], dict[str, Any], frozenset[str]]],
    ]:
        """The fact sets to match, deduplicated by (law, spans, parameter values, first day in
        force), each with the codes it stands for and (law, periods, facts). Laws in force that
        protect none of the practice's data subjects go to `unprotected` (code → laws) instead; laws
        confined to a context the practice is not in (`contexts`) go to `outside` (law → context)."""
        outside = {} if outside is None else outside
        groups: dict[tuple[Any, ...], list[str]] = {}
        group_meta: dict[tuple[Any, ...], tuple[_LawStatic, tuple[Interval, ...], dict[str, Any], frozenset[str]]] = {}
        for law_id, profile, local, codes in self._buckets(affected, values):
            static = self._laws[law_id]
            law, always = static.law, profile[0]
            spans, in_force = _within(always, window)
            if in_force is None:
                continue
            if static.context is not None and static.context not in contexts:
                outside[law_id] = static.context  # the law reaches only practices in its context (a school)
                continue
            if static.excludes and not self._protects(static.excludes, subjects):
                for code in codes:
                    unprotected[code].add(law_id)
                continue
            # A dated parameter (an age raised on a day) splits the practice's period: the
            # rules are evaluated for each stretch with the values then in force.
            stretches = _stretches(law, codes[0], always, spans) if static.has_params else [(always, window.start)]
            for periods, on in stretches:
                params = law.params_on(codes[0], on) if static.has_params else ()
                if local is not None:
                    params = (*params, *local)
                key = (law_id, periods, params, in_force)
                found_codes = groups.get(key)
                if found_codes is None:
                    groups[key] = list(codes)
                    unverified = law.unverified_params(codes[0], on) if static.has_params else frozenset()
                    group_meta[key] = (static, periods, {**base, **dict(params)} if params else base, unverified)
                else:
                    found_codes.extend(codes)
        return groups, list(group_meta.values())

    def _plain(self, practice: Practice, today: dt.date, traces: list[LawTrace] | None = None) -> PlainAssessment:
        """The whole evaluation. It builds plain dicts in the models' field order, leaving out
        what is None, and lets pydantic validate the tree in one call when a model is wanted:
        that is several times cheaper than building the few hundred models one by one."""
        book = self.book
        start = practice.starts
        window = Interval(start, practice.ends or FOREVER)
        included = expand(practice.users.regions, start, book.subdivided)
        excluded = set(expand(practice.users.exclude, start, book.subdivided))
        affected = tuple(c for c in included if c not in excluded)

        base = practice_facts(practice)
        keys = spec_keys(practice)

        unprotected: dict[str, set[str]] = defaultdict(set)
        subjects = frozenset(practice.data_subjects)
        outside: dict[str, str] = {}
        groups, metas = self._fact_sets(
            affected,
            local_values(practice, affected),
            window,
            base,
            subjects,
            unprotected,
            practice_contexts(practice),
            outside,
        )
        matches = self.engine.match([FactSet(m[0].law.id, m[2], base) for m in metas])

        hits: dict[str, list[_Hit]] = defaultdict(list)
        # a law confined to a context the spec does not state is not silent: it says so
        assumptions: set[str] = {
            f"{law_id} reaches only practices in a {context} context: the spec has no `{context}` block, "
            "so it is taken not to be in one (add the block if it is)"
            for law_id, context in outside.items()
        }
        below: dict[str, set[str]] = defaultdict(set)
        laws_here: dict[str, list[str]] = defaultdict(list)
        codes_of: dict[str, set[str]] = defaultdict(set)  # law → codes it applies to
        first_day: dict[str, dt.date] = {}
        # each literal put in words once per practice (once per fact set if it reads a
        # jurisdiction's values): (text, whether the fact is known)
        texts: dict[object, tuple[str, bool]] = {}
        answered: dict[tuple[Any, ...], tuple[dt.date, Status, tuple[str, ...], tuple[str, ...], bool, bool]] = {}
        change_day = practice.policy.updated or start  # the day the change was made
        dates = {
            "policy_updated": practice.policy.updated,
            "policy_notified": practice.policy.notified,
            "starts": start,
        }

        rules = self._rules
        for (law_id, _, _, in_force), members, (static, periods, facts, unverified), found in zip(
            groups, groups.values(), metas, matches, strict=True
        ):
            if traces is not None:
                traces.append(
                    self._law_trace(static, tuple(members), in_force, periods, window, facts, keys, found, change_day)
                )
            if static.gate is not None:
                gate = found.get(f"{law_id}/@applies")
                if gate is None:  # the business is below the law's thresholds
                    for code in members:
                        below[code].add(law_id)
                    continue
                assumptions.update(
                    f"{law_id} applicability: {describe(lit, facts)}"
                    for lit in static.gate[gate[0]]
                    if lit.fact not in facts
                )
            for code in members:
                laws_here[code].append(law_id)
            codes_of[law_id].update(members)
            first_day[law_id] = min(first_day.get(law_id, in_force), in_force)
            group_codes = tuple(members)
            for rid, conjs in found.items():
                rs = rules.get(rid)
                if rs is None:
                    continue  # a `#done` or `@applies` condition
                effective = _first_day(rs.own, periods, window)
                if effective is None or (rs.rule.trigger == "change" and change_day < effective):
                    continue  # outside the rule's dates, or a change made before the rule applied
                conj = conjs[0]
                # A rule that reads nothing of the jurisdiction gives the same answer in every
                # group that reaches it on the same day (the GDPR in 27 countries): once.
                same = None if rs.local[conj] else (rid, conj, effective, rs.done_when in found, static.age_soft)
                hit = answered.get(same) if same is not None else None
                if hit is None:
                    rule = rs.rule
                    why = [rule.because]
                    soft = age_unknown = False
                    unknown_warned: list[str] = []
                    verified = rs.verified
                    for lit, number, local, prefix in rs.words[conj]:
                        slot: object = (number, id(facts)) if local else number
                        text = texts.get(slot)
                        if text is None:
                            text = texts[slot] = (describe(lit, facts, keys), lit.fact in facts)
                        why.append(prefix + text[0])
                        if not text[1]:
                            assumptions.add(text[0])
                            if lit.fact == "min_age" and static.age_soft:
                                soft = age_unknown = True
                            elif lit.fact in WARN_UNKNOWN:
                                soft = True
                                unknown_warned.append(FACT_FIELDS[lit.fact])
                        if isinstance(lit.value, ParamRef) and lit.value.name in unverified:
                            verified = False
                    due = max(start - rs.lead, effective)
                    if rule.due.transition is not None and start < effective:
                        due = max(due, rule.due.transition)
                    status, said = _status(rs, found, dates, practice.published, due, today)
                    if effective > start:
                        why.append(f"applies from {effective.isoformat()}, after the practice started")
                    for spec_field in sorted(set(unknown_warned)):
                        why.append(f"{spec_field} is not given: this is a warning until the spec gives it")
                    if age_unknown:
                        why.append(
                            "users' ages are unknown: this law's rules on minors bind once the business knows "
                            f"({static.law.spec.law.age_knowledge.replace('_', ' ')}) that users are that young, "
                            "so this is a warning until users.min_age says otherwise"
                        )
                    why.append(said)
                    hit = (due, status, tuple(why), rs.fields[conj], soft, verified)
                    if same is not None:
                        answered[same] = hit
                hits[rid].append((group_codes, *hit))

        owed = [_obligation(rules[rid], rid, hits[rid]) for rid in sorted(hits)]
        by_code: dict[str, list[str]] = defaultdict(list)
        for ob in owed:  # in id order, so each code's list is sorted
            for code in ob.jurisdictions:
                by_code[code].append(ob.id)

        jurisdictions = _jurisdiction_rows(included, excluded, laws_here, by_code, below, unprotected)
        uncovered = []
        for row in jurisdictions if self.assess_coverage else ():
            if row["affected"]:
                code = row["code"]
                reached = {*row["laws"], *below.get(code, ()), *unprotected.get(code, ())}
                coverage = self._coverage(code, tuple(sorted(reached)))
                row["coverage"] = coverage.as_dict()
                if not coverage.covered:
                    uncovered.append(code)

        verdict = verdict_of(owed, uncovered)
        data: dict[str, Any] = {
            "practice": practice.id,
            "title": practice.title,
            "today": today,
            "verdict": verdict,
            "rules_revision": book.revision,
            "jurisdictions": jurisdictions,
            "laws": _laws(self._law_rows, codes_of, first_day, today),
            "obligations": [ob.data for ob in owed],
            "plan": _plan(owed, start),
        }
        users = _users(practice, book, affected, excluded)
        if users is not None:
            data["users"] = users
        if self.assess_coverage:
            data["coverage"] = _coverage_summary(practice, book, uncovered)
        data["assumptions"] = sorted(assumptions)
        return PlainAssessment(data, verdict, tuple(owed))


def _jurisdiction_rows(
    included: Sequence[str],
    excluded: set[str],
    laws_here: Mapping[str, list[str]],
    by_code: Mapping[str, list[str]],
    below: Mapping[str, set[str]],
    unprotected: Mapping[str, set[str]],
) -> list[dict[str, Any]]:
    """A row per code in scope: affected or not (and why), its laws and obligations."""
    rows = []
    for code in included:
        if code in excluded:
            rows.append(
                {
                    "code": code,
                    "name": name_of(code),
                    "affected": False,
                    "reason": "excluded by the practice (users.exclude)",
                    "laws": [],
                    "obligations": [],
                }
            )
            continue
        laws = sorted(set(laws_here[code])) if code in laws_here else []
        row: dict[str, Any] = {"code": code, "name": name_of(code), "affected": True}
        if not laws:
            row["reason"] = "no law in the rule library applies here"
        row["laws"] = laws
        row["obligations"] = by_code.get(code, [])
        thresholds = sorted(below[code] - set(laws)) if code in below else None
        if thresholds:
            row["below_thresholds"] = thresholds
        if code in unprotected:
            row["not_protected"] = sorted(unprotected[code])
        rows.append(row)
    return rows


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


def _reaches(rs: _RuleStatic, periods: tuple[Interval, ...], window: Interval, change_day: dt.date) -> bool:
    """Whether a rule's own period reaches the practice (and, for a change-triggered duty, the
    change was made once the rule applied)."""
    effective = _first_day(rs.own, periods, window)
    return effective is not None and not (rs.rule.trigger == "change" and change_day < effective)


def _within(always: tuple[Interval, ...], window: Interval) -> tuple[tuple[Interval, ...], dt.date | None]:
    """The parts of `always` within `window`, and the (unclipped) start of the first of them."""
    if len(always) == 1:  # nearly always: one period
        span = always[0]
        both = span & window
        return ((both,), span.start) if both is not None else ((), None)
    spans = tuple(both for span in always if (both := span & window) is not None)
    return spans, next((span.start for span in always if span & window), None)


def _first_day(own: Interval, spans: Iterable[Interval], window: Interval) -> dt.date | None:
    """The first day of `own` within one of `spans` whose overlap with `own` reaches `window`."""
    own_start, own_end = own
    window_start, window_end = window
    for start, end in spans:
        if own_start > start:
            start = own_start
        if own_end < end:
            end = own_end
        if start <= end and start <= window_end and end >= window_start:
            return start
    return None


def _status(
    rs: _RuleStatic,
    found: Matches,
    dates: Mapping[str, dt.date | None],
    published: Mapping[Any, dt.date],
    due: dt.date,
    today: dt.date,
) -> tuple[Status, str]:
    label, date, dated = rs.done_label, None, False
    if rs.done_on is not None:
        date, dated = dates[rs.done_on], True
    elif rs.done_published is not None:
        date, dated = published.get(rs.done_published), True
    is_done = rs.done and (rs.done_when is None or rs.done_when in found) and (not dated or date is not None)
    if is_done and date is not None and date > due:
        return "violated", f"done too late: {label} is {date.isoformat()}, after the due date {due.isoformat()}"
    if is_done:
        shown = f" ({label} {date.isoformat()})" if date is not None else ""
        return "met", f"the spec shows it done{shown}"
    if rs.rule.kind == "prohibited":  # due: the day the ban reaches the running practice
        if due <= today:
            return "violated", f"the practice as planned is prohibited, and has been since {due.isoformat()}"
        return "pending", f"the practice as planned will be prohibited from {due.isoformat()}: change or stop it"
    missing = f"{label} is not set" if dated and date is None else "the spec does not show it done"
    if due < today:
        return "violated", f"not done and the due date {due.isoformat()} has passed ({missing})"
    return "pending", f"due by {due.isoformat()} ({missing})"


class _Owed(NamedTuple):
    """An obligation as the gate and the plan read it, with its plain data."""

    id: str
    kind: str
    status: Status
    severity: str
    due: dt.date
    jurisdictions: list[str]
    data: dict[str, Any]
    waived: None = None


def _obligation(rs: _RuleStatic, rid: str, hits: list[_Hit]) -> _Owed:
    law, rule = rs.law, rs.rule
    details = None
    because: Sequence[str]
    fields: Sequence[str]
    soft = all(hit[5] for hit in hits)
    verified = all(hit[6] for hit in hits)
    if len(hits) == 1:  # most obligations: one group of codes, one answer
        codes, due, status, because, fields, _, _ = hits[0]
        all_codes = sorted(codes)
    else:
        seen: set[str] = set()
        # group jurisdictions that share due date and status; a code owes the obligation
        # once: from its earliest stretch
        merged: dict[tuple[dt.date, Status, tuple[str, ...]], list[str]] = defaultdict(list)
        read: dict[str, None] = {}
        for hit in sorted(hits, key=lambda h: h[1]):
            kept = [c for c in hit[0] if c not in seen]
            if kept:
                seen.update(kept)
                merged[(hit[1], hit[2], hit[3])].extend(kept)
                read.update(dict.fromkeys(hit[4]))
        rows = sorted(
            ((day, st, why, sorted(cs)) for (day, st, why), cs in merged.items()),
            key=lambda d: (d[0], -SEVERITY_OF_STATUS[d[1]], d[3]),
        )
        all_codes = sorted(seen)
        due, _, because, _ = rows[0]
        status = max((d[1] for d in rows), key=SEVERITY_OF_STATUS.__getitem__)
        fields = tuple(read)
        if len(rows) > 1:
            details = [
                {"jurisdictions": cs, "due": day, "status": st, "because": list(why)} for day, st, why, cs in rows
            ]
    severity = "warning" if soft else rule.severity
    data: dict[str, Any] = {
        "id": rid,
        "title": rule.title,
        "kind": rule.kind,
        "law": law.id,
        "jurisdictions": all_codes,
        "citation": rule.citation,
        "url": rs.url,
        "due": due,
        "status": status,
        "severity": severity,
        "because": list(because),
        "verified": verified,
    }
    if rule.uncertain is not None:
        data["uncertain"] = rule.uncertain
    if details is not None:
        data["details"] = details
    data["fields"] = list(fields)
    return _Owed(rid, rule.kind, status, severity, due, all_codes, data)


def verdict_of(obligations: Sequence[Owed], uncovered: Sequence[str] = ()) -> Verdict:
    """blocked if a blocking obligation is violated or a (blocking) prohibition applies;
    action_required if anything is not met, or users live where the library has no (complete)
    law (`uncovered`: unknown is never clear); else clear (docs/contract.md). A rule of severity
    `warning` never blocks, whatever its kind."""
    if any(o.severity == "blocking" and (o.kind == "prohibited" or o.status == "violated") for o in obligations):
        return "blocked"
    if uncovered or any(o.status != "met" for o in obligations):
        return "action_required"
    return "clear"


def _plan(obligations: Sequence[_Owed], start: dt.date) -> list[dict[str, Any]]:
    todo = [o for o in obligations if o.status != "met"]
    by_kind: dict[str, list[_Owed]] = defaultdict(list)
    for o in todo:
        by_kind[o.kind].append(o)
    order = sorted(by_kind, key=lambda k: (PHASE[k], min(o.due for o in by_kind[k]), k))
    steps = []
    for n, kind in enumerate(order, 1):
        obs = by_kind[kind]
        due = min(o.due for o in obs)
        step: dict[str, Any] = {
            "step": n,
            "kind": kind,
            "title": STEP_TITLE[kind],
            "due": due,
            "status": max((o.status for o in obs), key=SEVERITY_OF_STATUS.__getitem__),
            "jurisdictions": sorted(set().union(*(o.jurisdictions for o in obs))),
            "obligations": sorted(o.id for o in obs),
        }
        if due > start and kind != "prohibited":
            step["note"] = (
                f"due after the practice started ({start.isoformat()}): the law or rule takes effect later, "
                "and binds the running practice from then"
            )
        steps.append(step)
    return steps


def _laws(
    rows: Mapping[str, tuple[dict[str, Any], dict[str, Any]]],
    codes_of: dict[str, set[str]],
    first_day: dict[str, dt.date],
    today: dt.date,
) -> list[dict[str, Any]]:
    out = []
    for law_id in sorted(codes_of):
        effective = first_day[law_id]
        head, tail = rows[law_id]
        out.append(
            {
                **head,
                "effective": effective,
                "status": "upcoming" if effective > today else "in_force",
                "jurisdictions": len(codes_of[law_id]),
                **tail,
            }
        )
    return out


def _coverage_summary(practice: Practice, book: RuleBook, uncovered: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"complete": not uncovered, "uncovered": uncovered}
    if uncovered and practice.users.counts:
        gaps = set(uncovered)
        named = [
            n
            for key, n in practice.users.counts.items()
            if set(expand([key], practice.starts, book.subdivided)) <= gaps
        ]
        if named:
            out["users"] = sum(named)
    return out


def _users(practice: Practice, book: RuleBook, affected: Sequence[str], excluded: set[str]) -> dict[str, int] | None:
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
    return {"affected": total_affected, "excluded": total_excluded}


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
