"""`jurisdiction rules lint`: mistakes a valid rule library can still hold.

Each finding has a code, the file and line, and a message:

- `no-pinpoint`: a citation names no article or section (no number in it);
- `not-https`: a source URL that is not https;
- `unofficial-url`: a source URL (of the law, a rule, a parameter or one of its values) on a
  host that is not an official publisher's (the library's `sources.yaml`): a legislature,
  official journal, gazette, legislation portal or regulator;
- `unreachable`: a rule no practice can reach (its condition never holds, or its dates fall
  outside the law's);
- `contradiction`: two rules of one law that can apply to the same practice at the same time
  but cannot both be met (e.g. one is met only by opt-in, the other only without a choice);
- `no-tests`: a law without a tests file;
- `version-gap` / `version-overlap` / `version-missing`: a rule that `replaces` another does not
  take over the day after the earlier one ends;
- `unverified` (information, not an error): points not checked against the primary text,
  counted per law.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from jurisdiction.law.compiler import Literal, ParamRef
from jurisdiction.law.rulebook import Law, RuleBook
from jurisdiction.law.rulefile import ParamValue, Rule
from jurisdiction.vocabulary.regions import FOREVER, Interval

__all__ = ["Finding", "lint", "official", "satisfiable"]


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    code: str
    message: str
    level: str = "error"  # error | info

    def render(self) -> str:
        return f"{self.file}:{self.line}: {self.code}: {self.message}"


def satisfiable(lits: Iterable[Literal]) -> bool:
    """Whether some practice can make all these literals hold (unknown facts taken as known)."""
    members: dict[tuple[str, object], bool] = {}
    equal: dict[str, object] = {}
    unequal: dict[str, set[object]] = {}
    low: dict[str, tuple[float, bool]] = {}  # fact -> (bound, strict)
    high: dict[str, tuple[float, bool]] = {}
    for lit in lits:
        if isinstance(lit.value, ParamRef):
            continue  # depends on the jurisdiction's value: assume it can hold
        if lit.op in ("has", "lacks"):
            want = lit.op == "has"
            if members.setdefault((lit.fact, lit.value), want) != want:
                return False
        elif lit.op == "eq":
            if lit.fact in equal and equal[lit.fact] != lit.value:
                return False
            equal[lit.fact] = lit.value
        elif lit.op == "ne":
            unequal.setdefault(lit.fact, set()).add(lit.value)
        elif isinstance(lit.value, (int, float)) and not isinstance(lit.value, bool):
            bound = float(lit.value)
            if lit.op in ("gt", "ge"):
                strict = lit.op == "gt"
                cur = low.get(lit.fact)
                if cur is None or bound > cur[0] or (bound == cur[0] and strict):
                    low[lit.fact] = (bound, strict)
            else:
                strict = lit.op == "lt"
                cur = high.get(lit.fact)
                if cur is None or bound < cur[0] or (bound == cur[0] and strict):
                    high[lit.fact] = (bound, strict)
    for fact, value in equal.items():
        if value in unequal.get(fact, set()):
            return False
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            below, above = low.get(fact), high.get(fact)
            if below and (value < below[0] or (value == below[0] and below[1])):
                return False
            if above and (value > above[0] or (value == above[0] and above[1])):
                return False
    for fact in set(low) & set(high):
        (floor, floor_strict), (ceiling, ceiling_strict) = low[fact], high[fact]
        if floor > ceiling or (floor == ceiling and (floor_strict or ceiling_strict)):
            return False
    return True


def _period(law: Law, rule: Rule) -> Interval | None:
    law_start = min(entry.from_ for entry in law.spec.law.applies)
    ends = [entry.to for entry in law.spec.law.applies]
    law_end = FOREVER if any(e is None for e in ends) else max(e for e in ends if e is not None)
    own = Interval(rule.from_ or law_start, rule.to or FOREVER)
    return own & Interval(law_start, law_end)


def _line(law: Law, *path: str | int) -> int:
    line, _ = law.document().locate(tuple(path))
    return line or 1


def official(url: str, hosts: Iterable[str]) -> bool:
    """Whether `url` is on one of `hosts` or a subdomain of one.

    >>> official("https://www.cga.ct.gov/current/pub/chap_743jj.htm", ["cga.ct.gov"])
    True
    >>> official("https://www.mondaq.com/x", ["cga.ct.gov"])
    False
    """
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in hosts)


def _pinpoint(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def lint(book: RuleBook, tested: Iterable[str] = ()) -> list[Finding]:
    """Every finding in the book. `tested`: law ids that have a tests file."""
    out: list[Finding] = []
    has_tests = set(tested)
    for law in book.laws:
        out.extend(_lint_law(book, law, law.id in has_tests))
    return sorted(out)


def _lint_law(book: RuleBook, law: Law, has_tests: bool) -> list[Finding]:
    out: list[Finding] = []
    spec = law.spec
    if not _pinpoint(spec.law.citation):
        out.append(
            Finding(
                law.path,
                _line(law, "law", "citation"),
                "no-pinpoint",
                f"the law's citation {spec.law.citation!r} names no article or section",
            )
        )
    if not has_tests:
        out.append(
            Finding(
                law.path,
                _line(law, "law", "id"),
                "no-tests",
                f"law {law.id} has no tests file (rules/<law>/tests.yaml)",
            )
        )
    urls: list[tuple[tuple[str | int, ...], str]] = [(("law", "url"), str(spec.law.url))]
    urls += [(("rules", i, "url"), str(r.url)) for i, r in enumerate(spec.rules)]
    urls += [(("law", "applies", j, "url"), str(a.url)) for j, a in enumerate(spec.law.applies) if a.url is not None]
    for name, param in spec.parameters.items():
        if param.url is not None:
            urls.append((("parameters", name, "url"), str(param.url)))
        for code, entry in param.values.items():
            for j, value in enumerate(entry if isinstance(entry, list) else [entry]):
                if value.url is not None:
                    where: tuple[str | int, ...] = ("parameters", name, "values", code)
                    urls.append(((*where, j, "url") if isinstance(entry, list) else (*where, "url"), str(value.url)))
    for path, url in urls:
        if not url.startswith("https://"):
            out.append(Finding(law.path, _line(law, *path), "not-https", f"source URL {url} is not https"))
        if book.official_hosts and not official(url, book.official_hosts):
            out.append(
                Finding(
                    law.path,
                    _line(law, *path),
                    "unofficial-url",
                    f"source URL {url} is not on an official publisher's host (sources.yaml); cite the law "
                    "itself and name a secondary source in `uncertain`",
                )
            )
    by_id = {r.id: (i, r) for i, r in enumerate(spec.rules)}
    periods: dict[str, Interval | None] = {r.id: _period(law, r) for r in spec.rules}
    for i, rule in enumerate(spec.rules):
        rid = f"{law.id}/{rule.id}"
        if not _pinpoint(rule.citation):
            out.append(
                Finding(
                    law.path,
                    _line(law, "rules", i, "citation"),
                    "no-pinpoint",
                    f"{rid}: citation {rule.citation!r} names no article or section",
                )
            )
        cond = book.conditions[rid]
        if periods[rule.id] is None:
            out.append(
                Finding(
                    law.path,
                    _line(law, "rules", i),
                    "unreachable",
                    f"{rid}: its dates ({rule.from_ or 'from the start'} to {rule.to or 'open'}) "
                    "fall outside the law's",
                )
            )
        elif not any(satisfiable(conj) for conj in cond.disjuncts):
            out.append(
                Finding(
                    law.path,
                    _line(law, "rules", i, "when"),
                    "unreachable",
                    f"{rid}: no practice can make its condition hold",
                )
            )
        if rule.replaces is not None:
            out.extend(_version(law, i, rule, by_id))
    out.extend(_contradictions(book, law, periods))
    unverified = _unverified(law)
    if unverified:
        out.append(
            Finding(
                law.path,
                _line(law, "law", "id"),
                "unverified",
                f"{law.id}: {len(unverified)} point(s) not checked against the primary text: " + "; ".join(unverified),
                level="info",
            )
        )
    return out


def _version(law: Law, i: int, rule: Rule, by_id: dict[str, tuple[int, Rule]]) -> list[Finding]:
    rid = f"{law.id}/{rule.id}"
    here = _line(law, "rules", i, "replaces")
    if rule.replaces not in by_id:
        return [Finding(law.path, here, "version-missing", f"{rid} replaces `{rule.replaces}`, which this law lacks")]
    _, old = by_id[rule.replaces]
    if old.to is None or rule.from_ is None:
        return [
            Finding(
                law.path,
                here,
                "version-overlap",
                f"{rid} replaces {rule.replaces}, but "
                + ("the old rule has no `to`" if old.to is None else "it has no `from`")
                + ": both would apply at once",
            )
        ]
    gap = (rule.from_ - old.to).days
    if gap > 1:
        return [
            Finding(
                law.path,
                here,
                "version-gap",
                f"{rid} starts {rule.from_}, but {rule.replaces} ended {old.to}: {gap - 1} day(s) uncovered",
            )
        ]
    if gap < 1:
        return [
            Finding(
                law.path,
                here,
                "version-overlap",
                f"{rid} starts {rule.from_}, but {rule.replaces} runs to {old.to}: {1 - gap} day(s) covered twice",
            )
        ]
    return []


def _contradictions(book: RuleBook, law: Law, periods: dict[str, Interval | None]) -> list[Finding]:
    out = []
    rules = list(enumerate(law.spec.rules))
    for (_, a), (j, b) in itertools.combinations(rules, 2):
        pa, pb = periods[a.id], periods[b.id]
        if pa is None or pb is None or not (pa & pb) or a.done is None or b.done is None:
            continue
        if a.done.when is None or b.done.when is None:
            continue
        ca, cb = book.conditions[f"{law.id}/{a.id}"], book.conditions[f"{law.id}/{b.id}"]
        if not any(satisfiable((*x, *y)) for x in ca.disjuncts for y in cb.disjuncts):
            continue  # never apply to the same practice
        da, db = book.conditions[f"{law.id}/{a.id}#done"], book.conditions[f"{law.id}/{b.id}#done"]
        if any(satisfiable((*x, *y)) for x in da.disjuncts for y in db.disjuncts):
            continue  # some practice meets both
        out.append(
            Finding(
                law.path,
                _line(law, "rules", j),
                "contradiction",
                f"{law.id}/{a.id} and {law.id}/{b.id} can apply to the same practice, but no practice can meet both",
            )
        )
    return out


def _unverified(law: Law) -> list[str]:
    found = []
    if not law.spec.law.verified:
        found.append("the law's scope or dates")
    found.extend(f"rule {r.id}" for r in law.spec.rules if not r.verified)
    for name, param in law.spec.parameters.items():
        for code, entry in sorted(param.values.items()):
            values: Sequence[ParamValue] = entry if isinstance(entry, list) else [entry]
            found.extend(
                f"{name} for {code}" + (f" from {v.from_}" if v.from_ else "") for v in values if not v.verified
            )
    return found
