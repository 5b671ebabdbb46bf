"""Jurisdiction codes: ISO 3166-1 countries and ISO 3166-2 subdivisions (from pycountry), and
groups of countries with dated membership (EU, EEA, EFTA).

A code is one string type everywhere (`RegionCode`); this module is the only place that
knows what codes exist. No country table is pasted here: names and subdivisions come from
pycountry, and the groups' memberships from `data/groups.json`.

Aliases and names. A few codes in common use that mean exactly one ISO code are *accepted*
and normalised silently (`ALIASES`): `UK` → `GB` and `EL` → `GR` (EU usage), `USA`, `U.S.`,
`U.S.A.` → `US`. A name (`California`, `Germany`, `Québec`) is never accepted where a code
is expected: `check_code` raises with the exact suggestion (`US-CA (California)`), because a
name can mean more than one place (`Georgia`) and must never silently become the wrong code.
Suggestions rank an exact code first, then aliases and alpha-3 codes, then names (exact,
then prefix, then pycountry's fuzzy country search, then a close match on subdivision names);
names are compared with case and accents folded.

The one place names are read as codes is a user table's subdivision column, where the
country column gives the context (`subdivision_code`): `CALIFORNIA` beside `US` is `US-CA`,
and a name shared by two subdivisions of the country, or matching nothing, stays unknown.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import json
import os
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources, util
from typing import Annotated, NamedTuple

from pydantic import AfterValidator, BeforeValidator

from jurisdiction.cache import load_cached, store_cached
from jurisdiction.errors import InvalidValue, suggest

__all__ = [
    "ALIASES",
    "FOREVER",
    "KEY_FROM",
    "KEY_TO",
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
    "subdivision_code",
    "subdivision_forms",
    "subdivision_key",
    "subdivisions_of",
    "suggestions",
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


def _database(name: str) -> bytes | None:
    """One of pycountry's data files, found without importing pycountry (a check that needs no
    fuzzy name search does not pay for its import), or None if this version keeps it elsewhere."""
    spec = util.find_spec("pycountry")
    if spec is None or spec.origin is None:
        return None
    try:
        with open(os.path.join(os.path.dirname(spec.origin), "databases", name), "rb") as f:
            return f.read()
    except OSError:
        return None


@cache
def _country_rows() -> tuple[dict[str, str], ...]:
    """ISO 3166-1, a row per country (alpha_2, alpha_3, name, and official_name and
    common_name where there is one): pycountry's data file read as plain JSON, else its API."""
    raw = _database("iso3166-1.json")
    with contextlib.suppress(ValueError, KeyError, TypeError):
        if raw is not None:
            return tuple(json.loads(raw)["3166-1"])
    import pycountry

    attrs = ("alpha_2", "alpha_3", "name", "official_name", "common_name")
    return tuple({a: v for a in attrs if (v := getattr(c, a, None))} for c in pycountry.countries)


@cache
def _countries() -> dict[str, str]:
    return {c["alpha_2"]: c["name"] for c in _country_rows()}


@cache
def countries() -> tuple[str, ...]:
    """Every ISO 3166-1 alpha-2 code, sorted."""
    return tuple(sorted(_countries()))


def subdivisions_of(country: str) -> tuple[str, ...]:
    """Every ISO 3166-2 code of a country, sorted."""
    return _subdivisions_by_country().get(country, ())


@cache
def _subdivisions_by_country() -> dict[str, tuple[str, ...]]:
    by_country: dict[str, list[str]] = defaultdict(list)
    for code in _subdivision_names():
        by_country[country_of(code)].append(code)
    return {country: tuple(sorted(codes)) for country, codes in by_country.items()}


@cache
def _subdivision_names() -> dict[str, str]:
    """ISO 3166-2 code → name: pycountry's data file read as plain JSON (a third of the time of
    building its 5,000 objects), kept in the on-disk cache keyed by the file's bytes (parsing
    it was the largest part of reading a spec), else pycountry's API."""
    raw = _database("iso3166-2.json")
    if raw is not None:
        key = [b"iso3166-2 code to name\0", raw]
        cached = load_cached(key)
        if isinstance(cached, dict):
            return cached
        with contextlib.suppress(ValueError, KeyError, TypeError):
            names = {entry["code"]: entry["name"] for entry in json.loads(raw)["3166-2"]}
            store_cached(key, names)
            return names
    import pycountry

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

# Accepted silently: each means exactly one ISO code wherever it is written.
ALIASES: dict[str, str] = {"UK": "GB", "EL": "GR", "USA": "US", "U.S.": "US", "U.S.A.": "US"}


def _fold(text: str) -> str:
    """Case, accents and punctuation folded: `Québec` → `quebec`, `Korea, Republic of` →
    `korea republic of`."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join("".join(ch if ch.isalnum() else " " for ch in plain.casefold()).split())


def _key_table() -> tuple[str, str]:
    """Upper-case accented Latin letters and their plain letters, then combining marks (which
    are dropped): the same table in Python and in SQL's `translate`."""
    extra = {"Ø": "O", "Ł": "L", "Đ": "D", "Ħ": "H", "Ŧ": "T", "Ð": "D", "Þ": "TH"}
    src, dst = [], []
    for cp in range(0xC0, 0x250):
        ch = chr(cp)
        if not ch.isupper():
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        base = extra.get(ch, base)
        if len(base) == 1 and base.isascii() and base != ch:
            src.append(ch)
            dst.append(base)
    marks = [chr(cp) for cp in range(0x300, 0x370)]
    return "".join(src) + "".join(marks), "".join(dst)


KEY_FROM, KEY_TO = _key_table()
_KEY = str.maketrans(KEY_FROM[: len(KEY_TO)], KEY_TO, KEY_FROM[len(KEY_TO) :])


def subdivision_key(value: str) -> str:
    """A subdivision value as the user-table SQL compares it: trimmed, upper-cased, accents
    removed (`translate(upper(trim(x)), KEY_FROM, KEY_TO)`)."""
    return value.strip().upper().translate(_KEY)


@cache
def subdivision_forms(country: str) -> dict[str, str]:
    """Every way a user table may write a subdivision of `country` (as `subdivision_key`
    makes it) → its ISO 3166-2 code: `CA`, `US-CA`, `CALIFORNIA`. Codes win over names; a
    name two subdivisions share is left out (it stays unknown rather than guessed)."""
    forms: dict[str, str] = {}
    for code in subdivisions_of(country):
        forms[code] = code
        forms.setdefault(code.split("-", 1)[1], code)
    names: dict[str, set[str]] = defaultdict(set)
    for code in subdivisions_of(country):
        names[subdivision_key(_subdivision_names()[code])].add(code)
    for key, codes in sorted(names.items()):
        if len(codes) == 1 and key not in forms:
            forms[key] = next(iter(codes))
    return forms


def subdivision_code(country: str, value: str) -> str | None:
    """The ISO 3166-2 code a user table means by `value` beside `country` (a code, the part
    after the dash, or the subdivision's name in any case, with or without accents); None when
    it names no subdivision of that country.

    >>> subdivision_code("US", "CALIFORNIA"), subdivision_code("CA", "Québec"), subdivision_code("US", "Ontario")
    ('US-CA', 'CA-QC', None)
    """
    return subdivision_forms(country).get(subdivision_key(value))


@cache
def _name_index() -> dict[str, tuple[str, ...]]:
    """Folded name → codes (countries first): countries' name, official and common names,
    and subdivisions' names."""
    found: dict[str, set[str]] = defaultdict(set)
    for c in _country_rows():
        for attr in ("name", "official_name", "common_name"):
            if name := c.get(attr):
                found[_fold(name)].add(c["alpha_2"])
    for code, name in _subdivision_names().items():
        found[_fold(name)].add(code)
    return {k: tuple(sorted(v, key=_code_order)) for k, v in found.items()}


def _code_order(code: str) -> tuple[bool, str]:
    return ("-" in code, code)


@cache
def _alpha_3() -> dict[str, str]:
    return {c["alpha_3"]: c["alpha_2"] for c in _country_rows()}


def _ranked(text: str, country: str | None = None) -> list[tuple[int, str]]:
    """(rank, code) for what `text` may mean, best first: 0 an exact code, 1 an alias or
    alpha-3 code, 2 an exact name, 3 a name prefix, 4 a fuzzy match, 5 a code close in spelling.
    With `country`, only that country's subdivisions."""
    code = text.strip().upper()
    folded = _fold(text)
    out: list[tuple[int, str]] = []

    def ok(c: str) -> bool:
        return country is None or (country_of(c) == country and "-" in c)

    if country is not None:
        if (hit := subdivision_code(country, text)) and hit.upper() != code:
            out.append((2, hit))
        elif hit:
            out.append((0, hit))
    elif code in groups() or code in _countries() or code in _subdivision_names():
        out.append((0, code))
    if country is None:
        if code in ALIASES:
            out.append((1, ALIASES[code]))
        if code in _alpha_3():
            out.append((1, _alpha_3()[code]))
        # `US-California`: a subdivision named after the country's code
        hit = subdivision_code(country_of(code), code.split("-", 1)[1]) if "-" in code else None
        if hit:
            out.append((2, hit))
    if folded:
        out.extend((2, c) for c in _name_index().get(folded, ()) if ok(c))
        if len(folded) >= 3:
            prefixed = sorted(
                (c for name, codes in _name_index().items() if name.startswith(folded) for c in codes if ok(c)),
                key=lambda c: (_code_order(c)[0], len(name_of(c)), c),
            )
            out.extend((3, c) for c in prefixed[:5])
        if country is None and len(folded) >= 3:
            import pycountry  # its fuzzy search, for a name that matched nothing exactly

            with contextlib.suppress(LookupError):
                out.extend((4, c.alpha_2) for c in pycountry.countries.search_fuzzy(text.strip())[:3])
        pool = {_fold(name): c for c, name in sorted(_subdivision_names().items(), key=lambda kv: kv[0]) if ok(c)}
        close = difflib.get_close_matches(folded, list(pool), n=3, cutoff=0.85 if country is None else 0.75)
        out.extend((4, pool[name]) for name in close)
    if not out:
        pool_codes = list(subdivisions_of(country)) if country else list(_all_codes())
        if country is None and "-" in code:
            pool_codes = list(subdivisions_of(country_of(code))) or pool_codes
        if guess := suggest(code, pool_codes):
            out.append((5, guess))
    seen: set[str] = set()
    ranked = []
    for rank, c in out:
        if c not in seen:
            seen.add(c)
            ranked.append((rank, c))
    return ranked


def suggestions(text: str, country: str | None = None, limit: int = 5) -> list[str]:
    """Codes `text` may mean, best first (see `_ranked`); with `country`, only its subdivisions.

    >>> suggestions("California")[0], suggestions("Great Britain")[0], suggestions("Quebec")[0]
    ('US-CA', 'GB', 'CA-QC')
    """
    return [c for _, c in _ranked(text, country)][:limit]


def _suggestion_text(text: str, country: str | None = None) -> str | None:
    """The hint for an unknown value: the best code with its name, and any other code just
    as good by exact code or name (`Georgia`: GE (Georgia) or US-GA (Georgia))."""
    ranked = _ranked(text, country)
    if not ranked:
        return None
    first = ranked[0][0]
    best = [c for rank, c in ranked if rank == first][:3] if first <= 2 else [ranked[0][1]]
    return " or ".join(f"{c} ({name_of(c)})" for c in best)


def check_code(value: object) -> str:
    """Validate and normalise one code; raise `InvalidValue` (a ValueError) with a suggestion
    when unknown. Aliases (`UK`, `EL`, `USA`) are normalised; a name is an error whose
    suggestion is the code it most likely means."""
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
    if code in ALIASES:
        return ALIASES[code]
    raise InvalidValue(
        f"unknown region code {value!r}",
        code="unknown_region",
        valid=REGION_HELP + f" ({', '.join(sorted(groups()))})",
        suggestion=_suggestion_text(value),
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
    """Groups, countries and subdivisions matching `query`, best first: the exact code (a
    country's own subdivisions right after it), an alias or alpha-3 code, an exact name, a
    name or code prefix, a name substring. Without a query: every group and country.

    >>> [r["code"] for r in search("UK")][:2], search("California")[0]["code"]
    (['GB', 'UA'], 'US-CA')
    """
    today = dt.date.today()

    def row(code: str) -> dict[str, object]:
        if code in groups():
            grp = groups()[code]
            current = sorted(m for m, spans in grp.members.items() if any(today in s for s in spans))
            return {"code": code, "name": grp.name, "kind": "group", "members": current}
        if "-" in code:
            return {"code": code, "name": name_of(code), "kind": "subdivision", "country": country_of(code)}
        member_of = sorted(g for g, grp in groups().items() if any(today in s for s in grp.members.get(code, ())))
        return {
            "code": code,
            "name": name_of(code),
            "kind": "country",
            "groups": member_of,
            "subdivisions": len(subdivisions_of(code)),
        }

    if not query or not query.strip():
        return [row(c) for c in sorted(groups())] + [row(c) for c in sorted(_countries())]
    code = query.strip().upper()
    folded = _fold(query)
    rank: dict[str, tuple[int, int]] = {}

    def add(c: str, r: int, within: int = 0) -> None:
        if c not in rank or rank[c] > (r, within):
            rank[c] = (r, within)

    if code in groups() or code in _countries() or code in _subdivision_names():
        add(code, 0)
        if code in _countries():
            for sub in subdivisions_of(code):
                add(sub, 0, 1)
    if code in ALIASES:
        add(ALIASES[code], 1)
    if code in _alpha_3():
        add(_alpha_3()[code], 1)
    names: list[tuple[str, str]] = [(_fold(g.name), c) for c, g in groups().items()]
    names += [(n, c) for n, codes in _name_index().items() for c in codes]
    for name, c in names:
        if not folded:
            break
        if name == folded:
            add(c, 2)
        elif name.startswith(folded):
            add(c, 3)
        elif len(folded) >= 3 and folded in name:
            add(c, 4)
    for c in (*groups(), *_countries(), *_subdivision_names()):
        if c.startswith(code) and c != code:
            add(c, 3, 1)
    order = sorted(rank, key=lambda c: (*rank[c], _code_order(c)))
    return [row(c) for c in order]


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
