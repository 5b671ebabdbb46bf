"""Step 6: output formats. One result model (`Assessment`), many renderings behind one
interface: `render(format, assessments) -> str`."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from .assessment import Assessment, Obligation
from .regions import FOREVER, groups, subdivisions_of

__all__ = ["FORMATS", "render", "summarize_codes", "summary_line"]


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


def render_json(assessments: Sequence[Assessment], many: bool) -> str:
    payload = [a.model_dump(mode="json", exclude_none=True) for a in assessments]
    body = payload if many else payload[0]
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def _status_word(status: str) -> str:
    return {"violated": "VIOLATED", "pending": "pending", "met": "met"}[status]


def render_text(assessments: Sequence[Assessment], many: bool) -> str:
    out: list[str] = []
    for a in assessments:
        out.extend(_text_one(a))
        out.append("")
    out.append(summary_line(assessments))
    return "\n".join(out) + "\n"


def _text_one(a: Assessment) -> list[str]:
    lines = [
        f"{a.practice}: {a.title}",
        f"Verdict: {a.verdict.upper().replace('_', ' ')} as of {a.today.isoformat()} (rules {a.rules_revision})",
    ]
    affected = [j.code for j in a.jurisdictions if j.affected]
    unaffected = [j for j in a.jurisdictions if not j.affected]
    users = f"; {a.users.affected:,} users" if a.users else ""
    lines.append(f"Affected: {len(affected)} jurisdictions: {summarize_codes(affected) or 'none'}{users}")
    if unaffected:
        reasons = Counter(j.reason or "" for j in unaffected)
        for reason, _count in sorted(reasons.items()):
            codes = [j.code for j in unaffected if (j.reason or "") == reason]
            lines.append(f"Not affected: {summarize_codes(codes)} ({reason})")
    if a.laws:
        shown = ", ".join(
            f"{law.id}{' (upcoming ' + law.effective.isoformat() + ')' if law.status == 'upcoming' else ''}"
            for law in a.laws
        )
        lines.append(f"Laws: {shown}")
    obs = {o.id: o for o in a.obligations}
    if a.plan:
        lines.append("Plan:")
        for step in a.plan:
            lines.append(f"  {step.step}. {step.title}: due {step.due.isoformat()} [{_status_word(step.status)}]")
            for oid in step.obligations:
                lines.extend(_obligation_lines(obs[oid], "     "))
    met = [o for o in a.obligations if o.status == "met"]
    if met:
        lines.append("Already met:")
        for o in met:
            lines.append(f"  - {o.id} ({summarize_codes(o.jurisdictions)}): {o.citation}")
    if a.assumptions:
        lines.append("Assumptions:")
        lines.extend(f"  - {text}" for text in a.assumptions)
    return lines


def _obligation_lines(o: Obligation, pad: str) -> list[str]:
    flag = "" if o.verified else " [unverified]"
    lines = [
        f"{pad}- {o.title} [{_status_word(o.status)}, due {o.due.isoformat()}]{flag}",
        f"{pad}  {o.id} in {summarize_codes(o.jurisdictions)}",
        f"{pad}  {o.citation} <{o.url}>",
    ]
    for reason in o.because[1:]:
        lines.append(f"{pad}  because: {reason}")
    if o.uncertain:
        lines.append(f"{pad}  uncertain: {o.uncertain}")
    return lines


def summary_line(assessments: Sequence[Assessment]) -> str:
    counts = Counter(a.verdict for a in assessments)
    n = len(assessments)
    return (
        f"{n} spec{'s' if n != 1 else ''}, {counts['blocked']} blocked, "
        f"{counts['action_required']} action required, {counts['clear']} clear"
    )


FORMATS: dict[str, Callable[[Sequence[Assessment], bool], str]] = {
    "text": render_text,
    "json": render_json,
}


def render(fmt: str, assessments: Sequence[Assessment], many: bool) -> str:
    return FORMATS[fmt](assessments, many)
