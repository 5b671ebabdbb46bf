"""The native engine: plain Python over the compiled DNF. The oracle for the rete engine.

Conditions share most of their tests (a law's sensitive-data term appears in many rules, a
"data_uses includes train_ai_system" test in most state laws), so each distinct literal is
tested once: a literal over the practice's own facts once per practice across every law
(`FactSet.shared`), one over a jurisdiction's parameters once per fact set. The answers form
a bit set; a conjunction holds when all its bits are set (`mask & truth == mask`).

Which conditions hold is a function of those bits alone, so each law keeps the answer for the
bit patterns it has seen (bounded): the tests still run for every fact set, the conjunctions
are checked once per pattern.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jurisdiction.engines.base import FactSet, Matches
from jurisdiction.law.compiler import CompiledCondition, Literal, ParamRef
from jurisdiction.law.facts import LOCAL_FACTS

__all__ = ["NativeEngine", "is_local"]

PATTERNS_PER_LAW = 4096

Test = Callable[[Mapping[str, Any]], bool]


def is_local(lit: Literal) -> bool:
    """Whether the literal reads something that differs between a practice's fact sets."""
    return isinstance(lit.value, ParamRef) or lit.fact in LOCAL_FACTS or lit.fact.startswith("param:")


def _tester(lit: Literal) -> Test:
    """`lit.holds`, specialised: the same answers without the per-call dispatch on the operator."""
    fact, op, value, unknown_ok = lit.fact, lit.op, lit.value, lit.unknown_ok
    if isinstance(value, ParamRef):
        return lit.holds
    if op == "has":
        return lambda f: value in f[fact] if fact in f else unknown_ok
    if op == "lacks":
        return lambda f: value not in f[fact] if fact in f else unknown_ok
    if op == "eq":
        return lambda f: bool(f[fact] == value) if fact in f else unknown_ok
    if op == "ne":
        return lambda f: bool(f[fact] != value) if fact in f else unknown_ok
    return lit.holds


class _Shared:
    """Every literal over a practice's own facts, across laws: one bit each."""

    def __init__(self) -> None:
        self.index: dict[Literal, int] = {}
        self.tests: list[Test] = []

    def slot(self, lit: Literal) -> int:
        found = self.index.get(lit)
        if found is None:
            found = self.index[lit] = len(self.tests)
            self.tests.append(_tester(lit))
        return found


class _Practice:
    """The shared literals tested so far for one practice's facts (one `match` call)."""

    __slots__ = ("done", "truth")

    def __init__(self) -> None:
        self.done = 0
        self.truth = 0


class _LawPlan:
    """One law: its shared literals (a mask over the shared bits), its local literals, and per
    condition the masks of its conjunctions over (shared bits, local bits)."""

    def __init__(self, conditions: Sequence[CompiledCondition], shared: _Shared) -> None:
        local: dict[Literal, int] = {}
        self.shared_mask = 0
        raw: list[tuple[str, list[tuple[int, int]]]] = []
        for cond in sorted(conditions, key=lambda c: c.id):
            masks = []
            for conj in cond.disjuncts:
                s_mask = l_mask = 0
                for lit in conj:
                    if is_local(lit):
                        l_mask |= 1 << local.setdefault(lit, len(local))
                    else:
                        s_mask |= 1 << shared.slot(lit)
                self.shared_mask |= s_mask
                masks.append((s_mask, l_mask))
            raw.append((cond.id, masks))
        self.conditions = tuple((cid, tuple(masks)) for cid, masks in raw)
        self.local_tests = tuple((1 << bit, _tester(lit)) for lit, bit in local.items())
        self.shared = shared
        self._answers: dict[tuple[int, int], Matches] = {}

    def match(self, values: Mapping[str, Any], seen: _Practice | None) -> Matches:
        shared = seen or _Practice()
        need = self.shared_mask & ~shared.done
        if need:
            tests = self.shared.tests
            truth = shared.truth
            while need:
                low = need & -need
                if tests[low.bit_length() - 1](values):
                    truth |= low
                need ^= low
            shared.truth = truth
            shared.done |= self.shared_mask
        local = 0
        for bit, test in self.local_tests:
            if test(values):
                local |= bit
        key = (shared.truth & self.shared_mask, local)
        found = self._answers.get(key)
        if found is None:
            found = self._conditions(*key)
            if len(self._answers) < PATTERNS_PER_LAW:
                self._answers[key] = found
        return found

    def _conditions(self, truth: int, local: int) -> Matches:
        found: Matches = {}
        for cond_id, masks in self.conditions:
            hits = tuple(i for i, (s, lo) in enumerate(masks) if s & truth == s and lo & local == lo)
            if hits:
                found[cond_id] = hits
        return found


class NativeEngine:
    name = "native"

    def __init__(self, conditions: Mapping[str, CompiledCondition]) -> None:
        by_law: dict[str, list[CompiledCondition]] = defaultdict(list)
        for cond in conditions.values():
            by_law[cond.law].append(cond)
        self._by_law = dict(by_law)
        # each law's plan is built when the law is first matched (a one-spec check reaches a
        # few laws of the library), under the lock: plans share the shared literals' slots
        self._shared = _Shared()
        self._plans: dict[str, _LawPlan] = {}
        self._lock = threading.Lock()

    def _plan(self, law: str) -> _LawPlan | None:
        plan = self._plans.get(law)
        if plan is None and law in self._by_law:
            with self._lock:
                plan = self._plans.get(law)
                if plan is None:
                    plan = self._plans[law] = _LawPlan(self._by_law[law], self._shared)
        return plan

    def match(self, factsets: Sequence[FactSet]) -> list[Matches]:
        """The answers are shared between calls: treat them as read-only."""
        out: list[Matches] = []
        practices: dict[int, _Practice] = {}
        for fs in factsets:
            plan = self._plan(fs.law)
            if plan is None:
                out.append({})
                continue
            seen = None if fs.shared is None else practices.setdefault(id(fs.shared), _Practice())
            out.append(plan.match(fs.values, seen))
        return out
