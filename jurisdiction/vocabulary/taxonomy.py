"""fideslang's default taxonomy (a committed snapshot) plus the project's documented sub-keys.

Keys match hierarchically: a rule written on `user.health_and_medical` matches a spec that
names `user.health_and_medical.genetic`, because a spec's keys are closed upward (each key
brings its ancestors) before matching.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal

__all__ = ["KINDS", "KIND_WORDS", "Taxonomy", "TaxonomyEntry", "TaxonomyKind", "list_terms", "taxonomy"]

TaxonomyKind = Literal["data_category", "data_use", "data_subject"]
KINDS: tuple[TaxonomyKind, ...] = ("data_category", "data_use", "data_subject")
# the short word for each kind, as `jurisdiction taxonomy --kind` takes it
KIND_WORDS: dict[str, TaxonomyKind] = {"category": "data_category", "use": "data_use", "subject": "data_subject"}


@dataclass(frozen=True)
class TaxonomyEntry:
    key: str
    name: str
    parent: str | None
    description: str
    origin: str


@dataclass(frozen=True)
class Taxonomy:
    terms: dict[TaxonomyKind, dict[str, TaxonomyEntry]]
    source: str
    _closures: dict[tuple[str, tuple[str, ...]], frozenset[str]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def keys(self, kind: TaxonomyKind) -> dict[str, TaxonomyEntry]:
        return self.terms[kind]

    def knows(self, kind: TaxonomyKind, key: str) -> bool:
        return key in self.terms[kind]

    def ancestors(self, kind: TaxonomyKind, key: str) -> tuple[str, ...]:
        """`key` and every parent up to the root, nearest first."""
        out = []
        probe: str | None = key
        table = self.terms[kind]
        while probe is not None:
            out.append(probe)
            term = table.get(probe)
            probe = term.parent if term else None
        return tuple(out)

    def closure(self, kind: TaxonomyKind, keys: Iterable[str]) -> frozenset[str]:
        """Every key given, with all its ancestors (kept for the last few thousand key lists)."""
        probe = (kind, tuple(keys))
        found = self._closures.get(probe)
        if found is None:
            out: set[str] = set()
            for key in probe[1]:
                out.update(self.ancestors(kind, key))
            found = frozenset(out)
            if len(self._closures) >= 4096:
                self._closures.clear()
            self._closures[probe] = found
        return found

    def covers(self, kind: TaxonomyKind, general: Iterable[str], key: str) -> bool:
        """True when `key` equals or falls under one of `general`."""
        chain = set(self.ancestors(kind, key))
        return any(g in chain for g in general)


def _read(name: str) -> dict[str, object]:
    text = resources.files("jurisdiction.vocabulary").joinpath("data", name).read_text(encoding="utf-8")
    loaded: dict[str, object] = json.loads(text)
    return loaded


@cache
def taxonomy() -> Taxonomy:
    """The taxonomy in use: fideslang's default plus the project's sub-keys."""
    base = _read("fideslang_taxonomy.json")
    ext = _read("taxonomy_extensions.json")
    terms: dict[TaxonomyKind, dict[str, TaxonomyEntry]] = {}
    for kind in KINDS:
        table: dict[str, TaxonomyEntry] = {}
        for origin, blob in (("fideslang", base), ("jurisdiction", ext)):
            rows = blob.get(kind, [])
            assert isinstance(rows, list)
            for row in rows:
                table[row["key"]] = TaxonomyEntry(
                    row["key"], row["name"], row.get("parent"), row.get("description") or "", origin
                )
        terms[kind] = table
    return Taxonomy(terms=terms, source=str(base["source"]))


def list_terms(query: str | None = None, kinds: Iterable[TaxonomyKind] = KINDS) -> list[dict[str, str | None]]:
    """Every key of `kinds` (data categories, uses, subjects) with its name, parent, description
    and origin (`fideslang` or `jurisdiction`), sorted by kind then key. With `query`, only the
    keys that start with it or contain it, or whose name or description contains it (any case).

    >>> [row["key"] for row in list_terms("genetic", ["data_category"])]
    ['user.health_and_medical.genetic']
    """
    needle = (query or "").strip().lower()
    wanted = set(kinds)
    tax = taxonomy()
    rows: list[dict[str, str | None]] = []
    for kind in KINDS:
        if kind not in wanted:
            continue
        for key in sorted(tax.terms[kind]):
            term = tax.terms[kind][key]
            if needle and not any(needle in text.lower() for text in (term.key, term.name, term.description)):
                continue
            rows.append(
                {
                    "kind": kind,
                    "key": term.key,
                    "name": term.name,
                    "parent": term.parent,
                    "description": term.description,
                    "origin": term.origin,
                }
            )
    return rows
