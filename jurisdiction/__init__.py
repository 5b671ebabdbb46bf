"""jurisdiction: which notice, consent, opt-out, policy update or assessment a planned data
practice needs, jurisdiction by jurisdiction, by when and in what order, with citations.

    >>> from jurisdiction import RuleBook, load_practice, evaluate
    >>> book = RuleBook.load()
    >>> practice = load_practice("examples/linkedin-2024-as-happened.yaml")   # doctest: +SKIP
    >>> evaluate(practice, book).verdict                                       # doctest: +SKIP
    'blocked'

The names below are imported when first used (PEP 562), so `import jurisdiction` and the
command line pay only for the parts they touch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from jurisdiction._version import __version__

if TYPE_CHECKING:
    from jurisdiction.errors import InputError, JurisdictionError, Problem, RuleError, SpecError, UsageError
    from jurisdiction.evaluation.assessment import Assessment, JurisdictionResult, LawResult, Obligation, PlanStep
    from jurisdiction.evaluation.evaluator import Evaluator, evaluate
    from jurisdiction.evaluation.timeline import PracticeTimeline, Timeline
    from jurisdiction.law.rulebook import RuleBook
    from jurisdiction.practice.model import Policy, Practice, Users
    from jurisdiction.practice.specs import iter_errors, load_practice, load_practices, parse_practice

# public name → the module that defines it
_HOME = {
    **dict.fromkeys(
        ("InputError", "JurisdictionError", "Problem", "RuleError", "SpecError", "UsageError"), "jurisdiction.errors"
    ),
    **dict.fromkeys(
        ("Assessment", "JurisdictionResult", "LawResult", "Obligation", "PlanStep"),
        "jurisdiction.evaluation.assessment",
    ),
    **dict.fromkeys(("Evaluator", "evaluate"), "jurisdiction.evaluation.evaluator"),
    **dict.fromkeys(("PracticeTimeline", "Timeline"), "jurisdiction.evaluation.timeline"),
    "RuleBook": "jurisdiction.law.rulebook",
    **dict.fromkeys(("Policy", "Practice", "Users"), "jurisdiction.practice.model"),
    **dict.fromkeys(
        ("iter_errors", "load_practice", "load_practices", "parse_practice"), "jurisdiction.practice.specs"
    ),
}

__all__ = [
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


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'jurisdiction' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # once found, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
