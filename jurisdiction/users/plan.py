"""Affected users: from an assessment to a platform's own user table.

An assessment names jurisdictions; a mailing or consent system needs people. This module
turns one practice, as of one date, into a `UserPlan` — which (jurisdiction, age band, existing
data) segments each plan step covers, and which are excluded and why — and compiles that plan
to one SQL query of CASE expressions over the mapped columns of a user table. The query runs
on DuckDB (embedded, the default) or Spark (`jurisdiction.users.backends`), or in a warehouse
(`jurisdiction users --print-sql`). `reference_rows` is the same count in plain Python: the
oracle the SQL is tested against.

How a user is placed:

- jurisdiction: the country column, and for countries the rule library distinguishes by
  subdivision (US), the subdivision column (``CA`` or ``US-CA``). A user of such a country with
  no subdivision may live in any of its subdivisions in scope: they get every step any of
  them needs (the safer reading).
- age at the evaluation date (`today`), from a birth date or an age column. The practice is
  evaluated once per age band (the bands are cut where a rule's age test changes), so a user
  younger than a jurisdiction's threshold is in its parental-consent step. No birth date means
  an unknown age, evaluated like an absent `users.min_age`: never "adult".
- existing data: signed up before `starts` (unknown sign-up date counts as existing). When the
  practice uses existing data, users who signed up later are evaluated without it, so steps
  owed only for retroactive use (consent for a new purpose of old data) leave them out.
- excluded, in this order: outside `users.regions`; in a jurisdiction the assessment leaves
  out (with its reason); younger than `users.min_age`; opted out (the opt-out column).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jurisdiction.errors import InputError, InvalidValue, Problem, UsageError, suggest
from jurisdiction.evaluation.assessment import OUT, PHASE, SEVERITY_OF_STATUS, STEP_TITLE, Assessment, Obligation
from jurisdiction.evaluation.evaluator import Evaluator
from jurisdiction.law.rulefile import ObligationKind, Status
from jurisdiction.practice.model import Practice
from jurisdiction.vocabulary.regions import check_code, country_of, groups, name_of, subdivisions_of

__all__ = [
    "ROLES",
    "ColumnMap",
    "ExcludedUsers",
    "JurisdictionUsers",
    "Segment",
    "StepUsers",
    "TableCounts",
    "UserPlan",
    "UserStep",
    "age_on",
    "counts_sql",
    "ids_sql",
    "parse_column_map",
    "plan_users",
    "reference_rows",
    "render_users_json",
    "render_users_text",
    "summarize",
]

UNKNOWN_AGE = -1  # the age band of users without a birth date or age
OUTSIDE = "outside the practice's regions (users.regions)"
ROLES = ("id", "country", "subdivision", "birth_date", "age", "signed_up", "opted_out")
# The type each role's column must have (kinds as the backends report them).
ROLE_TYPES: dict[str, tuple[str, ...]] = {
    "id": ("string", "integer", "float", "date", "timestamp", "boolean", "other"),
    "country": ("string",),
    "subdivision": ("string",),
    "birth_date": ("date", "timestamp"),
    "age": ("integer",),
    "signed_up": ("date", "timestamp"),
    "opted_out": ("boolean", "integer"),
}


# ---------------------------------------------------------------------------------------------
# The column map (--map)


class ColumnMap(BaseModel):
    """Which column of the user table holds what. A role set to null is not in the table.
    Roles left at their default are used when the table has that column; a role named
    explicitly must exist."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str | None = Field("user_id", description="User id, written to the per-step id lists.")
    country: str = Field("country", description="ISO 3166-1 alpha-2 country code (required).")
    subdivision: str | None = Field(
        "subdivision", description="ISO 3166-2 subdivision: `US-CA`, or `CA` with the country column."
    )
    birth_date: str | None = Field("birth_date", description="Birth date (DATE); absent or null = unknown age.")
    age: str | None = Field(None, description="Age in years at the evaluation date, instead of a birth date.")
    signed_up: str | None = Field("signed_up", description="Sign-up date; before `starts` = existing data.")
    opted_out: str | None = Field("opted_out", description="True when the user has opted out of the practice.")

    def columns(self) -> dict[str, str]:
        """Role → column, for the roles mapped to a column."""
        return {role: col for role in ROLES if (col := getattr(self, role)) is not None}

    def explicit(self) -> frozenset[str]:
        return frozenset(self.model_fields_set)

    def resolve(self, schema: Mapping[str, str], source: str) -> ColumnMap:
        """This map, checked against a table's columns (name → kind): explicit roles must exist
        and every mapped column must have the right type; defaults missing from the table drop out.
        Raises `InputError` naming the file and column."""
        problems: list[Problem] = []
        lowered = {c.lower(): c for c in schema}
        found: dict[str, str | None] = {}
        for role in ROLES:
            col = getattr(self, role)
            if col is None:
                found[role] = None
                continue
            actual = col if col in schema else lowered.get(col.lower())
            if actual is None and role not in self.explicit():
                # common names for a role left at its default (the synthetic tables use `state`)
                actual = next((lowered[a] for a in _ALIASES.get(role, ()) if a in lowered), None)
            if actual is None:
                if role in self.explicit() or role == "country":
                    guess = suggest(col, list(schema))
                    problems.append(
                        Problem(
                            f"no column {col!r} (for {role}) in the user table",
                            file=source,
                            field=col,
                            valid="columns: " + ", ".join(schema),
                            suggestion=guess,
                        )
                    )
                found[role] = None
                continue
            kind = schema[actual]
            if kind not in ROLE_TYPES[role]:
                problems.append(
                    Problem(
                        f"column {actual!r} ({role}) has type {kind}; expected {' or '.join(ROLE_TYPES[role])}",
                        file=source,
                        field=actual,
                        valid=_TYPE_HINT[role],
                    )
                )
            found[role] = actual
        if found.get("birth_date") and found.get("age") and "birth_date" not in self.explicit():
            found["birth_date"] = None  # an explicit age column wins over a default birth date
        if found.get("birth_date") and found.get("age"):
            problems.append(Problem("map either birth_date or age, not both", file=source, field="age"))
        if problems:
            raise InputError(problems)
        return ColumnMap.model_validate(found)


_ALIASES = {
    "subdivision": ("state", "region", "province"),
    "birth_date": ("dob", "birthdate", "date_of_birth"),
    "signed_up": ("signup_date", "created_at", "joined"),
    "opted_out": ("opt_out", "opted_out_of_training"),
    "id": ("id",),
}

_TYPE_HINT = {
    "id": "any type",
    "country": "text: ISO 3166-1 alpha-2 codes such as US, DE, NO",
    "subdivision": "text: ISO 3166-2 codes (US-CA) or their part after the dash (CA)",
    "birth_date": "a DATE column (in CSV: YYYY-MM-DD)",
    "age": "an integer column (years)",
    "signed_up": "a DATE or TIMESTAMP column (in CSV: YYYY-MM-DD)",
    "opted_out": "a boolean column (or 0/1)",
}


def parse_column_map(text: str | None) -> ColumnMap:
    """`--map`: a YAML/JSON file, or inline `role=column,...` (`role=` for "not in the table").

    >>> parse_column_map("subdivision=state,birth_date=dob").subdivision
    'state'
    """
    if not text:
        return ColumnMap()
    data: Any
    source = "--map"
    if Path(text).is_file():
        from jurisdiction.reading.loading import load_document

        doc = load_document(text)
        data, source = doc.data, doc.source
        if not isinstance(data, dict):
            raise InputError([Problem("a column map is a mapping of role: column", file=source)])
    else:
        data = {}
        for part in text.split(","):
            role, eq, col = part.partition("=")
            if not eq:
                raise UsageError(f"--map {text!r}: write role=column pairs separated by commas, or give a file")
            data[role.strip()] = col.strip() or None
    unknown = [k for k in data if k not in ROLES]
    if unknown:
        guess = suggest(unknown[0], ROLES)
        raise InputError(
            [
                Problem(
                    f"unknown role {unknown[0]!r} in the column map",
                    file=source,
                    field=str(unknown[0]),
                    valid=", ".join(ROLES),
                    suggestion=guess,
                )
            ]
        )
    try:
        return ColumnMap.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(
            [Problem(err["msg"], file=source, field=".".join(str(p) for p in err["loc"]), valid="a column name")]
        ) from None


# ---------------------------------------------------------------------------------------------
# The plan over users


@dataclass(frozen=True)
class Segment:
    """Users alike for every rule: one jurisdiction, one age band, existing data or not."""

    code: str
    band: int  # UNKNOWN_AGE, or the youngest age of the band
    existing: bool


@dataclass(frozen=True)
class UserStep:
    """A plan step and the segments it covers."""

    step: int
    kind: ObligationKind
    title: str
    due: dt.date
    status: Status
    obligations: tuple[str, ...]
    covers: Mapping[str, frozenset[tuple[int, bool]]]  # code → (band, existing) pairs
    in_assessment: bool = True  # False: owed only for users the spec did not foresee (unknown ages)

    def applies(self, seg: Segment) -> bool:
        return (seg.band, seg.existing) in self.covers.get(seg.code, frozenset())


@dataclass(frozen=True)
class UserPlan:
    """One practice as of one day, ready to be counted over a user table."""

    practice: Practice
    assessment: Assessment
    today: dt.date
    bands: tuple[int, ...]  # youngest age of each band, ascending, starting at 0
    affected: tuple[str, ...]  # codes users can be placed in (with `US` for "state unknown")
    excluded: Mapping[str, str]  # code → why not affected
    subdivided: Mapping[str, tuple[str, ...]]  # country → its subdivisions in scope
    whole: frozenset[str]  # countries in scope as a whole (not split by subdivision)
    steps: tuple[UserStep, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def min_age(self) -> int | None:
        return self.practice.users.min_age

    @property
    def used_bands(self) -> tuple[int, ...]:
        """Bands users can be in: unknown, and those at or above `users.min_age`."""
        m = self.min_age or 0
        return (UNKNOWN_AGE, *(b for b in self.bands if b >= m))

    def band_of(self, age: int | None) -> int:
        if age is None:
            return UNKNOWN_AGE
        return max((b for b in self.bands if b <= age), default=0)

    def band_label(self, band: int) -> str:
        if band == UNKNOWN_AGE:
            return "age unknown"
        i = self.bands.index(band)
        if i + 1 < len(self.bands):
            return f"{band}–{self.bands[i + 1] - 1}"
        return f"{band}+"

    def code_of(self, country: str | None, subdivision: str | None) -> str | None:
        """The jurisdiction of a user (normalised values), or None when not in scope."""
        if not country:
            return None
        if country in self.subdivided:
            if not subdivision:
                return country
            sub = subdivision if subdivision.startswith(country + "-") else f"{country}-{subdivision}"
            return sub if sub in self.subdivided[country] else None
        return country if country in self.whole else None

    def exclusion(self, code: str | None, band: int, opted_out: bool) -> str | None:
        if code is None:
            return OUTSIDE
        if code in self.excluded:
            return self.excluded[code]
        if self.min_age is not None and band != UNKNOWN_AGE and band < self.min_age:
            return f"younger than users.min_age ({self.min_age})"
        if opted_out:
            return "opted out (opt-out column)"
        return None


def age_on(born: dt.date, today: dt.date) -> int:
    """Completed years on `today` (born on 29 February: a year older on 1 March in other years).

    >>> age_on(dt.date(2008, 2, 29), dt.date(2024, 2, 28))
    15
    """
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _cutoff(today: dt.date, years: int) -> dt.date:
    """The latest birth date of someone at least `years` old on `today`."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year without one
        return dt.date(today.year - years, 2, 28)


def _age_thresholds(evaluator: Evaluator) -> set[int]:
    """Ages at which some rule's age test can change (each compared value and the next)."""
    from jurisdiction.law.compiler import ParamRef

    found: set[int] = set()
    book = evaluator.book
    for cond in book.conditions.values():
        for conj in cond.disjuncts:
            for lit in conj:
                if lit.fact != "min_age":
                    continue
                values: list[Any] = [lit.value]
                if isinstance(lit.value, ParamRef):
                    law = book.by_id[cond.law]
                    param = law.spec.parameters[lit.value.name]
                    values = [param.default]
                    for v in param.values.values():
                        values.extend(x.value for x in (v if isinstance(v, list) else [v]))
                for v in values:
                    if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 130:
                        found.update({int(v), int(v) + 1})
    return found


def plan_users(practice: Practice, evaluator: Evaluator, today: dt.date) -> UserPlan:
    """Evaluate `practice` for every kind of user it may reach and build the `UserPlan`."""
    assessment = evaluator.evaluate(practice, today)
    cuts = _age_thresholds(evaluator)
    if practice.users.min_age is not None:
        cuts.add(practice.users.min_age)
    raw_bands = sorted({0, *cuts})
    m = practice.users.min_age or 0
    existing_values = (True, False) if practice.existing_data else (False,)

    owed: dict[ObligationKind, tuple[dt.date, Status]] = {}  # kind → earliest due, worst status (over every variant)

    def covered(band: int | None, existing: bool) -> dict[str, set[ObligationKind]]:
        """code → kinds of the obligations still owed there."""
        users = practice.users.model_copy(update={"min_age": band})
        variant = practice.model_copy(update={"users": users, "existing_data": existing})
        out: dict[str, set[ObligationKind]] = defaultdict(set)
        for ob in evaluator.evaluate(variant, today).obligations:
            for code in ob.jurisdictions:
                status = _status_at(ob, code)
                if status == "met":
                    continue
                out[code].add(ob.kind)
                due, worst = owed.get(ob.kind, (ob.due, status))
                if SEVERITY_OF_STATUS[status] > SEVERITY_OF_STATUS[worst]:
                    worst = status
                owed[ob.kind] = (min(due, ob.due), worst)
        return out

    evaluations: dict[tuple[int, bool], dict[str, set[ObligationKind]]] = {}
    for band in [UNKNOWN_AGE, *(b for b in raw_bands if b >= m)]:
        for existing in existing_values:
            evaluations[(band, existing)] = covered(None if band == UNKNOWN_AGE else band, existing)
    if not practice.existing_data:  # the sign-up date does not matter: both kinds alike
        for (band, _), found in list(evaluations.items()):
            evaluations[(band, True)] = found
    # Merge neighbouring bands that every rule treats alike.
    bands: list[int] = []
    for b in raw_bands:
        if b < m:
            if not bands:
                bands.append(0)
            continue
        if bands and bands[-1] >= m and all(evaluations[(b, e)] == evaluations[(bands[-1], e)] for e in (True, False)):
            continue
        bands.append(b)

    scope = assessment.jurisdictions
    affected_codes = [j.code for j in scope if j.affected]
    excluded = {j.code: (j.reason or "not affected") for j in scope if not j.affected}
    subdivided: dict[str, list[str]] = defaultdict(list)
    whole: set[str] = set()
    for j in scope:
        if "-" in j.code:
            subdivided[country_of(j.code)].append(j.code)
        else:
            whole.add(j.code)
    # A user with an unknown subdivision: excluded only when every subdivision in scope is.
    for country, subs in subdivided.items():
        if all(s in excluded for s in subs):
            excluded[country] = excluded[subs[0]] if len({excluded[s] for s in subs}) == 1 else "excluded"
        else:
            affected_codes.append(country)

    order: list[ObligationKind] = [s.kind for s in assessment.plan]
    kinds_seen = {k for found in evaluations.values() for kinds in found.values() for k in kinds}
    extra = sorted(kinds_seen - set(order), key=lambda k: (PHASE[k], k))
    steps: list[UserStep] = []
    planned = {s.kind: s for s in assessment.plan}
    notes: list[str] = []
    for n, kind in enumerate([*order, *extra], 1):
        covers: dict[str, set[tuple[int, bool]]] = defaultdict(set)
        for code in affected_codes:
            members = subdivided.get(code, [code]) if code in subdivided else [code]
            members = [c for c in members if c not in excluded]
            for band in bands:
                if band < m:
                    continue
                for existing in (True, False):
                    if any(kind in evaluations[(band, existing)].get(c, {}) for c in members):
                        covers[code].add((band, existing))
            for existing in (True, False):
                if any(kind in evaluations[(UNKNOWN_AGE, existing)].get(c, {}) for c in members):
                    covers[code].add((UNKNOWN_AGE, existing))
        frozen = {c: frozenset(v) for c, v in sorted(covers.items()) if v}
        if kind in planned:
            p = planned[kind]
            steps.append(UserStep(n, kind, p.title, p.due, p.status, tuple(p.obligations), frozen))
        else:
            notes.append(
                f"step {n} ({kind}) is not in the assessment's plan: users of unknown age may be younger "
                f"than users.min_age ({practice.users.min_age}), and are then owed it"
            )
            due, status = owed[kind]
            steps.append(UserStep(n, kind, STEP_TITLE[kind], due, status, (), frozen, in_assessment=False))
    return UserPlan(
        practice=practice,
        assessment=assessment,
        today=today,
        bands=tuple(bands),
        affected=tuple(sorted(affected_codes)),
        excluded=excluded,
        subdivided={c: tuple(sorted(s)) for c, s in subdivided.items()},
        whole=frozenset(whole),
        steps=tuple(steps),
        notes=tuple(notes),
    )


def _status_at(ob: Obligation, code: str) -> Status:
    for detail in ob.details or ():
        if code in detail.jurisdictions:
            return detail.status
    return ob.status


# ---------------------------------------------------------------------------------------------
# SQL (one dialect: the common ground of DuckDB and Spark SQL)


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _in(expr: str, values: Iterable[Any]) -> str:
    vals = sorted(set(values))
    items = ", ".join(_lit(v) if isinstance(v, str) else str(v) for v in vals)
    return f"{expr} = {items}" if len(vals) == 1 else f"{expr} IN ({items})"


def _ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


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
            arms = [f"WHEN {born} IS NULL THEN {UNKNOWN_AGE}"]
            for lower, upper in zip(plan.bands, plan.bands[1:], strict=False):
                arms.append(f"WHEN {born} > DATE '{_cutoff(plan.today, upper).isoformat()}' THEN {lower}")
        else:
            age = q(cols.age or "")
            arms = [f"WHEN {age} IS NULL THEN {UNKNOWN_AGE}"]
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
        for sub in subs:
            short = sub.split("-", 1)[1]
            arms.append(
                f"WHEN country = {_lit(country)} AND subdivision IN ({_lit(short)}, {_lit(sub)}) THEN {_lit(sub)}"
            )
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
        first = f"  SELECT\n    {select},\n    count(*) AS n\n  FROM {table}\n  GROUP BY 1, 2, 3, 4, 5"
    else:
        uid = _quote_col(cols.id or "", dialect)
        select = ",\n    ".join(
            f"{exprs[k]} AS {k}_in" if k in ("country", "subdivision") else f"{exprs[k]} AS {k}" for k in keys
        )
        first = f"  SELECT\n    {uid} AS user_id,\n    {select},\n    1 AS n\n  FROM {table}"
    carry = "user_id, " if not grouped else ""
    return (
        f"WITH rows_in AS (\n{first}\n), normalised AS (\n"
        f"  SELECT {carry}upper(trim(CAST(country_in AS STRING))) AS country,\n"
        f"    upper(trim(CAST(subdivision_in AS STRING))) AS subdivision,\n"
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
            age = None if born is None else age_on(born, plan.today)
        elif cols.age:
            age = row.get(cols.age)
        else:
            age = None
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


# ---------------------------------------------------------------------------------------------
# The result


class StepUsers(BaseModel):
    """The users one plan step reaches."""

    model_config = OUT
    step: int = Field(description="1-based, as in the assessment's plan (extra steps after it).")
    kind: ObligationKind
    title: str
    due: dt.date
    status: Status
    obligations: list[str] = Field(description="Obligation ids of the step (empty for an extra step).")
    users: int = Field(description="Users in the step.")
    existing_data: int = Field(description="Of them, users whose data predates `starts`.")
    unknown_age: int = Field(description="Of them, users of unknown age.")
    age_dependent: bool = Field(description="The step reaches only some ages in some jurisdiction.")
    ages: dict[str, str] = Field(
        default_factory=dict, description="For an age-dependent step: jurisdiction → the ages it reaches there."
    )
    in_assessment: bool = Field(True, description="False: owed only to users the spec did not foresee.")


class JurisdictionUsers(BaseModel):
    """The users of one jurisdiction."""

    model_config = OUT
    code: str = Field(description="ISO 3166 code; a country code alone for a subdivided country = subdivision unknown.")
    name: str
    users: int = Field(description="Users in the table placed here.")
    affected: int = Field(description="Users within the practice.")
    excluded: dict[str, int] = Field(default_factory=dict, description="Users left out, by reason.")
    existing_data: int = Field(description="Affected users whose data predates `starts`.")
    steps: dict[str, int] = Field(default_factory=dict, description="Step number → users in it.")


class ExcludedUsers(BaseModel):
    """Users left out, and why."""

    model_config = OUT
    reason: str
    users: int
    jurisdictions: list[str] = Field(description="Codes (or raw country values outside the regions).")


class TableCounts(BaseModel):
    """`jurisdiction users`: the assessment counted over a user table."""

    model_config = OUT
    practice: str
    title: str
    today: dt.date
    verdict: str
    source: str = Field(description="The user table.")
    backend: str = Field(description="Where the count ran: duckdb | spark | python.")
    seconds: float = Field(description="Time the query took.")
    users: int = Field(description="Rows in the table.")
    affected: int
    existing_data: int = Field(description="Affected users who signed up before `starts` (or on an unknown day).")
    unknown_age: int = Field(description="Affected users without a birth date or age.")
    excluded: list[ExcludedUsers]
    steps: list[StepUsers]
    jurisdictions: list[JurisdictionUsers]
    notes: list[str] = Field(default_factory=list)
    files: dict[str, str] = Field(default_factory=dict, description="Step number → id list written (Parquet).")


def summarize(
    plan: UserPlan,
    rows: Sequence[Sequence[Any]],
    *,
    source: str,
    backend: str,
    seconds: float,
    cols: ColumnMap,
) -> TableCounts:
    """Check the counted rows (unknown region codes are errors naming file and column) and
    total them per jurisdiction, step and reason."""
    _check_codes(rows, source, cols)
    nsteps = len(plan.steps)
    total = affected = existing_all = unknown_all = 0
    by_code: dict[str, dict[str, Any]] = {}
    excluded: dict[str, tuple[int, set[str]]] = {}
    step_users = [0] * nsteps
    step_existing = [0] * nsteps
    step_unknown = [0] * nsteps
    for row in rows:
        code, country, sub, reason, existing, band, n, *per_step = row
        n = int(n)
        total += n
        where = code or (country or "?") + (f"-{sub}" if sub else "")
        if reason is not None:
            count, codes = excluded.get(reason, (0, set()))
            codes.add(where)
            excluded[reason] = (count + n, codes)
        if code is None:
            continue
        j = by_code.setdefault(
            code, {"users": 0, "affected": 0, "excluded": defaultdict(int), "existing": 0, "steps": [0] * nsteps}
        )
        j["users"] += n
        if reason is not None:
            j["excluded"][reason] += n
            continue
        j["affected"] += n
        affected += n
        if existing:
            j["existing"] += n
            existing_all += n
        if band == UNKNOWN_AGE:
            unknown_all += n
        for i, k in enumerate(per_step):
            k = int(k)
            j["steps"][i] += k
            step_users[i] += k
            if existing:
                step_existing[i] += k
            if band == UNKNOWN_AGE:
                step_unknown[i] += k
    steps = [
        StepUsers(
            step=s.step,
            kind=s.kind,
            title=s.title,
            due=s.due,
            status=s.status,
            obligations=list(s.obligations),
            users=step_users[i],
            existing_data=step_existing[i],
            unknown_age=step_unknown[i],
            age_dependent=bool(_ages(plan, s)),
            ages=_ages(plan, s),
            in_assessment=s.in_assessment,
        )
        for i, s in enumerate(plan.steps)
    ]
    jurisdictions = [
        JurisdictionUsers(
            code=code,
            name=name_of(code) + (" (subdivision unknown)" if code in plan.subdivided else ""),
            users=j["users"],
            affected=j["affected"],
            excluded=dict(sorted(j["excluded"].items())),
            existing_data=j["existing"],
            steps={str(s.step): j["steps"][i] for i, s in enumerate(plan.steps) if j["steps"][i]},
        )
        for code, j in sorted(by_code.items())
    ]
    a = plan.assessment
    return TableCounts(
        practice=a.practice,
        title=a.title,
        today=a.today,
        verdict=a.verdict,
        source=source,
        backend=backend,
        seconds=round(seconds, 3),
        users=total,
        affected=affected,
        existing_data=existing_all,
        unknown_age=unknown_all,
        excluded=[
            ExcludedUsers(reason=r, users=c, jurisdictions=_short(sorted(codes)))
            for r, (c, codes) in sorted(excluded.items(), key=lambda kv: -kv[1][0])
        ],
        steps=steps,
        jurisdictions=jurisdictions,
        notes=list(plan.notes),
    )


def _short(codes: list[str]) -> list[str]:
    return codes if len(codes) <= 12 else [*codes[:12], f"… {len(codes) - 12} more"]


def _ages(plan: UserPlan, step: UserStep) -> dict[str, str]:
    """code → the ages the step reaches there, for codes where it does not reach every age."""
    out: dict[str, str] = {}
    known = [b for b in plan.used_bands if b != UNKNOWN_AGE]
    for code, pairs in step.covers.items():
        bands = sorted({b for b, _ in pairs})
        if set(bands) >= set(plan.used_bands):
            continue
        reached = [b for b in known if b in bands]
        if reached and reached == known[: len(reached)] and len(reached) < len(known):
            text = f"under {known[len(reached)]}"
        elif reached:
            text = ", ".join(plan.band_label(b) for b in reached)
        else:
            text = "age unknown only"
        if UNKNOWN_AGE in bands and reached:
            text += " or unknown"
        out[code] = text
    return out


def _check_codes(rows: Sequence[Sequence[Any]], source: str, cols: ColumnMap) -> None:
    problems: list[Problem] = []
    bad: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        code, country, sub, _reason, _e, _b, n = row[:7]
        if code is not None:
            continue
        if not country:
            bad[(cols.country, "")] += int(n)
            continue
        if country in groups() or "-" in country:
            bad[(cols.country, country)] += int(n)
            continue
        try:
            check_code(country)
        except ValueError:
            bad[(cols.country, country)] += int(n)
            continue
        if sub and cols.subdivision:
            full = sub if sub.startswith(country + "-") else f"{country}-{sub}"
            if subdivisions_of(country) and full not in subdivisions_of(country):
                bad[(cols.subdivision, sub)] += int(n)
    for (col, value), n in sorted(bad.items()):
        if value == "":
            message = f"{n:,} row(s) have no country"
            hint = None
        else:
            message = (
                f"{value!r} is not a valid {'country' if col == cols.country else 'subdivision'} code ({n:,} rows)"
            )
            hint = None
            try:
                check_code(value)
            except InvalidValue as exc:
                hint = exc.suggestion
        problems.append(
            Problem(
                message,
                file=source,
                field=col,
                value=value,
                valid="ISO 3166-1 alpha-2 country codes (US, DE, NO); subdivisions as US-CA or CA",
                suggestion=hint,
            )
        )
    if problems:
        raise InputError(problems)


# ---------------------------------------------------------------------------------------------
# Rendering


def render_users_json(counts: TableCounts) -> str:
    return json.dumps(counts.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def render_users_text(counts: TableCounts) -> str:
    from jurisdiction.vocabulary.regions import summarize_codes

    c = counts
    lines = [
        f"{c.practice}: {c.title}",
        f"Users: {c.users:,} in {c.source} as of {c.today.isoformat()} ({c.backend}, {c.seconds:.2f} s); "
        f"verdict {c.verdict.upper().replace('_', ' ')}",
        f"Affected: {c.affected:,} users in {sum(1 for j in c.jurisdictions if j.affected)} jurisdictions; "
        f"existing data: {c.existing_data:,}; age unknown: {c.unknown_age:,}",
    ]
    if c.excluded:
        lines.append("Excluded:")
        for e in c.excluded:
            lines.append(f"  {e.users:>14,}  {e.reason}: {', '.join(e.jurisdictions)}")
    unknown_sub = {j.code for j in c.jurisdictions if j.name.endswith("(subdivision unknown)")}
    if c.steps:
        lines.append("Plan:")
        for s in c.steps:
            flag = "" if s.in_assessment else " (not in the assessment's plan)"
            lines.append(
                f"  {s.step}. {s.title}: due {s.due.isoformat()} [{s.status}]{flag}: {s.users:,} users "
                f"({s.existing_data:,} existing data, {s.unknown_age:,} age unknown)"
            )
            by_text: dict[str, list[str]] = defaultdict(list)
            for code, text in s.ages.items():
                by_text[text].append(code)
            for text, codes in sorted(by_text.items()):
                vague = [f"{code} (subdivision unknown)" for code in codes if code in unknown_sub]
                shown = summarize_codes([code for code in codes if code not in unknown_sub])
                lines.append(f"       ages: {text} in {', '.join(x for x in [shown, *vague] if x)}")
    if c.jurisdictions:
        head = "  code     users        affected     existing    " + " ".join(f"step {s.step:<7}" for s in c.steps)
        lines.append("By jurisdiction:")
        lines.append(head.rstrip())
        for j in c.jurisdictions:
            cells = " ".join(f"{j.steps.get(str(s.step), 0):<12,}" for s in c.steps)
            lines.append(f"  {j.code:<8} {j.users:<12,} {j.affected:<12,} {j.existing_data:<11,} {cells}".rstrip())
    lines.extend(f"note: {n}" for n in c.notes)
    for step, path in c.files.items():
        lines.append(f"step {step} ids: {path}")
    return "\n".join(lines) + "\n"
