"""The rete engine: the compiled conditions as durable_rules rulesets.

The only module that imports durable_rules. Its known traps, and what this adapter does:

- a posted *event* fires one rule only → facts are *asserted*, and the state is deleted
  after each evaluation (states are capped);
- a fact no rule matches raises `MessageNotHandledException` → a catch-all rule matches
  every fact;
- many OR branches under one node break rule creation (128 children per node) → no OR is
  used: every conjunction is its own rule, and rulesets are kept small (chunked per law);
- an action with two parameters is taken as asynchronous → actions take one;
- host start-up races under threads → each engine has its own host, created and filled
  eagerly in `__init__` under a lock (durable_rules' rule-definition stacks are module
  globals);
- the stock host runs background "dispatch" timer threads (a new thread per ruleset, several
  times a second) that may pick up a pending action of a state another thread is evaluating
  → our host has none: every action here completes synchronously inside `assert_facts`.
  Turning them off takes overriding `Host._run`, the one private hook of durable_rules this
  adapter uses: the constructor starts the timers with no public switch, and 2.0.28 (2020) is
  the last release, so the hook cannot move under us;
- rules are made outside a `ruleset` block and their definitions registered with this
  engine's host only, so nothing is left in durable_rules' global registry;
- state ids are unique per evaluation, and evaluations are serialised by one lock: the C
  extension never releases the GIL, so the lock costs no parallelism, and it keeps one
  evaluation's assert → actions → delete sequence whole. Measured in docs/performance.md
  (8 threads sharing one engine).
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jurisdiction.engines.base import FactSet, Matches
from jurisdiction.law.compiler import CompiledCondition, Literal, ParamRef
from jurisdiction.law.facts import FACTS

try:  # durable_rules 2.0.28 does not import on CPython 3.13 (PyEval_CallObject is gone)
    from durable import engine as _durable_engine
    from durable.lang import m, when_all

    class _Host(_durable_engine.Host):  # type: ignore[misc]
        """A host without the background dispatch threads (see the module docstring)."""

        def _run(self) -> None:
            pass

    _IMPORT_ERROR: str | None = None
except Exception as exc:
    _IMPORT_ERROR = f"{type(exc).__name__}: {exc}"

__all__ = ["ReteEngine", "available", "import_error"]

CHUNK = 48
_FAR = 10**15  # stands for -inf / +inf (an int: durable_rules crashes on large doubles here)
_counter = itertools.count()
_lock = threading.Lock()


def available() -> bool:
    return _IMPORT_ERROR is None


def import_error() -> str | None:
    return _IMPORT_ERROR


def _field(name: str) -> str:
    return "v_" + name


class ReteEngine:
    name = "rete"

    def __init__(self, conditions: Mapping[str, CompiledCondition]) -> None:
        if _IMPORT_ERROR is not None:
            raise RuntimeError(f"durable_rules is not importable: {_IMPORT_ERROR}")
        self._law_members: dict[str, set[tuple[str, object]]] = defaultdict(set)
        self._law_params: dict[str, set[str]] = defaultdict(set)
        self._members: dict[tuple[str, object], str] = {}
        self._params: dict[str, str] = {}
        self._hits: list[tuple[int, str, int]] = []
        self._rulesets: dict[str, list[str]] = defaultdict(list)
        with _lock:
            self._host = _Host()
            self._build(conditions)

    # -- compile -----------------------------------------------------------------------
    def _member_field(self, fact: str, key: object) -> str:
        return self._members.setdefault((fact, key), f"s{len(self._members)}")

    def _param_field(self, name: str) -> str:
        return self._params.setdefault(name, f"p{len(self._params)}")

    def _tests(self, lit: Literal) -> list[Any]:
        """The durable_rules tests for one literal, one per way it can hold."""
        if lit.op in ("has", "lacks"):
            member = getattr(m, self._member_field(lit.fact, lit.value)) == (lit.op == "has")
            if lit.unknown_ok and FACTS[lit.fact].may_be_unknown:
                # a set the spec leaves open (`ai_output_media`): the test holds when it is unknown
                known_set = getattr(m, "k_" + lit.fact)
                return [(known_set == True) & member, known_set == False]
            return [member]
        left = getattr(m, _field(lit.fact))
        known = getattr(m, "k_" + lit.fact)
        if isinstance(lit.value, ParamRef):
            pf = self._param_field(lit.value.name)
            right: Any = getattr(m, pf)
            guard = getattr(m, "k" + pf) == True
        else:
            right, guard = lit.value, None
        ops: dict[str, Callable[[Any, Any], Any]] = {
            "eq": lambda a, b: a == b,
            "ne": lambda a, b: a != b,
            "lt": lambda a, b: a < b,
            "le": lambda a, b: a <= b,
            "gt": lambda a, b: a > b,
            "ge": lambda a, b: a >= b,
        }
        spec = FACTS[lit.fact]
        if lit.unknown_ok and spec.may_be_unknown and spec.type == "number" and lit.op in ("lt", "le", "gt", "ge"):
            # An unknown number is read as holding: compare a field that stands at -inf for
            # lt/le and +inf for gt/ge when the fact is unknown, rather than doubling the rule.
            side = getattr(m, ("l_" if lit.op in ("lt", "le") else "h_") + lit.fact)
            test = ops[lit.op](side, right)
            return [guard & test if guard is not None else test]
        test = ops[lit.op](left, right)
        test = (known == True) & test
        if guard is not None:
            test = guard & test
        variants = [test]
        if lit.unknown_ok and spec.may_be_unknown:
            variants.append(known == False)
        return variants

    def _build(self, conditions: Mapping[str, CompiledCondition]) -> None:
        rules: dict[str, list[tuple[str, int, list[Any]]]] = defaultdict(list)
        for cond in sorted(conditions.values(), key=lambda c: c.id):
            for index, conj in enumerate(cond.disjuncts):
                for lit in conj:  # the member and parameter fields this law's facts must carry
                    if lit.op in ("has", "lacks"):
                        self._law_members[cond.law].add((lit.fact, lit.value))
                    if isinstance(lit.value, ParamRef):
                        self._law_params[cond.law].add(lit.value.name)
                options = [self._tests(lit) for lit in conj]
                for combo in itertools.product(*options):
                    rules[cond.law].append((cond.id, index, list(combo)))
        for law, entries in sorted(rules.items()):
            for start in range(0, len(entries), CHUNK):
                name = f"jurisdiction-{next(_counter)}"
                # Rules made outside a `ruleset` block belong to no global ruleset: their
                # definitions go to this engine's host only.
                made = []
                for cond_id, index, tests in entries[start : start + CHUNK]:
                    expr = m.n >= 0
                    for t in tests:
                        expr = expr & t
                    made.append(when_all(expr)(self._action(cond_id, index)))
                made.append(when_all(m.n >= 0)(_sink))
                self._host.register_rulesets({name: {f"r_{i}": r.define() for i, r in enumerate(made)}})
                self._rulesets[law].append(name)

    def _action(self, cond_id: str, index: int) -> Callable[[Any], None]:
        def fire(c: Any) -> None:
            self._hits.append((int(c.m.n), cond_id, index))

        return fire

    # -- evaluate ----------------------------------------------------------------------
    def _encode(self, fs: FactSet, n: int) -> dict[str, Any]:
        """The fact for durable_rules: the scalar facts, and only the member and parameter fields
        the law's rules test (facts are serialised per assert, so small facts are fast)."""
        values = fs.values
        out: dict[str, Any] = {"n": n}
        for name, spec in FACTS.items():
            if spec.type == "set":
                if spec.may_be_unknown:
                    out["k_" + name] = name in values
                continue
            if name in values:
                out[_field(name)] = values[name]
                out["k_" + name] = True
            else:
                out["k_" + name] = False
            if spec.type == "number" and spec.may_be_unknown:
                out["l_" + name] = values.get(name, -_FAR)
                out["h_" + name] = values.get(name, _FAR)
        for fact, key in self._law_members[fs.law]:
            out[self._members[(fact, key)]] = key in values.get(fact, ())
        for pname in self._law_params[fs.law]:
            fld = self._params[pname]
            val = values.get(f"param:{pname}")
            out["k" + fld] = val is not None
            if val is not None:
                out[fld] = val
        return out

    def match(self, factsets: Sequence[FactSet]) -> list[Matches]:
        by_law: dict[str, list[tuple[int, FactSet]]] = defaultdict(list)
        for i, fs in enumerate(factsets):
            by_law[fs.law].append((i, fs))
        found: list[dict[str, set[int]]] = [defaultdict(set) for _ in factsets]
        with _lock:
            for law, items in by_law.items():
                names = self._rulesets.get(law, [])
                if not names:
                    continue
                facts = [self._encode(fs, i) for i, fs in items]
                for name in names:
                    sid = str(next(_counter))
                    batch = [{**f, "sid": sid} for f in facts]
                    self._hits = []
                    try:
                        self._host.assert_facts(name, batch)
                    finally:
                        self._host.delete_state(name, sid)
                    for n, cond_id, index in self._hits:
                        found[n][cond_id].add(index)
        return [{k: tuple(sorted(v)) for k, v in sorted(f.items())} for f in found]


def _sink(c: Any) -> None:
    """Matches every fact, so that none raises MessageNotHandledException."""
