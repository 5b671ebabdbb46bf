"""The report for compliance teams: one self-contained HTML page (inline CSS and SVG, no
external assets, no network) per `Report` — the verdict, the plan as a timeline, affected users
per jurisdiction as a bar chart, and every obligation with its citation and source link.

`jurisdiction check --format html` draws the chart from the spec's `users.counts`;
`jurisdiction users --format html` from the counts over the user table. `jurisdiction timeline
--format html` adds each practice's timeline: the dates ahead (laws coming into force, due
dates, status and verdict changes) marked on the plan's date axis and listed with their lead
time. A small inline script
marks the page once the browser has laid it out (`data-rendered`, the bars drawn), which the
tests read back from headless Chromium.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from html import escape

from jurisdiction._version import __version__
from jurisdiction.evaluation.assessment import Assessment
from jurisdiction.evaluation.timeline import PracticeTimeline, TimelineEvent
from jurisdiction.outputs.gate import Checked, Report
from jurisdiction.users import TableCounts

__all__ = ["render_html", "stream_html"]

STATUS_COLOUR = {"violated": "#c0392b", "pending": "#d68910", "met": "#1e8449"}
VERDICT_COLOUR = {"blocked": "#c0392b", "action_required": "#d68910", "clear": "#1e8449"}

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1c2833;background:#f4f6f7}
main{max-width:1100px;margin:0 auto;padding:24px}
section.practice{background:#fff;border-radius:8px;padding:20px 24px;margin-bottom:24px;box-shadow:0 1px 3px #0002}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #d5d8dc}
.verdict{display:inline-block;color:#fff;border-radius:4px;padding:2px 10px;font-weight:600}
.muted{color:#5d6d7e}.status{font-weight:600}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeded;
vertical-align:top}th{background:#f8f9f9}td.n,td.d{white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums}
svg text{font:12px system-ui,sans-serif;fill:#1c2833}a{color:#1f618d}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;
margin-right:4px;border-radius:2px}
"""

SCRIPT = """
document.addEventListener('DOMContentLoaded', function () {
  var bars = document.querySelectorAll('svg .bar');
  var drawn = 0;
  bars.forEach(function (b) { var r = b.getBoundingClientRect(); if (r.width > 0 && r.height > 0) drawn++; });
  document.documentElement.setAttribute('data-bars-drawn', String(drawn));
  document.documentElement.setAttribute('data-rendered', 'true');
});
"""


def render_html(
    report: Report,
    users: Mapping[str, TableCounts] | None = None,
    timelines: Mapping[str, PracticeTimeline] | None = None,
) -> str:
    """The whole page. `users`: counts over a user table, by practice id (else the spec's
    counts); `timelines`: each practice's timeline, by practice id (the dates ahead)."""
    return "".join(stream_html(report, users, timelines))


def stream_html(
    report: Report,
    users: Mapping[str, TableCounts] | None = None,
    timelines: Mapping[str, PracticeTimeline] | None = None,
) -> Iterator[str]:
    """The page, a section per spec as the specs are read."""
    head = False
    for item in report.each():
        yield "\n" if head else _head(f"{item.assessment.practice} — jurisdiction" if not report.many else "")
        head = True
        practice = item.assessment.practice
        yield _section(item, (users or {}).get(practice), (timelines or {}).get(practice))
    if not head:
        yield _head("")
    expired = "".join(f"<li>{escape(m)}</li>" for m in report.expired)
    yield (
        "\n"
        + (f"<section class='practice'><h2>Expired waivers</h2><ul>{expired}</ul></section>" if expired else "")
        + f"<p class='muted'>{escape(report.summary())} · jurisdiction {escape(__version__)} · "
        "not legal advice</p>"
        f"</main><script>{SCRIPT}</script></body></html>\n"
    )


def _head(title: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title or 'jurisdiction report')}</title><style>{CSS}</style></head><body><main>\n"
    )


def _section(item: Checked, counts: TableCounts | None, line: PracticeTimeline | None = None) -> str:
    a = item.assessment
    colour = VERDICT_COLOUR[a.verdict]
    affected = [j for j in a.jurisdictions if j.affected]
    head = (
        f"<section class='practice' id='{escape(a.practice)}'>"
        f"<h1>{escape(a.title)}</h1>"
        f"<p class='muted'>{escape(a.practice)} · {escape(item.source)} · as of {a.today.isoformat()} · "
        f"rules {escape(a.rules_revision)}</p>"
        f"<p><span class='verdict' style='background:{colour}'>{escape(a.verdict.upper().replace('_', ' '))}</span> "
        f"{len(affected)} of {len(a.jurisdictions)} jurisdictions in scope affected"
        + (f"; {counts.affected:,} of {counts.users:,} users" if counts else "")
        + (f"; {a.users.affected:,} users (spec counts)" if a.users and not counts else "")
        + "</p>"
    )
    parts = [head]
    gaps = a.uncovered_by_reason()
    if gaps:
        users = f" ({a.coverage.users:,} users)" if a.coverage is not None and a.coverage.users else ""
        rows = "".join(f"<li><b>{escape(', '.join(codes))}</b>: {escape(why)}</li>" for why, codes in gaps)
        parts.append(
            f"<h2>Not covered by the library{users}</h2><p>Nothing here says these jurisdictions are clear.</p>"
            f"<ul class='gaps'>{rows}</ul>"
        )
    parts += ["<h2>Plan</h2>", _timeline(a, line), _plan_table(a, counts)]
    if line is not None:
        parts += [f"<h2>Ahead: {line.from_.isoformat()} to {line.until.isoformat()}</h2>", _ahead(line)]
    parts += ["<h2>Affected users per jurisdiction</h2>", _chart(item, counts)]
    parts += ["<h2>Obligations</h2>", _obligations(a)]
    if a.assumptions:
        items = "".join(f"<li>{escape(x)}</li>" for x in a.assumptions)
        parts.append(f"<h2>Assumptions (the safer reading)</h2><ul class='muted'>{items}</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _timeline(a: Assessment, line: PracticeTimeline | None = None) -> str:
    """The plan's steps on a date axis, with today marked (and the timeline's dates, if given)."""
    events = line.events if line is not None else []
    if not a.plan and not events:
        return "<p>Nothing left to do.</p>"
    days = [s.due for s in a.plan] + [a.today] + [e.date for e in events]
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    width, left, right = 1040, 40, 40
    row = 34
    height = 50 + row * len(a.plan)

    def x(day: dt.date) -> float:
        return left + (width - left - right) * (day - first).days / span

    out = [f"<svg class='timeline' width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img'>"]
    out.append(f"<line x1='{left}' y1='24' x2='{width - right}' y2='24' stroke='#aab7b8'/>")
    for day in sorted({first, last}):
        out.append(f"<text x='{x(day):.1f}' y='16' text-anchor='middle'>{day.isoformat()}</text>")
    tx = x(a.today)
    out.append(
        f"<line x1='{tx:.1f}' y1='20' x2='{tx:.1f}' y2='{height - 4}' stroke='#566573' stroke-dasharray='4 3'/>"
        f"<text x='{tx + 4:.1f}' y='{height - 6}' class='today'>today {a.today.isoformat()}</text>"
    )
    for e in events:
        ex = x(e.date)
        out.append(
            f"<g class='event' data-date='{e.date.isoformat()}'><title>{escape(_event_words(e))}</title>"
            f"<path class='mark' d='M{ex:.1f} 18 l5 6 l-5 6 l-5 -6 z' fill='{_event_colour(e)}'/></g>"
        )
    for i, s in enumerate(a.plan):
        y = 44 + i * row
        cx = x(s.due)
        colour = STATUS_COLOUR[s.status]
        anchor = "end" if cx > width * 0.6 else "start"
        lx = cx - 12 if anchor == "end" else cx + 12
        out.append(
            f"<g class='step' data-step='{s.step}' data-status='{s.status}'>"
            f"<circle class='bar' cx='{cx:.1f}' cy='{y}' r='7' fill='{colour}'/>"
            f"<text x='{lx:.1f}' y='{y + 4}' text-anchor='{anchor}'>{s.step}. {escape(s.title)} — due "
            f"{s.due.isoformat()} ({s.status})</text></g>"
        )
    out.append("</svg>")
    return "".join(out)


def _event_colour(e: TimelineEvent) -> str:
    if e.verdict is not None:
        return VERDICT_COLOUR[e.verdict.now]
    if e.changes:
        return STATUS_COLOUR[max((c.now for c in e.changes), key=("met", "pending", "violated").index)]
    return "#1f618d"


def _event_words(e: TimelineEvent) -> str:
    """An event in one line (the marker's tooltip)."""
    bits = [f"{e.date.isoformat()} (in {e.days} days)"]
    bits += [f"in force: {law.title}" for law in e.laws]
    bits += [f"due: {i.title}" for i in e.due]
    bits += [f"{c.id}: {c.was} -> {c.now}" for c in e.changes]
    if e.verdict is not None:
        bits.append(f"verdict {e.verdict.was} -> {e.verdict.now}")
    return "; ".join(bits)


def _ahead(line: PracticeTimeline) -> str:
    """The timeline's dates as a table: date, lead time, what happens."""
    from jurisdiction.vocabulary.regions import summarize_codes

    if not line.events:
        return f"<p>Nothing changes or falls due between {line.from_.isoformat()} and {line.until.isoformat()}.</p>"
    rows = []
    for e in line.events:
        what = [
            f"<li>In force: <a href='{escape(law.url)}' rel='noreferrer'>{escape(law.title)}</a> "
            f"({escape(law.citation)})</li>"
            for law in e.laws
        ]
        what += [
            f"<li>Due: <strong>{escape(i.title)}</strong> <code>{escape(i.id)}</code> in "
            f"{escape(summarize_codes(i.jurisdictions))} — <a href='{escape(i.url)}' rel='noreferrer'>"
            f"{escape(i.citation)}</a></li>"
            for i in (*e.due, *e.added)
        ]
        what += [
            f"<li><code>{escape(c.id)}</code> in {escape(summarize_codes(c.jurisdictions))}: {c.was} → "
            f"<span class='status' style='color:{STATUS_COLOUR[c.now]}'>{c.now}</span></li>"
            for c in e.changes
        ]
        what += [f"<li>No longer owed: <code>{escape(r)}</code></li>" for r in e.removed]
        if e.verdict is not None:
            what.append(
                f"<li>Verdict {escape(e.verdict.was.replace('_', ' '))} → <span class='status' "
                f"style='color:{VERDICT_COLOUR[e.verdict.now]}'>{escape(e.verdict.now.replace('_', ' '))}</span></li>"
            )
        rows.append(
            f"<tr class='event' data-date='{e.date.isoformat()}'><td class='d'>{e.date.isoformat()}</td>"
            f"<td class='n'>{e.days} d</td><td><ul>{''.join(what)}</ul></td></tr>"
        )
    head = "<tr><th>Date</th><th>Lead time</th><th>What happens</th></tr>"
    return f"<table class='ahead'>{head}{''.join(rows)}</table>"


def _plan_table(a: Assessment, counts: TableCounts | None) -> str:
    users = {s.step: s for s in counts.steps} if counts else {}
    rows = []
    for s in a.plan:
        u = users.get(s.step)
        cell = "" if not counts else f"<td class='n'>{u.users:,}</td>" if u is not None else "<td></td>"
        rows.append(
            f"<tr><td>{s.step}</td><td>{escape(s.title)}</td><td class='d'>{s.due.isoformat()}</td>"
            f"<td class='status' style='color:{STATUS_COLOUR[s.status]}'>{s.status}</td>"
            f"<td>{len(s.jurisdictions)}</td>{cell}</tr>"
        )
    if counts:
        for extra in counts.steps:
            if not extra.in_assessment:
                rows.append(
                    f"<tr><td>{extra.step}</td><td>{escape(extra.title)} <em>(users of unknown age)</em></td>"
                    f"<td>{extra.due.isoformat()}</td><td class='status' style='color:{STATUS_COLOUR[extra.status]}'>"
                    f"{extra.status}</td><td>{len(extra.ages)}</td><td class='n'>{extra.users:,}</td></tr>"
                )
    head = "<tr><th>#</th><th>Step</th><th>Due</th><th>Status</th><th>Jurisdictions</th>"
    head += "<th>Users</th></tr>" if counts else "</tr>"
    return f"<table class='plan'>{head}{''.join(rows)}</table>"


def _spec_counts(item: Checked) -> list[tuple[str, int, bool]]:
    """(code, users, affected) from the spec's `users.counts`."""
    if item.document is None:
        return []
    from jurisdiction.errors import InputError
    from jurisdiction.practice.specs import practice_from_document
    from jurisdiction.vocabulary.regions import expand

    try:
        practice = practice_from_document(item.document)
    except InputError:
        return []
    affected = {j.code for j in item.assessment.jurisdictions if j.affected}
    out = []
    for code, n in practice.users.counts.items():
        codes = set(expand([code], practice.starts, {c.split("-")[0] for c in affected if "-" in c}))
        out.append((code, n, bool(codes & affected)))
    return out


def _chart(item: Checked, counts: TableCounts | None) -> str:
    """Horizontal bars: users per jurisdiction, affected and excluded."""
    bars: list[tuple[str, int, int]] = []  # code, affected, excluded
    if counts:
        bars = [(j.code, j.affected, j.users - j.affected) for j in counts.jurisdictions]
        note = f"From the user table {escape(counts.source)} ({counts.backend})."
    else:
        bars = [(code, n if hit else 0, 0 if hit else n) for code, n, hit in _spec_counts(item)]
        note = "From the spec's users.counts; run <code>jurisdiction users</code> for counts from the user table."
    if not bars:
        return (
            "<p class='muted'>No user numbers: give <code>users.counts</code> in the spec, or run "
            "<code>jurisdiction users SPEC --users TABLE --format html</code>.</p>"
        )
    bars.sort(key=lambda b: (-(b[1] + b[2]), b[0]))
    shown, rest = bars[:30], bars[30:]
    top = max((b[1] + b[2] for b in shown), default=1) or 1
    width, label, row = 1040, 110, 20
    scale = (width - label - 120) / top
    height = row * len(shown) + 10
    out = [f"<svg class='chart' width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img'>"]
    for i, (code, hit, out_n) in enumerate(shown):
        y = 4 + i * row
        w1, w2 = hit * scale, out_n * scale
        out.append(
            f"<g class='jurisdiction' data-code='{escape(code)}' data-affected='{hit}' data-excluded='{out_n}'>"
            f"<text x='{label - 6}' y='{y + 13}' text-anchor='end'>{escape(code)}</text>"
        )
        if w1 > 0:
            out.append(f"<rect class='bar' x='{label}' y='{y}' width='{w1:.1f}' height='{row - 5}' fill='#2e86c1'/>")
        if w2 > 0:
            out.append(
                f"<rect class='bar excluded' x='{label + w1:.1f}' y='{y}' width='{w2:.1f}' height='{row - 5}' "
                "fill='#cacfd2'/>"
            )
        out.append(
            f"<text x='{label + w1 + w2 + 6:.1f}' y='{y + 13}'>{hit:,}"
            + (f" (+{out_n:,} excluded)" if out_n else "")
            + "</text></g>"
        )
    out.append("</svg>")
    legend = (
        "<p class='legend'><span><i style='background:#2e86c1'></i>affected</span>"
        "<span><i style='background:#cacfd2'></i>excluded or outside</span></p>"
    )
    more = ""
    if rest:
        more = (
            f"<p>… and {len(rest)} more jurisdictions: {sum(b[1] for b in rest):,} affected, "
            f"{sum(b[2] for b in rest):,} excluded or outside.</p>"
        )
    return legend + "".join(out) + more + f"<p class='muted'>{note}</p>"


def _obligations(a: Assessment) -> str:
    from jurisdiction.vocabulary.regions import summarize_codes

    order = {oid: (s.step, s.kind) for s in a.plan for oid in s.obligations}
    rows = []
    for o in sorted(a.obligations, key=lambda o: (order.get(o.id, (99, ""))[0], o.id)):
        step = order.get(o.id, (None, ""))[0]
        flags = "" if o.verified else " <em>[unverified]</em>"
        because = "".join(f"<li>{escape(b)}</li>" for b in o.because)
        rows.append(
            f"<tr class='obligation' data-id='{escape(o.id)}'><td>{step or '—'}</td>"
            f"<td><strong>{escape(o.title)}</strong>{flags}<br><code>{escape(o.id)}</code> · {escape(o.kind)}"
            f"<details><summary>why</summary><ul>{because}</ul></details></td>"
            f"<td>{escape(summarize_codes(o.jurisdictions))}</td><td class='d'>{o.due.isoformat()}</td>"
            f"<td class='status' style='color:{STATUS_COLOUR[o.status]}'>{o.status}"
            + (" (waived)" if o.waived else "")
            + f"</td><td><a href='{escape(o.url)}' rel='noreferrer'>{escape(o.citation)}</a></td></tr>"
        )
    head = "<tr><th>Step</th><th>Obligation</th><th>Where</th><th>Due</th><th>Status</th><th>Citation</th></tr>"
    return f"<table class='obligations'>{head}{''.join(rows)}</table>"
