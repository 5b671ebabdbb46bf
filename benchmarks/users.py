"""User-table counting speed: rows/s of the compiled SQL on DuckDB and on Spark (local mode),
and peak memory, over a synthetic user table (tools/synthetic_users.py).

    python benchmarks/users.py                 # 10M users (figures for docs/performance.md)
    python benchmarks/users.py --smoke         # CI: 100k users, one run each, proves it runs
    python benchmarks/users.py --rows 50000000 --engines duckdb

Each engine runs in its own process, so its peak memory (max RSS; for Spark also the JVM) is its
own. Target (issue 6): DuckDB at least 20M rows/s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPEC = ROOT / "examples" / "linkedin-2024-as-happened.yaml"
TODAY = dt.date(2024, 9, 20)


def worker(engine_name: str, table: str, runs: int) -> dict[str, object]:
    from jurisdiction import RuleBook, load_practice
    from jurisdiction.evaluation.evaluator import Evaluator
    from jurisdiction.users import ColumnMap, counts_sql, plan_users
    from jurisdiction.users.backends import DuckDBBackend, SparkBackend, TableBackend

    started = time.perf_counter()
    plan = plan_users(load_practice(SPEC), Evaluator(RuleBook.load()), TODAY)
    plan_s = time.perf_counter() - started
    engine: TableBackend = DuckDBBackend() if engine_name == "duckdb" else SparkBackend("local[*]")
    cols = ColumnMap(subdivision="state").resolve(engine.open(table), table)
    sql = counts_sql(plan, cols, dialect=engine.dialect)
    times, rows = [], 0
    for _ in range(runs + (1 if engine_name == "spark" else 0)):  # Spark: one warm-up (JIT, planning)
        t0 = time.perf_counter()
        result = engine.query(sql)
        times.append(time.perf_counter() - t0)
        rows = sum(int(r[6]) for r in result)
    jvm_mb = 0.0
    if engine_name == "spark":
        times = times[1:]
        jvm_mb = _jvm_peak_mb(engine)
        engine.close()
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            active.stop()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "engine": engine_name,
        "rows": rows,
        "plan_s": round(plan_s, 3),
        "query_s": [round(t, 3) for t in times],
        "rows_per_s_median": round(rows / statistics.median(times)),
        "rows_per_s_best": round(rows / min(times)),
        "peak_rss_mb": round(own),
        "peak_child_rss_mb": round(max(children, jvm_mb)),  # the JVM, for Spark
    }


def _jvm_peak_mb(engine: object) -> float:
    """The JVM's peak RSS (VmHWM), read while it still runs (Linux)."""
    try:
        proc = engine.spark.sparkContext._gateway.proc  # type: ignore[attr-defined]
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (AttributeError, OSError, ValueError):
        pass
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--rows", type=int)
    ap.add_argument("--engines", default="duckdb,spark")
    ap.add_argument("--worker", nargs=3, metavar=("ENGINE", "TABLE", "RUNS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        name, table, runs = args.worker
        print(json.dumps(worker(name, table, int(runs))))
        return
    rows = args.rows or (100_000 if args.smoke else 10_000_000)
    runs = 1 if args.smoke else 5
    engines = [e for e in args.engines.split(",") if e]
    if "spark" in engines:
        try:
            import pyspark  # noqa: F401
        except ImportError:
            print("pyspark not installed (the spark extra): skipping Spark", file=sys.stderr)
            engines.remove("spark")
    from tools.synthetic_users import generate

    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "users.parquet"
        t0 = time.perf_counter()
        generate(table, rows, seed=1)
        print(
            f"synthetic table: {rows:,} users, {table.stat().st_size / 1e6:.0f} MB Parquet, "
            f"generated in {time.perf_counter() - t0:.1f} s"
        )
        results = {}
        for name in engines:
            done = subprocess.run(
                [sys.executable, __file__, "--worker", name, str(table), str(runs)],
                capture_output=True,
                text=True,
                check=True,
            )
            results[name] = json.loads(done.stdout.strip().splitlines()[-1])
        for name, r in results.items():
            print(
                f"{name:7s} {r['rows']:,} rows: median {r['rows_per_s_median'] / 1e6:.1f}M rows/s "
                f"(best {r['rows_per_s_best'] / 1e6:.1f}M; query {r['query_s']} s; plan {r['plan_s']} s); "
                f"peak RSS {r['peak_rss_mb']} MB" + (f", JVM {r['peak_child_rss_mb']} MB" if name == "spark" else "")
            )
        if "duckdb" in results and "spark" in results:
            assert results["duckdb"]["rows"] == results["spark"]["rows"] == rows


if __name__ == "__main__":
    main()
