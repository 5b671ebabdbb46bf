"""A literal, with the spec facts that decided it, in words: the `because` lines of an
obligation and the why / why-not lines of `jurisdiction explain`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jurisdiction.law.compiler import CompiledCondition, Literal, ParamRef

__all__ = ["describe", "trace_condition"]

_BOOL_STORY = {
    ("purpose_new", True): "new purpose: {new} is not disclosed by the policy in force (it discloses {disclosed})",
    ("purpose_new", False): "no new purpose: the policy in force discloses every data use",
    ("retroactive", True): "retroactive: the new purpose ({new}) is applied to data collected before the change",
    ("retroactive", False): "not retroactive: no new purpose is applied to previously collected data",
    ("shared_outside", True): "data goes to an affiliate or a third party",
    ("sale", True): "data is sold (disclosed for valuable consideration)",
    ("beyond_school_authorization", True): "some data use goes beyond what the school authorized",
    ("school_authorized", True): "a school authorized the collection (school.authorized_uses)",
    ("school_authorized", False): "no school authorized the collection in place of the parents",
    ("transfer_abroad", True): "data of users here goes to a country outside it (transfers.to)",
    ("transfer_abroad", False): "data of users here stays in their country (in the EEA, for an EEA state)",
}

_WORDS = {"eq": "is", "ne": "is not", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def describe(lit: Literal, facts: Mapping[str, Any], spec_keys: Mapping[str, list[str]] | None = None) -> str:
    """The literal as a sentence about this practice, e.g.
    'new_uses includes train_ai_system (spec: train_ai_system.generative)'."""
    if lit.fact not in facts:
        if isinstance(lit.value, ParamRef):
            want = f"{lit.value.name} ({_show(facts.get(f'param:{lit.value.name}'))} here)"
        else:
            want = _show(lit.value)
        if lit.op in ("has", "lacks"):  # a set left open (ai_output_media)
            verb = "include" if lit.op == "has" else "lack"
            return f"{lit.fact} is not given: assuming it may {verb} {want} (the safer reading)"
        verb = "" if lit.op == "eq" else f"{_WORDS.get(lit.op, lit.op)} "  # "may be true", not "may be is true"
        return f"{lit.fact} is not given: assuming it may be {verb}{want} (the safer reading)"
    have = facts[lit.fact]
    if lit.op in ("has", "lacks"):
        if lit.op == "has":
            under = [k for k in (spec_keys or {}).get(lit.fact, []) if k == lit.value or k.startswith(f"{lit.value}.")]
            shown = f" (spec: {', '.join(under)})" if under and under != [lit.value] else ""
            if lit.fact == "new_uses":
                return f"{lit.value} is a new purpose: the policy in force does not disclose it{shown}"
            return f"{lit.fact} includes {lit.value}{shown}"
        return f"{lit.fact} has nothing under {lit.value}"
    if isinstance(lit.value, ParamRef):
        limit = facts.get(f"param:{lit.value.name}")
        return f"{lit.fact} {_show(have)} {_WORDS[lit.op]} {lit.value.name} {_show(limit)} here"
    if lit.op in ("eq", "ne") and isinstance(have, bool):
        story = _BOOL_STORY.get((lit.fact, have))
        if story:
            return story.format(
                new=", ".join((spec_keys or {}).get("new", [])) or "-",
                disclosed=", ".join((spec_keys or {}).get("disclosed", [])) or "nothing",
            )
        return f"{lit.fact} is {_show(have)}"
    if lit.op == "ne":
        return f"{lit.fact} is {_show(have)}, not {_show(lit.value)}"
    if lit.op == "eq":
        return f"{lit.fact} is {_show(have)}"
    return f"{lit.fact} {_show(have)} {_WORDS[lit.op]} {_show(lit.value)}"


def trace_condition(
    cond: CompiledCondition, facts: Mapping[str, Any], spec_keys: Mapping[str, list[str]] | None = None
) -> list[dict[str, Any]]:
    """Every conjunction of a condition, each literal marked holds / fails / assumed."""
    rows = []
    for i, conj in enumerate(cond.disjuncts):
        lits = []
        for lit in conj:
            state = (
                "assumed" if lit.fact not in facts and lit.holds(facts) else ("holds" if lit.holds(facts) else "fails")
            )
            text = describe(lit, facts, spec_keys)
            if state == "fails":
                text = _negative(lit, facts)
            lits.append({"state": state, "text": text})
        rows.append({"case": i + 1, "holds": all(lit.holds(facts) for lit in conj), "literals": lits})
    return rows


def _negative(lit: Literal, facts: Mapping[str, Any]) -> str:
    if lit.fact not in facts:
        return f"{lit.fact} is not given (and this rule does not assume it)"
    have = facts[lit.fact]
    want: Any = lit.value
    if isinstance(want, ParamRef):
        want = f"{want.name} {_show(facts.get(f'param:{want.name}'))}"
    if lit.op == "has":
        return f"{lit.fact} has nothing under {want}" if lit.fact != "new_uses" else f"{want} is not a new purpose"
    if lit.op == "lacks":
        return f"{lit.fact} includes {want}"
    if lit.op == "eq":
        return f"{lit.fact} is {_show(have)}, not {_show(want)}"
    if lit.op == "ne":
        return f"{lit.fact} is {_show(have)}"
    return f"not {lit.fact} {_show(have)} {_WORDS[lit.op]} {_show(want)}"
