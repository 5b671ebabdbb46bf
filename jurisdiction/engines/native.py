"""The native engine: plain Python over the compiled DNF. The oracle for the rete engine."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from ..compiler import CompiledCondition
from . import FactSet, Matches

__all__ = ["NativeEngine"]


class NativeEngine:
    name = "native"

    def __init__(self, conditions: Mapping[str, CompiledCondition]) -> None:
        by_law: dict[str, list[CompiledCondition]] = defaultdict(list)
        for cond in conditions.values():
            by_law[cond.law].append(cond)
        self._by_law = {law: tuple(sorted(conds, key=lambda c: c.id)) for law, conds in by_law.items()}

    def match(self, factsets: Sequence[FactSet]) -> list[Matches]:
        out: list[Matches] = []
        for fs in factsets:
            found: Matches = {}
            values = fs.values
            for cond in self._by_law.get(fs.law, ()):
                hits = cond.matches(values)
                if hits:
                    found[cond.id] = hits
            out.append(found)
        return out
