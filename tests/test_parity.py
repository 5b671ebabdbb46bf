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
from jurisdiction.vocabulary.taxonomy import taxonomy
from tests.helpers import library

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


TAX = taxonomy()
CATEGORIES = sorted(TAX.keys("data_category"))
USES = sorted(TAX.keys("data_use"))
SUBJECTS = sorted(TAX.keys("data_subject"))
REGIONS = ["US", "US-CA", "US-TX", "EU", "EEA", "EFTA", "DE", "FR", "DK", "NO", "IS", "LI", "CH", "GB", "BR", "JP"]
DAYS = st.dates(min_value=dt.date(2017, 1, 1), max_value=dt.date(2028, 12, 31))


@st.composite
def practices(draw: st.DrawFn) -> dict[str, Any]:
    regions = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=4, unique=True))
    starts = draw(DAYS)
    spec: dict[str, Any] = {
        "id": "generated",
        "title": "generated",
        "data_subjects": draw(st.lists(st.sampled_from(SUBJECTS), min_size=1, max_size=2, unique=True)),
        "data_categories": draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=4, unique=True)),
        "data_uses": draw(st.lists(st.sampled_from(USES), min_size=1, max_size=3, unique=True)),
        "recipients": draw(
            st.lists(
                st.sampled_from(["first_party", "processor", "affiliate", "third_party"]),
                min_size=1,
                max_size=3,
                unique=True,
            )
        ),
        "sale": draw(st.booleans()),
        "users": {
            "regions": regions,
            "exclude": draw(st.lists(st.sampled_from(REGIONS), max_size=2, unique=True)),
            "counts": {r: draw(st.integers(0, 10**8)) for r in regions[:2]},
        },
        "control": draw(st.sampled_from(["none", "opt_out", "opt_in"])),
        "existing_data": draw(st.booleans()),
        "assessments": draw(
            st.lists(st.sampled_from(["dpia", "lia", "risk_assessment", "pia"]), max_size=3, unique=True)
        ),
        "parental_consent": draw(st.booleans()),
        "starts": starts.isoformat(),
        "policy": {
            "discloses": draw(st.lists(st.sampled_from(USES), max_size=3, unique=True)),
            "updated": draw(st.none() | DAYS.map(dt.date.isoformat)),
            "notified": draw(st.none() | DAYS.map(dt.date.isoformat)),
        },
    }
    if draw(st.booleans()):
        spec["users"]["min_age"] = draw(st.integers(0, 30))
    if draw(st.booleans()):
        spec["legal_basis"] = draw(st.sampled_from(["consent", "legitimate_interest", "contract"]))
    if draw(st.booleans()):
        spec["ends"] = (starts + dt.timedelta(days=draw(st.integers(0, 2000)))).isoformat()
    if draw(st.booleans()):
        role = draw(st.sampled_from(["school", "vendor", "direct"]))
        authorized = draw(st.lists(st.sampled_from(USES), max_size=3, unique=True))
        spec["school"] = {
            "role": role,
            "k12": draw(st.booleans()),
            "education_records": draw(st.booleans()),
            "federal_funds": draw(st.none() | st.booleans()),
            "authorized_uses": [] if role == "direct" else authorized,  # a direct service has no authorization
        }
    return spec


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=practices(), today=DAYS)
def test_generated_practices(spec: dict[str, Any], today: dt.date) -> None:
    engines = (Evaluator(BOOK, "native"), _RETE)
    _same(engines, parse_practice(spec), today)


_RETE = Evaluator(BOOK, "rete") if rete_available() else None  # built once: durable_rules rulesets are global
