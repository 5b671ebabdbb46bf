"""Answers a compliance team can trust: nothing silent where the library has no law, no
invented duty, whom a law protects, timing from the text only. Each test runs the CLI on a
spec it writes, against the shipped library."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import cli

WORLD = """\
id: worldwide-training
title: Train a generative model on members' posts worldwide
data_subjects: [customer]
data_categories: [user.content.public]
data_uses: [train_ai_system.generative]
users:
  regions: [DE, FR, GB, CH, BR, AQ, RU]
  min_age: 18
  counts: {AQ: 1000, RU: 3000000, DE: 5000000}
control: opt_out
existing_data: true
legal_basis: legitimate_interest
assessments: [lia, dpia]
starts: 2027-02-01
policy: {discloses: [essential.service], updated: 2026-12-10, notified: 2026-12-10}
"""

EMPLOYEES = """\
id: workplace-model
title: Train a model on employees' workplace messages
data_subjects: [employee]
data_categories: [user.content.private]
data_uses: [train_ai_system]
users: {regions: [US-VA, US-CO, US-CT, US-TX, US-CA, DE], min_age: 18}
control: opt_out
existing_data: true
legal_basis: legitimate_interest
starts: 2027-01-10
policy: {discloses: [essential.service], updated: 2026-12-01, notified: 2026-12-01}
"""

FOUR_WEEKS = """\
id: eu-four-weeks
title: Train on members' posts, told four weeks ahead
data_subjects: [customer]
data_categories: [user.content.public]
data_uses: [train_ai_system.generative]
users: {regions: [DE, IE], min_age: 18}
control: opt_out
existing_data: true
legal_basis: legitimate_interest
assessments: [lia, dpia]
starts: 2027-01-29
policy: {discloses: [essential.service], updated: 2027-01-01, notified: 2027-01-01}
ai_system: {interacts_with_people: false, generates_content: false}
"""


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_worldwide_practice_names_what_the_library_does_not_cover(tmp_path: Path) -> None:
    spec = _spec(tmp_path, WORLD)
    data = json.loads(cli("check", spec, "--today", "2026-12-01", "--format", "json").out)
    rows = {j["code"]: j for j in data["jurisdictions"]}
    assert rows["RU"]["coverage"]["status"] == "not_covered"  # 152-FZ exists, not encoded
    assert "152-FZ" in rows["RU"]["coverage"]["why"]
    assert rows["AQ"]["coverage"]["status"] == "not_researched"
    assert rows["DE"]["coverage"]["status"] == "covered"
    assert data["coverage"] == {"complete": False, "uncovered": ["AQ", "RU"], "users": 3_001_000}
    assert data["verdict"] != "clear"


def test_the_gate_fails_on_uncovered_users_unless_accepted(tmp_path: Path) -> None:
    spec = _spec(tmp_path, WORLD)
    default = cli("check", spec, "--today", "2026-12-01")
    assert default.code == 1, default.out
    assert "Not covered: 2 jurisdictions, 3,001,000 users" in default.out
    assert "RU: not encoded in the library: Federal Law No. 152-FZ" in default.out
    accepted = cli("check", spec, "--today", "2026-12-01", "--accept-uncovered", "--fail-on", "blocked")
    assert accepted.code == 0, accepted.out
    assert "(accepted)" in accepted.out
    assert cli("check", spec, "--today", "2026-12-01", "--fail-on", "never").code == 0


@pytest.mark.parametrize("fmt", ["markdown", "sarif", "junit", "github", "html"])
def test_every_format_names_the_uncovered_codes(tmp_path: Path, fmt: str) -> None:
    spec = _spec(tmp_path, WORLD)
    out = cli("check", spec, "--today", "2026-12-01", "--format", fmt).out
    assert "RU" in out and "AQ" in out
    if fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        gaps = [r for r in results if r["ruleId"] == "jurisdiction/not-covered"]
        assert gaps and {r["level"] for r in gaps} == {"error"}
    if fmt == "junit":
        failures = [f for f in ET.fromstring(out).iter("failure") if f.get("type") == "coverage"]
        assert len(failures) == 2
    if fmt == "github":
        assert "::error file=" in out and "title=not covered" in out


def test_explain_and_users_see_the_same_gaps(tmp_path: Path) -> None:
    spec = _spec(tmp_path, WORLD)
    explained = json.loads(cli("explain", spec, "--today", "2026-12-01", "--format", "json").out)
    assert (
        explained["verdict"]
        == json.loads(cli("check", spec, "--today", "2026-12-01", "--format", "json").out)["verdict"]
    )


def test_who_is_protected_decides_whether_a_law_applies(tmp_path: Path) -> None:
    """Employees' workplace data: the Virginia-model consumer laws exclude the employment
    context; the CCPA (since 2023-01-01) and the GDPR do not."""
    data = json.loads(cli("check", _spec(tmp_path, EMPLOYEES), "--today", "2026-12-01", "--format", "json").out)
    rows = {j["code"]: j for j in data["jurisdictions"]}
    for code, law in (
        ("US-VA", "us-va-vcdpa"),
        ("US-CO", "us-co-cpa"),
        ("US-CT", "us-ct-ctdpa"),
        ("US-TX", "us-tx-tdpsa"),
    ):
        assert law not in rows[code]["laws"] and law in rows[code]["not_protected"], code
    assert "us-ca-ccpa" in rows["US-CA"]["laws"]
    assert "eu-gdpr" in rows["DE"]["laws"]
    owed = {o["id"] for o in data["obligations"]}
    assert not any(o.startswith(("us-va-", "us-co-cpa", "us-ct-", "us-tx-")) for o in owed)
    assert "us-ca-ccpa/secondary-use-consent" in owed


def test_a_four_week_eu_notice_is_in_time(tmp_path: Path) -> None:
    """Art. 13(3) and 21(4) say "prior to" and "at the latest at the first communication": no
    30 days. Four weeks' notice is not blocked."""
    data = json.loads(cli("check", _spec(tmp_path, FOUR_WEEKS), "--today", "2027-01-05", "--format", "json").out)
    owed = {o["id"]: o for o in data["obligations"]}
    notice = owed["eu-gdpr/information-before-further-processing"]
    assert notice["status"] == "met" and notice["due"] == "2027-01-29"
    assert owed["eu-gdpr/objection-route-before-processing"]["status"] == "met"
    assert data["verdict"] != "blocked"
    assert not any("30 days" in o.get("uncertain", "") and o["law"] == "eu-gdpr" for o in owed.values())


def test_the_plan_puts_assessments_first(tmp_path: Path) -> None:
    text = FOUR_WEEKS.replace("assessments: [lia, dpia]\n", "").replace("notified: 2027-01-01", "notified: null")
    plan = json.loads(cli("check", _spec(tmp_path, text), "--today", "2027-01-05", "--format", "json").out)["plan"]
    kinds = [step["kind"] for step in plan]
    assert kinds.index("impact_assessment") < kinds.index("notice")


def test_warnings_are_marked_in_text(tmp_path: Path) -> None:
    out = cli("check", _spec(tmp_path, FOUR_WEEKS), "--today", "2027-01-05").out
    assert "[warning]" in out
