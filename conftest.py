"""Collect the YAML rule tests beside each law (rules/<law>/tests.yaml) as pytest items, one
per case, reported against the YAML file and case name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jurisdiction.law.rulebook import TEST_SUFFIXES

ROOT = Path(__file__).resolve().parent


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.name.endswith(TEST_SUFFIXES) and (ROOT / "rules") in file_path.parents:
        return RuleTestFile.from_parent(parent, path=file_path)
    return None


_BOOK: dict[str, Any] = {}


def _book_and_evaluators() -> dict[str, Any]:
    if not _BOOK:
        from jurisdiction import RuleBook

        _BOOK["book"] = RuleBook.load(ROOT / "rules", with_tests=True)
        _BOOK["evaluators"] = {}
    return _BOOK


class RuleTestFile(pytest.File):
    def collect(self) -> Any:
        state = _book_and_evaluators()
        book = state["book"]
        shown = str(self.path.relative_to(ROOT))
        for file, test, doc in book.tests:
            if Path(file).name == self.path.name and Path(file).parent.name == self.path.parent.name:
                for i, case in enumerate(test.cases):
                    line, _ = doc.locate(("cases", i))
                    yield RuleCase.from_parent(self, name=case.name, test=test, case=case, line=line, shown=shown)


class RuleCase(pytest.Item):
    def __init__(self, *, test: Any, case: Any, line: int | None, shown: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.test, self.case, self.line, self.shown = test, case, line, shown

    def runtest(self) -> None:
        from jurisdiction.evaluation.evaluator import Evaluator
        from jurisdiction.evaluation.ruletests import run_case

        state = _book_and_evaluators()
        evaluators = state["evaluators"]
        if self.test.law not in evaluators:
            evaluators[self.test.law] = Evaluator(state["book"].only([self.test.law]), "native")
        result = run_case(state["book"], evaluators[self.test.law], self.shown, self.test, self.case, self.line)
        if result.failures:
            raise RuleCaseFailure(result.failures)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, RuleCaseFailure):
            lines = "\n".join(f"  {f}" for f in excinfo.value.args[0])
            return f"{self.shown}:{self.line} case {self.case.name!r} failed:\n{lines}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, (self.line or 1) - 1, f"{self.shown}::{self.case.name}"


class RuleCaseFailure(Exception):
    pass
