"""Session-wide fixtures: the rule library is loaded once and shared, read-only."""

from __future__ import annotations

import pytest

from jurisdiction import Evaluator, RuleBook
from tests.helpers import library


@pytest.fixture(scope="session")
def book() -> RuleBook:
    """The shipped rule library, with its test files."""
    return library()


@pytest.fixture(scope="session")
def native(book: RuleBook) -> Evaluator:
    """An evaluator over the shipped library on the native engine (immutable; share it)."""
    return Evaluator(book, "native")
