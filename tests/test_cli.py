"""The command line: words, formats and exit codes as in docs/contract.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, FIXTURES, RULES, cli, with_uncovered

AS_HAPPENED = EXAMPLES / "linkedin-2024-as-happened.yaml"
PLANNED = EXAMPLES / "linkedin-2024-planned-correctly.yaml"
HEALTH = EXAMPLES / "sensitive-health-insights.yaml"


@pytest.mark.parametrize(
    ("fail_on", "spec", "code"),
    [
        ("blocked", AS_HAPPENED, 1),
        ("never", AS_HAPPENED, 0),
        ("action_required", AS_HAPPENED, 1),
        ("blocked", HEALTH, 0),
        ("action_required", HEALTH, 1),
        ("action_required", PLANNED, 0),
    ],
)
def test_gate_exit_codes(fail_on: str, spec: object, code: int) -> None:
    today = "2024-09-20" if spec == AS_HAPPENED else "2026-12-01"
    result = cli("check", spec, "--today", today, "--fail-on", fail_on, "--accept-uncovered")
    assert result.code == code, result.err


def test_the_gate_fails_where_the_library_has_no_complete_law(tmp_path: Path) -> None:
    """The planned-correctly example owes nothing it has not done; with users in Russia too,
    whose law the library does not encode, it is never clear, and the gate fails unless
    --accept-uncovered."""
    assert cli("check", PLANNED, "--today", "2026-12-01", "--fail-on", "blocked").code == 0
    spec = with_uncovered(PLANNED, tmp_path)
    result = cli("check", spec, "--today", "2026-12-01", "--fail-on", "blocked")
    assert result.code == 1 and "Not covered: 1 jurisdiction" in result.out and "RU" in result.out
    assert cli("check", spec, "--today", "2026-12-01", "--fail-on", "blocked", "--accept-uncovered").code == 0


def test_text_report_reads_as_a_plan() -> None:
    result = cli("check", AS_HAPPENED, "--today", "2024-09-20")
    out = result.out
    assert "Verdict: BLOCKED as of 2024-09-20" in out
    assert "130,000,000 users" in out
    # dependency order: assessments, the policy, the notices, the consent
    assert out.index("Complete the assessments") < out.index("Update the privacy policy")
    assert out.index("Update the privacy policy") < out.index("Notify users") < out.index("Obtain opt-in")
    assert "15 U.S.C. § 45(a)(1)" in out and "https://www.ftc.gov/" in out
    assert out.rstrip().endswith("1 spec, 1 blocked, 0 action required, 0 clear, 0 waived")


def test_text_groups_one_duty_across_laws_and_detail_shows_each() -> None:
    compact = cli("check", AS_HAPPENED, "--today", "2024-09-20").out
    detail = cli("check", AS_HAPPENED, "--today", "2024-09-20", "--detail").out
    data = json.loads(cli("check", AS_HAPPENED, "--today", "2024-09-20", "--format", "json").out)
    laws = sorted(o["law"] for o in data["obligations"] if o["id"].endswith("/secondary-use-consent"))
    assert len(laws) > 5
    grouped = [line for line in compact.splitlines() if line.strip().startswith("secondary-use-consent: ")]
    assert len(grouped) == 1 and all(f"{law} (" in grouped[0] for law in laws)
    assert f"— {len(laws)} laws" in compact
    assert "because:" not in compact and "(--detail: every obligation" in compact
    for law in laws:
        assert f"{law}/secondary-use-consent in " in detail
    assert "because:" in detail and "Already met:\n  - " in detail
    assert len(compact.splitlines()) < len(detail.splitlines()) / 2


def test_several_specs_give_a_json_array_and_a_summary() -> None:
    result = cli("check", AS_HAPPENED, PLANNED, "--format", "json", "--today", "2024-11-01")
    data = json.loads(result.out)
    assert [a["practice"] for a in data] == ["genai-training-2024", "genai-training-planned"]
    text = cli("check", EXAMPLES, "--today", "2024-11-01")
    assert "7 specs, " in text.out  # five examples and the Fides example's two declarations


def test_duplicate_practice_ids_are_refused() -> None:
    result = cli("check", AS_HAPPENED, AS_HAPPENED)
    assert result.code == 2 and "unique" in result.err


def test_explain_says_why_and_why_not() -> None:
    result = cli("explain", AS_HAPPENED, "--today", "2024-09-20", "--jurisdiction", "US-CA")
    assert result.code == 0, result.err
    assert "APPLIES us-ca-ccpa/secondary-use-consent [violated" in result.out
    assert "no      us-ca-ccpa/minor-sale-share-opt-in" in result.out
    assert "✗ sale is false" in result.out or "✗" in result.out
    assert "eu-gdpr: does not apply" in result.out
    de = cli("explain", AS_HAPPENED, "--today", "2024-09-20", "--jurisdiction", "DE")
    assert "not affected: excluded by the practice" in de.out
    js = cli("explain", AS_HAPPENED, "--today", "2024-09-20", "--jurisdiction", "US-TX", "--format", "json")
    assert json.loads(js.out)["groups"][0]["jurisdictions"] == ["US-TX"]


def test_explain_narrows_to_one_law_or_rule() -> None:
    whole = cli("explain", AS_HAPPENED, "--today", "2024-09-20", "--jurisdiction", "US-CA")
    one = cli("explain", AS_HAPPENED, "--today", "2024-09-20", "--jurisdiction", "US-CA",
              "--rule", "us-ca-ccpa/secondary-use-consent")  # fmt: skip
    assert one.code == 0, one.err
    assert "APPLIES us-ca-ccpa/secondary-use-consent [violated" in one.out
    assert "us-ca-ccpa/minor-sale-share-opt-in" not in one.out and "eu-gdpr" not in one.out
    law = cli("explain", AS_HAPPENED, "--today", "2024-09-20", "--jurisdiction", "US-CA", "--rule", "us-ca-ccpa")
    assert "us-ca-ccpa/minor-sale-share-opt-in" in law.out and "eu-gdpr" not in law.out
    assert len(one.out) < len(law.out) < len(whole.out)
    typo = cli("explain", AS_HAPPENED, "--rule", "us-ca-ccpa/secondary-use")
    assert typo.code == 2 and "did you mean: us-ca-ccpa/secondary-use-consent" in typo.err


def test_explain_and_check_agree_below_thresholds() -> None:
    """Both come from one evaluation: a law the business is too small for is not explained as
    applying (it once said "applies … no case of the condition holds")."""
    spec = str(FIXTURES / "specs" / "virginia-below-thresholds.yaml")
    checked = json.loads(cli("check", spec, "--today", "2025-06-02", "--format", "json").out)
    assert checked["jurisdictions"][0]["below_thresholds"] == ["us-va-vcdpa"]
    assert "us-va-vcdpa" not in checked["jurisdictions"][0]["laws"]
    explained = cli("explain", spec, "--today", "2025-06-02")
    assert "us-va-vcdpa: does not apply (the business is below the law's applicability thresholds)" in explained.out
    assert "✗ none of: not consumers_here 1000 ≥ 100000" in explained.out
    assert "APPLIES us-va-vcdpa" not in explained.out


def test_rules_commands() -> None:
    listed = cli("rules", "list", RULES, "--format", "json")
    assert {row["id"] for row in json.loads(listed.out)} >= {"eu-gdpr", "us-ca-ccpa", "ch-fadp", "uk-gdpr"}
    assert cli("rules", "validate", RULES).code == 0
    tested = cli("rules", "test", RULES, "--coverage")
    assert tested.code == 0, tested.out
    assert "rule coverage: 100.0%" in tested.out
    assert tested.out.rstrip().endswith("0 failed")


def test_module_entry_point_runs_without_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "jurisdiction", "check", str(AS_HAPPENED), "--today", "2024-09-20", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["verdict"] == "blocked"
    assert proc.stderr == ""


def test_version() -> None:
    from jurisdiction import __version__

    assert cli("--version").out.strip() == f"jurisdiction {__version__}"


def test_a_reader_that_goes_away_gets_no_traceback() -> None:
    # `jurisdiction jurisdictions | head -1` once head has exited: every write meets a closed pipe
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "jurisdiction", "jurisdictions"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert proc.stderr == b""
