"""jurisdiction: which notice, consent, opt-out, policy update or assessment a planned data
practice needs, jurisdiction by jurisdiction, by when and in what order, with citations.

    >>> from jurisdiction import RuleBook, load_practice, evaluate
    >>> book = RuleBook.load()
    >>> practice = load_practice("examples/linkedin-2024-as-happened.yaml")   # doctest: +SKIP
    >>> evaluate(practice, book).verdict                                       # doctest: +SKIP
    'blocked'
"""

from jurisdiction._version import __version__
from jurisdiction.errors import InputError, JurisdictionError, Problem, RuleError, SpecError, UsageError
from jurisdiction.evaluation.assessment import Assessment, JurisdictionResult, LawResult, Obligation, PlanStep
from jurisdiction.evaluation.evaluator import Evaluator, evaluate
from jurisdiction.evaluation.timeline import PracticeTimeline, Timeline
from jurisdiction.law.rulebook import RuleBook
from jurisdiction.practice.model import Policy, Practice, Users
from jurisdiction.practice.specs import iter_errors, load_practice, load_practices, parse_practice

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
