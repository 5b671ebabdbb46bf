"""`jurisdiction timeline`: the portfolio view, its formats (text, JSON against the committed
schema, markdown, iCalendar), the `--fail-within` gate and its exit codes, and bad input."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import jsonschema
import pytest

from jurisdiction.evaluation.timeline import Timeline
from jurisdiction.outputs.timeline import ical_fold, ical_text
from jurisdiction.schemas import DIR
from tests.helpers import EXAMPLES, WARN_ONLY, cli

# An approved practice (clear today but for the Oklahoma law that reaches it on 2027-01-01)
OKLAHOMA = """\
id: ok-ads
title: Targeted ads in Oklahoma
data_subjects: [customer]
data_categories: [user.behavior.browsing_history]
data_uses: [marketing.advertising.third_party.targeted]
recipients: [third_party]
users: {regions: [US-OK], min_age: 18}
starts: 2025-01-01
policy: {discloses: [marketing.advertising.third_party.targeted], updated: 2024-10-01, notified: 2024-10-01}
control: opt_out
existing_data: false
assessments: []
"""


@pytest.fixture
def oklahoma(tmp_path: Path) -> Path:
    path = tmp_path / "ok.yaml"
    path.write_text(OKLAHOMA, encoding="utf-8")
    return path


def test_text_names_the_law_the_due_date_and_the_lead_time(oklahoma: Path) -> None:
    result = cli("timeline", oklahoma, "--from", "2026-12-01", "--until", "2027-12-31")
    assert result.code == 0, result.err
    out = result.out
    assert "2027-01-01 (in 31 days)" in out
    assert "in force: us-ok-ocdpa" in out
    assert "due: us-ok-ocdpa/data-protection-assessment" in out
    assert "2027-01-02 (in 32 days)" in out
    assert "pending -> VIOLATED: us-ok-ocdpa/data-protection-assessment in US-OK" in out
    assert "verdict: ACTION REQUIRED -> BLOCKED" in out


def test_fail_within_is_a_gate_a_month_ahead(oklahoma: Path) -> None:
    """A month before the law: 31 days ahead reaches its due date and fails; 30 does not."""
    failing = cli("timeline", oklahoma, "--from", "2026-12-01", "--fail-within", "31")
    assert failing.code == 1, failing.out + failing.err
    assert "ok-ads: us-ok-ocdpa/data-protection-assessment due 2027-01-01 in US-OK (pending)" in failing.out
    assert "failed: 1 due, in 1 practice" in failing.out
    passing = cli("timeline", oklahoma, "--today", "2026-12-01", "--fail-within", "30")  # --today: --from
    assert passing.code == 0, passing.out
    assert "passed" in passing.out.splitlines()[-1]
    # the day after the due date it is overdue: any window fails
    late = cli("timeline", oklahoma, "--from", "2027-01-02", "--fail-within", "0", "--format", "json")
    assert late.code == 1
    gate = json.loads(late.out)["gate"]
    assert gate["passed"] is False and gate["due"][0]["status"] == "violated"


@pytest.mark.parametrize(("expires", "code"), [("2027-06-30", 0), ("2026-12-31", 1)])
def test_a_waiver_through_the_gate_day_passes_it(oklahoma: Path, expires: str, code: int) -> None:
    waivers = oklahoma.parent / "w.yaml"
    waivers.write_text(
        "waivers:\n  - obligation: us-ok-ocdpa/data-protection-assessment\n    spec: ok-ads\n"
        f"    reason: assessment booked for January\n    owner: privacy@example.com\n    expires: {expires}\n",
        encoding="utf-8",
    )
    args = ("timeline", oklahoma, "--from", "2026-12-01", "--fail-within", "31", "--waivers", waivers)
    result = cli(*args, "--format", "json")
    assert result.code == code, result.out + result.err
    gate = json.loads(result.out)["gate"]
    assert len(gate["waived"] if code == 0 else gate["due"]) == 1
    if code == 0:
        assert gate["waived"][0]["waiver"] == f"{waivers}:2 (until {expires})"
        assert "waived: ok-ads: us-ok-ocdpa/data-protection-assessment" in cli(*args).out
    bad = oklahoma.parent / "bad.yaml"
    bad.write_text(waivers.read_text().replace("data-protection-assessment", "data-protection-asessment"))
    assert cli("timeline", oklahoma, "--fail-within", "31", "--waivers", bad).code == 2


def test_fail_within_counts_warnings_only_when_asked() -> None:
    """The only obligation due is a warning: the gate passes, unless --fail-on-warnings."""
    args = ("timeline", WARN_ONLY, "--from", "2025-10-01", "--fail-within", "60")
    assert cli(*args).code == 0
    strict = cli(*args, "--fail-on-warnings", "--format", "json")
    assert strict.code == 1
    assert [(g["id"], g["severity"]) for g in json.loads(strict.out)["gate"]["due"]] == [
        ("eu-gdpr/compatibility-or-new-basis", "warning")
    ]


def test_json_validates_against_the_committed_schema(oklahoma: Path) -> None:
    result = cli("timeline", oklahoma, EXAMPLES, "--from", "2024-01-01", "--until", "2027-12-31", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    schema = json.loads((DIR / "timeline.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    timeline = Timeline.model_validate(data)
    assert timeline.from_.isoformat() == data["from"] == "2024-01-01"
    assert timeline.practices[0].practice == "ok-ads" and len(timeline.practices) > len(list(EXAMPLES.glob("*.yaml")))
    assert cli("schema", "timeline").out == (DIR / "timeline.schema.json").read_text(encoding="utf-8")


def test_markdown_is_a_table_by_date(oklahoma: Path) -> None:
    result = cli("timeline", oklahoma, "--from", "2026-12-01", "--format", "markdown")
    assert result.code == 0
    assert "| date | lead time | practice | what |" in result.out
    assert re.search(r"\| 2027-01-01 \| 31 d \| `ok-ads` \| in force: us-ok-ocdpa<br>due: ", result.out)


def test_html_report_carries_the_timeline(oklahoma: Path) -> None:
    """The compliance report as of --from, each practice with its dates ahead: marked on the
    plan's date axis and listed with the lead time, the same dates as the JSON."""
    args = ("timeline", oklahoma, EXAMPLES, "--from", "2026-12-01", "--until", "2027-12-31")
    page = cli(*args, "--format", "html")
    assert page.code == 0, page.err
    data = json.loads(cli(*args, "--format", "json").out)
    html = page.out
    assert html.startswith("<!DOCTYPE html>") and "http://" not in html.replace("http://www.w3.org", "")
    for line in data["practices"]:
        start = html.index(f"<section class='practice' id='{line['practice']}'>")
        end = html.index("</section>", start)
        section = html[start:end]
        assert "<h2>Ahead: 2026-12-01 to 2027-12-31</h2>" in section
        dates = [e["date"] for e in line["events"]]
        assert re.findall(r"<tr class='event' data-date='([\d-]+)'>", section) == dates
        assert re.findall(r"<g class='event' data-date='([\d-]+)'>", section) == dates
    ok = html[html.index("id='ok-ads'") :]
    assert "<td class='n'>31 d</td>" in ok and "In force: <a href=" in ok


def test_output_is_deterministic(oklahoma: Path) -> None:
    for fmt in ("text", "json", "markdown", "ics", "html"):
        args = ("timeline", oklahoma, EXAMPLES, "--from", "2025-01-01", "--until", "2027-12-31", "--format", fmt)
        assert cli(*args).out == cli(*args).out


# -- iCalendar -------------------------------------------------------------------------------
def _unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")  # CRLF only
    raw = text[:-2].split("\r\n")
    for line in raw:
        assert len(line.encode("utf-8")) <= 75, line
    lines: list[str] = []
    for line in raw:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def test_ics_is_strict_rfc5545(oklahoma: Path) -> None:
    result = cli("timeline", oklahoma, EXAMPLES, "--from", "2024-01-01", "--until", "2027-12-31", "--format", "ics")
    assert result.code == 0
    lines = _unfold(result.out)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    events: list[dict[str, str]] = []
    depth = 0
    for line in lines:
        assert re.match(r"^[A-Z-]+(;[A-Z-]+=[^:;]+)*:", line), line
        name, _, value = line.partition(":")
        if line == "BEGIN:VEVENT":
            depth += 1
            events.append({})
        elif line == "END:VEVENT":
            depth -= 1
        elif depth:
            assert name not in events[-1], f"{name} twice in one event"
            events[-1][name] = value
    assert depth == 0 and len(events) > 10
    uids = [e["UID"] for e in events]
    assert len(set(uids)) == len(uids)
    data = json.loads(
        cli("timeline", oklahoma, EXAMPLES, "--from", "2024-01-01", "--until", "2027-12-31", "--format", "json").out
    )
    citations = {i["citation"] for p in data["practices"] for e in p["events"] for i in e["due"]}
    citations |= {i["citation"] for p in data["practices"] for i in p["overdue"]}
    citations |= {law["citation"] for p in data["practices"] for e in p["events"] for law in e["laws"]}
    seen = set()
    for event in events:
        assert set(event) >= {"UID", "DTSTAMP", "DTSTART;VALUE=DATE", "DTEND;VALUE=DATE", "SUMMARY", "DESCRIPTION"}
        assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"])
        assert re.fullmatch(r"\d{8}", event["DTSTART;VALUE=DATE"])
        assert event["DTEND;VALUE=DATE"] > event["DTSTART;VALUE=DATE"]
        for name in ("SUMMARY", "DESCRIPTION"):
            assert not re.search(r"(?<!\\)[;,]", event[name].replace("\\\\", "")), f"unescaped in {name}"
        description = _unescape(event["DESCRIPTION"])
        assert "Practices concerned: " in description
        seen.add(description.split("\n")[0] if event["SUMMARY"].startswith("In force") else description.split("\n")[1])
    assert seen == citations  # every law and due date is an event, with its citation
    due = [e for e in events if e["SUMMARY"].startswith("Due") and "ok-ads (US-OK)" in _unescape(e["DESCRIPTION"])]
    assert [e["DTSTART;VALUE=DATE"] for e in due] == ["20270101"]


def test_ics_parses_with_a_real_parser(oklahoma: Path) -> None:
    """`icalendar` (not a dependency: skipped without it) reads every event back: dates, UIDs,
    and the unescaped text with the citations."""
    icalendar = pytest.importorskip("icalendar")
    args = ("timeline", oklahoma, EXAMPLES, "--from", "2024-01-01", "--until", "2027-12-31")
    calendar = icalendar.Calendar.from_ical(cli(*args, "--format", "ics").out)
    events = list(calendar.walk("VEVENT"))
    data = json.loads(cli(*args, "--format", "json").out)
    laws = {(e["date"], law["id"]) for p in data["practices"] for e in p["events"] for law in e["laws"]}
    items = [i for p in data["practices"] for e in p["events"] for i in (*e["due"], *e["added"])]
    items += [i for p in data["practices"] for i in p["overdue"]]
    assert len(events) == len(laws) + len({(i["due"], i["id"]) for i in items})
    assert len({str(e.get("UID")) for e in events}) == len(events)
    by_id = {i["id"]: i for i in items}
    for event in events:
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert type(start) is dt.date and end == start + dt.timedelta(days=1)
        summary, description = str(event.get("SUMMARY")), str(event.get("DESCRIPTION"))
        if summary.startswith("Due: "):
            oid = description.split(" ")[0]
            assert summary == f"Due: {by_id[oid]['title']}"
            assert by_id[oid]["citation"] in description.split("\n")
    assert any(str(e.get("SUMMARY")).startswith("In force: Oklahoma") for e in events)


def test_ics_helpers() -> None:
    assert ical_text("a, b; c\\d\ne") == "a\\, b\\; c\\\\d\\ne"
    folded = ical_fold("DESCRIPTION:" + "é" * 100)
    parts = folded[:-2].split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == "DESCRIPTION:" + "é" * 100
    assert ical_fold("SHORT:x") == "SHORT:x\r\n"


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--from", "2027-01-01", "--until", "2026-01-01"), "--until 2026-01-01 is before --from 2027-01-01"),
        (("--fail-within", "-3"), "not a number of days"),
        (("--fail-within", "soon"), "not a number of days"),
        (("--from", "2026-13-01"), "is not a date"),
        (("--from", "2026-12-01", "--until", "2026-12-10", "--fail-within", "30"), "looks past --until"),
        (("--format", "pdf"), "invalid choice"),
    ],
)
def test_bad_arguments_exit_2(oklahoma: Path, args: tuple[str, ...], says: str) -> None:
    result = cli("timeline", oklahoma, *args)
    assert result.code == 2, result.out
    assert says in result.err and "Traceback" not in result.err


def test_bad_spec_exits_2_naming_the_file(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(OKLAHOMA.replace("starts: 2025-01-01", "starts: someday"), encoding="utf-8")
    result = cli("timeline", spec)
    assert result.code == 2
    assert "bad.yaml" in result.err and "starts" in result.err
    assert cli("timeline", tmp_path / "missing.yaml").code == 2


def test_markdown_for_a_large_portfolio_fits_one_comment(tmp_path: Path) -> None:
    folder = tmp_path / "portfolio"
    folder.mkdir()
    examples = sorted(EXAMPLES.glob("*.yaml"))
    for i in range(40):
        text = examples[i % len(examples)].read_text(encoding="utf-8")
        (folder / f"p{i:02d}.yaml").write_text(re.sub(r"(?m)^id: .*$", f"id: p{i:02d}", text), encoding="utf-8")
    window = ("--today", "2026-12-01", "--until", "2029-12-01")
    full = cli("timeline", folder, *window, "--format", "json")
    assert full.code == 0, full.err
    markdown = cli("timeline", folder, *window, "--format", "markdown").out
    assert len(markdown) <= 65_536
    assert "Trimmed to fit one pull-request comment" in markdown and "--format ics" in markdown
    # a small timeline is whole
    assert "Trimmed" not in cli("timeline", examples[0], *window, "--format", "markdown").out
