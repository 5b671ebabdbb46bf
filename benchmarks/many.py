"""`Evaluator.evaluate_many`: in-process vs the process pool, by batch size.

    python benchmarks/many.py            # full run (figures for docs/performance.md)
    python benchmarks/many.py --smoke    # CI: small sizes, just proves it runs

The batch is the rule-test-case practices and the examples, repeated. For each size it times
one process (workers=1), the pool (workers=2) and the automatic choice (workers=None), and
checks that all three give identical assessments in the same order.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jurisdiction import Practice, RuleBook, load_practice, parse_practice  # noqa: E402
from jurisdiction.evaluation.batch import cores, plan_workers  # noqa: E402
from jurisdiction.evaluation.evaluator import Evaluator  # noqa: E402
from jurisdiction.evaluation.ruletests import merge  # noqa: E402

TODAY = dt.date(2025, 6, 1)


def timed(evaluator: Evaluator, batch: list[Practice], workers: int | None) -> tuple[float, list[str]]:
    t = time.perf_counter()
    out = evaluator.evaluate_many(batch, TODAY, workers=workers)
    return time.perf_counter() - t, [a.model_dump_json() for a in out]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--engine", default="native", choices=["native", "rete"])
    args = ap.parse_args()
    sizes = [20, 200] if args.smoke else [50, 400, 1000, 2000, 4000]

    book = RuleBook.load(ROOT / "rules", with_tests=True)
    pool = [parse_practice(merge(t.base, c.practice)) for _, t, _ in book.tests for c in t.cases]
    pool += [load_practice(p) for p in sorted((ROOT / "examples").glob("*.yaml"))]
    evaluator = Evaluator(book, args.engine)
    print(f"evaluate_many [{args.engine}], {cores()} cores, {len(pool)} distinct practices repeated")
    failed = False
    for size in sizes:
        batch = (pool * (size // len(pool) + 1))[:size]
        one, a = timed(evaluator, batch, 1)
        two, b = timed(evaluator, batch, 2)
        auto, c = timed(evaluator, batch, None)
        same = a == b == c
        failed |= not same
        print(
            f"{size:>5} practices: in-process {one:6.2f} s, pool of 2 {two:6.2f} s ({one / two:4.2f}x), "
            f"auto ({plan_workers(size, None)} proc) {auto:6.2f} s; identical, in order: {same}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
