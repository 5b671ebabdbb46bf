"""The school context: the student-data laws (FERPA, California's SOPIPA) reach a practice only
when its spec has a `school` block, and COPPA's school-authorization route turns on what the
school authorized."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from jurisdiction import RuleBook, evaluate, parse_practice
from jurisdiction.errors import InputError
from jurisdiction.evaluation.evaluator import Evaluator
from jurisdiction.evaluation.explain import explain_practice
from jurisdiction.law.facts import FACT_FIELDS, FACTS, practice_facts
from jurisdiction.vocabulary.regions import subdivisions_of

TODAY = dt.date(2026, 10, 1)
SCHOOL_LAWS = {"us-ferpa", "us-ca-sopipa"}

# An AI tutor sold to US school districts: pupils from age 8, their grades and work from the
# schools' records, used to teach them (as the districts authorized) and to train the vendor's
# own model (which no district authorized).
TUTOR: dict[str, Any] = {
    "id": "ai-tutor",
    "title": "AI tutor for school districts",
    "data_subjects": ["customer"],
    "data_categories": ["user.content.private", "user.demographic.age_range"],
    "data_uses": ["essential.service", "personalize.content.profiled", "train_ai_system.generative"],
    "recipients": ["first_party"],
    "users": {"regions": ["US"], "min_age": 8},
    "starts": "2026-09-01",
    "policy": {"discloses": ["essential.service", "personalize.content.profiled"]},
    "school": {
        "role": "vendor",
        "k12": True,
        "education_records": True,
        "federal_funds": True,
        "authorized_uses": ["essential.service", "personalize.content.profiled"],
    },
}


def _spec(**changes: Any) -> dict[str, Any]:
    spec = copy.deepcopy(TUTOR)
    spec.update(changes)
    return spec


def _laws_by_code(book: RuleBook, spec: dict[str, Any]) -> dict[str, set[str]]:
    assessment = evaluate(parse_practice(spec), book, today=TODAY)
    return {
        j.code: set(j.laws) | set(j.below_thresholds or []) | set(j.not_protected or [])
        for j in assessment.jurisdictions
    }


def test_a_us_school_tutor_gets_ferpa_and_coppa_everywhere_and_sopipa_in_california(book: RuleBook) -> None:
    laws = _laws_by_code(book, TUTOR)
    assert set(laws) == set(subdivisions_of("US"))
    for code, here in laws.items():
        assert {"us-ferpa", "us-coppa"} <= here, code
        assert ("us-ca-sopipa" in here) == (code == "US-CA"), code


def test_the_tutor_owes_what_the_texts_say(book: RuleBook) -> None:
    assessment = evaluate(parse_practice(TUTOR), book, today=TODAY)
    owed = {o.id: o for o in assessment.obligations}
    # FERPA 34 CFR 99.33(a)(2): training the vendor's own model is beyond the districts' purpose
    assert owed["us-ferpa/use-only-for-the-purposes-disclosed"].status == "violated"
    # COPPA: the school's authorization does not stretch to the training; parents must consent
    assert owed["us-coppa/verifiable-parental-consent"].status == "violated"
    assert owed["us-coppa/school-authorization-educational-use-only"].severity == "warning"
    # SOPIPA: the learning profile is in furtherance of K-12 school purposes, and nothing is shared
    assert not {oid for oid in owed if oid.startswith("us-ca-sopipa/")}
    assert assessment.verdict == "blocked"


def test_within_the_schools_authorization_the_school_route_replaces_parental_consent(book: RuleBook) -> None:
    spec = _spec(data_uses=["essential.service", "personalize.content.profiled"])
    assessment = evaluate(parse_practice(spec), book, today=TODAY)
    owed = {o.id: o for o in assessment.obligations}
    assert "us-coppa/verifiable-parental-consent" not in owed
    assert owed["us-coppa/school-authorization-educational-use-only"].status == "met"
    assert not {oid for oid in owed if oid.split("/")[0] in SCHOOL_LAWS}


def test_a_practice_without_a_school_block_gets_no_school_law(book: RuleBook) -> None:
    spec = _spec()
    del spec["school"]
    laws = _laws_by_code(book, spec)
    assert all(not here & SCHOOL_LAWS for here in laws.values())
    assessment = evaluate(parse_practice(spec), book, today=TODAY)
    assert not {law.id for law in assessment.laws} & SCHOOL_LAWS
    assert "us-coppa/school-authorization-educational-use-only" not in {o.id for o in assessment.obligations}
    # ... and says so: the school laws it did not assess are listed among the assumptions
    for law_id in SCHOOL_LAWS:
        assert any(a.startswith(f"{law_id} reaches only practices in a school context") for a in assessment.assumptions)
    outside_us = _spec(users={"regions": ["DE"], "min_age": 18})
    del outside_us["school"]
    assert not any("school context" in a for a in evaluate(parse_practice(outside_us), book, today=TODAY).assumptions)
    # an adult, non-school practice gets no COPPA obligation either
    adults = _spec(users={"regions": ["US"], "min_age": 18})
    del adults["school"]
    owed = {o.law for o in evaluate(parse_practice(adults), book, today=TODAY).obligations}
    assert not owed & (SCHOOL_LAWS | {"us-coppa"})


def test_a_school_practice_outside_a_laws_scope_is_below_its_thresholds(book: RuleBook) -> None:
    """In a school context, FERPA without education records, and SOPIPA for a service not made
    for K-12 schools, are reached but not applicable: listed under below_thresholds."""
    spec = _spec(school={"role": "vendor", "k12": False, "education_records": False, "authorized_uses": []})
    assessment = evaluate(parse_practice(spec), book, today=TODAY)
    rows = {j.code: j for j in assessment.jurisdictions}
    assert "us-ferpa" in (rows["US-NY"].below_thresholds or [])
    assert {"us-ferpa", "us-ca-sopipa"} <= set(rows["US-CA"].below_thresholds or [])
    assert not {law.id for law in assessment.laws} & SCHOOL_LAWS


def test_unknown_federal_funds_is_taken_to_hold_and_said(book: RuleBook) -> None:
    spec = _spec(school={**TUTOR["school"], "federal_funds": None})
    assessment = evaluate(parse_practice(spec), book, today=TODAY)
    assert "us-ferpa" in {law.id for law in assessment.laws}
    assert any("school_federal_funds" in text for text in assessment.assumptions)


def test_explain_says_why_a_school_law_does_not_reach_a_non_school_practice(book: RuleBook) -> None:
    spec = _spec()
    del spec["school"]
    result = explain_practice(Evaluator(book, "native"), parse_practice(spec), TODAY, "US-CA", "us-ca-sopipa")
    rows = [row for group in result["groups"] for row in group["laws"]]
    assert rows and all(not row["applies"] for row in rows)
    assert "school context" in rows[0]["why"]


def test_school_facts_are_known_false_without_a_school_block() -> None:
    spec = _spec()
    del spec["school"]
    facts = practice_facts(parse_practice(spec))
    assert facts["school_role"] == "none"
    assert facts["education_records"] is False and facts["school_federal_funds"] is False
    tutor = practice_facts(parse_practice(TUTOR))
    assert tutor["beyond_school_authorization"] is True
    assert "train_ai_system" in tutor["unauthorized_uses"] and "essential" not in tutor["unauthorized_uses"]
    school_facts = {"school_role", "k12_service", "education_records", "school_federal_funds", "school_authorized"}
    assert school_facts | {"beyond_school_authorization", "unauthorized_uses"} <= set(FACTS) & set(FACT_FIELDS)


def test_a_direct_service_cannot_claim_a_schools_authorization() -> None:
    spec = _spec(school={"role": "direct", "authorized_uses": ["essential.service"]})
    with pytest.raises(InputError) as err:
        parse_practice(spec)
    assert "school.authorized_uses" in str(err.value)
