"""Synthetic user tables for tests and benchmarks: seeded, with a realistic country/state mix
and ages (some minors, some without a birth date), sign-up dates and an opt-out flag.

Run: python tools/synthetic_users.py users.parquet --rows 1000000 --seed 7   (.csv works too)

The rows are generated inside DuckDB (no numpy): each value is a function of the row number
and the seed (`hash`), so the same seed gives the same table on any machine with the same
DuckDB version, and 10M rows take a few seconds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

# Share of users per country (a platform with a large US base); approximate, for realism only.
COUNTRIES: list[tuple[str, float]] = [
    ("US", 52.0),
    ("DE", 6.0),
    ("FR", 5.0),
    ("GB", 5.0),
    ("IN", 4.0),
    ("BR", 3.0),
    ("IT", 3.0),
    ("ES", 3.0),
    ("CA", 2.0),
    ("NL", 2.0),
    ("PL", 2.0),
    ("AU", 1.5),
    ("CH", 1.0),
    ("SE", 1.0),
    ("IE", 1.0),
    ("BE", 1.0),
    ("AT", 1.0),
    ("DK", 0.8),
    ("NO", 0.7),
    ("PT", 0.7),
    ("FI", 0.5),
    ("JP", 1.0),
    ("MX", 1.0),
    ("ZA", 0.8),
]
# US states by approximate share of population (percent); the rest share what is left.
US_STATES: list[tuple[str, float]] = [
    ("CA", 11.7),
    ("TX", 9.0),
    ("FL", 6.7),
    ("NY", 5.9),
    ("PA", 3.9),
    ("IL", 3.8),
    ("OH", 3.5),
    ("GA", 3.3),
    ("NC", 3.2),
    ("MI", 3.0),
    ("NJ", 2.8),
    ("VA", 2.6),
    ("WA", 2.3),
    ("AZ", 2.2),
    ("TN", 2.1),
    ("MA", 2.1),
    ("IN", 2.0),
    ("MD", 1.9),
    ("MO", 1.8),
    ("WI", 1.8),
    ("CO", 1.7),
    ("MN", 1.7),
    ("SC", 1.6),
    ("AL", 1.5),
    ("LA", 1.4),
    ("KY", 1.4),
    ("OR", 1.3),
    ("OK", 1.2),
    ("CT", 1.1),
    ("UT", 1.0),
]
OTHER_STATES = [
    "IA",
    "NV",
    "AR",
    "MS",
    "KS",
    "NM",
    "NE",
    "ID",
    "WV",
    "HI",
    "NH",
    "ME",
    "MT",
    "RI",
    "DE",
    "SD",
    "ND",
    "AK",
    "DC",
    "VT",
    "WY",
    "PR",
]


def _pick(u: str, table: list[tuple[str, float]]) -> str:
    """A CASE choosing a value by weight from a uniform [0, 1) expression `u`."""
    total = sum(w for _, w in table)
    arms, acc = [], 0.0
    for value, weight in table[:-1]:
        acc += weight / total
        arms.append(f"WHEN {u} < {acc:.6f} THEN '{value}'")
    return "CASE " + " ".join(arms) + f" ELSE '{table[-1][0]}' END"


def synthetic_sql(rows: int, seed: int = 0) -> str:
    """A DuckDB query yielding `rows` synthetic users."""

    def u(k: int) -> str:  # a uniform [0, 1) draw, the k-th for this row
        return f"((hash(i, {seed}, {k}) % 1000000007) / 1000000007.0)"

    rest = 100.0 - sum(w for _, w in US_STATES)
    states = US_STATES + [(s, rest / len(OTHER_STATES)) for s in OTHER_STATES]
    # Ages: 2% under 13, 6% 13–15, 5% 16–17, the rest 18–80; 4% without a birth date.
    age_years = (
        f"CASE WHEN {u(3)} < 0.02 THEN 8 + {u(4)} * 5 WHEN {u(3)} < 0.08 THEN 13 + {u(4)} * 3 "
        f"WHEN {u(3)} < 0.13 THEN 16 + {u(4)} * 2 ELSE 18 + {u(4)} * 62 END"
    )
    return f"""
SELECT
  i AS user_id,
  country,
  CASE WHEN country = 'US' AND {u(2)} >= 0.01 THEN {_pick(u(5), states)} END AS state,
  CASE WHEN {u(6)} < 0.04 THEN NULL
       ELSE DATE '2024-09-20' - CAST(floor(({age_years}) * 365.25) AS INTEGER) END AS birth_date,
  DATE '2005-01-01' + CAST(floor({u(7)} * 7300) AS INTEGER) AS signed_up,
  {u(8)} < 0.03 AS opted_out
FROM (SELECT i, {_pick(u(1), COUNTRIES)} AS country FROM range({int(rows)}) t(i))
"""


def generate(path: str | Path, rows: int, seed: int = 0, *, threads: int | None = None) -> Path:
    """Write `rows` synthetic users to `path` (.parquet or .csv)."""
    import duckdb

    out = Path(path)
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {threads}")
    fmt = "FORMAT CSV, HEADER" if out.suffix == ".csv" else "FORMAT PARQUET"
    target = str(out).replace("'", "''")
    con.execute(f"COPY ({synthetic_sql(rows, seed)}) TO '{target}' ({fmt})")
    con.close()
    return out


def rows_of(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a (small) table as dicts, for the pure-Python reference count."""
    import duckdb

    con = duckdb.connect()
    p = str(path).replace("'", "''")
    reader = "read_csv" if str(path).endswith(".csv") else "read_parquet"
    cur = con.execute(f"SELECT * FROM {reader}('{p}')")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("path", help="output file (.parquet or .csv)")
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    generate(args.path, args.rows, args.seed)
    print(f"{args.rows:,} users -> {args.path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
