"""docs/coverage.md is the matrix the shipped library generates."""

from __future__ import annotations

from jurisdiction import RuleBook
from jurisdiction.law.matrix import render_matrix
from tests.helpers import ROOT, RULES, cli


def test_committed_matrix_is_current() -> None:
    committed = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    assert committed == render_matrix(RuleBook.load(RULES)), (
        "run `jurisdiction rules matrix rules --write docs/coverage.md` and commit it"
    )


def test_matrix_command_writes_the_file(tmp_path: object) -> None:
    target = tmp_path / "coverage.md"  # type: ignore[operator]
    assert cli("rules", "matrix", RULES, "--write", target).code == 0
    assert target.read_text(encoding="utf-8") == cli("rules", "matrix", RULES).out
