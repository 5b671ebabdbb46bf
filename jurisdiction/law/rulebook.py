"""Load a rule library: every law file under a folder, strictly validated and compiled.

>>> book = RuleBook.load()          # the library shipped with the package
>>> "eu-gdpr" in book.law_ids
True
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jurisdiction._version import __version__
from jurisdiction.cache import load_cached, store_cached
from jurisdiction.errors import InputError, Problem, RuleError
from jurisdiction.law.casefiles import test_file_problems
from jurisdiction.law.compiler import CompiledCondition, compile_file
from jurisdiction.law.coverage import Coverage, CoverageFile, JurisdictionCoverage
from jurisdiction.law.rulefile import Parameter, ParamValue, Rule, RuleFile, TestFile
from jurisdiction.reading.loading import Document, parse_bytes, read_file
from jurisdiction.reading.validate import validate_model
from jurisdiction.vocabulary.regions import Interval, country_of, membership

__all__ = ["Law", "RuleBook", "default_rules_dir"]

TEST_SUFFIXES = ("tests.yaml", "tests.yml")
COVERAGE_FILE = "coverage.yaml"  # at the library's root: what it covers besides its laws (law/coverage.py)
SOURCES_FILE = "sources.yaml"  # at the library's root: the official publishers' hosts (rules lint)


def default_rules_dir() -> Path:
    """The library shipped in the wheel (`jurisdiction/_rules`), or `rules/` in a checkout."""
    here = Path(__file__).resolve().parents[1]  # the package
    for candidate in (here / "_rules", here.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise RuleError(
        [
            Problem(
                "the default rule library is missing from this installation",
                file=str(here / "_rules"),
                suggestion="reinstall jurisdiction, or pass --rules DIR",
            )
        ]
    )


@dataclass(frozen=True)
class Law:
    """One loaded law file."""

    spec: RuleFile
    path: str
    # the parsed file, for line numbers; None in a book from the cache (`document()` reads it again)
    doc: Document | None = field(repr=False, compare=False)
    file: str = field(default="", repr=False, compare=False)  # where it was read from
    _spans: dict[str, tuple[Interval, ...]] = field(default_factory=dict, repr=False, compare=False)
    _profiles: dict[str, tuple[Any, ...]] = field(default_factory=dict, repr=False, compare=False)
    _timelines: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _changes: dict[str, tuple[dt.date, ...]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.spec.law.id

    def document(self) -> Document:
        """The parsed law file, for line numbers (read again when the book came from the cache)."""
        if self.doc is not None:
            return self.doc
        return parse_bytes(read_file(Path(self.file), self.path), self.path)

    @cached_property
    def rules_by_id(self) -> dict[str, Rule]:
        """Global rule id (`law/rule`) → rule."""
        return {f"{self.id}/{rule.id}": rule for rule in self.spec.rules}

    def rule(self, rule_id: str) -> Rule:
        """A rule of this law by its global id (`law/rule`)."""
        return self.rules_by_id[rule_id]

    def summary(self) -> dict[str, Any]:
        """The law as `rules list --format json` and `GET /v1/rules` show it (plain JSON data)."""
        info = self.spec.law
        return {
            "id": self.id,
            "title": info.title,
            "citation": info.citation,
            "url": str(info.url),
            "applies": [
                {"in": e.in_, "from": e.from_.isoformat(), "to": e.to.isoformat() if e.to else None}
                for e in info.applies
            ],
            "rules": list(self.rules_by_id),
            "verified": info.verified,
            "unverified_rules": sum(1 for r in self.spec.rules if not r.verified),
        }

    @cached_property
    def own_codes(self) -> frozenset[str]:
        """The codes the law names itself (not through a country or a group)."""
        return frozenset(code for entry in self.spec.law.applies for code in entry.in_)

    @cached_property
    def windows(self) -> tuple[tuple[str, Interval], ...]:
        """(scope code, interval) pairs: where and when the law applies."""
        from jurisdiction.vocabulary.regions import FOREVER

        out: list[tuple[str, Interval]] = []
        for entry in self.spec.law.applies:
            span = Interval(entry.from_, entry.to or FOREVER)
            out.extend((code, span) for code in entry.in_)
        return tuple(out)

    def spans(self, code: str) -> tuple[Interval, ...]:
        """When the law applies to `code` (a country or subdivision), merged and sorted; cached."""
        found = self._spans.get(code)
        if found is None:
            raw = sorted(
                both
                for scope, span in self.windows
                for member in membership(code, scope)
                if (both := member & span) is not None
            )
            merged: list[Interval] = []
            for span in raw:
                if merged and span.start <= merged[-1].end + dt.timedelta(days=1):
                    merged[-1] = Interval(merged[-1].start, max(merged[-1].end, span.end))
                else:
                    merged.append(span)
            found = self._spans[code] = tuple(merged)
        return found

    def profile(self, code: str) -> tuple[Any, ...]:
        """What decides this law's answer for `code` besides the practice: when it applies there,
        and which parameter entries it reads. Codes with one profile are evaluated once."""
        found = self._profiles.get(code)
        if found is None:
            entries = []
            for name, spec in self.spec.parameters.items():
                entry = next((spec.values[p] for p in (code, country_of(code)) if p in spec.values), None)
                entries.append((name, id(entry)))
            found = self._profiles[code] = (self.spans(code), tuple(entries))
        return found

    def params_on(self, code: str, on: dt.date) -> tuple[tuple[str, Any], ...]:
        """Every parameter's value for `code` on a day, as (`param:<name>`, value) pairs, the
        facts the law's conditions read. Cached per code: the values only change on the days
        `param_changes` gives."""
        timeline = self._timelines.get(code)
        if timeline is None:
            days = (dt.date.min, *self.param_changes(code))
            timeline = self._timelines[code] = (
                days,
                tuple(
                    tuple((f"param:{name}", self.param(name, code, day)) for name in self.spec.parameters)
                    for day in days
                ),
            )
        days, values = timeline
        return values[bisect.bisect_right(days, on) - 1]

    def param_changes(self, code: str) -> tuple[dt.date, ...]:
        """Days on which a parameter's value for `code` changes; cached."""
        found = self._changes.get(code)
        if found is None:
            found = self._changes[code] = self._param_changes(code)
        return found

    def _param_changes(self, code: str) -> tuple[dt.date, ...]:
        days: set[dt.date] = set()
        for spec in self.spec.parameters.values():
            for probe in (code, country_of(code)):
                entry = spec.values.get(probe)
                if entry is not None:
                    for value in entry if isinstance(entry, list) else [entry]:
                        if value.from_ is not None:
                            days.add(value.from_)
                    break
        return tuple(sorted(days))

    def param(self, name: str, code: str, on: dt.date) -> Any:
        """A parameter's value for a jurisdiction on a day (the code, then its country, then the default)."""
        spec: Parameter = self.spec.parameters[name]
        for probe in (code, country_of(code)):
            entry = spec.values.get(probe)
            if entry is None:
                continue
            values = entry if isinstance(entry, list) else [entry]
            current: ParamValue | None = None
            for value in sorted(values, key=lambda v: v.from_ or dt.date.min):
                if value.from_ is None or value.from_ <= on:
                    current = value
            if current is not None:
                return current.value
        return spec.default

    def unverified_params(self, code: str, on: dt.date) -> frozenset[str]:
        """The parameters whose value for `code` on a day was not checked against the primary
        text (`verified: false`): an answer that reads one is not verified either."""
        out = set()
        for name, spec in self.spec.parameters.items():
            for probe in (code, country_of(code)):
                entry = spec.values.get(probe)
                if entry is None:
                    continue
                values = entry if isinstance(entry, list) else [entry]
                current = [v for v in values if v.from_ is None or v.from_ <= on]
                if current and not max(current, key=lambda v: v.from_ or dt.date.min).verified:
                    out.add(name)
                break
        return frozenset(out)

    def param_source(self, name: str, code: str) -> ParamValue | Parameter:
        spec = self.spec.parameters[name]
        for probe in (code, country_of(code)):
            entry = spec.values.get(probe)
            if entry is not None:
                return entry[-1] if isinstance(entry, list) else entry
        return spec


def _library_files(root: Path) -> list[Path]:
    """The YAML and JSON files under `root`, sorted, but for those in folders whose name starts
    with `.` or `_` (`os.walk`: a fifth of the time of `Path.rglob`, paid at every run)."""
    found: list[Path] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [s for s in subfolders if not s.startswith((".", "_"))]
        found += [Path(folder, n) for n in names if n.endswith((".yaml", ".yml", ".json"))]
    return sorted(p for p in found if p.is_file())


@dataclass(frozen=True)
class RuleBook:
    """An immutable, compiled rule library. Safe to share between threads."""

    root: str
    laws: tuple[Law, ...]
    conditions: Mapping[str, CompiledCondition]
    tests: tuple[tuple[str, TestFile, Document], ...] = ()
    revision: str = ""
    coverage: Coverage = field(default_factory=Coverage, compare=False)
    official_hosts: Mapping[str, str] = field(default_factory=dict, compare=False)  # host → publisher
    # Answers worked out on first use, one entry per law or per jurisdiction code (so bounded
    # by the library and ISO 3166): which facts a law tests, which laws ever reach a code.
    _facts_used: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)
    _laws_for: dict[str, tuple[tuple[Law, tuple[Interval, ...]], ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def load(cls, path: Path | str | None = None, *, with_tests: bool = False) -> RuleBook:
        """Load, validate and compile every law file under `path` (default: the shipped library),
        and with `with_tests` the YAML test files beside them too.
        Raises `RuleError` listing every problem in every file."""
        root = Path(path) if path is not None else default_rules_dir()
        if not root.exists():
            raise RuleError([Problem("no such rule folder", file=str(root))])
        files = [root] if root.is_file() else _library_files(root)
        problems: list[Problem] = []
        blobs: list[tuple[Path, str, bytes]] = []
        for file in files:
            if file.name.endswith(TEST_SUFFIXES) and not with_tests:
                continue
            shown = str(file if root.is_file() else file.relative_to(root.parent) if root.parent != file else file)
            try:
                blobs.append((file, shown, read_file(file, shown)))
            except InputError as exc:
                problems.extend(exc.problems)
        # the same files, bytes and place (shown paths name it) give the same book: built once
        key = [str(root.resolve()).encode(), b"tests" if with_tests else b""]
        key += [shown.encode() + b"\0" + blob for _, shown, blob in blobs]
        cached = None if problems else load_cached(key)
        if isinstance(cached, RuleBook):
            return cached
        laws: list[Law] = []
        tests: list[tuple[str, TestFile, Document]] = []
        coverage = Coverage()
        hosts: dict[str, str] = {}
        digest = hashlib.sha256()
        for file, shown, blob in blobs:
            try:
                doc = parse_bytes(blob, shown)
                if file.parent == root and file.name == COVERAGE_FILE:
                    researched = validate_model(doc, CoverageFile, error=RuleError)
                    problems.extend(_duplicate_codes(researched, doc))
                    coverage = Coverage(researched.entries, researched.as_of)
                    digest.update(b"coverage\0" + blob + b"\0")  # coverage changes answers
                elif file.parent == root and file.name == SOURCES_FILE:
                    hosts = {h.host: h.publisher for h in validate_model(doc, SourcesFile, error=RuleError).hosts}
                elif file.name.endswith(TEST_SUFFIXES):
                    tests.append((shown, validate_model(doc, TestFile, error=RuleError), doc))
                else:
                    laws.append(Law(validate_model(doc, RuleFile, error=RuleError), shown, doc, str(file)))
                    # the revision names the laws' content only, wherever the library lies: tests
                    # do not change answers, and neither does the folder's path
                    inside = file.name if root.is_file() else file.relative_to(root).as_posix()
                    digest.update(inside.encode() + b"\0" + blob + b"\0")
            except InputError as exc:  # the reader's and the validator's problems, with their places
                problems.extend(exc.problems)
        if not laws and not problems:
            problems.append(
                Problem("no law files found", file=str(root), valid="one folder per law, each with a law.yaml")
            )
        conditions: dict[str, CompiledCondition] = {}
        seen: dict[str, str] = {}
        for law in laws:
            if law.id in seen:
                problems.append(
                    law.document().problem(("law", "id"), f"law id `{law.id}` is also used by {seen[law.id]}")
                )
                continue
            seen[law.id] = law.path
            problems.extend(_check_law(law))
            compiled, found = compile_file(law.document(), law.spec)
            problems.extend(found)
            conditions.update(compiled)
        known = {law.id: law for law in laws}
        extra = (COVERAGE_FILE, SOURCES_FILE)
        law_files_broken = len(laws) < sum(
            1 for f in files if not f.name.endswith(TEST_SUFFIXES) and not (f.parent == root and f.name in extra)
        )
        for _, test, doc in tests:
            if test.law in known:
                problems.extend(test_file_problems(test.law, [r.id for r in known[test.law].spec.rules], test, doc))
            elif not law_files_broken:  # a broken law file may be the one that defines it
                problems.append(
                    doc.problem(
                        ("law",), f"tests name law `{test.law}`, which no file defines", valid=", ".join(sorted(known))
                    )
                )
        if problems:
            raise RuleError(sorted(problems, key=lambda p: (p.file or "", p.line or 0, p.column or 0)))
        laws.sort(key=lambda law: law.id)
        revision = f"{__version__}+{digest.hexdigest()[:16]}"
        book = cls(str(root), tuple(laws), conditions, tuple(tests), revision, coverage, hosts)
        # kept without the parsed law files (half its size; line numbers are rarely asked for)
        store_cached(key, dataclasses.replace(book, laws=tuple(dataclasses.replace(law, doc=None) for law in laws)))
        return book

    @cached_property
    def law_ids(self) -> tuple[str, ...]:
        return tuple(law.id for law in self.laws)

    @cached_property
    def by_id(self) -> dict[str, Law]:
        return {law.id: law for law in self.laws}

    @cached_property
    def rules(self) -> dict[str, tuple[Law, Rule]]:
        """Global rule id (`law/rule`) → (law, rule)."""
        return {f"{law.id}/{rule.id}": (law, rule) for law in self.laws for rule in law.spec.rules}

    @cached_property
    def subdivided(self) -> frozenset[str]:
        """Countries the library distinguishes by subdivision (some law applies to a subdivision)."""
        return frozenset(country_of(code) for law in self.laws for code, _ in law.windows if "-" in code)

    def facts_used(self, law_id: str) -> frozenset[str]:
        """The facts any condition of a law tests."""
        found = self._facts_used.get(law_id)
        if found is None:
            found = self._facts_used[law_id] = frozenset(
                lit.fact for c in self.conditions.values() if c.law == law_id for conj in c.disjuncts for lit in conj
            )
        return found

    def laws_for(self, code: str) -> tuple[tuple[Law, tuple[Interval, ...]], ...]:
        """The laws that ever apply to `code`, with when (cached per code)."""
        found = self._laws_for.get(code)
        if found is None:
            found = self._laws_for[code] = tuple((law, spans) for law in self.laws if (spans := law.spans(code)))
        return found

    def coverage_status(self, code: str, law_ids: Iterable[str]) -> JurisdictionCoverage:
        """What the library covers in `code`, given the laws of it that reach `code`."""
        laws = sorted(law_ids)
        own = any(code in self.by_id[law].own_codes for law in laws)
        return self.coverage.status(code, laws, own, country_of(code) in self.subdivided)

    def only(self, law_ids: Iterable[str]) -> RuleBook:
        """A book with just these laws (used by per-law tests)."""
        keep = set(law_ids)
        laws = tuple(law for law in self.laws if law.id in keep)
        conditions = {k: v for k, v in self.conditions.items() if v.law in keep}
        return RuleBook(self.root, laws, conditions, (), self.revision, self.coverage, self.official_hosts)


class OfficialHost(BaseModel):
    """A host that publishes law: a legislature, official journal, gazette or regulator."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    host: str = Field(min_length=3, description="The host name, e.g. eur-lex.europa.eu (subdomains count too).")
    publisher: str = Field(min_length=1, description="Who publishes there, e.g. Publications Office of the EU.")


class SourcesFile(BaseModel):
    """`sources.yaml` at the root of a rule library: the official publishers' hosts."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    hosts: list[OfficialHost]


def _duplicate_codes(researched: CoverageFile, doc: Document) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for i, entry in enumerate(researched.entries):
        if entry.code in seen:
            problems.append(
                doc.problem(("entries", i, "code"), f"{entry.code} is also entry {seen[entry.code] + 1}; give it once")
            )
        seen.setdefault(entry.code, i)
    return problems


def _check_law(law: Law) -> list[Problem]:
    problems = []
    ids: dict[str, int] = {}
    for i, rule in enumerate(law.spec.rules):
        if rule.id in ids:
            problems.append(
                law.document().problem(("rules", i, "id"), f"rule id `{rule.id}` is used twice in this law")
            )
        ids[rule.id] = i
        if rule.to and rule.from_ and rule.to < rule.from_:
            problems.append(law.document().problem(("rules", i, "to"), "`to` is before `from`"))
        if rule.kind != "prohibited" and rule.done is None:
            problems.append(
                law.document().problem(
                    ("rules", i),
                    "a rule other than `prohibited` needs `done`",
                    valid="done: {on: policy_updated | policy_notified | starts} and/or done: {when: <condition>}",
                )
            )
    for j, entry in enumerate(law.spec.law.applies):
        if entry.to and entry.to < entry.from_:
            problems.append(law.document().problem(("law", "applies", j, "to"), "`to` is before `from`"))
    return problems
