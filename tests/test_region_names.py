"""Region aliases and names: accepted aliases (UK, EL, USA), names suggested never guessed,
ranked search, and subdivision names in a user table read with the country as context."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from jurisdiction.evaluation.evaluator import Evaluator
from jurisdiction.practice.specs import load_practice
from jurisdiction.vocabulary.regions import check_code, search, subdivision_code, suggestions
from tests.helpers import spark_ready

from .helpers import EXAMPLES, cli

LINKEDIN = EXAMPLES / "linkedin-2024-as-happened.yaml"
TODAY = dt.date(2024, 9, 20)


# ------------------------------------------------------------------------------ codes in specs


@pytest.mark.parametrize(
    ("alias", "code"),
    [("UK", "GB"), ("uk", "GB"), ("EL", "GR"), ("USA", "US"), ("U.S.", "US"), ("U.S.A.", "US"), (" gb ", "GB")],
)
def test_unambiguous_aliases_are_accepted(alias: str, code: str) -> None:
    assert check_code(alias) == code


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("California", "US-CA (California)"),
        ("Quebec", "CA-QC (Quebec)"),
        ("Québec", "CA-QC (Quebec)"),
        ("Britain", "GB (United Kingdom)"),
        ("Great Britain", "GB (United Kingdom)"),
        ("United Kingdom", "GB (United Kingdom)"),
        ("Vietnam", "VN (Viet Nam)"),
        ("South Korea", "KR (Korea, Republic of)"),
        ("Germany", "DE (Germany)"),
        ("US-California", "US-CA (California)"),
    ],
)
def test_a_name_is_an_error_with_the_exact_suggestion(name: str, suggestion: str) -> None:
    with pytest.raises(ValueError, match="unknown region code") as info:
        check_code(name)
    assert getattr(info.value, "suggestion", None) == suggestion


def test_a_name_two_places_share_suggests_both() -> None:
    with pytest.raises(ValueError) as info:
        check_code("Georgia")
    assert getattr(info.value, "suggestion", None) == "GE (Georgia) or US-GA (Georgia)"


def test_suggestions_rank_codes_then_aliases_then_names() -> None:
    assert suggestions("US")[0] == "US"
    assert suggestions("UK")[0] == "GB"
    assert suggestions("DEU")[0] == "DE"  # alpha-3
    assert suggestions("California")[:2] == ["US-CA", "US"]  # the state before fuzzy country hits
    assert suggestions("Quebec")[0] == "CA-QC"
    assert suggestions("NEW YRK", country="US") == ["US-NY"]
    assert suggestions("Ontario", country="US") == []  # never a place in another country


def test_spec_regions_accept_aliases_and_reject_names(tmp_path: Path) -> None:
    text = LINKEDIN.read_text(encoding="utf-8")
    uk = tmp_path / "uk.yaml"
    uk.write_text(text.replace("regions: [US, EU, EEA, CH]", "regions: [US, EU, EEA, CH, UK]"), encoding="utf-8")
    assert "GB" in load_practice(uk).users.regions
    named = tmp_path / "named.yaml"
    named.write_text(text.replace("regions: [US, EU, EEA, CH]", "regions: [California]"), encoding="utf-8")
    r = cli("check", named)
    assert r.code == 2
    assert "unknown region code 'California'" in r.err and "US-CA (California)" in r.err
    assert "Canada" not in r.err


# ------------------------------------------------------------------------------------- search


def test_search_ranks_exact_code_alias_name_prefix_substring() -> None:
    uk = [r["code"] for r in search("UK")]
    assert uk[0] == "GB" and "UA" in uk
    assert search("California")[0]["code"] == "US-CA"
    us = [r["code"] for r in search("US")]
    assert us[0] == "US" and us[1 : 1 + 57] == sorted(c for c in us if str(c).startswith("US-"))
    assert "AT" not in us[:58]
    assert search("Quebec")[0]["code"] == "CA-QC"
    assert search("Britain")[0]["code"] == "GB"  # substring of the official name
    assert search("norw")[0]["code"] == "NO"


def test_jurisdictions_command_ranks_too() -> None:
    r = cli("jurisdictions", "UK")
    assert r.code == 0 and r.out.splitlines()[0].startswith("GB\t")
    r = cli("jurisdictions", "California")
    assert r.code == 0 and r.out.splitlines()[0].startswith("US-CA\tCalifornia")
    r = cli("jurisdictions", "US")
    assert r.code == 0 and r.out.splitlines()[0].startswith("US\t")


# ----------------------------------------------------------------------------------- user table


def test_subdivision_names_resolve_with_the_country() -> None:
    assert subdivision_code("US", "CALIFORNIA") == "US-CA"
    assert subdivision_code("US", " new york ") == "US-NY"
    assert subdivision_code("CA", "Québec") == "CA-QC"
    assert subdivision_code("CA", "QUEBEC") == "CA-QC"
    assert subdivision_code("US", "ca") == "US-CA" and subdivision_code("CA", "CA-QC") == "CA-QC"
    assert subdivision_code("US", "Quebec") is None and subdivision_code("CA", "California") is None


duckdb = pytest.importorskip("duckdb")

NAMED_ROWS = (
    "user_id,country,state,birth_date,signed_up\n"
    "1,US,CALIFORNIA,1990-01-01,2020-01-01\n"
    "2,US,California,1990-01-01,2020-01-01\n"
    "3,US,New York,1990-01-01,2020-01-01\n"
    "4,US,NEW YORK,1990-01-01,2020-01-01\n"
    "5,CA,Québec,1990-01-01,2020-01-01\n"
    "6,CA,QUÉBEC,1990-01-01,2020-01-01\n"
    "7,ca,quebec,1990-01-01,2020-01-01\n"
    "8,US,CA,1990-01-01,2020-01-01\n"
    "9,CA,Ontario,1990-01-01,2020-01-01\n"
)


def _spec(tmp_path: Path) -> Path:
    spec = tmp_path / "us-ca.yaml"
    text = LINKEDIN.read_text(encoding="utf-8").replace("regions: [US, EU, EEA, CH]", "regions: [US, CA]")
    spec.write_text(
        text.replace("  counts: {US: 130000000}\n", "").replace("exclude: [EU, EEA, CH]", "exclude: []"),
        encoding="utf-8",
    )
    return spec


def _table(tmp_path: Path, rows: str = NAMED_ROWS) -> Path:
    path = tmp_path / "users.csv"
    path.write_text(rows, encoding="utf-8")
    return path


def _rows(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    out = [tuple(int(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in r) for r in rows]
    return sorted(out, key=lambda r: tuple((x is None, str(x)) for x in r))


def _by_code(counts: object) -> dict[str, int]:
    return {j.code: j.users for j in counts.jurisdictions}  # type: ignore[attr-defined]


def test_user_table_subdivision_names_become_codes(tmp_path: Path, native: Evaluator) -> None:
    from jurisdiction.users import ColumnMap, counts_sql, plan_users, reference_rows
    from jurisdiction.users.backends import DuckDBBackend, count_users

    plan = plan_users(load_practice(_spec(tmp_path)), native, TODAY)
    assert "CA" in plan.subdivided and "US" in plan.subdivided
    table = _table(tmp_path)
    counts = count_users(plan, str(table), ColumnMap(subdivision="state"))
    found = _by_code(counts)
    assert found["US-CA"] == 3 and found["US-NY"] == 2 and found["CA-QC"] == 3 and found["CA-ON"] == 1
    assert not any(code in found for code in ("NE", "CA")), found  # never Niger, never "Canada, unknown"
    # the SQL and the Python reference agree
    engine = DuckDBBackend()
    cols = ColumnMap(subdivision="state").resolve(engine.open(str(table)), str(table))
    got = _rows(engine.query(counts_sql(plan, cols)))
    with table.open(encoding="utf-8") as f:
        rows = [
            {
                **r,
                "birth_date": dt.date.fromisoformat(r["birth_date"]),
                "signed_up": dt.date.fromisoformat(r["signed_up"]),
            }
            for r in csv.DictReader(f)
        ]
    assert got == _rows(reference_rows(plan, cols, rows))


def test_user_table_unknown_subdivision_is_reported_never_another_country(tmp_path: Path) -> None:
    table = _table(tmp_path, "user_id,country,state\n1,US,NEW YRK\n2,US,Ontario\n3,US,California\n")
    r = cli("users", _spec(tmp_path), "--users", table, "--map", "subdivision=state", "--today", "2024-09-20")
    assert r.code == 2, r.err
    assert "'NEW YRK' is not a valid subdivision code or name of US" in r.err and "US-NY (New York)" in r.err
    assert "'ONTARIO' is not a valid subdivision code or name of US" in r.err
    assert "Niger" not in r.err and "Canada" not in r.err and "CALIFORNIA" not in r.err


def test_user_table_country_alias_is_reported_with_its_code(tmp_path: Path) -> None:
    table = _table(tmp_path, "user_id,country\n1,UK\n")
    r = cli("users", LINKEDIN, "--users", table, "--today", "2024-09-20")
    assert r.code == 2 and "'UK' is not a valid country code" in r.err and "GB (United Kingdom)" in r.err


@pytest.mark.skipif(not spark_ready(), reason="needs pyspark (the spark extra) and Java")
def test_spark_reads_subdivision_names_like_duckdb(tmp_path: Path, native: Evaluator) -> None:
    from jurisdiction.users import ColumnMap, plan_users
    from jurisdiction.users.backends import SparkBackend, count_users

    plan = plan_users(load_practice(_spec(tmp_path)), native, TODAY)
    table = _table(tmp_path)
    on_duck = count_users(plan, str(table), ColumnMap(subdivision="state"), backend="duckdb")
    on_spark = count_users(plan, str(table), ColumnMap(subdivision="state"), backend=SparkBackend("local[1]"))
    assert _by_code(on_spark) == _by_code(on_duck)
    assert _by_code(on_spark)["CA-QC"] == 3


def test_a_query_that_matches_nothing_is_an_error_in_json_too() -> None:
    from tests.helpers import cli

    for fmt in ("text", "json"):
        result = cli("jurisdictions", "Atlantis", "--format", fmt)
        assert result.code == 2 and "no code or name matches 'Atlantis'" in result.err
    assert cli("jurisdictions", "Atlantis", "--format", "json").out.strip() == "[]"


def test_jurisdictions_json_carries_the_coverage_research_date() -> None:
    import json

    from tests.helpers import cli

    result = cli("jurisdictions", "RU", "--format", "json")  # a researched code: a law, not encoded
    assert result.code == 0, result.err
    (row,) = [r for r in json.loads(result.out) if r["code"] == "RU"]
    assert row["coverage"]["status"] == "not_covered" and row["coverage"]["checked"] == "2026-12-01"


def test_a_region_of_a_country_researched_without_a_law_is_researched_too() -> None:
    from jurisdiction import RuleBook

    book = RuleBook.load()
    assert book.coverage_status("PK", []).status == "no_law"
    assert book.coverage_status("PK-IS", []).status == "no_law"  # Islamabad: Pakistan's research holds
    assert book.coverage_status("RU-MOW", []).status == "not_covered"  # a law exists, not encoded
