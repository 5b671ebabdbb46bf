"""The plan as SQL: one query of CASE expressions over the mapped columns (DuckDB and Spark
read the same text; a warehouse runs it from `--print-sql`), and `reference_rows`, the same
count row by row in Python: the oracle the SQL is tested against."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from jurisdiction.errors import UsageError
from jurisdiction.users.columns import ColumnMap
from jurisdiction.users.planner import OUTSIDE, UNKNOWN_AGE, Segment, UserPlan, UserStep, age_on, birth_cutoff
from jurisdiction.vocabulary.regions import KEY_FROM, KEY_TO, subdivision_forms

__all__ = ["MAX_AGE", "counts_sql", "ids_sql", "implausible_sql", "reference_rows", "table_name"]


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _in(expr: str, values: Iterable[Any]) -> str:
    vals = sorted(set(values))
    items = ", ".join(_lit(v) if isinstance(v, str) else str(v) for v in vals)
    return f"{expr} = {items}" if len(vals) == 1 else f"{expr} IN ({items})"


def _ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


MAX_AGE = 130  # an age past it (or a birth date in the future) is read as unknown, and reported


def implausible_sql(cols: ColumnMap, table: str, dialect: str, today: dt.date) -> str | None:
    """How many rows have a birth date in the future or more than 130 years back, or an age
    outside 0-130: they are counted as of unknown age, and the count is reported."""
    if cols.birth_date:
        born = f"CAST({_quote_col(cols.birth_date, dialect)} AS DATE)"
        oldest = birth_cutoff(today, MAX_AGE + 1).isoformat()
        test = f"{born} > DATE '{today.isoformat()}' OR {born} <= DATE '{oldest}'"
    elif cols.age:
        age = _quote_col(cols.age, dialect)
        test = f"{age} < 0 OR {age} > {MAX_AGE}"
    else:
        return None
    return f"SELECT count(*) FROM {table_name(table, dialect)} WHERE {test}"


def table_name(table: str, dialect: str) -> str:
    """A (dotted) table name as SQL: each part quoted where it is not a plain identifier, so a
    name never becomes SQL of its own (`--table 'x; DROP TABLE y'` is one quoted name).

    >>> table_name("db.members", "duckdb"), table_name("x; drop table y", "duckdb")
    ('db.members', '"x; drop table y"')
    """
    return ".".join(_quote_col(part, dialect) for part in table.split("."))


def _quote_col(name: str, dialect: str) -> str:
    # DuckDB and Spark both read "double quotes" as… no: Spark needs backticks, DuckDB double
    # quotes; plain names need neither, so quote only when needed.
    if name.isidentifier() and name.lower() not in _RESERVED:
        return name
    return _ident(name) if dialect == "spark" else '"' + name.replace('"', '""') + '"'


_RESERVED = {"select", "from", "where", "group", "order", "by", "case", "when", "then", "else", "end", "date", "user"}


def _row_exprs(plan: UserPlan, cols: ColumnMap, dialect: str) -> dict[str, str]:
    def q(column: str) -> str:
        return _quote_col(column, dialect)

    out: dict[str, str] = {"country": q(cols.country)}
    out["subdivision"] = q(cols.subdivision) if cols.subdivision else "CAST(NULL AS STRING)"
    if cols.birth_date or cols.age:
        if cols.birth_date:
            born = f"CAST({q(cols.birth_date)} AS DATE)"
            oldest = birth_cutoff(plan.today, MAX_AGE + 1).isoformat()
            # a birth date in the future or an age past 130 is no age at all: unknown, and counted
            arms = [
                f"WHEN {born} IS NULL OR {born} > DATE '{plan.today.isoformat()}' OR {born} <= DATE '{oldest}' "
                f"THEN {UNKNOWN_AGE}"
            ]
            for lower, upper in zip(plan.bands, plan.bands[1:], strict=False):
                arms.append(f"WHEN {born} > DATE '{birth_cutoff(plan.today, upper).isoformat()}' THEN {lower}")
        else:
            age = q(cols.age or "")
            arms = [f"WHEN {age} IS NULL OR {age} < 0 OR {age} > {MAX_AGE} THEN {UNKNOWN_AGE}"]
            for lower, upper in zip(plan.bands, plan.bands[1:], strict=False):
                arms.append(f"WHEN {age} < {upper} THEN {lower}")
        out["age_band"] = "CASE " + " ".join(arms) + f" ELSE {plan.bands[-1]} END"
    else:
        out["age_band"] = str(UNKNOWN_AGE)
    starts = plan.practice.starts.isoformat()
    out["existing"] = (
        f"coalesce(CAST({q(cols.signed_up)} AS DATE) < DATE '{starts}', TRUE)" if cols.signed_up else "TRUE"
    )
    out["opted_out"] = f"coalesce(CAST({q(cols.opted_out)} AS BOOLEAN), FALSE)" if cols.opted_out else "FALSE"
    return out


def _code_case(plan: UserPlan) -> str:
    arms = []
    for country, subs in sorted(plan.subdivided.items()):
        forms: dict[str, list[str]] = defaultdict(list)
        for form, code in subdivision_forms(country).items():
            forms[code].append(form)
        for sub in subs:
            # the code, its part after the dash, or its name (accents removed: subdivision_key)
            arms.append(f"WHEN country = {_lit(country)} AND {_in('subdivision_key', forms[sub])} THEN {_lit(sub)}")
        arms.append(f"WHEN country = {_lit(country)} AND coalesce(subdivision, '') = '' THEN {_lit(country)}")
    if plan.whole:
        arms.append(f"WHEN {_in('country', plan.whole)} THEN country")
    return "CASE\n      " + "\n      ".join(arms) + "\n      ELSE NULL END" if arms else "CAST(NULL AS STRING)"


def _exclusion_case(plan: UserPlan) -> str:
    arms = [f"WHEN code IS NULL THEN {_lit(OUTSIDE)}"]
    by_reason: dict[str, list[str]] = defaultdict(list)
    for code, reason in plan.excluded.items():
        by_reason[reason].append(code)
    for reason, codes in sorted(by_reason.items()):
        arms.append(f"WHEN {_in('code', codes)} THEN {_lit(reason)}")
    if plan.min_age is not None:
        arms.append(
            f"WHEN age_band <> {UNKNOWN_AGE} AND age_band < {plan.min_age} "
            f"THEN {_lit(f'younger than users.min_age ({plan.min_age})')}"
        )
    arms.append(f"WHEN opted_out THEN {_lit('opted out (opt-out column)')}")
    return "CASE\n      " + "\n      ".join(arms) + "\n      ELSE NULL END"


def _step_condition(plan: UserPlan, step: UserStep) -> str:
    """A SQL test for "this (code, age_band, existing) is in the step" on classified rows."""
    everything = {(b, e) for b in plan.used_bands for e in (True, False)}
    by_pairs: dict[frozenset[tuple[int, bool]], list[str]] = defaultdict(list)
    for code, pairs in step.covers.items():
        by_pairs[pairs & everything].append(code)
    parts = []
    for pairs, codes in sorted(by_pairs.items(), key=lambda kv: sorted(kv[1])):
        if not pairs:
            continue
        where = _in("code", codes)
        if pairs != everything:
            where = f"{where} AND ({_pairs_test(plan, pairs)})"
        parts.append(f"({where})")
    return " OR ".join(parts) if parts else "FALSE"


def _pairs_test(plan: UserPlan, pairs: frozenset[tuple[int, bool]]) -> str:
    def bands_test(bands: set[int]) -> str | None:
        return None if bands >= set(plan.used_bands) else _in("age_band", bands)

    yes = {b for b, e in pairs if e}
    no = {b for b, e in pairs if not e}
    if yes == no:
        return bands_test(yes) or "TRUE"
    alts = []
    for flag, bands in (("existing", yes), ("NOT existing", no)):
        if bands:
            test = bands_test(bands)
            alts.append(flag if test is None else f"({flag} AND {test})")
    return " OR ".join(alts)


def _pipeline(plan: UserPlan, cols: ColumnMap, table: str, dialect: str, grouped: bool) -> str:
    exprs = _row_exprs(plan, cols, dialect)
    keys = ["country", "subdivision", "age_band", "existing", "opted_out"]
    if grouped:
        select = ",\n    ".join(
            f"{exprs[k]} AS {k}_in" if k in ("country", "subdivision") else f"{exprs[k]} AS {k}" for k in keys
        )
        first = (
            f"  SELECT\n    {select},\n    count(*) AS n\n  FROM {table_name(table, dialect)}\n  GROUP BY 1, 2, 3, 4, 5"
        )
    else:
        uid = _quote_col(cols.id or "", dialect)
        select = ",\n    ".join(
            f"{exprs[k]} AS {k}_in" if k in ("country", "subdivision") else f"{exprs[k]} AS {k}" for k in keys
        )
        first = f"  SELECT\n    {uid} AS user_id,\n    {select},\n    1 AS n\n  FROM {table_name(table, dialect)}"
    carry = "user_id, " if not grouped else ""
    return (
        f"WITH rows_in AS (\n{first}\n), normalised AS (\n"
        f"  SELECT {carry}upper(trim(CAST(country_in AS STRING))) AS country,\n"
        f"    upper(trim(CAST(subdivision_in AS STRING))) AS subdivision,\n"
        f"    translate(upper(trim(CAST(subdivision_in AS STRING))), {_lit(KEY_FROM)}, {_lit(KEY_TO)})"
        " AS subdivision_key,\n"
        f"    age_band, existing, opted_out, n\n  FROM rows_in\n), coded AS (\n"
        f"  SELECT normalised.*,\n    {_code_case(plan)} AS code\n  FROM normalised\n), classified AS (\n"
        f"  SELECT coded.*,\n    {_exclusion_case(plan)} AS excluded\n  FROM coded\n)"
    )


def counts_sql(plan: UserPlan, cols: ColumnMap, table: str = "users", dialect: str = "duckdb") -> str:
    """The one query: user counts per jurisdiction, exclusion reason and existing data, with one
    column per plan step (`step_1` …). Rows whose code is NULL keep the raw country and
    subdivision, so that unknown codes can be reported."""
    header = (
        f"-- jurisdiction users: {plan.practice.id} as of {plan.today.isoformat()}, "
        f"rules {plan.assessment.rules_revision}\n"
        f"-- age bands (youngest age): {', '.join(str(b) for b in plan.bands)}; -1 = unknown age\n"
    )
    steps = ",\n  ".join(
        f"sum(CASE WHEN excluded IS NULL AND ({_step_condition(plan, s)}) THEN n ELSE 0 END) AS step_{s.step}"
        for s in plan.steps
    )
    steps_part = f",\n  {steps}" if steps else ""
    return (
        header
        + _pipeline(plan, cols, table, dialect, grouped=True)
        + "\nSELECT\n  code,\n  CASE WHEN code IS NULL THEN country END AS country,\n"
        "  CASE WHEN code IS NULL THEN subdivision END AS subdivision,\n"
        "  excluded,\n  existing,\n  age_band,\n  sum(n) AS users"
        + steps_part
        + "\nFROM classified\nGROUP BY 1, 2, 3, 4, 5, 6\nORDER BY 1, 2, 3, 4, 5, 6\n"
    )


def ids_sql(plan: UserPlan, cols: ColumnMap, step: UserStep, table: str = "users", dialect: str = "duckdb") -> str:
    """The ids of the users in one plan step."""
    if not cols.id:
        raise UsageError("per-step id lists need a user id column: map it with --map id=COLUMN")
    return (
        _pipeline(plan, cols, table, dialect, grouped=False)
        + f"\nSELECT user_id\nFROM classified\nWHERE excluded IS NULL AND ({_step_condition(plan, step)})\n"
    )


# ---------------------------------------------------------------------------------------------
# The pure-Python reference


def _norm(value: object) -> str | None:
    if value is None:
        return None
    return str(value).strip().upper()


def reference_rows(plan: UserPlan, cols: ColumnMap, rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """What `counts_sql` returns, counted row by row in Python (the oracle for the SQL)."""
    acc: dict[tuple[Any, ...], list[int]] = {}
    for row in rows:
        country = _norm(row.get(cols.country))
        sub = _norm(row.get(cols.subdivision)) if cols.subdivision else None
        if cols.birth_date:
            born = row.get(cols.birth_date)
            if isinstance(born, dt.datetime):
                born = born.date()
            age = None if born is None or born > plan.today else age_on(born, plan.today)
        elif cols.age:
            age = row.get(cols.age)
        else:
            age = None
        if age is not None and not 0 <= age <= MAX_AGE:
            age = None  # implausible: unknown
        band = plan.band_of(age)
        signed = row.get(cols.signed_up) if cols.signed_up else None
        if isinstance(signed, dt.datetime):
            signed = signed.date()
        existing = True if signed is None else signed < plan.practice.starts
        opted = bool(row.get(cols.opted_out)) if cols.opted_out else False
        code = plan.code_of(country, sub or None)
        reason = plan.exclusion(code, band, opted)
        seg = Segment(code or "", band, existing)
        key = (
            code,
            country if code is None else None,
            sub if code is None else None,
            reason,
            existing,
            band,
        )
        counts = acc.setdefault(key, [0] * (1 + len(plan.steps)))
        counts[0] += 1
        if reason is None:
            for i, step in enumerate(plan.steps, 1):
                if step.applies(seg):
                    counts[i] += 1
    return [(*k, *v) for k, v in sorted(acc.items(), key=lambda kv: tuple((x is None, x) for x in kv[0]))]
