"""What every engine shares: the fact sets it is given, the matches it answers, and the
`Engine` protocol."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Engine", "FactSet", "Matches"]

Matches = dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class FactSet:
    """The facts of one (law, group of jurisdictions) evaluation. Unknown facts are absent;
    parameters appear as `param:<name>`.

    `shared`, when given, is the practice's own facts: `values` is `shared` plus only
    `param:*` entries and per-jurisdiction facts (`consumers_here`). Fact sets of one `match`
    call with the same `shared` object agree on every other fact, so an engine may test a
    literal over those facts once for all of them."""

    law: str
    values: Mapping[str, Any]
    shared: Mapping[str, Any] | None = None


class Engine(Protocol):
    name: str

    def match(self, factsets: Sequence[FactSet]) -> list[Matches]:
        """For each fact set: condition id → indexes of the conjunctions that hold (only
        conditions with at least one)."""
        ...
