"""The shipped library as a whole: every law tested, and a practice with users in every US
state gets, per state, exactly that state's obligations (plus the federal ones), with laws not
yet in force only as upcoming obligations due on their effective date."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import pytest

from jurisdiction import RuleBook, evaluate, parse_practice
from jurisdiction.vocabulary.regions import subdivisions_of
from tests.helpers import RULES, library

BOOK = library()


def test_every_law_has_at_least_three_cases() -> None:
    cases = Counter({test.law: len(test.cases) for _, test, _ in BOOK.tests})
    thin = {law: cases[law] for law in BOOK.law_ids if cases[law] < 3}
    assert not thin, thin


def test_every_rule_has_a_citation_url_and_dates() -> None:
    for law in BOOK.laws:
        assert law.spec.law.applies, law.id
        for rule in law.spec.rules:
            assert any(ch.isdigit() for ch in rule.citation), (law.id, rule.id)
            assert str(rule.url).startswith("https://"), (law.id, rule.id)


SPEC = {
    "id": "us-wide",
    "title": "Train a model on member data, sold to partners",
    "data_subjects": ["customer"],
    "data_categories": ["user.content.public", "user.health_and_medical", "user.location.precise"],
    "data_uses": ["train_ai_system.generative", "marketing.advertising.third_party.targeted"],
    "recipients": ["first_party", "third_party"],
    "sale": True,
    "users": {"regions": ["US"]},
    "control": "opt_out",
    "starts": "2025-03-01",
    "policy": {"discloses": ["essential.service"], "updated": "2025-03-01", "notified": None},
}


@pytest.mark.parametrize("today", [dt.date(2025, 6, 1), dt.date(2026, 6, 1)])
def test_each_state_gets_exactly_its_own_law(today: dt.date) -> None:
    assessment = evaluate(parse_practice(SPEC), BOOK, today=today)
    # laws confined to a context (the school laws) do not reach this practice, which has none
    scope = {law.id: {code for code, _ in law.windows} for law in BOOK.laws if law.spec.law.context is None}
    federal = {law for law, codes in scope.items() if "US" in codes}
    by_id = {o.id: o for o in assessment.obligations}
    states = {j.code: j for j in assessment.jurisdictions}
    assert set(states) == set(subdivisions_of("US"))
    for code, result in states.items():
        own = {law for law, codes in scope.items() if code in codes}
        assert set(result.laws) <= own | federal, (code, set(result.laws) - own - federal)
        assert own <= set(result.laws) | set(result.below_thresholds or []), (code, own - set(result.laws))
        for oid in result.obligations:
            law = by_id[oid].law
            assert law in own or law in federal, (code, oid)
    for o in assessment.obligations:
        if o.law not in federal:
            assert all(code in scope[o.law] for code in o.jurisdictions), o.id


def test_laws_not_yet_in_force_give_only_upcoming_obligations() -> None:
    today = dt.date(2025, 6, 1)
    assessment = evaluate(parse_practice(SPEC), BOOK, today=today)
    upcoming = {law.id: law.effective for law in assessment.laws if law.status == "upcoming"}
    assert {"us-ok-ocdpa", "us-al-apdpa", "us-in-icdpa", "us-ky-kcdpa"} <= set(upcoming)
    for o in assessment.obligations:
        if o.law in upcoming:
            assert o.due >= upcoming[o.law], o.id
            assert o.status != "violated", o.id  # pending, or already met by what the spec shows
    ok = {o.id for o in assessment.obligations if o.law == "us-ok-ocdpa"}
    assert ok and all(str(by.due) >= "2027-01-01" for by in assessment.obligations if by.id in ok)


def test_states_without_secondary_use_consent_get_none() -> None:
    assessment = evaluate(parse_practice(SPEC), BOOK, today=dt.date(2026, 6, 1))
    consent = {o.law for o in assessment.obligations if o.kind == "consent" and "secondary_use" in o.id}
    assert not consent & {"us-ut-ucpa", "us-ia-icdpa", "us-ri-ridtppa"}
    assert {"us-va-vcdpa", "us-co-cpa", "us-ct-ctdpa", "us-tx-tdpsa"} <= {
        o.law for o in assessment.obligations if o.kind == "consent"
    }


def test_revision_names_the_content_not_the_folder(tmp_path: Path) -> None:
    """The same rules give the same revision wherever they lie; a changed rule changes it."""
    here = RuleBook.load(RULES).revision
    copy = tmp_path / "elsewhere" / "my-rules"
    shutil.copytree(RULES, copy)
    assert RuleBook.load(copy).revision == here
    law = copy / "us-va-vcdpa" / "law.yaml"
    law.write_text(law.read_text(encoding="utf-8").replace("Virginia Consumer", "Virginia  Consumer"), encoding="utf-8")
    assert RuleBook.load(copy).revision != here
