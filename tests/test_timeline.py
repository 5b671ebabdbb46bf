"""The timeline equals evaluating on every day: for the library's examples and rule test cases,
and for generated practices, the assessment on any day of the window is the one on the latest
event date before it (or the window's first day), every day whose assessment differs from the
day before is an event, and what an event says changed is what evaluating says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jurisdiction import Evaluator, Practice, load_practice, parse_practice
from jurisdiction.evaluation.timeline import PracticeTimeline
from jurisdiction.law.upcoming import upcoming
from jurisdiction.practice.specs import merge
from tests.helpers import EXAMPLES, library
from tests.strategies import practice_specs

BOOK = library()
EVALUATOR = Evaluator(BOOK, "native")
ONE = dt.timedelta(days=1)
LIBRARY_DATES = upcoming(BOOK, dt.date.min, dt.date.max)


def _state(practice: Practice, day: dt.date) -> dict[str, Any]:
    data = dict(EVALUATOR.evaluate_plain(practice, day).data)
    data.pop("today")
    return data


def _days(start: dt.date, until: dt.date, step: int = 1) -> Iterable[dt.date]:
    day = start
    while day <= until:
        yield day
        day += dt.timedelta(days=step)


def _per_code_status(state: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {
        (ob["id"], code): row["status"]
        for ob in state["obligations"]
        for row in ob.get("details") or (ob,)
        for code in row["jurisdictions"]
    }


def assert_equivalent(practice: Practice, start: dt.date, until: dt.date, step: int = 1) -> PracticeTimeline:
    """Evaluate on every `step`-th day of the window, on every event date +-1 day and on every
    date the library changes (a law, rule, parameter or group; `rules upcoming`), and hold the
    timeline to those answers."""
    line = EVALUATOR.timeline(practice, start, until)
    dates = [e.date for e in line.events]
    assert dates == sorted(set(dates)) and all(start <= d <= until for d in dates)
    probe = set(_days(start, until, step)) | {until}
    probe |= {row.date for row in LIBRARY_DATES if start <= row.date <= until}  # every dated change of the library
    probe |= {d + k * ONE for d in dates for k in (-1, 0, 1) if start <= d + k * ONE <= until}
    states = {day: _state(practice, day) for day in sorted(probe)}
    first = states[start]
    assert line.verdict == first["verdict"]
    for day in sorted(probe):
        anchor = max((d for d in dates if d <= day), default=start)
        if anchor not in states:
            states[anchor] = _state(practice, anchor)
        assert states[day] == states[anchor], f"{practice.id}: {day} differs from the event on {anchor}"
        before = day - ONE
        if before >= start and before in states and states[before] != states[day]:
            assert day in dates, f"{practice.id}: the assessment changes on {day}, not in the timeline"
    for event in line.events:
        now = states[event.date]
        assert event.days == (event.date - start).days
        due_here = {
            (ob["id"], code)
            for ob in now["obligations"]
            for row in ob.get("details") or (ob,)
            if row["due"] == event.date and row["status"] != "met"
            for code in row["jurisdictions"]
        }
        assert {(i.id, c) for i in event.due for c in i.jurisdictions} == due_here
        if event.date == start:
            assert not event.changes and event.verdict is None
            continue
        was = states[event.date - ONE]
        said = (event.verdict.was, event.verdict.now) if event.verdict is not None else None
        assert said == ((was["verdict"], now["verdict"]) if was["verdict"] != now["verdict"] else None)
        old, new = _per_code_status(was), _per_code_status(now)
        flips = {(k, old[k], new[k]) for k in new if k in old and old[k] != new[k]}
        assert {((c.id, j), c.was, c.now) for c in event.changes for j in c.jurisdictions} == flips
        came = {law["id"] for law in now["laws"] if law["status"] == "in_force"} - {
            law["id"] for law in was["laws"] if law["status"] == "in_force"
        }
        assert {law.id for law in event.laws} == came
    return line


def test_examples_every_day() -> None:
    """Every day of three years, for every example."""
    events = 0
    for path in sorted(EXAMPLES.glob("*.yaml")):
        line = assert_equivalent(load_practice(path), dt.date(2023, 6, 1), dt.date(2026, 5, 31))
        events += len(line.events)
    assert events > 0  # not vacuous


def test_rule_test_cases() -> None:
    """Every rule test case's practice, over a window around its date: change points +-1 day and
    every tenth day."""
    count = flips = laws = 0
    for _, test, _ in BOOK.tests:
        for case in test.cases:
            practice = parse_practice(merge(test.base, case.practice))
            start = min(case.today, practice.starts) - dt.timedelta(days=120)
            line = assert_equivalent(practice, start, start + dt.timedelta(days=730), step=10)
            count += 1
            flips += sum(1 for e in line.events if e.changes)
            laws += sum(1 for e in line.events if e.laws)
    assert count >= len(BOOK.laws) * 3
    assert flips > 100 and laws > 10  # the windows see statuses change and laws come into force


REGIONS = ["US", "US-CA", "US-OK", "US-LA", "US-AL", "US-VT", "US-TX", "EU", "EEA", "GB", "BR", "JP", "CH", "KR"]
DAYS = st.dates(min_value=dt.date(2018, 1, 1), max_value=dt.date(2029, 12, 31))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=practice_specs(REGIONS, DAYS), start=DAYS, length=st.integers(0, 1100))
def test_generated_practices(spec: dict[str, Any], start: dt.date, length: int) -> None:
    """Change points +-1 day and every third day of windows up to three years."""
    assert_equivalent(parse_practice(spec), start, start + dt.timedelta(days=length), step=3)


def test_a_law_coming_into_force_is_an_event_with_its_lead_time() -> None:
    """A practice running in Oklahoma before its law is in force: the law's first day is an
    event, its obligations fall due then, and they become overdue the day after."""
    spec = {
        "id": "ok",
        "title": "Targeted ads in Oklahoma",
        "data_subjects": ["customer"],
        "data_categories": ["user.behavior.browsing_history"],
        "data_uses": ["marketing.advertising.third_party.targeted"],
        "recipients": ["third_party"],
        "users": {"regions": ["US-OK"], "min_age": 18, "counts": {"US-OK": 500000}},
        "starts": "2025-01-01",
        "policy": {"discloses": [], "updated": None, "notified": None},
        "control": "none",
        "existing_data": True,
    }
    practice = parse_practice(spec)
    line = assert_equivalent(practice, dt.date(2026, 12, 1), dt.date(2027, 12, 31))
    laws = {law.id: e for e in line.events for law in e.laws}
    assert set(laws) == {"us-ok-ocdpa"}, line
    effective = laws["us-ok-ocdpa"].date
    assert effective == dt.date(2027, 1, 1)
    event = laws["us-ok-ocdpa"]
    assert event.days == (effective - dt.date(2026, 12, 1)).days
    assert event.due, "obligations fall due when the law comes into force"
    after = next(e for e in line.events if e.date == effective + ONE)
    assert {c.now for c in after.changes} == {"violated"}


def test_window_before_start_is_refused() -> None:
    practice = load_practice(sorted(EXAMPLES.glob("*.yaml"))[0])
    with pytest.raises(ValueError, match="before it starts"):
        EVALUATOR.timeline(practice, dt.date(2027, 1, 1), dt.date(2026, 1, 1))
