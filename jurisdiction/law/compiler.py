"""Step 3: compile rule files into an engine-neutral form.

Each condition (a rule's `when`, and its `done.when`) becomes a disjunction of conjunctions
of atomic literals (DNF), with negations pushed onto the literals and terms inlined. Both
engines evaluate exactly this form, so they cannot disagree on what a rule means; the rete
adapter turns every conjunction into its own durable_rules rule (no OR nodes).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jurisdiction.errors import Problem, suggest
from jurisdiction.law.facts import FACTS, FactSpec
from jurisdiction.law.rulefile import RuleFile
from jurisdiction.reading.loading import Document, Path_
from jurisdiction.vocabulary.taxonomy import taxonomy

__all__ = ["CompiledCondition", "Literal", "ParamRef", "compile_condition", "compile_file"]

MAX_DISJUNCTS = 512
COMPARATORS = ("lt", "le", "gt", "ge")
FLIP = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le", "has": "lacks", "lacks": "has"}


@dataclass(frozen=True, order=True)
class ParamRef:
    """A comparison against a per-jurisdiction parameter of the law."""

    name: str


Scalar = str | int | float | bool


@dataclass(frozen=True)
class Literal:
    """One atomic test: `fact op value`. `unknown_ok`: holds when the fact is unknown."""

    fact: str
    op: str  # eq ne lt le gt ge has lacks
    value: Scalar | ParamRef
    unknown_ok: bool = True
    term: str | None = None  # the term it came from, for explanations

    def holds(self, facts: Mapping[str, Any]) -> bool:
        if self.fact not in facts:
            return self.unknown_ok
        have = facts[self.fact]
        if isinstance(self.value, ParamRef):
            want = facts.get(f"param:{self.value.name}")
            if want is None:  # no value for this jurisdiction: no comparison holds
                return False
        else:
            want = self.value
        op = self.op
        if op == "has":
            return want in have
        if op == "lacks":
            return want not in have
        if op == "eq":
            return bool(have == want)
        if op == "ne":
            return bool(have != want)
        if op == "lt":
            return bool(have < want)
        if op == "le":
            return bool(have <= want)
        if op == "gt":
            return bool(have > want)
        return bool(have >= want)


@dataclass(frozen=True)
class CompiledCondition:
    """A condition in DNF. No disjuncts: never holds; an empty disjunct: always holds."""

    id: str
    law: str
    disjuncts: tuple[tuple[Literal, ...], ...]

    def matches(self, facts: Mapping[str, Any]) -> tuple[int, ...]:
        return tuple(i for i, conj in enumerate(self.disjuncts) if all(lit.holds(facts) for lit in conj))


class _Compiler:
    def __init__(self, doc: Document, spec: RuleFile, params: Mapping[str, Any]) -> None:
        self.doc = doc
        self.spec = spec
        self.params = params
        self.problems: list[Problem] = []
        self.terms_raw = doc.data.get("terms", {}) if isinstance(doc.data, dict) else {}
        self._expanding: list[str] = []

    def fail(self, path: Path_, message: str, **extra: Any) -> list[list[Literal]]:
        self.problems.append(self.doc.problem(path, message, **extra))
        return []

    def dnf(self, node: Any, path: Path_, negate: bool = False, term: str | None = None) -> list[list[Literal]]:
        if not isinstance(node, dict):
            return self.fail(
                path,
                f"a condition must be a mapping, not {type(node).__name__} {node!r}",
                valid="{all: [...]}, {any: [...]}, {not: {...}}, {<term>: true}, {<fact>: ...}",
            )
        if not node:
            return [] if negate else [[]]
        if len(node) > 1:  # several keys in one mapping: all of them must hold
            return self.combine([({k: v}, path) for k, v in node.items()], negate, term, conj=not negate)
        ((key, value),) = node.items()
        here = (*path, key)
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                return self.fail(here, f"`{key}` takes a non-empty list of conditions")
            parts = [(item, (*here, i)) for i, item in enumerate(value)]
            return self.combine(parts, negate, term, conj=(key == "all") != negate)
        if key == "not":
            return self.dnf(value, here, not negate, term)
        if key in self.spec.terms:
            if not isinstance(value, bool):
                return self.fail(here, f"a term is used as `{key}: true` or `{key}: false`, not {value!r}")
            if key in self._expanding:
                return self.fail(here, f"term `{key}` refers to itself")
            self._expanding.append(key)
            out = self.dnf(self.terms_raw[key]["when"], ("terms", key, "when"), negate == value, key)
            self._expanding.pop()
            return out
        if key in FACTS:
            return self.leaf(FACTS[key], value, here, negate, term)
        choices = [*FACTS, *self.spec.terms, "all", "any", "not"]
        return self.fail(
            here, f"unknown fact or term `{key}`", valid=", ".join(sorted(choices)), suggestion=suggest(key, choices)
        )

    def combine(
        self, parts: Sequence[tuple[Any, Path_]], negate: bool, term: str | None, *, conj: bool
    ) -> list[list[Literal]]:
        branches = [self.dnf(item, p, negate, term) for item, p in parts]
        if not conj:
            return [d for branch in branches for d in branch]
        out: list[list[Literal]] = [[]]
        for branch in branches:
            out = [a + b for a, b in itertools.product(out, branch)]
            if len(out) > MAX_DISJUNCTS:
                return self.fail(parts[0][1], f"condition expands to more than {MAX_DISJUNCTS} cases; split the rule")
        return out

    def leaf(self, fact: FactSpec, value: Any, path: Path_, negate: bool, term: str | None) -> list[list[Literal]]:
        assume: bool | None = None
        if isinstance(value, dict):
            ops = dict(value)
            if "if_unknown" in ops:
                assume = ops.pop("if_unknown")
                if not isinstance(assume, bool):
                    return self.fail((*path, "if_unknown"), "if_unknown is true or false")
                if not fact.may_be_unknown:
                    return self.fail((*path, "if_unknown"), f"fact `{fact.name}` is never unknown")
            if len(ops) != 1:
                return self.fail(path, "give exactly one operator", valid=self._ops_for(fact))
            ((op, arg),) = ops.items()
            path = (*path, op)
        else:
            op, arg = "eq", value
        unknown_ok = True if assume is None else (assume != negate)

        def lit(o: str, v: Any) -> Literal:
            return Literal(fact.name, FLIP[o] if negate else o, v, unknown_ok, term)

        valid_ops = self._ops_for(fact).split(", ")
        if op not in valid_ops:
            return self.fail(
                path,
                f"operator `{op}` does not apply to {fact.type} fact `{fact.name}`",
                valid=", ".join(valid_ops),
                suggestion=suggest(op, valid_ops),
            )
        if fact.type == "set":
            keys = arg if isinstance(arg, list) else [arg]
            if not keys:
                return self.fail(path, f"`{op}` needs at least one key")
            for i, key in enumerate(keys):
                if not self._check_member(fact, key, (*path, i) if isinstance(arg, list) else path):
                    return []
            # any_under is an OR of `has`; none_under an AND of `lacks`; `lit` flips under `not`.
            test = "has" if op in ("any_under", "has") else "lacks"
            if (test == "has") != negate:
                return [[lit(test, k)] for k in keys]
            return [[lit(test, k) for k in keys]]
        if op in ("in", "not_in"):
            if not isinstance(arg, list) or not arg:
                return self.fail(path, f"`{op}` takes a non-empty list")
            for i, item in enumerate(arg):
                if not self._check_scalar(fact, item, (*path, i)):
                    return []
            positive = (op == "in") != negate
            if positive:
                return [[Literal(fact.name, "eq", v, unknown_ok, term)] for v in arg]
            return [[Literal(fact.name, "ne", v, unknown_ok, term) for v in arg]]
        if op in COMPARATORS or op in ("eq", "ne"):
            if isinstance(arg, dict):
                if set(arg) != {"param"} or not isinstance(arg["param"], str):
                    return self.fail(path, "compare with a value or {param: <name>}")
                if fact.type != "number":
                    return self.fail(
                        path,
                        f"`{fact.name}` is a {fact.type} fact; only number facts are compared with a parameter",
                        valid=f"a value: {self._ops_for(fact)}",
                    )
                if arg["param"] not in self.params:
                    return self.fail(
                        (*path, "param"),
                        f"unknown parameter `{arg['param']}`",
                        valid=", ".join(sorted(self.params)) or "(this law defines none)",
                        suggestion=suggest(arg["param"], self.params),
                    )
                return [[lit(op, ParamRef(arg["param"]))]]
            if not self._check_scalar(fact, arg, path):
                return []
            return [[lit(op, arg)]]
        return self.fail(path, f"unknown operator `{op}`")  # pragma: no cover - caught above

    @staticmethod
    def _ops_for(fact: FactSpec) -> str:
        return {
            "set": "any_under, none_under, has, lacks",
            "bool": "eq, ne",
            "enum": "eq, ne, in, not_in",
            "number": "eq, ne, lt, le, gt, ge, in, not_in",
        }[fact.type]

    def _check_member(self, fact: FactSpec, key: Any, path: Path_) -> bool:
        if not isinstance(key, str):
            shown = "a list" if isinstance(key, list) else "a mapping" if isinstance(key, dict) else repr(key)
            self.fail(
                path,
                f"a key of `{fact.name}` must be text, not {shown}",
                valid="a key, or a flat list of keys: any_under: [train_ai_system, marketing]",
                code="wrong_type",
            )
            return False
        if fact.taxonomy:
            known = taxonomy().keys(fact.taxonomy)
            if key not in known:
                self.fail(
                    path,
                    f"unknown {fact.taxonomy.replace('_', ' ')} key {key!r}",
                    suggestion=suggest(key, known),
                    valid="a key of the fideslang taxonomy",
                )
                return False
            return True
        if key not in fact.values:
            self.fail(
                path,
                f"{key!r} is not a value of `{fact.name}`",
                valid=", ".join(fact.values),
                suggestion=suggest(key, fact.values),
            )
            return False
        return True

    def _check_scalar(self, fact: FactSpec, value: Any, path: Path_) -> bool:
        if fact.type == "bool" and not isinstance(value, bool):
            self.fail(
                path,
                f"`{fact.name}` is true or false, not {value!r}",
                valid="true, false (YAML 1.2: yes/no/on/off are strings)",
            )
            return False
        if fact.type == "enum" and value not in fact.values:
            self.fail(
                path,
                f"{value!r} is not a value of `{fact.name}`",
                valid=", ".join(fact.values),
                suggestion=suggest(value, fact.values),
            )
            return False
        if fact.type == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            self.fail(path, f"`{fact.name}` is compared with a number, not {value!r}")
            return False
        return True


def compile_condition(
    doc: Document, spec: RuleFile, node: Any, path: Path_, cond_id: str, problems: list[Problem]
) -> CompiledCondition:
    compiler = _Compiler(doc, spec, spec.parameters)
    disjuncts = compiler.dnf(node, path)
    problems.extend(compiler.problems)
    unique: list[tuple[Literal, ...]] = []
    for conj in disjuncts:
        cleaned = tuple(dict.fromkeys(conj))
        if _contradicts(cleaned) or cleaned in unique:
            continue
        unique.append(cleaned)
    return CompiledCondition(cond_id, spec.law.id, tuple(unique))


def _contradicts(conj: tuple[Literal, ...]) -> bool:
    """A conjunction that can never hold (x has k and x lacks k; x eq a and x eq b)."""
    seen: dict[tuple[str, str, Any], bool] = {}
    eqs: dict[str, Any] = {}
    for lit in conj:
        if lit.op in ("has", "lacks"):
            key = (lit.fact, "member", lit.value)
            want = lit.op == "has"
            if seen.get(key, want) != want:
                return True
            seen[key] = want
        elif lit.op == "eq" and not isinstance(lit.value, ParamRef) and not lit.unknown_ok:
            if lit.fact in eqs and eqs[lit.fact] != lit.value:
                return True
            eqs[lit.fact] = lit.value
    return False


def compile_file(doc: Document, spec: RuleFile) -> tuple[dict[str, CompiledCondition], list[Problem]]:
    """Compile every rule's conditions; also check the terms compile on their own."""
    problems: list[Problem] = []
    out: dict[str, CompiledCondition] = {}
    for name in spec.terms:
        compile_condition(doc, spec, {name: True}, ("terms", name), f"{spec.law.id}/term:{name}", problems)
    if spec.law.applicability is not None:
        gate = f"{spec.law.id}/@applies"
        out[gate] = compile_condition(doc, spec, spec.law.applicability, ("law", "applicability"), gate, problems)
    for i, rule in enumerate(spec.rules):
        rid = f"{spec.law.id}/{rule.id}"
        out[rid] = compile_condition(doc, spec, rule.when, ("rules", i, "when"), rid, problems)
        if rule.done and rule.done.when is not None:
            out[rid + "#done"] = compile_condition(
                doc, spec, rule.done.when, ("rules", i, "done", "when"), rid + "#done", problems
            )
    # a bad term is reported once, not once per rule that uses it
    unique = list({p.render(): p for p in problems}.values())
    return out, unique
