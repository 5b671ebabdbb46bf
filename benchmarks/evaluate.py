"""Evaluation speed: library load and compile, warm evaluation per engine, cold CLI check.

    python benchmarks/evaluate.py            # full run (figures for docs/performance.md)
    python benchmarks/evaluate.py --smoke    # CI: a few iterations, just proves it runs

Targets (issue #2): native warm p50 <= 1 ms; cold check <= 0.6 s; library load <= 200 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic_core import to_json  # noqa: E402

from jurisdiction import RuleBook, load_practice  # noqa: E402
from jurisdiction.engines import rete_available  # noqa: E402
from jurisdiction.evaluation.evaluator import Evaluator  # noqa: E402

SPEC = ROOT / "examples" / "linkedin-2024-as-happened.yaml"
TODAY = dt.date(2024, 9, 20)


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    loads, warm_n, cold_n = (2, 50, 1) if args.smoke else (20, 5000, 10)

    times = []
    for _ in range(loads):
        t = time.perf_counter()
        book = RuleBook.load(ROOT / "rules")
        times.append(time.perf_counter() - t)
    rules = sum(len(law.spec.rules) for law in book.laws)
    median = statistics.median(times) * 1e3
    print(f"library load+compile ({len(book.laws)} laws, {rules} rules): median {median:.1f} ms")

    practice = load_practice(SPEC)
    engines = ["native", "rete"] if rete_available() else ["native"]
    for name in engines:
        t = time.perf_counter()
        evaluator = Evaluator(book, name)
        built = time.perf_counter() - t
        evaluator.evaluate(practice, TODAY)
        samples = []
        for _ in range(warm_n):
            t = time.perf_counter()
            evaluator.evaluate(practice, TODAY)
            samples.append(time.perf_counter() - t)
        print(
            f"warm evaluate [{name}] motivating case, {warm_n} runs: p50 {pct(samples, 50) * 1e3:.3f} ms, "
            f"p99 {pct(samples, 99) * 1e3:.3f} ms (engine build {built * 1e3:.1f} ms)"
        )
        if name == "native":
            # what the HTTP service pays: plain data straight to JSON bytes, no models
            samples = []
            for _ in range(warm_n):
                t = time.perf_counter()
                to_json(evaluator.evaluate_plain(practice, TODAY).data)
                samples.append(time.perf_counter() - t)
            print(
                f"warm evaluate_plain + JSON [{name}] motivating case, {warm_n} runs: "
                f"p50 {pct(samples, 50) * 1e3:.3f} ms, p99 {pct(samples, 99) * 1e3:.3f} ms"
            )

    exe = [sys.executable, "-m", "jurisdiction", "check", str(SPEC), "--today", "2024-09-20", "--format", "json"]
    walls = []
    for _ in range(cold_n):
        t = time.perf_counter()
        subprocess.run(exe, capture_output=True, check=False)
        walls.append(time.perf_counter() - t)
    print(f"cold `jurisdiction check` of one spec, {cold_n} runs: median {statistics.median(walls):.3f} s")


if __name__ == "__main__":
    main()
