"""`jurisdiction users` says which columns it used (given with --map or guessed) and which it
ignored, and reads an age column (integer or any number) on DuckDB, the Python reference and
Spark alike."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from jurisdiction.evaluation.evaluator import Evaluator
from jurisdiction.practice.specs import load_practice
from jurisdiction.users import ColumnMap, counts_sql, plan_users, reference_rows
from tests.helpers import spark_ready

from .helpers import EXAMPLES, cli

KIDS = EXAMPLES / "childrens-learning-app.yaml"


@pytest.fixture(scope="module")
def evaluator(native: Evaluator) -> Evaluator:
    return native


AGES_CSV = (
    "user_id,country,state,age,signup,plan\n"
    "1,US,CA,9,2020-01-01,free\n"  # under 13: parental consent
    "2,US,CA,40,2020-01-01,pro\n"  # adult
    "3,DE,,14,2020-01-01,free\n"  # under DE's 16: parental consent
    "4,DE,,30,2027-01-01,free\n"  # adult, signed up after starts: not existing data
    "5,US,TX,,2020-01-01,free\n"  # no age: unknown
)


def _table(tmp_path: Path, body: str = AGES_CSV, name: str = "users.csv") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def _csv_rows(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            out: dict[str, Any] = {k: (v or None) for k, v in row.items()}
            if out.get("age") is not None:
                out["age"] = float(out["age"]) if "." in out["age"] else int(out["age"])
            if out.get("signup") is not None:
                out["signup"] = dt.date.fromisoformat(out["signup"])
            rows.append(out)
    return rows


def test_users_reports_the_columns_it_used_given_or_guessed_and_those_it_ignored(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    table = _table(tmp_path)
    r = cli("users", KIDS, "--users", table, "--map", "subdivision=state", "--today", "2026-05-01")
    assert r.code == 0, r.err
    line = next(x for x in r.out.splitlines() if x.startswith("Columns: "))
    assert line == (
        "Columns: id=user_id (guessed), country=country (guessed), subdivision=state (given), "
        "age=age (guessed), signed_up=signup (guessed); ignored: plan"
    )
    data = json.loads(cli("users", KIDS, "--users", table, "--today", "2026-05-01", "--format", "json").out)
    assert data["columns"] == {
        "columns": {"id": "user_id", "country": "country", "subdivision": "state", "age": "age", "signed_up": "signup"},
        "given": [],
        "guessed": ["id", "country", "subdivision", "age", "signed_up"],
        "ignored": ["plan"],
    }


def test_users_reads_an_age_column_and_a_signup_column_without_a_map(tmp_path: Path, evaluator: Evaluator) -> None:
    pytest.importorskip("duckdb")
    from jurisdiction.users.backends import count_users

    plan = plan_users(load_practice(KIDS), evaluator, dt.date(2026, 5, 1))
    counts = count_users(plan, str(_table(tmp_path)), ColumnMap())
    assert counts.users == 5 and counts.unknown_age == 1
    assert counts.existing_data == 4  # user 4 signed up after `starts` (column `signup`)
    parental = next(s for s in counts.steps if s.kind == "parental_consent")
    assert parental.users == 3  # the 9- and 14-year-olds and the unknown age; not the adults


def test_birth_date_wins_over_a_found_age_unless_the_map_names_age(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    table = _table(tmp_path, "user_id,country,birth_date,age\n1,US,2000-01-01,9\n")
    base = ("users", KIDS, "--users", table, "--today", "2026-05-01", "--format", "json")
    found = json.loads(cli(*base).out)["columns"]
    assert found["columns"].get("birth_date") == "birth_date" and "age" not in found["columns"]
    assert found["ignored"] == ["age"]
    named = json.loads(cli(*base, "--map", "age=age").out)["columns"]
    assert named["columns"].get("age") == "age" and "birth_date" not in named["columns"]
    assert named["given"] == ["age"] and named["ignored"] == ["birth_date"]
    both = cli(*base, "--map", "age=age,birth_date=birth_date")
    assert both.code == 2 and "either birth_date or age" in both.err


@pytest.mark.parametrize(
    ("ages", "kind"),
    [(["9", "40", "14", "30", ""], "integer"), (["9.0", "40.5", "14.2", "30.0", ""], "float")],
    ids=["integer", "numeric"],
)
def test_an_age_column_counts_the_same_on_duckdb_and_the_python_reference(
    tmp_path: Path, evaluator: Evaluator, ages: list[str], kind: str
) -> None:
    pytest.importorskip("duckdb")
    from jurisdiction.users.backends import DuckDBBackend

    lines = AGES_CSV.splitlines()
    body = lines[0] + "\n"
    for line, age in zip(lines[1:], ages, strict=True):
        cells = line.split(",")
        cells[3] = age
        body += ",".join(cells) + "\n"
    table = _table(tmp_path, body)
    plan = plan_users(load_practice(KIDS), evaluator, dt.date(2026, 5, 1))
    engine = DuckDBBackend()
    schema = engine.open(str(table))
    assert schema["age"] == kind
    cols = ColumnMap().resolve(schema, str(table))
    assert cols.age == "age" and cols.signed_up == "signup"
    got = engine.query(counts_sql(plan, cols))
    want = reference_rows(plan, cols, _csv_rows(table))
    assert _sorted(got) == _sorted(want)
    assert sum(r[6] for r in got) == 5 and any(r[5] == -1 for r in got)  # -1: the row without an age


def _sorted(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=lambda r: tuple((x is None, str(x)) for x in r))


@pytest.mark.skipif(not spark_ready(), reason="needs pyspark (the spark extra) and Java")
def test_an_age_column_counts_the_same_on_spark(tmp_path: Path, evaluator: Evaluator) -> None:
    pytest.importorskip("duckdb")
    from jurisdiction.users.backends import SparkBackend, count_users

    table = str(_table(tmp_path))
    plan = plan_users(load_practice(KIDS), evaluator, dt.date(2026, 5, 1))
    on_duck = count_users(plan, table, ColumnMap())
    on_spark = count_users(plan, table, ColumnMap(), backend=SparkBackend("local[2]"))
    strip = {"backend", "seconds"}
    assert on_spark.model_dump(exclude=strip) == on_duck.model_dump(exclude=strip)
    assert on_spark.columns is not None and on_spark.columns.columns["age"] == "age"
    assert on_spark.unknown_age == 1


def test_print_sql_reads_the_age_column_mapped_not_the_default_birth_date() -> None:
    spec = EXAMPLES / "linkedin-2024-as-happened.yaml"
    sql = cli("users", spec, "--print-sql", "--map", "age=user_age", "--today", "2024-09-20")
    assert sql.code == 0, sql.err
    assert '"user_age"' in sql.out or "user_age" in sql.out
    assert "birth_date" not in sql.out
    # both named: an error once a table is at hand; without --map, the birth date is read
    assert "birth_date" in cli("users", spec, "--print-sql", "--today", "2024-09-20").out
