"""`rules lint` is clean on the shipped library and catches each class of mistake in a
fixture library of its own (one per mistake)."""

from __future__ import annotations

import pytest

from tests.helpers import ROOT, RULES, cli

FIXTURES = ROOT / "tests" / "fixtures" / "lint"

CASES = {
    "no_pinpoint": (
        1,
        "test-law/law.yaml:5: no-pinpoint: the law's citation 'The Test Act' names no article or section",
    ),
    "not_https": (1, "test-law/law.yaml:6: not-https: source URL http://example.org/test-act is not https"),
    "unofficial_url": (
        1,
        "test-law/law.yaml:17: unofficial-url: source URL https://blog.example.net/ages is not on an official "
        "publisher's host (sources.yaml)",
    ),
    "unreachable_dates": (
        1,
        "test-law/law.yaml:19: unreachable: test-law/too-early: its dates (from the start to "
        "2019-12-31) fall outside the law's",
    ),
    "unreachable_condition": (
        1,
        "test-law/law.yaml:24: unreachable: test-law/never: no practice can make its condition hold",
    ),
    "contradiction": (
        1,
        "test-law/law.yaml:27: contradiction: test-law/opt-in and test-law/opt-out-only can apply "
        "to the same practice, but no practice can meet both",
    ),
    "no_tests": (1, "test-law/law.yaml:3: no-tests: law test-law has no tests file"),
    "version_gap": (
        1,
        "test-law/law.yaml:34: version-gap: test-law/new starts 2023-02-01, but old ended 2022-12-31: "
        "31 day(s) uncovered",
    ),
    "version_overlap": (
        1,
        "test-law/law.yaml:34: version-overlap: test-law/new starts 2023-01-01, but old runs to "
        "2023-03-31: 90 day(s) covered twice",
    ),
    "version_missing": (1, "test-law/law.yaml:25: version-missing: test-law/new replaces `old`, which this law lacks"),
    "unverified": (
        0,
        "test-law/law.yaml:3: unverified: test-law: 1 point(s) not checked against the primary text: rule unsure",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_mistake_is_caught(case: str) -> None:
    code, message = CASES[case]
    result = cli("rules", "lint", FIXTURES / case)
    assert result.code == code, result.out
    assert f"{case}/{message}" in result.out, result.out
    problems = [line for line in result.out.splitlines() if ": " in line and not line.startswith("1 laws")]
    assert len(problems) == 1, result.out  # the fixture holds exactly its one mistake


def test_every_fixture_is_listed() -> None:
    assert {p.name for p in FIXTURES.iterdir() if p.is_dir()} == {*CASES, "clean"}


def test_clean_fixture_and_shipped_library_are_clean() -> None:
    assert cli("rules", "lint", FIXTURES / "clean").code == 0
    shipped = cli("rules", "lint", RULES)
    assert shipped.code == 0, shipped.out
    assert " 0 problem(s)" in shipped.out


def test_lint_json() -> None:
    import json

    rows = json.loads(cli("rules", "lint", FIXTURES / "version_gap", "--format", "json").out)
    assert [(r["code"], r["line"], r["level"]) for r in rows] == [("version-gap", 34, "error")]


def test_invalid_library_is_a_usage_error_not_a_lint_finding() -> None:
    assert cli("rules", "lint", ROOT / "tests" / "fixtures" / "bad" / "rules" / "several_broken").code == 2
