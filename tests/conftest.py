"""Session-wide fixtures: the rule library is loaded once and shared, read-only."""

from __future__ import annotations

import os
import tempfile

import pytest

from jurisdiction import Evaluator, RuleBook
from tests.helpers import library

# The compiled-library cache of this run (and of the CLIs it starts) lives in a folder of its
# own, closed to others, never in the user's ~/.cache.
os.environ["JURISDICTION_CACHE_DIR"] = tempfile.mkdtemp(prefix="jurisdiction-cache-")


@pytest.fixture(scope="session")
def book() -> RuleBook:
    """The shipped rule library, with its test files."""
    return library()


@pytest.fixture(scope="session")
def native(book: RuleBook) -> Evaluator:
    """An evaluator over the shipped library on the native engine (immutable; share it)."""
    return Evaluator(book, "native")
