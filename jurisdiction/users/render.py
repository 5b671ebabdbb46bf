"""The counts over a user table in words (text) and as JSON."""

from __future__ import annotations

import json
from collections import defaultdict

from jurisdiction.users.counts import TableCounts

__all__ = ["render_users_json", "render_users_text"]


def render_users_json(counts: TableCounts) -> str:
    return json.dumps(counts.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def render_users_text(counts: TableCounts) -> str:
    from jurisdiction.vocabulary.regions import summarize_codes

    c = counts
    lines = [
        f"{c.practice}: {c.title}",
        f"Users: {c.users:,} in {c.source} as of {c.today.isoformat()} ({c.backend}, {c.seconds:.2f} s); "
        f"verdict {c.verdict.upper().replace('_', ' ')}",
        f"Affected: {c.affected:,} users in {sum(1 for j in c.jurisdictions if j.affected)} jurisdictions; "
        f"existing data: {c.existing_data:,}; age unknown: {c.unknown_age:,}",
    ]
    if c.columns is not None:
        lines.append(f"Columns: {c.columns.describe()}")
    if c.not_covered:
        lines.append(
            f"Not covered: {c.not_covered_users:,} affected users in {summarize_codes(c.not_covered)}, where the "
            "library has no complete law: nothing here says they are clear"
        )
    if c.excluded:
        lines.append("Excluded:")
        for e in c.excluded:
            lines.append(f"  {e.users:>14,}  {e.reason}: {', '.join(e.jurisdictions)}")
    unknown_sub = {j.code for j in c.jurisdictions if j.name.endswith("(subdivision unknown)")}
    if c.steps:
        lines.append("Plan:")
        for s in c.steps:
            flag = "" if s.in_assessment else " (not in the assessment's plan)"
            lines.append(
                f"  {s.step}. {s.title}: due {s.due.isoformat()} [{s.status}]{flag}: {s.users:,} users "
                f"({s.existing_data:,} existing data, {s.unknown_age:,} age unknown)"
            )
            by_text: dict[str, list[str]] = defaultdict(list)
            for code, text in s.ages.items():
                by_text[text].append(code)
            for text, codes in sorted(by_text.items()):
                vague = [f"{code} (subdivision unknown)" for code in codes if code in unknown_sub]
                shown = summarize_codes([code for code in codes if code not in unknown_sub])
                lines.append(f"       ages: {text} in {', '.join(x for x in [shown, *vague] if x)}")
    if c.jurisdictions:
        head = "  code     users        affected     existing    " + " ".join(f"step {s.step:<7}" for s in c.steps)
        lines.append("By jurisdiction:")
        lines.append(head.rstrip())
        for j in c.jurisdictions:
            cells = " ".join(f"{j.steps.get(str(s.step), 0):<12,}" for s in c.steps)
            lines.append(f"  {j.code:<8} {j.users:<12,} {j.affected:<12,} {j.existing_data:<11,} {cells}".rstrip())
    lines.extend(f"note: {n}" for n in c.notes)
    for step, path in c.files.items():
        lines.append(f"step {step} ids: {path}")
    return "\n".join(lines) + "\n"
