"""Jurisdiction codes: ISO 3166-1 countries and ISO 3166-2 subdivisions (from pycountry), and
groups of countries with dated membership (EU, EEA, EFTA).

A code is one string type everywhere (`RegionCode`); this module is the only place that
knows what codes exist. No country table is pasted here: names and subdivisions come from
pycountry, and the groups' memberships from `data/groups.json`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Annotated, NamedTuple

import pycountry
from pydantic import AfterValidator, BeforeValidator

from jurisdiction.errors import InvalidValue, suggest

__all__ = [
    "FOREVER",
    "Group",
    "Interval",
    "RegionCode",
    "check_code",
    "countries",
    "country_of",
    "expand",
    "group",
    "groups",
    "is_group",
    "membership",
    "name_of",
    "search",
    "subdivisions_of",
    "summarize_codes",
]

BEGINNING = dt.date(1900, 1, 1)
FOREVER = dt.date(9999, 12, 31)


class Interval(NamedTuple):
    """A closed range of days. (A named tuple: the evaluator builds many of them.)"""

    start: dt.date
    end: dt.date = FOREVER

    def __and__(self, other: Interval) -> Interval | None:
        start = self[0] if self[0] >= other[0] else other[0]
        end = self[1] if self[1] <= other[1] else other[1]
        return Interval(start, end) if start <= end else None

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


@dataclass(frozen=True)
class Group:
    code: str
    name: str
    source: str
    note: str
    members: dict[str, tuple[Interval, ...]]


def _date(text: str | None, default: dt.date) -> dt.date:
    return dt.date.fromisoformat(text) if text else default


@cache
def groups() -> dict[str, Group]:
    """Every group, with memberships flattened (a group included in another is expanded)."""
    raw = json.loads(resources.files("jurisdiction.vocabulary").joinpath("data", "groups.json").read_text("utf-8"))
    table = raw["groups"]
    out: dict[str, Group] = {}

    def members_of(code: str) -> dict[str, list[Interval]]:
        spec = table[code]
        found: dict[str, list[Interval]] = {}
        for member, (start, end) in spec.get("members", {}).items():
            found.setdefault(member, []).append(Interval(_date(start, BEGINNING), _date(end, FOREVER)))
        for inner, (start, end) in spec.get("includes", {}).items():
            window = Interval(_date(start, BEGINNING), _date(end, FOREVER))
            for member, spans in members_of(inner).items():
                for span in spans:
                    both = span & window
                    if both:
                        found.setdefault(member, []).append(both)
        return found

    for code, spec in table.items():
        members = {m: tuple(sorted(spans)) for m, spans in sorted(members_of(code).items())}
        out[code] = Group(code, spec["name"], spec.get("source", ""), spec.get("note", ""), members)
    return out


def group(code: str) -> Group:
    return groups()[code]


def is_group(code: str) -> bool:
    return code in groups()


@cache
def _countries() -> dict[str, str]:
    return {c.alpha_2: c.name for c in pycountry.countries}


@cache
def countries() -> tuple[str, ...]:
    """Every ISO 3166-1 alpha-2 code, sorted."""
    return tuple(sorted(_countries()))


def subdivisions_of(country: str) -> tuple[str, ...]:
    """Every ISO 3166-2 code of a country, sorted."""
    subs = pycountry.subdivisions.get(country_code=country) or []  # type: ignore[no-untyped-call]
    return tuple(sorted(s.code for s in subs))


@cache
def _subdivision_names() -> dict[str, str]:
    return {s.code: s.name for s in pycountry.subdivisions}


def country_of(code: str) -> str:
    """`US-CA` → `US`; `DE` → `DE`."""
    return code.split("-", 1)[0]


def name_of(code: str) -> str:
    if code in groups():
        return groups()[code].name
    if "-" in code:
        return _subdivision_names().get(code, code)
    return _countries().get(code, code)


@cache
def _all_codes() -> tuple[str, ...]:
    return tuple(sorted(set(_countries()) | set(groups())))


REGION_HELP = "an ISO 3166-1 alpha-2 code (DE), an ISO 3166-2 code (US-CA) or a group"


def check_code(value: object) -> str:
    """Validate and normalise one code; raise `InvalidValue` (a ValueError) with a suggestion
    when unknown."""
    if isinstance(value, bool) or not isinstance(value, str):
        hint = ""
        if value is False:
            hint = (
                " (YAML 1.1 reads a bare NO as false; this loader reads YAML 1.2, so check how the value was produced)"
            )
        raise InvalidValue(
            f"a region code must be a string, not {type(value).__name__} {value!r}{hint}",
            code="wrong_type",
            valid=REGION_HELP,
            suggestion='"NO"' if value is False else None,
        )
    code = value.strip().upper()
    if code in groups() or code in _countries():
        return code
    if "-" in code and code in _subdivision_names():
        return code
    # A country named in words: suggest its code.
    guess: str | None = None
    try:
        found = pycountry.countries.lookup(value.strip())
        guess = found.alpha_2
    except LookupError:
        pool = list(_all_codes())
        if "-" in code:
            pool = list(subdivisions_of(country_of(code))) or pool
        guess = suggest(code, pool)
    raise InvalidValue(
        f"unknown region code {value!r}",
        code="unknown_region",
        valid=REGION_HELP + f" ({', '.join(sorted(groups()))})",
        suggestion=f"{guess} ({name_of(guess)})" if guess else None,
    )


RegionCode = Annotated[str, BeforeValidator(check_code), AfterValidator(str)]


def membership(code: str, scope: str) -> tuple[Interval, ...]:
    """When `code` (a country or subdivision) falls within `scope` (a group, country or
    subdivision). Empty when never."""
    if scope in groups():
        return groups()[scope].members.get(country_of(code), ())
    if code == scope or ("-" not in scope and country_of(code) == scope):
        return (Interval(BEGINNING, FOREVER),)
    return ()


def expand(codes: Iterable[str], on: dt.date, subdivided: Iterable[str] = ()) -> tuple[str, ...]:
    """Countries and subdivisions meant by `codes` on a day, at the finest level wanted:
    countries in `subdivided` are replaced by all their ISO 3166-2 subdivisions.

    >>> expand(["EFTA"], dt.date(2024, 1, 1))
    ('CH', 'IS', 'LI', 'NO')
    """
    return _expand(tuple(codes), on, frozenset(subdivided))


@lru_cache(maxsize=4096)
def _expand(codes: tuple[str, ...], on: dt.date, split: frozenset[str]) -> tuple[str, ...]:
    out: set[str] = set()
    for code in codes:
        for country in _countries_meant(code, on):
            if country in split and "-" not in country:
                out.update(subdivisions_of(country) or (country,))
            else:
                out.add(country)
    return tuple(sorted(out))


def _countries_meant(code: str, on: dt.date) -> Iterator[str]:
    if code in groups():
        for member, spans in groups()[code].members.items():
            if any(on in span for span in spans):
                yield member
    else:
        yield code


def search(query: str | None = None) -> list[dict[str, object]]:
    """Codes, names and groups matching `query` (code prefix or name substring)."""
    rows: list[dict[str, object]] = []
    today = dt.date.today()
    for code, grp in sorted(groups().items()):
        current = sorted(m for m, spans in grp.members.items() if any(today in s for s in spans))
        rows.append({"code": code, "name": grp.name, "kind": "group", "members": current})
    for code, name in sorted(_countries().items()):
        member_of = sorted(g for g, grp in groups().items() if any(today in s for s in grp.members.get(code, ())))
        rows.append(
            {
                "code": code,
                "name": name,
                "kind": "country",
                "groups": member_of,
                "subdivisions": len(subdivisions_of(code)),
            }
        )
    if query:
        q = query.strip().lower()
        wanted = [
            r
            for r in rows
            if str(r["code"]).lower() == q or q in str(r["name"]).lower() or str(r["code"]).lower().startswith(q)
        ]
        if "-" in q or q.upper() in _countries():
            country = country_of(q.upper())
            for sub in subdivisions_of(country):
                if sub.lower().startswith(q) or q.upper() == country:
                    wanted.append({"code": sub, "name": name_of(sub), "kind": "subdivision", "country": country})
        rows = wanted
    return rows


def summarize_codes(codes: Sequence[str]) -> str:
    """Short form of a code list: whole countries' subdivisions and whole groups folded.

    >>> summarize_codes(["US-CA"])
    'US-CA'
    """
    remaining = set(codes)
    parts: list[str] = []
    by_country: dict[str, set[str]] = defaultdict(set)
    for code in remaining:
        if "-" in code:
            by_country[code.split("-")[0]].add(code)
    for country, subs in sorted(by_country.items()):
        full = set(subdivisions_of(country))
        if full and subs == full:
            parts.append(f"{country} (all {len(full)})")
            remaining -= subs
    for name, grp in sorted(groups().items(), key=lambda kv: (-len(kv[1].members), kv[0])):
        current = {m for m, spans in grp.members.items() if spans[-1].end == FOREVER}
        if len(current) >= 3 and current <= remaining:
            parts.append(name)
            remaining -= current
    parts.extend(sorted(remaining))
    return ", ".join(parts)
