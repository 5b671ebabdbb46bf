"""Load-time checks of a law's test file (`tests.yaml`): unique case names, rule ids that
exist (with a "did you mean"), and practices that validate. Running the cases needs the
evaluator: `jurisdiction.evaluation.ruletests`."""

from __future__ import annotations

from jurisdiction.errors import InputError, Problem, suggest
from jurisdiction.law.rulefile import TestFile
from jurisdiction.practice.specs import merge, parse_practice
from jurisdiction.reading.loading import Document

__all__ = ["test_file_problems"]


def test_file_problems(law_id: str, rule_ids: list[str], test: TestFile, doc: Document) -> list[Problem]:
    """Load-time checks of a test file: unique case names, rule ids that exist, and practices
    that validate (reported at the line of the case, or of `base`)."""
    problems: list[Problem] = []
    names: dict[str, int] = {}
    for i, case in enumerate(test.cases):
        if case.name in names:
            problems.append(
                doc.problem(
                    ("cases", i, "name"),
                    f"case name {case.name!r} is also used by case {names[case.name] + 1}; names are unique in a file",
                )
            )
        names.setdefault(case.name, i)
        expect = case.expect
        mentioned: list[tuple[tuple[str | int, ...], str]] = [
            (("cases", i, "expect", "obligations", rid), rid) for rid in expect.obligations
        ]
        mentioned += [(("cases", i, "expect", "absent", j), rid) for j, rid in enumerate(expect.absent)]
        mentioned += [(("cases", i, "expect", "due", rid), rid) for rid in expect.due]
        for path, rid in mentioned:
            local = rid.split("/", 1)[1] if rid.startswith(f"{law_id}/") else rid
            if local not in rule_ids:
                problems.append(
                    doc.problem(
                        path,
                        f"no rule `{rid}` in law {law_id}",
                        valid=", ".join(rule_ids),
                        suggestion=suggest(local, rule_ids),
                    )
                )
        try:
            parse_practice(merge(test.base, case.practice))
        except InputError as exc:
            for p in exc.problems:
                field = tuple(_path(p.field or ""))
                where = ("cases", i, "practice", *field)
                if where not in doc.positions and ("base", *field) in doc.positions:
                    where = ("base", *field)
                elif where not in doc.positions:
                    where = ("cases", i, "practice")
                problems.append(
                    doc.problem(where, f"case {case.name!r}: {p.message}", valid=p.valid, suggestion=p.suggestion)
                )
    return problems


def _path(dotted: str) -> list[str | int]:
    out: list[str | int] = []
    for part in dotted.replace("[", ".[").split("."):
        if not part:
            continue
        out.append(int(part[1:-1]) if part.startswith("[") and part[1:-1].isdigit() else part)
    return out
