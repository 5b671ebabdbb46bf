"""The public Python API is small, sorted and pinned."""

from __future__ import annotations

from pathlib import Path

import jurisdiction

PINNED = [
    "Assessment",
    "Evaluator",
    "InputError",
    "JurisdictionError",
    "JurisdictionResult",
    "LawResult",
    "Obligation",
    "PlanStep",
    "Policy",
    "Practice",
    "PracticeTimeline",
    "Problem",
    "RuleBook",
    "RuleError",
    "SpecError",
    "Timeline",
    "UsageError",
    "Users",
    "__version__",
    "evaluate",
    "iter_errors",
    "load_practice",
    "load_practices",
    "parse_practice",
]


def test_all_is_sorted_and_pinned() -> None:
    assert jurisdiction.__all__ == sorted(jurisdiction.__all__)
    assert jurisdiction.__all__ == PINNED
    for name in jurisdiction.__all__:
        assert hasattr(jurisdiction, name)


def test_package_is_typed() -> None:
    assert (Path(jurisdiction.__file__).parent / "py.typed").exists()


def test_library_never_prints(capsys: object) -> None:
    import datetime as dt

    from tests.helpers import EXAMPLES

    practice = jurisdiction.load_practice(EXAMPLES / "linkedin-2024-as-happened.yaml")
    jurisdiction.evaluate(practice, today=dt.date(2024, 9, 20))
    out = capsys.readouterr()  # type: ignore[attr-defined]
    assert out.out == "" and out.err == ""
