"""`jurisdiction rules upcoming`: every dated change of the library in the window, and nothing
outside it, checked against the rule files themselves."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from jurisdiction.law.upcoming import upcoming
from tests.helpers import cli, library

BOOK = library()


def test_the_new_state_laws_a_month_ahead() -> None:
    result = cli("rules", "upcoming", "--today", "2026-12-01", "--within", "31")
    assert result.code == 0, result.err
    out = result.out
    assert "2027-01-01 (in 31 days)" in out
    for law in ("us-ok-ocdpa", "us-la-ldpa"):
        assert f"  {law} [law_starts] in US-" in out
    assert "us-al-apdpa" not in out  # 2027-05-01 is 151 days ahead
    assert "us-al-apdpa [law_starts]" in cli("rules", "upcoming", "--today", "2026-12-01", "--within", "151").out
    assert "us-ok-ocdpa" not in cli("rules", "upcoming", "--today", "2026-12-01", "--within", "30").out


def test_every_dated_entry_of_the_rule_files_in_a_window() -> None:
    """Over ten years: each law's start and end, each rule's own dates, each dated parameter
    value and transition date is a row, with the citation of what changes; nothing else is."""
    start, until = dt.date(2017, 1, 1), dt.date(2026, 12, 31)
    rows = upcoming(BOOK, start, until)
    assert all(start <= r.date <= until for r in rows)
    assert rows == sorted(rows)
    got = {(r.date, r.law, r.kind, r.rule) for r in rows if r.kind != "group_change"}
    want = set()
    for law in BOOK.laws:
        for entry in law.spec.law.applies:
            want.add((entry.from_, law.id, "law_starts", ""))
            if entry.to is not None:
                want.add((entry.to + dt.timedelta(days=1), law.id, "law_ends", ""))
        for rule in law.spec.rules:
            rid = f"{law.id}/{rule.id}"
            if rule.from_ is not None:
                want.add((rule.from_, law.id, "rule_starts", rid))
            if rule.to is not None:
                want.add((rule.to + dt.timedelta(days=1), law.id, "rule_ends", rid))
            if rule.due.transition is not None:
                want.add((rule.due.transition, law.id, "transition_ends", rid))
        for param in law.spec.parameters.values():
            for entry in param.values.values():
                for value in entry if isinstance(entry, list) else [entry]:
                    if value.from_ is not None:
                        want.add((value.from_, law.id, "parameter", ""))
    assert got == {w for w in want if start <= w[0] <= until}
    kinds = {r.kind for r in rows}
    assert {"law_starts", "law_ends", "rule_starts", "rule_ends", "parameter"} <= kinds  # not vacuous
    by_law = {law.id: law for law in BOOK.laws}
    for row in rows:
        if row.rule:
            assert row.citation == by_law[row.law].rule(row.rule).citation


def test_json() -> None:
    result = cli("rules", "upcoming", "--today", "2026-12-01", "--within", "365", "--format", "json")
    assert result.code == 0
    data = json.loads(result.out)
    assert data["from"] == "2026-12-01" and data["until"] == "2027-12-01"
    first = data["changes"][0]
    assert set(first) >= {"date", "law", "kind", "jurisdictions", "what", "citation", "url", "verified"}
    assert [c["date"] for c in data["changes"]] == sorted(c["date"] for c in data["changes"])


@pytest.mark.parametrize("within", ["-1", "a month"])
def test_bad_within_exits_2(within: str) -> None:
    result = cli("rules", "upcoming", "--within", within)
    assert result.code == 2 and "not a number of days" in result.err
