"""Step 4: engines. Each takes the compiled conditions of a `RuleBook` and fact sets, and
answers which conjunctions of which conditions hold. Both give identical answers; the
parity test holds them to it.

- `native`: plain Python over the compiled form; runs everywhere (CPython 3.13 included).
- `rete`: durable_rules (a Rete network); only `engines/rete.py` imports durable_rules.
"""

from __future__ import annotations

from collections.abc import Mapping

from jurisdiction.engines.base import Engine, FactSet, Matches
from jurisdiction.errors import UsageError
from jurisdiction.law.compiler import CompiledCondition

__all__ = ["ENGINES", "Engine", "FactSet", "Matches", "make_engine", "rete_available"]

ENGINES = ("auto", "rete", "native")


def rete_available() -> bool:
    try:
        from jurisdiction.engines import rete

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
        from jurisdiction.engines import rete

        if not rete.available():
            raise UsageError(
                f"the rete engine needs durable_rules, which cannot be imported here "
                f"({rete.import_error()}); use --engine native"
            )
        return rete.ReteEngine(conditions)
    from jurisdiction.engines.native import NativeEngine

    return NativeEngine(conditions)
