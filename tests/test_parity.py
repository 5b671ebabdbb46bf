"""The rete engine (durable_rules) and the native engine agree on everything: every example,
every rule test case, and thousands of generated practices over the whole library."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jurisdiction import parse_practice
from jurisdiction.engines import rete_available
from jurisdiction.evaluation.evaluator import Evaluator
from jurisdiction.practice.specs import merge
from tests.helpers import library
from tests.strategies import practice_specs

pytestmark = pytest.mark.skipif(not rete_available(), reason="durable_rules does not import on this Python")

BOOK = library()


@pytest.fixture(scope="module")
def engines() -> tuple[Evaluator, Evaluator]:
    return Evaluator(BOOK, "native"), Evaluator(BOOK, "rete")


def _same(engines: tuple[Evaluator, Evaluator], practice: Any, today: dt.date) -> None:
    native, rete = engines
    a = native.evaluate(practice, today).model_dump_json()
    b = rete.evaluate(practice, today).model_dump_json()
    assert a == b


def test_every_rule_test_case(engines: tuple[Evaluator, Evaluator]) -> None:
    count = 0
    for _, test, _ in BOOK.tests:
        for case in test.cases:
            _same(engines, parse_practice(merge(test.base, case.practice)), case.today)
            count += 1
    assert count >= len(BOOK.laws) * 3


REGIONS = ["US", "US-CA", "US-TX", "EU", "EEA", "EFTA", "DE", "FR", "DK", "NO", "IS", "LI", "CH", "GB", "BR", "JP"]
DAYS = st.dates(min_value=dt.date(2017, 1, 1), max_value=dt.date(2028, 12, 31))


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=practice_specs(REGIONS, DAYS), today=DAYS)
def test_generated_practices(spec: dict[str, Any], today: dt.date) -> None:
    engines = (Evaluator(BOOK, "native"), _RETE)
    _same(engines, parse_practice(spec), today)


_RETE = Evaluator(BOOK, "rete") if rete_available() else None  # built once: durable_rules rulesets are global
