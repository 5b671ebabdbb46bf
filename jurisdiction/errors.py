"""The one exception tree of `jurisdiction`.

    JurisdictionError
    ├── InputError            a file or value the user gave is wrong (exit code 2)
    │   ├── SpecError         a practice spec
    │   └── RuleError         a rule library file
    └── UsageError            the command line itself is wrong (exit code 2)

Every `InputError` carries one or more `Problem`s: a stable `code`, where (file, line,
column, field), what is wrong, what is valid and, where one fits, a "did you mean"
suggestion — as fields, so that renderers and callers read them and never parse the English.
A validator inside a model raises `InvalidValue` (a `ValueError`, as pydantic expects) with
the same fields; the validation step turns it into a `Problem`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "MAX_PROBLEMS",
    "InputError",
    "InvalidValue",
    "JurisdictionError",
    "Problem",
    "RuleError",
    "SpecError",
    "UsageError",
    "capped",
    "suggest",
]


def suggest(value: object, choices: Iterable[str], *, n: int = 1) -> str | None:
    """The closest valid choice to `value`, for a "did you mean" hint.

    >>> suggest("train_ai", ["train_ai_system", "marketing"])
    'train_ai_system'
    """
    if not isinstance(value, str):
        return None
    pool = list(choices)
    lowered = {c.lower(): c for c in pool}
    if value.lower() in lowered:
        return lowered[value.lower()]
    hits = difflib.get_close_matches(value, pool, n=n, cutoff=0.6)
    if not hits:
        hits = [c for c in pool if c.startswith(value) or value.startswith(c)][:n]
    return hits[0] if hits else None


class InvalidValue(ValueError):
    """A value a validator refuses: what is wrong (`message`), a stable `code`, what is valid,
    a suggestion, and the field a whole-model check blames (where the value is not the field's).

    >>> err = InvalidValue("unknown region code 'UK'", code="unknown_region", suggestion="GB")
    >>> err.code, err.suggestion
    ('unknown_region', 'GB')
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid_value",
        valid: str | None = None,
        suggestion: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.code, self.valid, self.suggestion, self.field = message, code, valid, suggestion, field

    def __str__(self) -> str:
        return self.message + (f"; did you mean {self.suggestion}?" if self.suggestion else "")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where it is. `code` is stable (a snake_case word such
    as `unknown_field`, `missing_field`, `wrong_type`, `unknown_key`, `yaml_syntax`); `found`
    describes what stood there when the code is `wrong_type`."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None
    value: object = None
    valid: str | None = None
    suggestion: str | None = None
    code: str = "invalid"
    found: str | None = None

    def where(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def render(self) -> str:
        """One line (or a few) that a person reads in a terminal."""
        head = self.where()
        if self.field:
            head += f": {self.field}"
        text = f"{head}: {self.message}"
        if self.valid:
            text += f"\n    valid: {self.valid}"
        if self.suggestion:
            text += f"\n    did you mean: {self.suggestion}"
        return text

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "message": self.message}
        for key in ("file", "line", "column", "field", "valid", "suggestion"):
            val = getattr(self, key)
            if val is not None:
                out[key] = val
        if self.value is not None and isinstance(self.value, (str, int, float, bool)):
            out["value"] = self.value
        return out


class JurisdictionError(Exception):
    """Base of every error this library raises on purpose."""


MAX_PROBLEMS = 50  # per file: the first ones, then a count of the rest


@dataclass(eq=False)
class InputError(JurisdictionError):
    """One input file or value has one or more problems: all of them are listed, up to
    `MAX_PROBLEMS` per file and then how many more (a file with 76,000 unknown keys once
    produced a 26 MB answer)."""

    problems: Sequence[Problem] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        self.problems = capped(self.problems)
        super().__init__(self.render())

    @property
    def best(self) -> Problem:
        """The problem to show first: the earliest in the file."""
        return sorted(self.problems, key=lambda p: (p.file or "", p.line or 0, p.column or 0))[0]

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)

    def __str__(self) -> str:
        return self.render()


def capped(problems: Iterable[Problem], more: int = 0) -> tuple[Problem, ...]:
    """The first `MAX_PROBLEMS` problems of each file, and one that counts the rest (`more`:
    problems already left out before these)."""
    kept: list[Problem] = []
    seen: dict[str | None, int] = {}
    dropped: dict[str | None, int] = {}
    for problem in problems:
        if problem.code == "more_problems":
            dropped[problem.file] = dropped.get(problem.file, 0) + int(str(problem.value or 0))
            continue
        n = seen[problem.file] = seen.get(problem.file, 0) + 1
        if n <= MAX_PROBLEMS:
            kept.append(problem)
        else:
            dropped[problem.file] = dropped.get(problem.file, 0) + 1
    if more and kept:
        dropped[kept[0].file] = dropped.get(kept[0].file, 0) + more
    for file, count in dropped.items():
        kept.append(
            Problem(
                f"and {count:,} more problem{'s' if count != 1 else ''} in this file "
                f"(the first {MAX_PROBLEMS} are shown)",
                file=file,
                code="more_problems",
                value=count,
            )
        )
    return tuple(kept)


class SpecError(InputError):
    """A practice spec is not valid."""


class RuleError(InputError):
    """A rule library file is not valid."""


class UsageError(JurisdictionError):
    """The command line or an API argument is wrong."""
