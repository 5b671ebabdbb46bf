"""Rule tests are data: YAML cases beside each law (`rules/<law>/tests.yaml`), run by
`jurisdiction rules test` and collected by pytest. Failures name the YAML file and case."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from jurisdiction.errors import InputError
from jurisdiction.evaluation.assessment import Assessment
from jurisdiction.evaluation.evaluator import Evaluator
from jurisdiction.law.rulebook import RuleBook
from jurisdiction.law.rulefile import TestCase, TestFile
from jurisdiction.practice.specs import merge, parse_practice

__all__ = ["CaseResult", "run_case", "run_tests"]


@dataclass(frozen=True)
class CaseResult:
    file: str
    law: str
    case: str
    line: int | None
    failures: tuple[str, ...]
    fired: frozenset[str] = field(default_factory=frozenset)

    @property
    def passed(self) -> bool:
        return not self.failures


def _global(law: str, rule_id: str) -> str:
    return rule_id if "/" in rule_id else f"{law}/{rule_id}"


def check(assessment: Assessment, case: TestCase, law: str) -> list[str]:
    failures: list[str] = []
    code = case.jurisdiction
    obligations = {o.id: o for o in assessment.obligations if code is None or code in o.jurisdictions}
    expect = case.expect
    if expect.verdict is not None and assessment.verdict != expect.verdict:
        failures.append(f"verdict: expected {expect.verdict}, got {assessment.verdict}")
    for rule_id, status in sorted(expect.obligations.items()):
        rid = _global(law, rule_id)
        got = obligations.get(rid)
        if got is None:
            failures.append(f"{rid}: expected {status}, but the rule did not apply" + (f" in {code}" if code else ""))
            continue
        if status != "applies":
            detail = next((d for d in (got.details or []) if code and code in d.jurisdictions), None)
            have = detail.status if detail else got.status
            if have != status:
                failures.append(f"{rid}: expected {status}, got {have} ({'; '.join(got.because[1:])})")
    for rule_id in expect.absent:
        rid = _global(law, rule_id)
        if rid in obligations:
            failures.append(f"{rid}: expected not to apply, but it did ({'; '.join(obligations[rid].because[1:])})")
    for rule_id, day in sorted(expect.due.items()):
        rid = _global(law, rule_id)
        got = obligations.get(rid)
        if got is None:
            failures.append(f"{rid}: expected due {day}, but the rule did not apply")
        elif got.due != day:
            failures.append(f"{rid}: expected due {day}, got {got.due}")
    states = {j.code: j.affected for j in assessment.jurisdictions}
    for where, affected in sorted(expect.affected.items()):
        if states.get(where) != affected:
            failures.append(f"{where}: expected affected={affected}, got {states.get(where, 'not in scope')}")
    return failures


def run_case(
    book: RuleBook, evaluator: Evaluator, file: str, test: TestFile, case: TestCase, line: int | None
) -> CaseResult:
    data = merge(test.base, case.practice)
    try:
        practice = parse_practice(data, source=f"{file} case {case.name!r}")
    except InputError as exc:
        return CaseResult(
            file, test.law, case.name, line, tuple(f"invalid practice: {p.render()}" for p in exc.problems)
        )
    assessment = evaluator.evaluate(practice, case.today)
    return CaseResult(
        file,
        test.law,
        case.name,
        line,
        tuple(check(assessment, case, test.law)),
        frozenset(o.id for o in assessment.obligations),
    )


def run_tests(book: RuleBook, engine: str = "auto") -> Iterator[CaseResult]:
    """Run every case of every test file in the book, each against its own law only."""
    evaluators: dict[str, Evaluator] = {}
    for file, test, doc in book.tests:
        if test.law not in evaluators:
            evaluators[test.law] = Evaluator(book.only([test.law]), engine, coverage=False)
        for i, case in enumerate(test.cases):
            line, _ = doc.locate(("cases", i))
            yield run_case(book, evaluators[test.law], file, test, case, line)
