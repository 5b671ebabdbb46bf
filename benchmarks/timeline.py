"""`Evaluator.timelines`: a portfolio's regulatory timeline, by size.

    python benchmarks/timeline.py            # full run: 1,000 practices over three years (docs/performance.md)
    python benchmarks/timeline.py --smoke    # CI: 50 practices over one year, just proves it runs

The practices are generated (seeded, so every run is the same portfolio): regions across the
US states, the EU, the UK and elsewhere, start dates from 2024 to 2029, policies updated or
not, assessments done or not. For each run it prints the practices, the window, how many
evaluations the timeline made (the window's first day and the change points), the events it
found, the time, and practices per second; then, for a sample, what evaluating every day of
the window costs instead, and whether the two agree on every day of the sample.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jurisdiction import Evaluator, Practice, RuleBook, parse_practice  # noqa: E402
from jurisdiction.evaluation.timeline import practice_timeline  # noqa: E402
from jurisdiction.vocabulary.taxonomy import taxonomy  # noqa: E402

START = dt.date(2026, 12, 1)
REGIONS = [
    "US",
    "US-CA",
    "US-TX",
    "US-OK",
    "US-LA",
    "US-AL",
    "US-VT",
    "US-CO",
    "US-VA",
    "US-NY",
    "EU",
    "EEA",
    "GB",
    "CH",
    "BR",
    "CA",
    "JP",
    "KR",
    "IN",
    "AU",
]


def generate(n: int, seed: int = 7) -> list[Practice]:
    rng = random.Random(seed)
    tax = taxonomy()
    categories = sorted(tax.keys("data_category"))
    uses = sorted(tax.keys("data_use"))
    subjects = ["customer", "customer", "user", "employee", "student"]
    subjects = [s for s in subjects if s in tax.keys("data_subject")] or sorted(tax.keys("data_subject"))[:3]
    out = []
    for i in range(n):
        starts = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(6 * 365))
        updated = None if rng.random() < 0.4 else (starts - dt.timedelta(days=rng.randrange(0, 120))).isoformat()
        spec: dict[str, Any] = {
            "id": f"practice-{i:04d}",
            "title": f"Generated practice {i}",
            "data_subjects": rng.sample(subjects, 1),
            "data_categories": rng.sample(categories, rng.randint(1, 3)),
            "data_uses": rng.sample(uses, rng.randint(1, 2)),
            "recipients": rng.sample(["first_party", "processor", "third_party"], rng.randint(1, 2)),
            "users": {"regions": rng.sample(REGIONS, rng.randint(1, 4)), "min_age": rng.choice([13, 16, 18])},
            "control": rng.choice(["none", "opt_out", "opt_in"]),
            "existing_data": rng.random() < 0.5,
            "assessments": rng.sample(["dpia", "lia", "risk_assessment", "pia"], rng.randint(0, 3)),
            "starts": starts.isoformat(),
            "policy": {
                "discloses": rng.sample(uses, rng.randint(0, 2)),
                "updated": updated,
                "notified": updated if rng.random() < 0.5 else None,
            },
        }
        out.append(parse_practice(spec))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--engine", default="native", choices=["native", "rete"])
    args = ap.parse_args()
    n, years, sample = (50, 1, 3) if args.smoke else (1000, 3, 10)
    until = START.replace(year=START.year + years) - dt.timedelta(days=1)
    days = (until - START).days + 1

    book = RuleBook.load(ROOT / "rules")
    evaluator = Evaluator(book, args.engine)
    practices = generate(n)
    evaluator.timelines(practices[:5], START, until)  # warm the caches

    t = time.perf_counter()
    timeline = evaluator.timelines(practices, START, until)
    seconds = time.perf_counter() - t
    events = sum(len(line.events) for line in timeline.practices)
    dates = len({e.date for line in timeline.practices for e in line.events})

    calls = 0

    def counted(practice: Practice, day: dt.date) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        return evaluator.evaluate_plain(practice, day).data

    for practice in practices:
        practice_timeline(counted, practice, START, until)

    print(f"timeline [{args.engine}]: {n} practices, {START} to {until} ({days} days)")
    print(
        f"  {calls} evaluations ({calls / n:.1f} per practice: the first day and the change points), "
        f"{events} events on {dates} distinct dates"
    )
    print(f"  {seconds:.2f} s, {n / seconds:,.0f} practices/s, {1000 * seconds / n:.2f} ms per practice")

    # the naive way, on a sample: every day of the window
    t = time.perf_counter()
    agree = True
    for practice, line in list(zip(practices, timeline.practices, strict=True))[:sample]:
        anchors = [START, *(e.date for e in line.events)]
        states: dict[dt.date, dict[str, Any]] = {}
        day = START
        while day <= until:
            data = dict(evaluator.evaluate_plain(practice, day).data)
            data.pop("today")
            states[day] = data
            day += dt.timedelta(days=1)
        for day, data in states.items():
            anchor = max(a for a in anchors if a <= day)
            agree &= data == states[anchor]
    naive = (time.perf_counter() - t) / sample
    print(
        f"  every day instead: {1000 * naive:.0f} ms per practice ({naive * n:.1f} s for all, "
        f"{naive * n / seconds:.0f}x slower); the timeline agrees with it on every day of {sample} practices: {agree}"
    )
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
