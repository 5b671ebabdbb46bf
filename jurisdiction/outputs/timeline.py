"""Step 6 over time: the timeline (`evaluation/timeline.py`) in text, JSON, markdown and
iCalendar, and the `--fail-within` gate. Every rendering is grouped by date across the
practices (the portfolio view); one practice is the same view with one practice in it.

The iCalendar feed (RFC 5545) is written by hand: CRLF line endings, lines folded at 75
octets, TEXT values escaped, all-day events (`VALUE=DATE`), a UID derived from what the event
is (its kind, date and law or obligation), and a DTSTAMP derived from the window, never the
clock, so that the same input gives the same bytes and a calendar that subscribes to the feed
updates its events in place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from jurisdiction._version import __version__
from jurisdiction.evaluation.timeline import (
    DueItem,
    GateItem,
    LawTakesEffect,
    PracticeTimeline,
    Timeline,
    TimelineEvent,
    TimelineGate,
)
from jurisdiction.outputs.formats import MARKDOWN_LIMIT
from jurisdiction.outputs.gate import Gate
from jurisdiction.outputs.waivers import Waivers
from jurisdiction.vocabulary.regions import summarize_codes

__all__ = ["TIMELINE_FORMATS", "gate_within", "ical_fold", "ical_text", "render_timeline"]

_VERDICT = {"blocked": "BLOCKED", "action_required": "ACTION REQUIRED", "clear": "CLEAR"}
_STATUS = {"violated": "VIOLATED", "pending": "pending", "met": "met"}


def gate_within(timeline: Timeline, days: int, gate: Gate, waivers: Waivers | None = None) -> Timeline:
    """The timeline with its `--fail-within` gate: it fails when an unmet obligation that the
    gate counts (warnings only with `fail_on_warnings`) is due by the window's first day plus
    `days` — falling due within the window, or already overdue — unless a waiver covers it
    through that day."""
    by = timeline.from_ + dt.timedelta(days=days)
    found: list[GateItem] = []
    waived: list[GateItem] = []
    for line in timeline.practices:
        items = list(line.overdue) + [i for e in line.events if e.date <= by for i in (*e.due, *e.added)]
        seen: set[tuple[str, dt.date, tuple[str, ...]]] = set()
        for item in items:
            key = (item.id, item.due, tuple(item.jurisdictions))
            if item.due > by or item.status == "met" or key in seen:
                continue
            if item.severity == "warning" and not gate.fail_on_warnings:
                continue
            seen.add(key)
            cover = waivers.covering(line.practice, item.id, item.jurisdictions, by) if waivers else None
            row = GateItem(
                practice=line.practice,
                id=item.id,
                due=item.due,
                status=item.status,
                severity=item.severity,
                jurisdictions=item.jurisdictions,
                waiver=f"{cover[1]} (until {cover[0].expires})" if cover is not None else None,
            )
            (waived if cover is not None else found).append(row)
    result = TimelineGate(
        within=days, by=by, passed=not found, due=sorted(found, key=_gate_order), waived=sorted(waived, key=_gate_order)
    )
    return timeline.model_copy(update={"gate": result})


def _gate_order(item: GateItem) -> tuple[dt.date, str, str, list[str]]:
    return (item.due, item.practice, item.id, item.jurisdictions)


# -- the portfolio: by date --------------------------------------------------------------
@dataclass
class _Day:
    date: dt.date
    days: int
    laws: dict[str, tuple[LawTakesEffect, list[str]]] = field(default_factory=dict)  # law → (law, practices)
    practices: list[tuple[PracticeTimeline, TimelineEvent]] = field(default_factory=list)


def _by_date(timeline: Timeline) -> list[_Day]:
    days: dict[dt.date, _Day] = {}
    for line in timeline.practices:
        for event in line.events:
            day = days.setdefault(event.date, _Day(event.date, event.days))
            day.practices.append((line, event))
            for law in event.laws:
                day.laws.setdefault(law.id, (law, []))[1].append(line.practice)
    return [days[d] for d in sorted(days)]


def _where(codes: Iterable[str]) -> str:
    return summarize_codes(list(codes)) or "-"


def _in_days(n: int) -> str:
    return "today" if n == 0 else f"in {n} day{'s' if n != 1 else ''}"


def _due_line(item: DueItem) -> str:
    warn = " (warning)" if item.severity == "warning" else ""
    return f"{item.id}: {item.title} ({item.citation}) in {_where(item.jurisdictions)}{warn}"


def _event_lines(event: TimelineEvent, pad: str) -> list[str]:
    out = [f"{pad}in force: {', '.join(law.id for law in event.laws)}"] if event.laws else []
    out += [f"{pad}due: {_due_line(i)}" for i in event.due]
    out += [f"{pad}{_STATUS[c.was]} -> {_STATUS[c.now]}: {c.id} in {_where(c.jurisdictions)}" for c in event.changes]
    out += [f"{pad}owed from now: {_due_line(i)}, due {i.due}" for i in event.added]
    out += [f"{pad}no longer owed: {i}" for i in event.removed]
    if event.verdict is not None:
        out.append(f"{pad}verdict: {_VERDICT[event.verdict.was]} -> {_VERDICT[event.verdict.now]}")
    return out


def _summary(timeline: Timeline) -> str:
    n = len(timeline.practices)
    moving = sum(1 for line in timeline.practices if line.events)
    dates = len({e.date for line in timeline.practices for e in line.events})
    due = sum(len(e.due) for line in timeline.practices for e in line.events)
    overdue = sum(len(line.overdue) for line in timeline.practices)
    return (
        f"{n} practice{'s' if n != 1 else ''}, {moving} with something on {dates} date{'s' if dates != 1 else ''} "
        f"from {timeline.from_} to {timeline.until}; {due} obligation{' falls' if due == 1 else 's fall'} due, "
        f"{overdue} already overdue"
    )


def _gate_line(gate: TimelineGate) -> str:
    head = f"gate (--fail-within {gate.within}: unmet obligations due by {gate.by}): "
    if gate.passed:
        return head + "passed"
    practices = len({g.practice for g in gate.due})
    return head + f"failed: {len(gate.due)} due, in {practices} practice{'s' if practices != 1 else ''}"


def render_timeline_text(timeline: Timeline) -> str:
    out = [f"Timeline {timeline.from_} to {timeline.until} (rules {timeline.rules_revision})", ""]
    overdue = [(line, item) for line in timeline.practices for item in line.overdue]
    if overdue:
        out.append(f"Already overdue on {timeline.from_}:")
        out += [f"  {line.practice}: {_due_line(item)}, due {item.due}" for line, item in overdue]
        out.append("")
    for day in _by_date(timeline):
        out.append(f"{day.date} ({_in_days(day.days)})")
        for law, practices in day.laws.values():
            n = len(practices)
            out.append(f"  in force: {law.id}: {law.title} ({law.citation}), for {n} practice{'s' if n != 1 else ''}")
        for line, event in day.practices:
            out.append(f"  {line.practice}: {line.title}")
            out += _event_lines(event, "    ")
        out.append("")
    quiet = [line.practice for line in timeline.practices if not line.events and not line.overdue]
    if quiet:
        out += [f"Nothing changes or falls due for: {', '.join(quiet)}", ""]
    out.append(_summary(timeline))
    if timeline.gate is not None:
        gate = timeline.gate
        out += [f"  {g.practice}: {g.id} due {g.due} in {_where(g.jurisdictions)} ({g.status})" for g in gate.due]
        out += [
            f"  waived: {g.practice}: {g.id} due {g.due} in {_where(g.jurisdictions)}, by {g.waiver}"
            for g in gate.waived
        ]
        out.append(_gate_line(gate))
    return "\n".join(out) + "\n"


def render_timeline_json(timeline: Timeline) -> str:
    body = timeline.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def _md(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|")


def render_timeline_markdown(timeline: Timeline, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: the overdue items, then a row per date and practice; what does
    not fit in `limit` characters (GitHub's comment limit) is counted and pointed to."""
    head = [f"## jurisdiction timeline, {timeline.from_} to {timeline.until}", "", _md(_summary(timeline)) + ".", ""]
    if timeline.gate is not None:
        head += [f"**{_md(_gate_line(timeline.gate))}**", ""]
    body: list[str] = []
    overdue = [(line, item) for line in timeline.practices for item in line.overdue]
    if overdue:
        body += [f"### Already overdue on {timeline.from_}", ""]
        body += [
            f"- `{line.practice}`: **{_md(item.title)}** — `{item.id}` in {_md(_where(item.jurisdictions))}, "
            f"due {item.due}. [{_md(item.citation)}]({item.url})"
            for line, item in overdue
        ]
        body.append("")
    days = _by_date(timeline)
    if days:
        body += ["| date | lead time | practice | what |", "|---|---|---|---|"]
    for day in days:
        for law, practices in day.laws.values():
            body.append(
                f"| {day.date} | {day.days} d | {_md(', '.join(practices))} | "
                f"in force: [{_md(law.title)}]({law.url}) ({_md(law.citation)}) |"
            )
        for line, event in day.practices:
            what = "<br>".join(_md(text) for text in _event_lines(event, ""))
            body.append(f"| {day.date} | {day.days} d | `{line.practice}` | {what} |")
    text = "\n".join(head + body).rstrip() + "\n"
    if len(text) <= limit:
        return text
    kept, size = [], len("\n".join(head)) + len(_TRIMMED) + 200
    for row in body:
        if size + len(row) + 1 > limit:
            break
        kept.append(row)
        size += len(row) + 1
    note = _TRIMMED.format(left_out=len(body) - len(kept))
    return "\n".join([*head, *kept, "", note]).rstrip() + "\n"


_TRIMMED = (
    "> Trimmed to fit one pull-request comment ({left_out} more lines). The whole timeline: "
    "`--format json`, or `--format ics` for a calendar."
)


# -- iCalendar (RFC 5545) ------------------------------------------------------------------
def ical_text(value: str) -> str:
    r"""A TEXT value escaped (RFC 5545 3.3.11): backslash, semicolon, comma and newlines.

    >>> print(ical_text("a, b; c\\d" + chr(10) + "e"))
    a\, b\; c\\d\ne
    """
    return (
        value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def ical_fold(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545 3.1): CRLF and a space before each
    continuation, never inside a UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line + "\r\n"
    parts: list[str] = []
    limit, at = 75, 0
    while at < len(data):
        end = min(at + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # a continuation byte: back off
            end -= 1
        parts.append(data[at:end].decode("utf-8"))
        at, limit = end, 74  # a continuation line: the leading space is the 75th octet
    return "\r\n ".join(parts) + "\r\n"


def _uid(kind: str, day: dt.date, key: str) -> str:
    digest = hashlib.sha256(f"{kind}|{day.isoformat()}|{key}".encode()).hexdigest()[:24]
    return f"{kind}-{day.strftime('%Y%m%d')}-{digest}@jurisdiction"


def render_timeline_ics(timeline: Timeline) -> str:
    """One all-day event per law coming into force and per obligation's due date (overdue ones
    too), each with its citation, source and the practices concerned."""
    stamp = timeline.from_.strftime("%Y%m%dT000000Z")
    laws: dict[tuple[dt.date, str], tuple[LawTakesEffect, list[str]]] = {}
    dues: dict[tuple[dt.date, str], tuple[DueItem, list[str]]] = {}
    for line in timeline.practices:
        for event in line.events:
            for law in event.laws:
                laws.setdefault((event.date, law.id), (law, []))[1].append(line.practice)
        for item in [*line.overdue, *(i for e in line.events for i in (*e.due, *e.added))]:
            entry = dues.setdefault((item.due, item.id), (item, []))
            where = f"{line.practice} ({_where(item.jurisdictions)})"
            if where not in entry[1]:
                entry[1].append(where)
    events: list[tuple[dt.date, str, str, list[str]]] = []
    for (day, law_id), (law, practices) in laws.items():
        description = f"{law.citation}\n{law.url}\nPractices concerned: {', '.join(sorted(practices))}"
        props = [
            f"SUMMARY:{ical_text(f'In force: {law.title}')}",
            f"DESCRIPTION:{ical_text(description)}",
            f"URL:{law.url}",
            "CATEGORIES:LAW",
        ]
        events.append((day, "law", law_id, props))
    for (day, oid), (item, practices) in dues.items():
        description = (
            f"{item.id} ({item.kind}, {item.severity})\n{item.citation}\n{item.url}\n"
            f"Practices concerned: {', '.join(sorted(practices))}"
        )
        props = [
            f"SUMMARY:{ical_text(f'Due: {item.title}')}",
            f"DESCRIPTION:{ical_text(description)}",
            f"URL:{item.url}",
            f"CATEGORIES:{ical_text(item.kind.upper())}",
        ]
        events.append((day, "due", oid, props))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//jurisdiction//timeline {__version__}//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical_text('Regulatory timeline')}",
    ]
    for day, kind, key, props in sorted(events, key=lambda e: (e[0], e[1], e[2])):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_uid(kind, day, key)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(day + dt.timedelta(days=1)).strftime('%Y%m%d')}",
            *props,
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(ical_fold(line) for line in lines)


TIMELINE_FORMATS: dict[str, Callable[[Timeline], str]] = {
    "text": render_timeline_text,
    "json": render_timeline_json,
    "markdown": render_timeline_markdown,
    "ics": render_timeline_ics,
}


def render_timeline(fmt: str, timeline: Timeline) -> str:
    return TIMELINE_FORMATS[fmt](timeline)
