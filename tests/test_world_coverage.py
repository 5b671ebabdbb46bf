"""Every country with 10 million or more internet users is covered or researched: the library
encodes a law there, or `rules/coverage.yaml` says (with a source) that no comprehensive law
exists, or that one exists and is not encoded. None is left `not_researched`.

The list is data: `jurisdiction/vocabulary/data/internet_users.json` (World Bank WDI share of
internet users x population; Taiwan from its own statistics). Its `near_threshold` countries
(7 to 10 million) are held to the same standard, since a newer population figure could lift them
over the line."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from jurisdiction import RuleBook
from jurisdiction.vocabulary.regions import countries
from tests.helpers import ROOT, cli

DATA = ROOT / "jurisdiction" / "vocabulary" / "data" / "internet_users.json"
LIST: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
LISTED = [row["code"] for row in LIST["countries"]]
NEAR = [row["code"] for row in LIST["near_threshold"]]


def _status(book: RuleBook, code: str) -> dict[str, object]:
    laws = [law.id for law, _ in book.laws_for(code)]
    return book.coverage_status(code, laws).as_dict()


def test_the_list_names_its_source_and_date() -> None:
    assert "World Development Indicators" in LIST["source"]
    assert dt.date.fromisoformat(LIST["as_of"])
    threshold = LIST["threshold_millions"]
    assert threshold == 10
    codes = set(countries())
    for row in LIST["countries"] + LIST["near_threshold"]:
        assert row["code"] in codes, row
        assert row["source"] and isinstance(row["year"], int) and 2015 <= row["year"] <= 2026, row
        users = row["internet_users_millions"]
        assert users == pytest.approx(row["population"] * row["share_of_population_pct"] / 100 / 1e6, abs=0.01)
    assert all(row["internet_users_millions"] >= threshold for row in LIST["countries"])
    assert all(7 <= row["internet_users_millions"] < threshold for row in LIST["near_threshold"])
    assert len(set(LISTED) | set(NEAR)) == len(LISTED) + len(NEAR)  # no country twice
    assert len(LISTED) == 59


@pytest.mark.parametrize("code", LISTED + NEAR)
def test_every_large_country_is_covered_or_researched(book: RuleBook, code: str) -> None:
    coverage = _status(book, code)
    assert coverage["status"] != "not_researched", (code, coverage)
    if coverage["status"] in ("no_law", "not_covered"):  # a researched entry: its source and day
        assert coverage.get("source") and coverage.get("checked"), (code, coverage)


def test_the_jurisdictions_command_agrees(book: RuleBook) -> None:
    """The text form of `jurisdiction jurisdictions CODE` reports the same status per country."""
    words = {"covered": "covered", "no_law": "researched: no comprehensive law", "not_covered": "not covered"}
    for code in ("AF", "YE", "ML", "PK", "RU", "DE", "TW"):
        out = cli("jurisdictions", code).out
        line = next(ln for ln in out.splitlines() if ln.startswith(code + "\t"))
        status = str(_status(book, code)["status"])
        assert f"— {words[status]}" in line, line
        assert "not researched" not in line, line


def test_the_jurisdictions_json_carries_coverage() -> None:
    result = cli("jurisdictions", "AF", "--format", "json")
    rows = {row["code"]: row for row in json.loads(result.out)}
    assert rows["AF"]["coverage"]["status"] == "no_law"
