"""Step 4: engines. Each takes the compiled conditions of a `RuleBook` and fact sets, and
answers which conjunctions of which conditions hold. Both give identical answers; the
parity test holds them to it.

- `native`: plain Python over the compiled form; runs everywhere (CPython 3.13 included).
- `rete`: durable_rules (a Rete network); only `engines/rete.py` imports durable_rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..compiler import CompiledCondition
from ..errors import UsageError

__all__ = ["ENGINES", "Engine", "FactSet", "Matches", "make_engine", "rete_available"]

Matches = dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class FactSet:
    """The facts of one (law, group of jurisdictions) evaluation. Unknown facts are absent;
    parameters appear as `param:<name>`.

    `shared`, when given, is the practice's own facts: `values` is `shared` plus only
    `param:*` entries and per-jurisdiction facts (`consumers_here`). Fact sets of one `match`
    call with the same `shared` object agree on every other fact, so an engine may test a
    literal over those facts once for all of them."""

    law: str
    values: Mapping[str, Any]
    shared: Mapping[str, Any] | None = None


class Engine(Protocol):
    name: str

    def match(self, factsets: Sequence[FactSet]) -> list[Matches]:
        """For each fact set: condition id → indexes of the conjunctions that hold (only
        conditions with at least one)."""
        ...


ENGINES = ("auto", "rete", "native")


def rete_available() -> bool:
    try:
        from . import rete

        return rete.available()
    except ImportError:
        return False


def make_engine(name: str, conditions: Mapping[str, CompiledCondition]) -> Engine:
    """Build an engine by name; `auto` takes the default chosen by benchmark (see README)."""
    if name not in ENGINES:
        raise UsageError(f"unknown engine {name!r}; valid: {', '.join(ENGINES)}")
    if name == "auto":
        name = "native"  # measured faster on every size we ship: benchmarks/evaluate.py
    if name == "rete":
        from . import rete

        if not rete.available():
            raise UsageError(
                f"the rete engine needs durable_rules, which cannot be imported here "
                f"({rete.import_error()}); use --engine native"
            )
        return rete.ReteEngine(conditions)
    from .native import NativeEngine

    return NativeEngine(conditions)
