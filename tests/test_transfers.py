"""Where the data goes: the spec's `transfers`, the per-jurisdiction fact `transfer_abroad`, and
the library's transfer rules. A worldwide practice whose data stays where its users are gets,
per country, only the laws that reach that country; data sent to a country brings the transfer
rules only to the jurisdictions whose users' data leaves them; an unknown destination gives
warnings, never blocks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from jurisdiction import evaluate, parse_practice
from jurisdiction.engines import rete_available
from jurisdiction.evaluation.evaluator import Evaluator
from jurisdiction.law.facts import transfer_abroad
from jurisdiction.practice.specs import merge
from jurisdiction.vocabulary.regions import countries
from tests.helpers import cli, library

BOOK = library()
TODAY = dt.date(2026, 12, 1)

BASE: dict[str, Any] = {
    "id": "transfers",
    "title": "Run a service on user accounts",
    "data_subjects": ["customer"],
    "data_categories": ["user.contact.email", "user.content.public"],
    "data_uses": ["essential.service"],
    "users": {"regions": ["DE"], "min_age": 18},
    "starts": "2027-01-01",
    "policy": {"discloses": ["essential.service"], "updated": "2026-11-01"},
}

# every transfer rule of the library: (law, rule id)
TRANSFER_RULES = {
    "eu-gdpr": {"transfer-needs-adequacy-or-safeguards", "transfer-information-in-notice"},
    "uk-gdpr": {
        "transfer-needs-adequacy-or-safeguards",
        "transfer-needs-approval-or-safeguards-duaa",
        "transfer-information-in-notice",
    },
    "ch-fadp": {"disclosure-abroad-needs-adequacy-or-guarantees", "inform-of-state-abroad"},
    "cn-pipl": {
        "transfer-abroad-needs-a-mechanism",
        "transfer-abroad-notice-and-separate-consent",
        "impact-assessment-before-providing-abroad",
    },
    "jp-appi": {"foreign-third-party-consent"},
    "kr-pipa": {"cross-border-transfer-needs-a-ground", "cross-border-consent-notice-items"},
    "br-lgpd": {"international-transfer-needs-a-ground"},
    "id-pdp-law": {"transfer-abroad-needs-equal-protection-safeguards-or-consent"},
    "vn-pdpl": {"d13-transfer-impact-assessment-dossier", "law-transfer-impact-assessment-dossier"},
    "za-popia": {"transborder-transfer-needs-a-ground", "notify-intended-transfer-abroad"},
    "tr-kvkk": {"transfer-abroad-needs-adequacy-or-safeguards"},
    "ae-pdpl": {"transfer-abroad-needs-adequacy-contract-or-consent"},
    "ar-law-25326": {"international-transfer-needs-adequacy-clauses-or-consent"},
    "au-privacy-act": {"overseas-disclosure-reasonable-steps", "privacy-policy-overseas-recipients"},
    "cl-law-21719": {"international-transfer-needs-adequacy-or-guarantees"},
    "co-law-1581": {"transfer-to-country-without-adequate-protection"},
    "eg-pdpl": {"cross-border-transfer-licence-and-equal-protection"},
    "il-ppl": {"recipient-written-undertaking", "transfer-abroad-adequate-law-or-regulation-2-ground"},
    "ke-dpa": {"sensitive-data-transfer-consent", "transfer-out-of-kenya-needs-a-basis"},
    "my-pdpa": {
        "transfer-abroad-similar-law-adequacy-or-s129-3-ground",
        "transfer-abroad-whitelist-or-s129-3-ground",
    },
    "ng-ndpa": {"cross-border-transfer-needs-adequacy-or-a-ground"},
    "nz-privacy-act": {"ipp12-disclosure-outside-new-zealand"},
    "pe-law-29733": {"cross-border-flow-needs-adequacy-guarantees-or-consent", "inform-of-international-transfers"},
    "sa-pdpl": {"transfer-abroad-needs-adequacy-or-safeguards", "transfer-risk-assessment"},
    "sg-pdpa": {"transfer-limitation-comparable-protection"},
    "th-pdpa": {"transfer-abroad-needs-adequacy-safeguards-or-an-exception"},
}
TRANSFER_IDS = {f"{law}/{rule}" for law, rules in TRANSFER_RULES.items() for rule in rules}


def practice(**changes: Any) -> Any:
    return parse_practice(merge(BASE, changes))


def test_every_transfer_rule_exists_and_reads_transfer_abroad() -> None:
    for law_id, rules in TRANSFER_RULES.items():
        for rule in rules:
            condition = BOOK.conditions[f"{law_id}/{rule}"]
            assert all(any(lit.fact == "transfer_abroad" for lit in conj) for conj in condition.disjuncts), rule
    reading = {
        rid.split("/")[0] + "/" + rid.split("/")[1]
        for rid, cond in BOOK.conditions.items()
        if rid.count("/") == 1 and "#" not in rid and "@" not in rid
        for conj in cond.disjuncts
        for lit in conj
        if lit.fact == "transfer_abroad"
    }
    assert reading == TRANSFER_IDS


@pytest.mark.parametrize(
    ("users", "to", "abroad"),
    [
        ("DE", ["FR"], False),  # inside the EEA
        ("DE", ["NO", "IS"], False),  # EEA states outside the EU
        ("DE", ["EU"], False),  # a group, expanded on the start day
        ("DE", ["US"], True),
        ("DE", ["CH"], True),  # Switzerland is not in the EEA
        ("DE", ["GB"], True),  # nor, since 2020, the United Kingdom
        ("NO", ["DE"], False),
        ("CH", ["DE"], True),  # for Swiss users every other country is abroad
        ("GB", ["IE"], True),
        ("CN", ["HK"], True),
        ("CN", ["CN"], False),
        ("CN", ["EU"], True),
        ("US-CA", ["US-NY"], False),  # a subdivision's country is the US
        ("US-CA", ["CA"], True),
        ("DE", [], False),  # stays where its users are
    ],
)
def test_transfer_abroad_per_jurisdiction(users: str, to: list[str], abroad: bool) -> None:
    assert transfer_abroad(practice(users={"regions": [users]}, transfers={"to": to}), users) is abroad


def test_no_transfers_is_unknown_not_false() -> None:
    assert transfer_abroad(practice(), "DE") is None


def _laws_reaching(code: str, start: dt.date) -> set[str]:
    return {law.id for law in BOOK.laws if any(span.end >= start for span in law.spans(code))}


WORLD = sorted(countries())


def test_worldwide_practice_without_transfers_gets_only_each_countrys_laws() -> None:
    spec = practice(users={"regions": WORLD, "min_age": 18}, transfers={"to": []})
    assessment = evaluate(spec, BOOK, today=TODAY)
    by_id = {o.id: o for o in assessment.obligations}
    rows = {row.code: row for row in assessment.jurisdictions}
    assert len(rows) > 250  # every country, the US and other split countries by subdivision
    for code, row in rows.items():
        own = _laws_reaching(code, spec.starts)
        assert set(row.laws) <= own, (code, set(row.laws) - own)
        for oid in row.obligations:
            assert by_id[oid].law in own, (code, oid)
    assert not TRANSFER_IDS & set(by_id)


def _reached(assessment: Any) -> dict[str, set[str]]:
    """transfer rule id → the codes it reaches."""
    return {o.id: set(o.jurisdictions) for o in assessment.obligations if o.id in TRANSFER_IDS}


REGIONS = ["DE", "FR", "CN", "CH", "GB", "JP", "KR", "BR", "ID", "VN", "ZA", "TR", "US-CA"]
# every country with a transfer rule
EVERY = [*REGIONS, "AE", "AR", "AU", "CL", "CO", "EG", "IL", "KE", "MY", "NG", "NZ", "PE", "SA", "SG", "TH"]


def test_data_sent_to_china_brings_transfer_rules_only_where_it_leaves() -> None:
    assessment = evaluate(practice(users={"regions": REGIONS}, transfers={"to": ["CN"]}), BOOK, today=TODAY)
    reached = _reached(assessment)
    assert reached == {
        "eu-gdpr/transfer-needs-adequacy-or-safeguards": {"DE", "FR"},
        "eu-gdpr/transfer-information-in-notice": {"DE", "FR"},
        "uk-gdpr/transfer-needs-approval-or-safeguards-duaa": {"GB"},
        "uk-gdpr/transfer-information-in-notice": {"GB"},
        "ch-fadp/disclosure-abroad-needs-adequacy-or-guarantees": {"CH"},
        "ch-fadp/inform-of-state-abroad": {"CH"},
        "jp-appi/foreign-third-party-consent": {"JP"},
        "kr-pipa/cross-border-transfer-needs-a-ground": {"KR"},
        "br-lgpd/international-transfer-needs-a-ground": {"BR"},
        "id-pdp-law/transfer-abroad-needs-equal-protection-safeguards-or-consent": {"ID"},
        "vn-pdpl/law-transfer-impact-assessment-dossier": {"VN"},
        "za-popia/transborder-transfer-needs-a-ground": {"ZA"},
        "za-popia/notify-intended-transfer-abroad": {"ZA"},
        "tr-kvkk/transfer-abroad-needs-adequacy-or-safeguards": {"TR"},
    }  # none for CN: Chinese users' data stays in China; none for US-CA: no US law here reads transfers
    warned = {"vn-pdpl/law-transfer-impact-assessment-dossier"}  # a warning by its own severity
    assert all(o.severity == "blocking" for o in assessment.obligations if o.id in set(reached) - warned)
    assert assessment.verdict == "blocked"
    assert not [a for a in assessment.assumptions if "transfer_abroad" in a]


def test_data_kept_in_germany_brings_transfer_rules_to_the_others() -> None:
    assessment = evaluate(practice(users={"regions": REGIONS}, transfers={"to": ["DE"]}), BOOK, today=TODAY)
    reached = _reached(assessment)
    assert not [rid for rid in reached if rid.startswith("eu-gdpr/")]  # DE and FR stay in the EEA
    assert reached["cn-pipl/transfer-abroad-needs-a-mechanism"] == {"CN"}
    assert reached["cn-pipl/impact-assessment-before-providing-abroad"] == {"CN"}
    assert reached["ch-fadp/disclosure-abroad-needs-adequacy-or-guarantees"] == {"CH"}
    assert reached["uk-gdpr/transfer-information-in-notice"] == {"GB"}


def test_mechanisms_and_notice_meet_the_transfer_rules() -> None:
    spec = practice(
        users={"regions": REGIONS},
        transfers={"to": ["US"], "mechanisms": ["scc", "standard_contract", "consent"], "disclosed": True},
        assessments=["pia", "tia"],
    )
    assessment = evaluate(spec, BOOK, today=TODAY)
    found = {o.id: o.status for o in assessment.obligations if o.id in TRANSFER_IDS}
    assert not [rid for rid in found if "needs" in rid or rid.endswith("guarantees")]  # no prohibition
    assert set(found.values()) == {"met"}, found


def test_unknown_destination_gives_warnings_and_an_assumption() -> None:
    assessment = evaluate(practice(users={"regions": EVERY}), BOOK, today=TODAY)
    found = [o for o in assessment.obligations if o.id in TRANSFER_IDS]
    assert {o.law for o in found} == set(TRANSFER_RULES)
    assert all(o.severity == "warning" for o in found)
    assert assessment.verdict != "blocked"
    assert any("transfer_abroad is not given" in a for a in assessment.assumptions)
    assert all(any("transfers.to is not given" in line for line in o.because) for o in found)


@pytest.mark.skipif(not rete_available(), reason="durable_rules does not import on this Python")
@pytest.mark.parametrize(
    "transfers",
    [None, {"to": []}, {"to": ["CN"]}, {"to": ["DE", "US"], "mechanisms": ["scc"], "disclosed": True}],
)
def test_both_engines_agree(transfers: dict[str, Any] | None) -> None:
    changes: dict[str, Any] = {"users": {"regions": [*REGIONS, "EU", "US"]}}
    if transfers is not None:
        changes["transfers"] = transfers
    spec = practice(**changes)
    native = Evaluator(BOOK, "native").evaluate(spec, TODAY).model_dump_json()
    assert native == Evaluator(BOOK, "rete").evaluate(spec, TODAY).model_dump_json()


SPEC_TEXT = """\
id: bad-transfers
title: t
data_subjects: [customer]
data_categories: [user.contact.email]
data_uses: [essential.service]
users: {regions: [DE]}
starts: 2027-01-01
"""


@pytest.mark.parametrize(
    ("transfers", "wants"),
    [
        ("transfers: {to: [California]}", ["transfers.to", "California", "US-CA"]),
        ("transfers: {to: [Germny]}", ["transfers.to", "Germny", "DE"]),
        ("transfers: {to: [US], mechanisms: [sccs]}", ["transfers.mechanisms", "sccs", "scc"]),
        ("transfers: {to: [US, USA]}", ["transfers.to", "twice"]),
        ("transfers: {mechanisms: [scc]}", ["transfers.to"]),
        ("transfers: {to: [US], where: EU}", ["transfers", "where"]),
    ],
)
def test_bad_transfers_exit_2_with_a_suggestion(tmp_path: Path, transfers: str, wants: list[str]) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC_TEXT + transfers + "\n", encoding="utf-8")
    result = cli("check", path)
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    for want in wants:
        assert want in result.err, (want, result.err)


def test_aliases_are_accepted_in_transfers(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC_TEXT + "transfers: {to: [UK, EL]}\n", encoding="utf-8")
    assert cli("check", path, "--today", "2026-12-01").code in (0, 1)
    spec = practice(transfers={"to": ["UK", "EL"]})
    assert spec.transfers is not None and spec.transfers.to == ["GB", "GR"]
