"""Step 6: output formats. One result (`Report`: assessments, where each spec came from,
waivers, change gating) and many renderings behind one interface: `render(format, report)`.

text (what an analyst reads first), json (the docs/contract.md assessment), markdown (a pull-request
comment), sarif (2.1.0, for code-scanning UIs), junit (one test case per spec and
jurisdiction), github (workflow-command annotations).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from jurisdiction._version import __version__
from jurisdiction.evaluation.assessment import Assessment, Obligation
from jurisdiction.outputs.gate import Checked, Report, worsening
from jurisdiction.vocabulary.regions import summarize_codes

if TYPE_CHECKING:  # html and the XML tree load when markdown or JUnit is asked for
    from xml.etree.ElementTree import Element

__all__ = ["FORMATS", "render", "stream"]


def stream_json(report: Report) -> Iterator[str]:
    """The assessments: one object, or (`many`) an array written one element at a time."""
    if not report.many:
        for item in report.each():
            yield _json(item.assessment.model_dump(mode="json", exclude_none=True)) + "\n"
        return
    yield "["
    sep = "\n"
    for item in report.each():
        yield sep + _indented(_json(item.assessment.model_dump(mode="json", exclude_none=True)), 2)
        sep = ",\n"
    yield "\n]\n" if sep != "\n" else "]\n"


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _indented(text: str, n: int) -> str:
    """`text` (a JSON value rendered with indent=2) as an element nested `n` spaces deep."""
    pad = " " * n
    return pad + text.replace("\n", "\n" + pad)


def _status_word(status: str) -> str:
    return {"violated": "VIOLATED", "pending": "pending", "met": "met"}[status]


def _verdict_word(verdict: str) -> str:
    return verdict.upper().replace("_", " ")


def stream_text(report: Report) -> Iterator[str]:
    owes = False
    for item in report.each():
        owes = owes or bool(item.assessment.obligations)
        yield "\n".join(_text_one(item, report.detail)) + "\n\n"
    out = [f"expired waiver: {message}" for message in report.expired]
    if not report.detail and owes:
        out.append("(--detail: every obligation with its citation, source, reasons and uncertainty)")
    out.append(report.summary())
    yield "\n".join(out) + "\n"


def _uncovered_head(a: Assessment) -> str | None:
    if a.coverage is None or not a.coverage.uncovered:
        return None
    users = f", {a.coverage.users:,} users" if a.coverage.users else ""
    return (
        f"Not covered: {len(a.coverage.uncovered)} jurisdiction{'s' if len(a.coverage.uncovered) != 1 else ''}{users} "
        "where the library has no complete law: "
        "nothing here says they are clear"
    )


def _text_one(item: Checked, detail: bool = True) -> list[str]:
    a = item.assessment
    lines = [
        f"{a.practice}: {a.title}",
        f"Verdict: {_verdict_word(a.verdict)} as of {a.today.isoformat()} (rules {a.rules_revision})",
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
    head = _uncovered_head(a)
    if head:
        lines.append(head)
        gaps = a.uncovered_by_reason()
        listed = gaps if detail or len(gaps) <= _COMPACT_REASONS else gaps[:_COMPACT_REASONS]
        lines.extend(f"  {summarize_codes(codes)}: {why}" for why, codes in listed)
        if len(listed) < len(gaps):
            lines.append(f"  … and {len(gaps) - len(listed)} more (--detail lists them)")
    below = sorted({law for j in a.jurisdictions for law in (j.below_thresholds or [])})
    if below:
        lines.append(f"Below applicability thresholds: {', '.join(below)}")
    unprotected = sorted({law for j in a.jurisdictions for law in (j.not_protected or [])})
    if unprotected:
        lines.append(f"Not protecting these data subjects: {', '.join(unprotected)}")
    if a.laws:
        shown = ", ".join(
            f"{law.id}{' (upcoming ' + law.effective.isoformat() + ')' if law.status == 'upcoming' else ''}"
            for law in a.laws
        )
        lines.append(f"Laws: {shown}")
    change = item.change
    if change is not None:
        lines.append(
            f"Change: {change.counts()}" + (f" (base {item.source} had no such spec)" if item.base is None else "")
        )
        was = {o.id: o for o in item.base.obligations} if item.base else {}
        now = {o.id: o for o in a.obligations}
        lines.extend(f"  + {oid}" for oid in change.added)
        lines.extend(f"  ^ {oid} (worse: {worsening(was[oid], now[oid])})" for oid in change.worse)
        lines.extend(f"  ! {oid} (due sooner: {was[oid].due} -> {now[oid].due})" for oid in change.sooner)
        lines.extend(f"  - {oid}" for oid in change.removed)
        if item.base is not None and item.base.verdict != a.verdict:
            lines.append(f"  verdict {item.base.verdict} -> {a.verdict}")
    obs = {o.id: o for o in a.obligations}
    if a.plan:
        lines.append("Plan:")
        for step in a.plan:
            lines.append(f"  {step.step}. {step.title}: due {step.due.isoformat()} [{_status_word(step.status)}]")
            if step.note:
                lines.append(f"     ({step.note})")
            if detail:
                for oid in step.obligations:
                    lines.extend(_obligation_lines(obs[oid], "     "))
            else:
                for group in _same_duty([obs[oid] for oid in step.obligations]):
                    lines.extend(_duty_lines(group, "     "))
    met = [o for o in a.obligations if o.status == "met"]
    if met and detail:
        lines.append("Already met:")
        for o in met:
            lines.append(f"  - {o.id} ({summarize_codes(o.jurisdictions)}): {o.citation}")
    elif met:
        lines.append(f"Already met: {len(met)} obligation{'s' if len(met) != 1 else ''} (--detail lists them)")
    waived = [o for o in a.obligations if o.waived is not None]
    if waived:
        lines.append("Waived (not counted toward the verdict):")
        for o in waived:
            w = o.waived
            assert w is not None
            lines.append(
                f"  - {o.id} [{_status_word(o.status)}] until {w.expires} by {w.owner}: {w.reason} ({w.source})"
            )
    if a.assumptions:
        lines.append("Assumptions:")
        lines.extend(f"  - {text}" for text in a.assumptions)
    return lines


_COMPACT_REASONS = 8


def _same_duty(obligations: list[Obligation]) -> list[list[Obligation]]:
    """Obligations of one plan step grouped by duty: the same rule name in different laws
    (`secondary-use-consent` of ten state laws) and the same severity; worst status first."""
    groups: dict[tuple[str, str], list[Obligation]] = {}
    for o in obligations:
        groups.setdefault((o.id.split("/", 1)[-1], o.severity), []).append(o)
    rank = {"violated": 0, "pending": 1, "met": 2}
    return [sorted(group, key=lambda o: (rank[o.status], o.due, o.id)) for group in groups.values()]


def _duty_lines(group: list[Obligation], pad: str) -> list[str]:
    """One duty, compact: an obligation alone keeps its citation and source; several laws'
    obligations share one line naming the laws, with each one's status where they differ
    (`--detail` shows each in full)."""
    if len(group) == 1:
        o = group[0]
        return [
            f"{pad}- {o.title} [{_status_word(o.status)}, due {o.due.isoformat()}]{_flags(o)}",
            f"{pad}  {o.id} in {summarize_codes(o.jurisdictions)}: {o.citation} <{o.url}>",
        ]
    worst = group[0]
    mixed = len({(o.status, o.due) for o in group}) > 1
    flags = " [warning]" if worst.severity == "warning" else ""
    unverified = sum(1 for o in group if not o.verified)
    flags += f" [unverified: {unverified} of {len(group)}]" if unverified else ""
    waived = sum(1 for o in group if o.waived is not None)
    flags += f" [waived: {waived} of {len(group)}]" if waived else ""

    def law(o: Obligation) -> str:
        where = summarize_codes(o.jurisdictions)
        return f"{o.id.split('/', 1)[0]} ({where}{f', {_status_word(o.status)} {o.due}' if mixed else ''})"

    return [
        f"{pad}- {worst.title} [{_status_word(worst.status)}, due {worst.due.isoformat()}]{flags} — {len(group)} laws",
        f"{pad}  {worst.id.split('/', 1)[-1]}: {', '.join(law(o) for o in group)}",
    ]


def _flags(o: Obligation) -> str:
    flag = " [warning]" if o.severity == "warning" else ""
    flag += "" if o.verified else " [unverified]"
    return flag + (" [waived]" if o.waived is not None else "")


def _obligation_lines(o: Obligation, pad: str) -> list[str]:
    lines = [
        f"{pad}- {o.title} [{_status_word(o.status)}, due {o.due.isoformat()}]{_flags(o)}",
        f"{pad}  {o.id} in {summarize_codes(o.jurisdictions)}",
        f"{pad}  {o.citation} <{o.url}>",
    ]
    for reason in o.because[1:]:
        lines.append(f"{pad}  because: {reason}")
    if o.uncertain:
        lines.append(f"{pad}  uncertain: {o.uncertain}")
    return lines


# -- markdown: a pull-request comment ------------------------------------------------------
_ICON = {"blocked": "🛑", "action_required": "⚠️", "clear": "✅"}


def _md(text: str) -> str:
    import html

    return html.escape(text, quote=False).replace("|", "\\|")


# GitHub refuses a pull-request comment over 65,536 characters: markdown is trimmed to fit one
MARKDOWN_LIMIT = 65_536
_TRIMMED = (
    "> Trimmed to fit one pull-request comment ({left_out}). The full results, with every obligation "
    "and citation: `--format json` or `--format sarif` (keep it as the job's artifact)."
)


def stream_markdown(report: Report, limit: int = MARKDOWN_LIMIT) -> Iterator[str]:
    """A pull-request comment: every obligation with its citation when it fits in `limit`
    characters; else without the obligation details, then without the plans, then as many
    specs' headlines as fit, saying what was left out and where the rest is. Each rendering is
    kept only while it can still fit, so a folder of any size costs at most a few comments."""
    bodies: dict[int, list[str] | None] = {2: [], 1: [], 0: [], -1: []}
    sizes = dict.fromkeys(bodies, 0)
    specs = 0
    for item in report.each():
        specs += 1
        for detail, body in bodies.items():
            if body is None:
                continue
            block = "\n".join(_markdown_item(item, detail)) + "\n"
            if detail >= 0 and sizes[detail] + len(block) > limit:
                bodies[detail] = None  # cannot fit any more: this rendering is out
            elif detail < 0 and sizes[detail] + len(block) + 40 > limit:
                bodies[detail] = None
            else:
                body.append(block)
                sizes[detail] += len(block)
    head = [f"## jurisdiction: {report.summary()}", ""]
    head.extend(f"> **Expired waiver**: {_md(message)}" for message in report.expired)
    left_out = {2: "", 1: "obligation details left out", 0: "plans and obligation details left out"}
    for detail in (2, 1, 0):
        body = bodies[detail]
        if body is None:
            continue
        note = [_TRIMMED.format(left_out=left_out[detail]), ""] if detail < 2 else []
        text = ("\n".join(head + note) + "\n" + "".join(body)).rstrip() + "\n"
        if len(text) <= limit:
            yield text
            return
    # still too long (very many specs): as many headlines as fit
    last = _TRIMMED.format(left_out="only the first specs' headlines are shown")
    out = "\n".join([*head, last, ""]) + "\n"
    shown = 0
    for block in bodies[-1] or []:
        if len(out) + len(block) + 40 > limit:
            break
        out += block
        shown += 1
    yield out + (f"… and {specs - shown} more specs.\n" if shown < specs else "")


def _markdown_item(item: Checked, detail: int) -> list[str]:
    """One spec's section: detail 2 = plan and obligations, 1 = plan, 0 = headline, -1 = one line."""
    a = item.assessment
    title = f"### {_ICON[a.verdict]} `{a.practice}`: {_VERDICT_TEXT[a.verdict]}"
    if detail < 0:
        return [title, ""]
    affected = [j.code for j in a.jurisdictions if j.affected]
    users = f", {a.users.affected:,} users" if a.users else ""
    out = [
        title,
        "",
        f"{_md(a.title)} — as of {a.today}, rules `{a.rules_revision}`, spec `{item.source}`.",
        "",
        f"**Affected:** {len(affected)} jurisdictions ({_md(summarize_codes(affected) or 'none')}){users}.",
        "",
    ]
    head = _uncovered_head(a)
    if head:
        out += [f"**{_md(head)}.**", ""]
        if detail > 0:
            out += [f"- {_md(summarize_codes(codes))}: {_md(why)}" for why, codes in a.uncovered_by_reason()]
            out.append("")
    change = item.change
    if change is not None:
        verdict = (
            f" Verdict {item.base.verdict} → {a.verdict}."
            if item.base is not None and item.base.verdict != a.verdict
            else ""
        )
        out += [f"**This change:** obligations {change.counts()}.{verdict}", ""]
    if not a.plan:
        return [*out, "Nothing is owed.", ""]
    if detail == 0:
        due = min(step.due for step in a.plan)
        return [*out, f"**Plan:** {len(a.plan)} steps, the first due {due}.", ""]
    out += ["| step | what | due | status | where |", "|---|---|---|---|---|"]
    for step in a.plan:
        out.append(
            f"| {step.step} | {_md(step.title)} | {step.due} | {_status_word(step.status)} | "
            f"{_md(summarize_codes(step.jurisdictions))} |"
        )
    out.append("")
    if detail < 2:
        return out
    obs = {o.id: o for o in a.obligations}
    out += ["<details><summary>Obligations, with citations</summary>", ""]
    for step in a.plan:
        for oid in step.obligations:
            o = obs[oid]
            extra = " *(warning)*" if o.severity == "warning" else ""
            extra += " *(unverified)*" if not o.verified else ""
            extra += " *(waived)*" if o.waived is not None else ""
            out.append(
                f"- **{_md(o.title)}** — `{o.id}` in {_md(summarize_codes(o.jurisdictions))}, due "
                f"{o.due}, {_status_word(o.status)}{extra}. [{_md(o.citation)}]({o.url})"
            )
            out.extend(f"  - {_md(reason)}" for reason in o.because[1:])
    return [*out, "", "</details>", ""]


_VERDICT_TEXT = {"blocked": "blocked", "action_required": "action required", "clear": "clear"}


# -- SARIF 2.1.0 -----------------------------------------------------------------------------
COVERAGE_RULE = "jurisdiction/not-covered"
COVERAGE_SARIF_RULE: dict[str, object] = {
    "id": COVERAGE_RULE,
    "name": "not-covered",
    "shortDescription": {"text": "Users in a jurisdiction whose law the rule library does not (fully) cover"},
    "properties": {"kind": "coverage"},
}


def stream_sarif(report: Report) -> Iterator[str]:
    """One SARIF log, its results written as the specs are read (so the results come before
    the tool's list of the rules they name)."""
    rules: dict[str, dict[str, object]] = {}
    yield (
        '{\n  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",\n  "version": "2.1.0",\n'
        '  "runs": [\n    {\n      "results": ['
    )
    sep = "\n"
    for item in report.each():
        for result in _sarif_results(report, item, rules):
            yield sep + _indented(_json(result), 8)
            sep = ",\n"
    yield "\n      ],\n" if sep != "\n" else "],\n"
    rest = {
        "tool": {
            "driver": {
                "name": "jurisdiction",
                "version": __version__,
                "informationUri": "https://github.com/jurisdiction/jurisdiction",
                "rules": [rules[k] for k in sorted(rules)],
            }
        },
        "invocations": [
            {
                "executionSuccessful": True,
                "exitCode": report.exit_code,
                "exitCodeDescription": "gate passed" if report.passed else "gate failed",
            }
        ],
    }
    members = _indented(_json(rest), 4)  # "    {\n      "tool": ...\n    }": the run's other members
    yield members[members.index("\n") + 1 : members.rindex("\n")] + "\n    }\n  ]\n}\n"


def _sarif_results(report: Report, item: Checked, rules: dict[str, dict[str, object]]) -> Iterator[dict[str, object]]:
    """One spec's SARIF results (noting in `rules` the rules they name)."""
    for o in item.assessment.obligations:
        if o.status == "met":
            continue
        rules.setdefault(
            o.id,
            {
                "id": o.id,
                "name": o.id.split("/", 1)[1],
                "shortDescription": {"text": o.title},
                "helpUri": o.url,
                "properties": {"law": o.law, "kind": o.kind, "citation": o.citation, "verified": o.verified},
            },
        )
        field = item.field_of(o.fields)
        result: dict[str, object] = {
            "ruleId": o.id,
            "level": report.level(item, o),
            "message": {
                "text": f"{o.title} [{o.status}, due {o.due}] in {summarize_codes(o.jurisdictions)}: "
                + "; ".join(o.because[1:])
                + f" ({o.citation})"
            },
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": item.source},
                        "region": {"startLine": item.line_of(field)},
                    }
                }
            ],
            "properties": {
                "practice": item.assessment.practice,
                "status": o.status,
                "due": str(o.due),
                "jurisdictions": o.jurisdictions,
                "fields": o.fields,
            },
        }
        if o.waived is not None:
            result["suppressions"] = [
                {
                    "kind": "external",
                    "justification": o.waived.reason,
                    "location": {"physicalLocation": {"artifactLocation": {"uri": o.waived.source.rsplit(":", 1)[0]}}},
                }
            ]
        yield result
    gaps = set(item.uncovered)
    for why, codes in item.assessment.uncovered_by_reason():
        rules.setdefault(COVERAGE_RULE, COVERAGE_SARIF_RULE)
        level = "error" if gaps & set(codes) and report.gate.fail_on != "never" else "warning"
        if report.gate.accept_uncovered:
            level = "note"
        yield (
            {
                "ruleId": COVERAGE_RULE,
                "level": level,
                "message": {"text": f"{summarize_codes(codes)}: {why}; nothing here says they are clear"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": item.source},
                            "region": {"startLine": item.line_of("users.regions")},
                        }
                    }
                ],
                "properties": {"practice": item.assessment.practice, "jurisdictions": codes},
            }
        )


# -- JUnit XML: a test case per spec and jurisdiction ---------------------------------------------
def stream_junit(report: Report) -> Iterator[str]:
    """JUnit XML. The root carries the totals, so the suites wait in a spooled file (memory up
    to a few MiB, then disk) until the last spec is read."""
    from xml.etree import ElementTree as ET

    total = failures = 0
    with tempfile.SpooledTemporaryFile(max_size=4 * 2**20, mode="w+", encoding="utf-8") as suites:
        for item in report.each():
            suite, cases, fails = _junit_suite(report, item)
            total += cases
            failures += fails
            ET.indent(suite, level=1)
            suites.write("\n  " + ET.tostring(suite, encoding="unicode"))
        yield "<?xml version='1.0' encoding='utf-8'?>\n"
        yield f'<testsuites name="jurisdiction" tests="{total}" failures="{failures}">'
        suites.seek(0)
        while chunk := suites.read(2**16):
            yield chunk
        yield "\n</testsuites>\n"


def _junit_suite(report: Report, item: Checked) -> tuple[Element, int, int]:
    """One spec's test suite: a test case per jurisdiction; (suite, cases, failures)."""
    from xml.etree import ElementTree as ET

    a = item.assessment
    suite = ET.Element("testsuite", name=a.practice)
    cases = fails = 0
    for j in a.jurisdictions:
        case = ET.SubElement(suite, "testcase", classname=a.practice, name=f"{j.code} {j.name}", file=item.source)
        cases += 1
        if not j.affected:
            ET.SubElement(case, "skipped", message=j.reason or "not affected")
            continue
        owed = [o for o in a.obligations if j.code in o.jurisdictions and o.status != "met"]
        failing = [o for o in owed if report.level(item, o) == "error"]
        gap = j.coverage is not None and not j.coverage.covered
        if gap and j.coverage is not None and j.code in item.uncovered and not report.gate.passes([], None, [j.code]):
            fails += 1
            ET.SubElement(
                case, "failure", message="not covered by the rule library", type="coverage"
            ).text = f"{j.code}: {j.coverage.why}; nothing here says it is clear (--accept-uncovered accepts it)"
        elif failing:
            fails += 1
            text = "\n".join(f"{o.id} [{o.status}, due {o.due}] {o.title} ({o.citation}; {o.url})" for o in failing)
            ET.SubElement(
                case,
                "failure",
                message=f"{len(failing)} obligation(s) at or past --fail-on {report.gate.fail_on}",
                type="obligations",
            ).text = text
        elif owed:
            ET.SubElement(case, "system-out").text = "\n".join(f"{o.id} [{o.status}, due {o.due}]" for o in owed)
    suite.set("tests", str(cases))
    suite.set("failures", str(fails))
    suite.set("skipped", str(sum(1 for j in a.jurisdictions if not j.affected)))
    return suite, cases, fails


# -- GitHub workflow commands ------------------------------------------------------------------
def _gh(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


# GitHub shows 10 annotations of each level (error, warning, notice) per step and drops the rest:
# the most telling ones are annotated, the others written as plain log lines, nothing lost
GITHUB_PER_LEVEL = 10
_LEVEL_ORDER = {"error": 0, "warning": 1, "notice": 2}


def stream_github(report: Report) -> Iterator[str]:
    """Workflow commands: a log group per spec with every finding as a plain line; then the
    most telling findings (errors first, violated before pending, soonest due) as annotations,
    at most GitHub's limit per level; then one summary annotation."""
    best: dict[str, list[tuple[tuple[object, ...], str]]] = {level: [] for level in _LEVEL_ORDER}
    findings = 0
    for n, item in enumerate(report.each()):
        a = item.assessment
        lines = [f"::group::{_gh(a.practice)}: {_VERDICT_TEXT[a.verdict]}"]
        for rank, level, source, line, title, message in _github_findings(report, item, n):
            findings += 1
            lines.append(f"{level} {source}:{line} {_gh(title)}: {_gh(message)}")
            kept = best[level]
            if len(kept) < GITHUB_PER_LEVEL or _sort_key(rank) < _sort_key(kept[-1][0]):
                props = f"file={_gh_prop(source)},line={line},title={_gh_prop(title)}"
                kept.append((rank, f"::{level} {props}::{_gh(message)}"))
                kept.sort(key=lambda kv: _sort_key(kv[0]))
                del kept[GITHUB_PER_LEVEL:]
        lines.append("::endgroup::")
        yield "\n".join(lines) + "\n"
    # the summary is one annotation too: an error when the gate fails, else a notice
    summary_level = "notice" if report.passed else "error"
    room = {level: GITHUB_PER_LEVEL - (level == summary_level) for level in _LEVEL_ORDER}
    room["error"] -= len(report.expired)
    annotated = [line for level in _LEVEL_ORDER for _, line in best[level][: max(0, room[level])]]
    out = [*annotated, *(f"::error title=expired waiver::{_gh(message)}" for message in report.expired)]
    summary = report.summary()
    hidden = findings - len(annotated)
    if hidden:
        summary += (
            f"; {hidden} more finding{'s' if hidden != 1 else ''} in this log, not annotated (GitHub shows "
            f"{GITHUB_PER_LEVEL} per level per step): --format sarif has them all"
        )
    gate = "passed" if report.passed else "failed"
    out.append(f"::{summary_level} title=jurisdiction gate {gate}::{_gh(summary)}")
    yield "\n".join(out) + "\n"


def _github_findings(
    report: Report, item: Checked, n: int
) -> Iterator[tuple[tuple[object, ...], str, str, int, str, str]]:
    """One spec's findings: (rank, level, file, line, title, message)."""
    a = item.assessment
    for o in a.obligations:
        if o.status == "met":
            continue
        level = _GITHUB_LEVEL[report.level(item, o)]
        field = item.field_of(o.fields)
        title = f"{o.id} [{o.status}, due {o.due}]"
        message = f"{o.title} in {summarize_codes(o.jurisdictions)} ({o.citation}; {o.url})"
        if o.waived is not None:
            message += f" — waived until {o.waived.expires}: {o.waived.reason}"
        rank = (_LEVEL_ORDER[level], o.status != "violated", o.due, n, o.id)
        yield rank, level, item.source, item.line_of(field), title, message
    gaps = set(item.uncovered)
    for why, codes in a.uncovered_by_reason():
        failing = bool(gaps & set(codes)) and not report.gate.passes([], None, codes)
        level = "error" if failing else "warning"
        title = f"not covered: {summarize_codes(codes)}"
        yield (_LEVEL_ORDER[level], True, None, n, title), level, item.source, item.line_of("users.regions"), title, why


def _sort_key(rank: tuple[object, ...]) -> tuple[object, ...]:
    """Errors first, violated before pending, soonest due first (coverage findings last in their level)."""
    level, not_violated, due, n, name = rank
    return (level, not_violated, due is None, str(due), n, name)


FORMATS: dict[str, Callable[[Report], Iterator[str]]] = {
    "text": stream_text,
    "json": stream_json,
    "markdown": stream_markdown,
    "sarif": stream_sarif,
    "junit": stream_junit,
    "github": stream_github,
    "html": lambda report: _html(report),
}


def _html(report: Report) -> Iterator[str]:
    from jurisdiction.outputs.html_report import stream_html  # the compliance report (html.py imports this module)

    return stream_html(report)


def stream(fmt: str, report: Report) -> Iterator[str]:
    """The report in `fmt`, piece by piece, reading its items once (they may be a stream)."""
    return FORMATS[fmt](report)


def render(fmt: str, report: Report) -> str:
    return "".join(stream(fmt, report))
