"""Jurisdiction codes, groups with dated membership, and expansion."""

from __future__ import annotations

import datetime as dt

import pytest

from jurisdiction.vocabulary.regions import check_code, expand, membership, name_of, search, subdivisions_of
from tests.helpers import cli

D = dt.date


def test_no_is_norway() -> None:
    assert check_code("NO") == "NO"
    assert name_of("NO") == "Norway"


def test_false_is_explained() -> None:
    with pytest.raises(ValueError, match=r"YAML 1\.1 reads a bare NO as false"):
        check_code(False)


def test_unknown_code_suggests() -> None:
    with pytest.raises(ValueError, match=r"did you mean DE \(Germany\)"):
        check_code("Germany")


def test_eu_membership_is_dated() -> None:
    assert "GB" in expand(["EU"], D(2019, 12, 31))
    assert "GB" not in expand(["EU"], D(2020, 2, 1))
    assert "HR" not in expand(["EU"], D(2013, 6, 30)) and "HR" in expand(["EU"], D(2013, 7, 1))
    assert len(expand(["EU"], D(2024, 1, 1))) == 27


def test_eea_and_efta() -> None:
    eea = expand(["EEA"], D(2024, 1, 1))
    assert len(eea) == 30 and {"IS", "LI", "NO"} <= set(eea)
    assert expand(["EFTA"], D(2024, 1, 1)) == ("CH", "IS", "LI", "NO")
    assert membership("DE", "EEA")[0].start == D(1994, 1, 1)


def test_us_expands_to_every_subdivision_when_distinguished() -> None:
    assert len(subdivisions_of("US")) == 57
    assert expand(["US"], D(2024, 1, 1), {"US"}) == subdivisions_of("US")
    assert expand(["US"], D(2024, 1, 1)) == ("US",)


def test_search_and_cli() -> None:
    assert search("norw")[0]["code"] == "NO"
    result = cli("jurisdictions", "EU")
    assert result.code == 0 and "European Union" in result.out
    assert cli("jurisdictions", "US-C").out.count("US-C") >= 3
    assert cli("jurisdictions", "zzzz").code == 2


def test_the_tables_read_from_pycountrys_files_equal_its_api() -> None:
    """Countries and subdivisions are read from pycountry's data files (and the subdivisions
    kept in the on-disk cache), not through its API: the same codes and names."""
    import pycountry

    from jurisdiction.vocabulary.regions import countries, name_of, subdivisions_of

    assert countries() == tuple(sorted(c.alpha_2 for c in pycountry.countries))
    assert all(name_of(c.alpha_2) == c.name for c in pycountry.countries)
    subdivisions = list(pycountry.subdivisions)
    assert sorted(code for c in countries() for code in subdivisions_of(c)) == sorted(s.code for s in subdivisions)
    assert all(name_of(s.code) == s.name for s in subdivisions)
