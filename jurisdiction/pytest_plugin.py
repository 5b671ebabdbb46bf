"""The pytest plugin: a law's YAML test cases (`<law>/tests.yaml`) as pytest items, one per
case, each failure reported against the YAML file, line and case name.

Installed with the package (entry point `pytest11`), so it works on any rule library:

    pytest rules/                 # collects every tests.yaml that sits beside a law.yaml
    pytest --rules my-rules/      # adds a library of your own to what pytest collects

Each case runs against its own law only, on the native engine (`--rules-engine` picks
another), as `jurisdiction rules test` runs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jurisdiction.evaluation.evaluator import Evaluator
from jurisdiction.evaluation.ruletests import run_case
from jurisdiction.law.rulebook import TEST_SUFFIXES, RuleBook
from jurisdiction.law.rulefile import TestCase, TestFile

__all__ = ["RuleCase", "RuleCaseFailure", "RuleTestFile"]

LAW_FILE = "law.yaml"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jurisdiction", "jurisdiction rule tests")
    group.addoption(
        "--rules",
        action="append",
        default=[],
        metavar="DIR",
        help="a rule library whose tests.yaml cases to collect (repeatable)",
    )
    group.addoption(
        "--rules-engine", default="native", choices=["auto", "rete", "native"], help="engine for rule cases"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_LIBRARIES] = _Libraries(config.getoption("rules_engine"))
    for extra in config.getoption("rules"):
        config.args.append(str(Path(extra)))


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.name.endswith(TEST_SUFFIXES) and (file_path.parent / LAW_FILE).is_file():
        return RuleTestFile.from_parent(parent, path=file_path)
    return None


class _Libraries:
    """Each library loaded once per session (with its test files), and one evaluator per law."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.books: dict[Path, RuleBook] = {}
        self.evaluators: dict[tuple[Path, str], Evaluator] = {}

    def book(self, root: Path) -> RuleBook:
        if root not in self.books:
            self.books[root] = RuleBook.load(root, with_tests=True)
        return self.books[root]

    def evaluator(self, root: Path, law: str) -> Evaluator:
        key = (root, law)
        if key not in self.evaluators:
            self.evaluators[key] = Evaluator(self.book(root).only([law]), self.engine, coverage=False)
        return self.evaluators[key]


_LIBRARIES = pytest.StashKey[_Libraries]()


class RuleTestFile(pytest.File):
    """A law's tests.yaml; its library is the folder that holds the law's folder."""

    def collect(self) -> Iterator[pytest.Item]:
        libraries = self.config.stash[_LIBRARIES]
        root = self.path.parent.parent
        book = libraries.book(root)
        shown = os.path.relpath(self.path, self.config.invocation_params.dir)
        for file, test, doc in book.tests:
            if Path(file).name == self.path.name and Path(file).parent.name == self.path.parent.name:
                for i, case in enumerate(test.cases):
                    line, _ = doc.locate(("cases", i))
                    yield RuleCase.from_parent(
                        self, name=case.name, root=root, test=test, case=case, line=line, shown=shown
                    )


class RuleCase(pytest.Item):
    """One case of a law's tests.yaml."""

    def __init__(
        self, *, root: Path, test: TestFile, case: TestCase, line: int | None, shown: str, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.root, self.test, self.case, self.line, self.shown = root, test, case, line, shown

    def runtest(self) -> None:
        libraries = self.config.stash[_LIBRARIES]
        book = libraries.book(self.root)
        evaluator = libraries.evaluator(self.root, self.test.law)
        result = run_case(book, evaluator, self.shown, self.test, self.case, self.line)
        if result.failures:
            raise RuleCaseFailure(result.failures)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RuleCaseFailure):
            lines = "\n".join(f"  {f}" for f in excinfo.value.failures)
            return f"{self.shown}:{self.line} case {self.case.name!r} failed:\n{lines}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, (self.line or 1) - 1, f"{self.shown}::{self.case.name}"


class RuleCaseFailure(Exception):
    """A rule case's expectations that the assessment did not meet."""

    def __init__(self, failures: tuple[str, ...]) -> None:
        super().__init__("\n".join(failures))
        self.failures = failures
