"""`jurisdiction explain`: why and why not, rule by rule, for each jurisdiction in scope."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from jurisdiction.errors import InputError, InvalidValue, Problem, suggest
from jurisdiction.evaluation.assessment import Obligation
from jurisdiction.evaluation.evaluator import Evaluator, LawTrace
from jurisdiction.law.facts import practice_contexts, practice_facts
from jurisdiction.law.rulebook import Law
from jurisdiction.practice.model import Practice
from jurisdiction.vocabulary.regions import check_code, expand, summarize_codes

__all__ = ["explain_practice", "render_explanation"]


def explain_practice(
    evaluator: Evaluator, practice: Practice, today: dt.date, code: str | None = None, only: str | None = None
) -> dict[str, Any]:
    """Why and why not, rule by rule, for each jurisdiction in scope (or `code`), grouping
    jurisdictions whose explanation is the same; `only` narrows it to one law (`us-ca-ccpa`) or
    one rule (`us-ca-ccpa/secondary-use-consent`). Everything comes from the evaluator's own
    record of the evaluation (`Evaluator.explain`), so it cannot disagree with `check`."""
    book = evaluator.book
    laws = _narrowed(book.laws, only)
    assessment, traces = evaluator.explain(practice, today)
    by_id = {o.id: o for o in assessment.obligations}
    scope = {j.code: j for j in assessment.jurisdictions}
    if code is not None:
        try:
            code = check_code(code)
        except InvalidValue as exc:
            problem = Problem(exc.message, file="command line", field="--jurisdiction", valid=exc.valid, code=exc.code)
            raise InputError([dataclasses.replace(problem, suggestion=exc.suggestion)]) from None
    wanted = expand([code], practice.starts, book.subdivided) if code is not None else tuple(scope)
    traced: dict[str, dict[str, LawTrace]] = {}
    for trace in traces:
        for where in trace.codes:
            traced.setdefault(where, {}).setdefault(trace.law, trace)  # the earliest stretch first
    grouped: dict[str, dict[str, Any]] = {}
    for where in wanted:
        entry = scope.get(where)
        if entry is None or not entry.affected:
            body: dict[str, Any] = {"affected": False, "reason": entry.reason if entry else "not in users.regions"}
        else:
            here = traced.get(where, {})
            contexts = practice_contexts(practice)
            rows = [_law_row(law, here.get(law.id), where, by_id, only, contexts) for law in laws]
            body = {"affected": True, "laws": rows}
        key = repr(body)
        grouped.setdefault(key, {"jurisdictions": [], **body})["jurisdictions"].append(where)
    base = practice_facts(practice)
    shown = {k: (sorted(v) if isinstance(v, frozenset) else v) for k, v in sorted(base.items())}
    return {
        "practice": practice.id,
        "today": str(today),
        "verdict": assessment.verdict,
        "facts": shown,
        "groups": list(grouped.values()),
    }


def _narrowed(laws: Sequence[Law], only: str | None) -> list[Law]:
    """The laws `only` names (a law id, or a rule id's law); all of them when None."""
    if only is None:
        return list(laws)
    law_id = only.split("/", 1)[0]
    found = [law for law in laws if law.id == law_id and ("/" not in only or only in law.rules_by_id)]
    if not found:
        known = [law.id for law in laws] if "/" not in only else [r for law in laws for r in law.rules_by_id]
        raise InputError(
            [
                Problem(
                    f"no {'rule' if '/' in only else 'law'} {only!r} in the library",
                    file="command line",
                    field="--rule",
                    valid="a law id (us-ca-ccpa) or a rule id (us-ca-ccpa/secondary-use-consent): `rules list`",
                    suggestion=suggest(only, known),
                    code="unknown_rule",
                )
            ]
        )
    return found


def _law_row(
    law: Law,
    trace: LawTrace | None,
    where: str,
    by_id: dict[str, Obligation],
    only: str | None = None,
    contexts: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    context = law.spec.law.context
    if trace is None and context is not None and context not in contexts:
        return {
            "law": law.id,
            "applies": False,
            "why": f"it reaches only practices in a {context} context, and the spec has no `{context}` block",
        }
    if trace is None:
        places = "; ".join(
            f"{', '.join(a.in_)} from {a.from_}" + (f" to {a.to}" if a.to else "") for a in law.spec.law.applies
        )
        return {"law": law.id, "applies": False, "why": f"applies in {places}; not here during the practice"}
    if not trace.applies:
        return {
            "law": law.id,
            "applies": False,
            "why": "the business is below the law's applicability thresholds",
            "thresholds": trace.thresholds,
        }
    rules = []
    for rt in trace.rules:
        if only is not None and "/" in only and rt.rule != only:
            continue
        fired = rt.rule in by_id and where in by_id[rt.rule].jurisdictions
        row: dict[str, Any] = {
            "rule": rt.rule,
            "applies": fired,
            "cases": rt.cases,
            "citation": law.rule(rt.rule).citation,
        }
        if fired:
            ob = by_id[rt.rule]
            detail = next((d for d in ob.details or [] if where in d.jurisdictions), None)
            row["status"] = detail.status if detail else ob.status
            row["due"] = (detail.due if detail else ob.due).isoformat()
            row["because"] = (detail.because if detail else ob.because)[-1]
        elif not rt.reaches:
            rule = law.rule(rt.rule)
            period = f"{rule.from_ or 'the start of the law'} to {rule.to or 'open'}"
            row["why_not"] = (
                "the change was made before this duty applied"
                if rule.trigger == "change"
                else f"the rule's own period ({period}) does not reach the practice"
            )
        else:
            row["why_not"] = "no case of the condition holds"
        rules.append(row)
    return {"law": law.id, "applies": True, "from": trace.in_force.isoformat(), "rules": rules}


def render_explanation(report: dict[str, Any]) -> str:
    mark = {"holds": "✓", "fails": "✗", "assumed": "?"}
    lines = [f"{report['practice']} as of {report['today']}: {report['verdict']}", "Facts:"]
    for name, value in report["facts"].items():
        lines.append(f"  {name}: {value}")
    for group in report["groups"]:
        lines.append("")
        lines.append(f"== {summarize_codes(group['jurisdictions'])}")
        if not group["affected"]:
            lines.append(f"  not affected: {group['reason']}")
            continue
        for law in group["laws"]:
            if not law["applies"]:
                lines.append(f"  {law['law']}: does not apply ({law['why']})")
                cases = law.get("thresholds") or []
                if cases:
                    lines.append(
                        "        ✗ none of: "
                        + "; ".join(" and ".join(lit["text"] for lit in c["literals"]) for c in cases)
                    )
                continue
            lines.append(f"  {law['law']}: applies from {law['from']}")
            for rule in law["rules"]:
                if rule["applies"]:
                    lines.append(
                        f"    APPLIES {rule['rule']} [{rule['status']}, due {rule['due']}] — {rule['citation']}"
                    )
                    lines.append(f"      status: {rule['because']}")
                else:
                    lines.append(f"    no      {rule['rule']} — {rule['why_not']}")
                failing = [c["literals"] for c in rule["cases"] if not c["holds"]]
                if (
                    not rule["applies"]
                    and len(rule["cases"]) > 1
                    and len(failing) == len(rule["cases"])
                    and all(len(lits) == 1 for lits in failing)
                ):  # one test per case, all failing: one line says it
                    lines.append("        ✗ none of: " + "; ".join(lits[0]["text"] for lits in failing))
                    continue
                for case in rule["cases"]:
                    if len(rule["cases"]) > 1:
                        lines.append(f"      case {case['case']}: {'holds' if case['holds'] else 'fails'}")
                    for lit in case["literals"]:
                        lines.append(f"        {mark[lit['state']]} {lit['text']}")
                if not rule["cases"]:
                    lines.append("        ✗ the condition can never hold")
    return "\n".join(lines) + "\n"
