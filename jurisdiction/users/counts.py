"""The counts over a user table: users per plan step, jurisdiction and exclusion reason, with
the codes the table gets wrong reported."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from jurisdiction.errors import InputError, InvalidValue, Problem
from jurisdiction.evaluation.assessment import OUT
from jurisdiction.law.rulefile import ObligationKind, Status
from jurisdiction.users.columns import ColumnMap, ColumnUse
from jurisdiction.users.planner import UNKNOWN_AGE, UserPlan, UserStep
from jurisdiction.vocabulary.regions import check_code, groups, name_of, subdivision_code, subdivisions_of, suggestions

__all__ = ["ExcludedUsers", "JurisdictionUsers", "StepUsers", "TableCounts", "summarize"]


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
    not_covered: list[str] = Field(
        default_factory=list, description="Affected codes where the library has no complete law: never clear."
    )
    not_covered_users: int = Field(0, description="Users of the table in those jurisdictions.")
    notes: list[str] = Field(default_factory=list)
    files: dict[str, str] = Field(default_factory=dict, description="Step number → id list written (Parquet).")
    columns: ColumnUse | None = Field(
        None, description="The column used for each role, given with --map or guessed, and the columns ignored."
    )


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
    gaps = list(a.coverage.uncovered) if a.coverage is not None else []
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
        not_covered=gaps,
        not_covered_users=sum(j.affected for j in jurisdictions if j.code in set(gaps)),
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
    # (column, country beside a subdivision, value) → rows
    bad: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in rows:
        code, country, sub, _reason, _e, _b, n = row[:7]
        if code is not None:
            continue
        if not country:
            bad[(cols.country, "", "")] += int(n)
            continue
        if country in groups() or "-" in country:
            bad[(cols.country, "", country)] += int(n)
            continue
        try:
            known = check_code(country) == country  # an alias (UK) is not what the SQL compares
        except ValueError:
            known = False
        if not known:
            bad[(cols.country, "", country)] += int(n)
            continue
        if sub and cols.subdivision and subdivisions_of(country) and subdivision_code(country, sub) is None:
            bad[(cols.subdivision, country, sub)] += int(n)
    for (col, country, value), n in sorted(bad.items()):
        hint = None
        if value == "":
            message = f"{n:,} row(s) have no country"
        elif country:
            # a subdivision: suggested among that country's subdivisions only, never another country
            message = f"{value!r} is not a valid subdivision code or name of {country} ({n:,} rows)"
            found = suggestions(value, country=country, limit=1)
            hint = f"{found[0]} ({name_of(found[0])})" if found else None
        else:
            message = f"{value!r} is not a valid country code ({n:,} rows)"
            try:
                found_code = check_code(value)
                hint = f"{found_code} ({name_of(found_code)})"
            except InvalidValue as exc:
                hint = exc.suggestion
        problems.append(
            Problem(
                message,
                file=source,
                field=col,
                value=value,
                valid="ISO 3166-1 alpha-2 country codes (US, DE, NO); subdivisions as US-CA, CA or California",
                suggestion=hint,
            )
        )
    if problems:
        raise InputError(problems)
