"""The native engine: plain Python over the compiled DNF. The oracle for the rete engine.

Conditions share most of their tests (a law's sensitive-data term appears in many rules), so
each distinct literal of a law is tested once per fact set, giving a bit set; a conjunction
holds when all its bits are set (`mask & truth == mask`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from ..compiler import CompiledCondition, Literal
from . import FactSet, Matches

__all__ = ["NativeEngine"]


class _LawPlan:
    """One law's distinct literals and, per condition, the bit mask of each conjunction."""

    def __init__(self, conditions: Sequence[CompiledCondition]) -> None:
        index: dict[Literal, int] = {}
        self.conditions: list[tuple[str, tuple[int, ...]]] = []
        for cond in sorted(conditions, key=lambda c: c.id):
            masks = []
            for conj in cond.disjuncts:
                mask = 0
                for lit in conj:
                    mask |= 1 << index.setdefault(lit, len(index))
                masks.append(mask)
            self.conditions.append((cond.id, tuple(masks)))
        self.literals = tuple(sorted(index, key=index.__getitem__))

    def match(self, values: Mapping[str, object]) -> Matches:
        truth = 0
        for bit, lit in enumerate(self.literals):
            if lit.holds(values):
                truth |= 1 << bit
        found: Matches = {}
        for cond_id, masks in self.conditions:
            hits = tuple(i for i, mask in enumerate(masks) if mask & truth == mask)
            if hits:
                found[cond_id] = hits
        return found


class NativeEngine:
    name = "native"

    def __init__(self, conditions: Mapping[str, CompiledCondition]) -> None:
        by_law: dict[str, list[CompiledCondition]] = defaultdict(list)
        for cond in conditions.values():
            by_law[cond.law].append(cond)
        self._plans = {law: _LawPlan(conds) for law, conds in by_law.items()}

    def match(self, factsets: Sequence[FactSet]) -> list[Matches]:
        out: list[Matches] = []
        for fs in factsets:
            plan = self._plans.get(fs.law)
            out.append(plan.match(fs.values) if plan is not None else {})
        return out
