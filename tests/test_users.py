"""`jurisdiction users`: the assessment counted over a user table. DuckDB against the
pure-Python reference, Spark (local mode) against DuckDB, the CLI, and bad input."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from jurisdiction.cli import run
from jurisdiction.evaluation.evaluator import Evaluator
from jurisdiction.practice.specs import load_practice
from jurisdiction.users import ColumnMap, age_on, counts_sql, parse_column_map, plan_users, reference_rows
from tests.helpers import spark_ready

from .helpers import EXAMPLES, cli, with_uncovered

duckdb = pytest.importorskip("duckdb")
from jurisdiction.users.backends import DuckDBBackend, count_users  # noqa: E402
from tools.synthetic_users import generate, rows_of  # noqa: E402

LINKEDIN = EXAMPLES / "linkedin-2024-as-happened.yaml"
KIDS = EXAMPLES / "childrens-learning-app.yaml"
COLUMNS = ColumnMap(subdivision="state")
CASES = [(LINKEDIN, dt.date(2024, 9, 20)), (KIDS, dt.date(2026, 5, 1))]


@pytest.fixture(scope="module")
def evaluator(native: Evaluator) -> Evaluator:
    return native


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("users") / "users.parquet", 5_000, seed=11)


def _norm(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    out = [tuple(int(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in r) for r in rows]
    return sorted(out, key=lambda r: tuple((x is None, str(x)) for x in r))


@pytest.mark.parametrize(("spec", "today"), CASES, ids=["linkedin", "kids"])
def test_duckdb_agrees_with_the_python_reference(spec: Path, today: dt.date, table: Path, evaluator: Evaluator) -> None:
    plan = plan_users(load_practice(spec), evaluator, today)
    engine = DuckDBBackend()
    cols = COLUMNS.resolve(engine.open(str(table)), str(table))
    got = engine.query(counts_sql(plan, cols))
    want = reference_rows(plan, cols, rows_of(table))
    assert _norm(got) == _norm(want)
    assert sum(r[6] for r in got) == 5_000


def test_minors_unknown_ages_new_users_and_exclusions(tmp_path: Path, evaluator: Evaluator) -> None:
    today = dt.date(2026, 5, 1)
    csv = tmp_path / "users.csv"
    csv.write_text(
        "user_id,country,state,birth_date,signed_up,opted_out\n"
        "1,US,CA,2016-05-02,2020-01-01,false\n"  # 9: COPPA parental consent
        "2,US,US-CA,2000-01-01,2020-01-01,false\n"  # adult
        "3,us, tx ,,2020-01-01,false\n"  # unknown age: never adult
        "4,DE,,2013-05-01,2027-01-01,false\n"  # 13 today (born exactly 13 years ago): under DE's 16
        "5,DE,,2000-01-01,2020-01-01,true\n"  # opted out
        "6,BR,SP,2000-01-01,2020-01-01,false\n"  # outside the regions
        "7,US,,2000-01-01,2020-01-01,false\n"  # state unknown
        "8,US,CA,2018-01-01,2020-01-01,false\n",  # 8 = users.min_age: in
        encoding="utf-8",
    )
    plan = plan_users(load_practice(KIDS), evaluator, today)
    counts = count_users(plan, str(csv), COLUMNS)
    assert counts.users == 8 and counts.affected == 6 and counts.unknown_age == 1
    reasons = {e.reason: e.users for e in counts.excluded}
    assert reasons == {"opted out (opt-out column)": 1, "outside the practice's regions (users.regions)": 1}
    parental = next(s for s in counts.steps if s.kind == "parental_consent")
    # the 9- and 8-year-olds, the unknown age, the 13-year-old in DE; not the adults
    assert parental.users == 4
    assert parental.unknown_age == 1
    assert parental.ages["DE"].startswith("under 16")
    by_code = {j.code: j for j in counts.jurisdictions}
    assert by_code["US"].name.endswith("(subdivision unknown)") and by_code["US"].affected == 1
    assert by_code["US-TX"].affected == 1  # " tx " normalised
    assert age_on(dt.date(2013, 5, 1), today) == 13


def test_existing_data_decides_retroactive_steps(tmp_path: Path, evaluator: Evaluator) -> None:
    csv = tmp_path / "users.csv"
    csv.write_text(
        "user_id,country,state,birth_date,signed_up\n"
        "1,US,CA,1990-01-01,2020-01-01\n"  # existing data
        "2,US,CA,1990-01-01,2024-08-15\n"  # signed up after starts
        "3,US,CA,1990-01-01,\n",  # unknown: existing (the safer reading)
        encoding="utf-8",
    )
    plan = plan_users(load_practice(LINKEDIN), evaluator, dt.date(2024, 9, 20))
    counts = count_users(plan, str(csv), COLUMNS)
    steps = {s.kind: s.users for s in counts.steps}
    assert counts.existing_data == 2
    assert steps["policy_update"] == 3
    assert steps["consent"] == 2  # consent for a new use of old data: not for the new member


def test_cli_counts_json_ids_and_sql(tmp_path: Path, table: Path) -> None:
    out_dir = tmp_path / "ids"
    r = cli("users", LINKEDIN, "--users", table, "--map", "subdivision=state", "--today", "2024-09-20",
            "--format", "json", "--out", out_dir)  # fmt: skip
    assert r.code == 0, r.err
    counts = json.loads(r.out)
    assert counts["users"] == 5_000 and counts["backend"] == "duckdb"
    # US-wide, the EU, the EEA and Switzerland: the library covers every one of them
    assert counts["not_covered"] == [] and counts["not_covered_users"] == 0
    for step in counts["steps"]:
        path = Path(counts["files"][str(step["step"])])
        query = f"SELECT count(*), count(DISTINCT user_id) FROM read_parquet('{path}')"
        n = duckdb.connect().execute(query).fetchone()
        assert n == (step["users"], step["users"])
    r_text = cli("users", LINKEDIN, "--users", table, "--map", "subdivision=state", "--today", "2024-09-20")
    assert r_text.code == 0 and "Update the privacy policy" in r_text.out and "Excluded:" in r_text.out
    assert "Not covered:" not in r_text.out
    # with users in Russia too (no encoded law): named, never clear, even when the table has none there
    wider = with_uncovered(LINKEDIN, tmp_path)
    r_wide = cli("users", wider, "--users", table, "--map", "subdivision=state", "--today", "2024-09-20",
                 "--format", "json")  # fmt: skip
    assert json.loads(r_wide.out)["not_covered"] == ["RU"]
    assert "Not covered:" in cli("users", wider, "--users", table, "--map", "subdivision=state",
                                 "--today", "2024-09-20").out  # fmt: skip
    sql = cli("users", LINKEDIN, "--print-sql", "--map", "subdivision=state", "--today", "2024-09-20")
    assert sql.code == 0 and sql.out.startswith("-- jurisdiction users")
    con = duckdb.connect()
    con.execute(f"CREATE VIEW users AS SELECT * FROM read_parquet('{table}')")
    rows = con.execute(sql.out).fetchall()
    assert sum(r[6] for r in rows) == 5_000


def test_engine_flag_names_the_rules_engine_and_still_takes_backends() -> None:
    """`--backend` says where the SQL runs; `--engine` means the rules engine, as everywhere else,
    and still accepts the backend names it took before `--backend` existed."""
    # a column named like an SQL word is quoted per dialect: the backends differ there
    base = ("users", LINKEDIN, "--print-sql", "--map", "subdivision=state,country=order", "--today", "2024-09-20")
    spark = cli(*base, "--backend", "spark")
    assert spark.code == 0 and spark.out != cli(*base).out
    assert cli(*base, "--engine", "spark").out == spark.out
    native = cli(*base, "--engine", "native")
    assert native.code == 0 and native.out == cli(*base, "--rule-engine", "native").out == cli(*base).out


def test_progress_bar_only_on_a_terminal(table: Path) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out, err = io.StringIO(), Tty()
    args = ["users", str(LINKEDIN), "--users", str(table), "--map", "subdivision=state", "--today", "2024-09-20"]
    assert run(args, out, err) == 0
    assert "100.0% users" in err.getvalue()
    plain = cli(*args)
    assert plain.err == ""


def test_column_maps() -> None:
    assert parse_column_map("country=cc,age=years,birth_date=").birth_date is None
    with pytest.raises(Exception, match="unknown role 'contry'"):
        parse_column_map("contry=cc")


@pytest.mark.parametrize(
    ("csv", "args", "expected"),
    [
        ("user_id,cc\n1,US\n", (), "no column 'country' (for country)"),
        ("user_id,country,birth_date\n1,US,yesterday\n", (), "column 'birth_date' (birth_date) has type string"),
        ("user_id,country\n1,XX\n", (), "'XX' is not a valid country code"),
        ("user_id,country,state\n1,US,ZZ\n", ("--map", "subdivision=state"), "'ZZ' is not a valid subdivision"),
        ("user_id,country\n1,US\n", ("--map", "subdivision=region"), "no column 'region' (for subdivision)"),
        ("user_id,country\n1,EU\n", (), "'EU' is not a valid country code"),
    ],
    ids=["missing-country", "date-as-text", "unknown-country", "unknown-state", "missing-mapped", "group"],
)
def test_bad_input_exits_2_naming_file_and_column(
    tmp_path: Path, csv: str, args: tuple[str, ...], expected: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(csv, encoding="utf-8")
    r = cli("users", LINKEDIN, "--users", path, "--today", "2024-09-20", *args)
    assert r.code == 2, r.err
    assert str(path) in r.err and expected in r.err
    assert "Traceback" not in r.err


def test_missing_table_and_no_table(tmp_path: Path) -> None:
    r = cli("users", LINKEDIN, "--users", tmp_path / "nope.parquet")
    assert r.code == 2 and "no such file" in r.err
    r = cli("users", LINKEDIN)
    assert r.code == 2 and "--users PATH" in r.err


# ------------------------------------------------------------------------------------------ Spark


@pytest.mark.skipif(not spark_ready(), reason="needs pyspark (the spark extra) and Java")
@pytest.mark.parametrize(("spec", "today"), CASES, ids=["linkedin", "kids"])
def test_spark_gives_the_same_counts_as_duckdb(spec: Path, today: dt.date, table: Path, evaluator: Evaluator) -> None:
    from jurisdiction.users.backends import SparkBackend

    plan = plan_users(load_practice(spec), evaluator, today)
    on_duck = count_users(plan, str(table), COLUMNS, backend="duckdb")
    spark = SparkBackend("local[2]")
    on_spark = count_users(plan, str(table), COLUMNS, backend=spark)
    strip = {"seconds", "backend", "files"}
    assert on_spark.model_dump(exclude=strip) == on_duck.model_dump(exclude=strip)
    assert on_spark.users == 5_000


def test_common_column_names_map_without_a_map(table: Path) -> None:
    """A table with `state` (not `subdivision`) is read per state without --map; the same with an
    explicit map gives the same counts."""
    plain = json.loads(cli("users", LINKEDIN, "--users", table, "--today", "2024-09-20", "--format", "json").out)
    mapped = json.loads(cli("users", LINKEDIN, "--users", table, "--map", "subdivision=state", "--today",
                            "2024-09-20", "--format", "json").out)  # fmt: skip
    codes = {j["code"] for j in plain["jurisdictions"]}
    assert "US-CA" in codes and plain["steps"] == mapped["steps"]


def test_out_never_damages_data(table: Path, tmp_path: Path) -> None:
    """--out refuses a file, a folder inside the input table, and existing step files unless
    --force; a refused run writes nothing."""
    base = ("users", LINKEDIN, "--map", "subdivision=state", "--today", "2024-09-20")
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me\n", encoding="utf-8")
    refused = cli(*base, "--users", table, "--out", a_file)
    assert refused.code == 2 and "this is a file" in refused.err and a_file.read_text() == "keep me\n"

    folder_table = tmp_path / "users-table"
    folder_table.mkdir()
    shutil.copy(table, folder_table / "part-0.parquet")
    inside = cli(*base, "--users", folder_table, "--out", folder_table / "steps")
    assert inside.code == 2 and "inside the user table's folder" in inside.err
    assert not (folder_table / "steps").exists()

    out = tmp_path / "steps"
    assert cli(*base, "--users", table, "--out", out).code == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = cli(*base, "--users", table, "--out", out)
    assert again.code == 2 and "--force" in again.err
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    assert cli(*base, "--users", table, "--out", out, "--force").code == 0


def test_a_header_only_table_has_no_users(tmp_path: Path) -> None:
    empty = tmp_path / "users.csv"
    empty.write_text("id,country,state,birth_date\n", encoding="utf-8")
    result = cli("users", LINKEDIN, "--users", empty, "--map", "subdivision=state", "--today", "2024-09-20")
    assert result.code == 0, result.err
    assert "Users: 0 in" in result.out


def test_implausible_ages_are_unknown_and_reported(tmp_path: Path) -> None:
    odd = tmp_path / "users.csv"
    odd.write_text(
        "id,country,state,birth_date\n1,US,CA,2030-01-01\n2,US,CA,1850-01-01\n3,US,CA,1990-05-05\n", encoding="utf-8"
    )
    result = cli("users", LINKEDIN, "--users", odd, "--map", "subdivision=state", "--today", "2024-09-20")
    assert result.code == 0, result.err
    assert "age unknown: 2" in result.out
    assert "2 row(s) have a birth date in the future or more than 130 years back" in result.out


def test_a_table_name_is_quoted_never_pasted(tmp_path: Path) -> None:
    sql = cli("users", LINKEDIN, "--print-sql", "--table", "x; drop table y", "--today", "2024-09-20").out
    assert 'FROM "x; drop table y"' in sql and "FROM x; drop" not in sql
    spark = cli("users", LINKEDIN, "--print-sql", "--backend", "spark", "--table", "db.user", "--today", "2024-09-20")
    assert "FROM db.`user`" in spark.out
