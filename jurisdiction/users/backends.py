"""Where the user-count SQL runs: DuckDB (embedded, the default: no server, the table read in
place from Parquet or CSV) or Spark (PySpark, for tables that do not fit one machine; local
mode unless a master is configured). Both are optional extras (`jurisdiction[users]`,
`jurisdiction[spark]`) and run the same SQL text (`jurisdiction.users.sql.counts_sql`).

A long query reports its progress (0.0–1.0) to a callback polled from another thread; the CLI
draws it on stderr when that is a terminal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from jurisdiction.errors import InputError, Problem, UsageError
from jurisdiction.users.columns import EMPTY, ColumnMap, ColumnUse
from jurisdiction.users.counts import TableCounts, summarize
from jurisdiction.users.planner import UserPlan
from jurisdiction.users.sql import MAX_AGE, counts_sql, ids_sql, implausible_sql

__all__ = ["BACKENDS", "Progress", "TableBackend", "check_output", "count_users", "open_backend"]

Progress = Callable[[float], None]
TABLE = "users"


class TableBackend(Protocol):
    name: str
    dialect: str

    def open(self, path: str) -> dict[str, str]:
        """Register the file as the view `users`; its columns → kind (string, date, …)."""

    def query(self, sql: str, progress: Progress | None = None) -> list[tuple[Any, ...]]: ...

    def export(self, sql: str, path: Path, progress: Progress | None = None) -> None:
        """Write the query's rows to Parquet at `path`."""

    def close(self) -> None: ...


def _table_problem(path: str, message: str) -> InputError:
    return InputError([Problem(message, file=path, valid="a Parquet file (or folder of them) or a CSV file")])


def _kind_of_path(path: str) -> str:
    p = Path(path)
    if not p.exists():
        raise _table_problem(path, "no such file or folder")
    if p.is_dir():
        if not any(p.rglob("*.parquet")):
            raise _table_problem(path, "this folder holds no .parquet files")
        return "parquet-dir"
    suffix = "".join(p.suffixes[-2:]).lower()
    if suffix.endswith((".csv", ".csv.gz", ".tsv")):
        return "csv"
    if suffix.endswith((".parquet", ".pq")):
        return "parquet"
    raise _table_problem(path, f"unknown table format {p.suffix!r}: use .parquet or .csv")


def _run_polling(work: Callable[[], Any], poll: Callable[[], float | None], progress: Progress | None) -> Any:
    """Run `work`, calling `progress` with `poll()` every 0.1 s until it is done."""
    if progress is None:
        return work()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.1)
        try:
            done = poll()
        except Exception:  # progress is best effort
            done = None
        if done is not None and thread.is_alive():
            progress(min(max(done, 0.0), 1.0))
    progress(1.0)
    if "error" in box:
        raise box["error"]
    return box.get("result")


# --------------------------------------------------------------------------------------------- DuckDB

_DUCK_KINDS = {
    "VARCHAR": "string",
    "DATE": "date",
    "BOOLEAN": "boolean",
    "FLOAT": "float",
    "DOUBLE": "float",
}


def _duck_kind(type_name: str) -> str:
    t = type_name.upper()
    if t in _DUCK_KINDS:
        return _DUCK_KINDS[t]
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t.startswith("DECIMAL"):
        return "float"
    if t.rstrip("0123456789").endswith("INT") or t in ("HUGEINT", "UHUGEINT"):
        return "integer"
    return "other"


class DuckDBBackend:
    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, threads: int | None = None) -> None:
        try:
            import duckdb
        except ImportError:
            raise UsageError("--backend duckdb needs the users extra: pip install 'jurisdiction[users]'") from None
        self._duckdb = duckdb
        self.con = duckdb.connect(":memory:")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self.path = ""

    def open(self, path: str) -> dict[str, str]:
        self.path = path
        kind = _kind_of_path(path)
        quoted = "'" + path.replace("'", "''") + "'"
        if kind == "csv":
            source = f"read_csv({quoted}, header = true)"
        elif kind == "parquet-dir":
            source = "read_parquet('" + str(Path(path) / "**" / "*.parquet").replace("'", "''") + "')"
        else:
            source = f"read_parquet({quoted})"
        try:
            self.con.execute(f"CREATE OR REPLACE VIEW {TABLE} AS SELECT * FROM {source}")
            rows = self.con.execute(f"DESCRIBE {TABLE}").fetchall()
            empty = kind == "csv" and self.con.execute(f"SELECT count(*) FROM {TABLE}").fetchone() == (0,)
        except self._duckdb.Error as exc:
            raise _table_problem(path, f"cannot read the table: {_first_line(exc)}") from None
        # a header-only CSV has no values to type its columns by: 0 users, not a type error
        return {str(r[0]): EMPTY if empty else _duck_kind(str(r[1])) for r in rows}

    def query(self, sql: str, progress: Progress | None = None) -> list[tuple[Any, ...]]:
        def work() -> list[tuple[Any, ...]]:
            return self.con.execute(sql).fetchall()

        return self._guarded(lambda: _run_polling(work, self._progress, progress))  # type: ignore[no-any-return]

    def export(self, sql: str, path: Path, progress: Progress | None = None) -> None:
        target = "'" + str(path).replace("'", "''") + "'"

        def work() -> None:
            self.con.execute(f"COPY ({sql}) TO {target} (FORMAT PARQUET)")

        self._guarded(lambda: _run_polling(work, self._progress, progress))

    def _progress(self) -> float | None:
        done = float(self.con.query_progress())
        return done / 100 if done >= 0 else None

    def _guarded(self, work: Callable[[], Any]) -> Any:
        try:
            return work()
        except self._duckdb.Error as exc:
            raise _table_problem(self.path, f"the query failed: {_first_line(exc)}") from None

    def close(self) -> None:
        self.con.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --------------------------------------------------------------------------------------------- Spark

_SPARK_LOCK = threading.Lock()


def spark_session(master: str = "local[*]") -> Any:
    """The process's Spark session (created once; local mode unless one exists)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError("--backend spark needs the spark extra: pip install 'jurisdiction[spark]'") from None
    with _SPARK_LOCK:
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        session = (
            SparkSession.builder.master(master)
            .appName("jurisdiction-users")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.driver.memory", "4g")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        return session


def _spark_kind(simple: str) -> str:
    s = simple.lower()
    if s == "string" or s.startswith(("varchar", "char")):
        return "string"
    if s == "date":
        return "date"
    if s.startswith("timestamp"):
        return "timestamp"
    if s == "boolean":
        return "boolean"
    if s in ("tinyint", "smallint", "int", "bigint"):
        return "integer"
    if s in ("float", "double") or s.startswith("decimal"):
        return "float"
    return "other"


class SparkBackend:
    name = "spark"
    dialect = "spark"

    def __init__(self, master: str = "local[*]") -> None:
        self.spark = spark_session(master)
        self.path = ""

    def open(self, path: str) -> dict[str, str]:
        from pyspark.errors import PySparkException

        self.path = path
        kind = _kind_of_path(path)
        try:
            reader = self.spark.read
            if kind == "csv":
                df = reader.option("header", True).option("inferSchema", True).csv(path)
            else:
                df = reader.option("recursiveFileLookup", kind == "parquet-dir").parquet(path)
            df.createOrReplaceTempView(TABLE)
        except PySparkException as exc:
            raise _table_problem(path, f"cannot read the table: {_first_line(exc)}") from None
        return {f.name: _spark_kind(f.dataType.simpleString()) for f in df.schema.fields}

    def _progress(self) -> float | None:
        tracker = self.spark.sparkContext.statusTracker()
        total = done = 0
        for stage_id in tracker.getActiveStageIds():
            info = tracker.getStageInfo(stage_id)
            if info is not None:
                total += info.numTasks
                done += info.numCompletedTasks
        return done / total if total else None

    def query(self, sql: str, progress: Progress | None = None) -> list[tuple[Any, ...]]:
        def work() -> list[tuple[Any, ...]]:
            return [tuple(r) for r in self.spark.sql(sql).collect()]

        return self._guarded(lambda: _run_polling(work, self._progress, progress))  # type: ignore[no-any-return]

    def export(self, sql: str, path: Path, progress: Progress | None = None) -> None:
        def work() -> None:
            self.spark.sql(sql).write.mode("overwrite").parquet(str(path))

        self._guarded(lambda: _run_polling(work, self._progress, progress))

    def _guarded(self, work: Callable[[], Any]) -> Any:
        from pyspark.errors import PySparkException

        try:
            return work()
        except PySparkException as exc:
            raise _table_problem(self.path, f"the query failed: {_first_line(exc)}") from None

    def close(self) -> None:
        self.spark.catalog.dropTempView(TABLE)


BACKENDS: dict[str, Callable[[], TableBackend]] = {"duckdb": DuckDBBackend, "spark": SparkBackend}


def open_backend(name: str) -> TableBackend:
    if name not in BACKENDS:
        raise UsageError(f"unknown table backend {name!r}: use {' or '.join(BACKENDS)}")
    return BACKENDS[name]()


def check_output(plan: UserPlan, table: str, out: Path, force: bool) -> None:
    """Refuse an output folder that is a file, lies inside the input table (a folder of Parquet
    files: the step files would become part of the table), or holds step files already (unless
    `force`)."""
    source = Path(table).resolve()
    inside = source if source.is_dir() else source.parent
    target = out.resolve()
    if target.exists() and not target.is_dir():
        raise UsageError(f"--out {out}: this is a file; give a folder for the step files")
    if (source.is_dir() or "*" in table) and (target == inside or inside in target.parents):
        raise UsageError(
            f"--out {out}: inside the user table's folder {table}; the step files would be read as part of "
            "the table next time. Give a folder outside it."
        )
    existing = [target / f"step-{s.step}-{s.kind}.parquet" for s in plan.steps]
    taken = [str(f) for f in existing if f.exists()]
    if taken and not force:
        raise UsageError(
            f"--out {out}: {len(taken)} step file(s) exist already ({taken[0]}…); pass --force to replace them"
        )


def count_users(
    plan: UserPlan,
    path: str,
    columns: ColumnMap,
    *,
    backend: str | TableBackend = "duckdb",
    out: str | Path | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> TableCounts:
    """Count `plan` over the user table at `path`; with `out`, also write each step's user ids
    to `out/step-<n>-<kind>.parquet` (a file on DuckDB, a folder of part files on Spark). The
    output never goes inside the input table's folder, and never replaces a file unless
    `force`: both are refused before anything is read or written."""
    if out is not None:
        check_output(plan, path, Path(out), force)
    runner = open_backend(backend) if isinstance(backend, str) else backend
    try:
        schema = runner.open(path)
        cols = columns.resolve(schema, path)
        started = time.perf_counter()
        rows = runner.query(counts_sql(plan, cols, TABLE, runner.dialect), progress)
        seconds = time.perf_counter() - started
        counts = summarize(plan, rows, source=path, backend=runner.name, seconds=seconds, cols=cols)
        counts = counts.model_copy(update={"columns": ColumnUse.of(columns, cols, schema)})
        check = implausible_sql(cols, TABLE, runner.dialect, plan.today)
        odd = int(runner.query(check)[0][0]) if check is not None else 0
        if odd:
            note = (
                f"{odd:,} row(s) have a birth date in the future or more than {MAX_AGE} years back, or an age "
                f"outside 0-{MAX_AGE}: counted as of unknown age"
            )
            counts = counts.model_copy(update={"notes": [*counts.notes, note]})
        if out is not None:
            folder = Path(out)
            folder.mkdir(parents=True, exist_ok=True)
            files: dict[str, str] = {}
            for step in plan.steps:
                target = folder / f"step-{step.step}-{step.kind}.parquet"
                runner.export(ids_sql(plan, cols, step, TABLE, runner.dialect), target, progress)
                files[str(step.step)] = str(target)
            counts = counts.model_copy(update={"files": files})
        return counts
    finally:
        if isinstance(backend, str):
            runner.close()
