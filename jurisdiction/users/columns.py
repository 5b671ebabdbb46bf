"""The user table's columns: which column holds which role (id, country, subdivision, birth
date or age, sign-up date, opt-out), given with `--map` or found under common names."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jurisdiction.errors import InputError, Problem, UsageError, suggest

__all__ = ["ALIASES", "EMPTY", "ROLES", "ROLE_TYPES", "ColumnMap", "ColumnUse", "parse_column_map"]


ROLES = ("id", "country", "subdivision", "birth_date", "age", "signed_up", "opted_out")
EMPTY = "empty"  # the kind of every column of a table without rows (a header-only CSV): nothing to misread

# The type each role's column must have (kinds as the backends report them).
ROLE_TYPES: dict[str, tuple[str, ...]] = {
    "id": ("string", "integer", "float", "date", "timestamp", "boolean", "other"),
    "country": ("string",),
    "subdivision": ("string",),
    "birth_date": ("date", "timestamp"),
    "age": ("integer", "float"),
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
    age: str | None = Field(
        "age", description="Age in years at the evaluation date (a number), where there is no birth date."
    )
    signed_up: str | None = Field("signed_up", description="Sign-up date; before `starts` = existing data.")
    opted_out: str | None = Field("opted_out", description="True when the user has opted out of the practice.")

    def columns(self) -> dict[str, str]:
        """Role → column, for the roles mapped to a column."""
        return {role: col for role in ROLES if (col := getattr(self, role)) is not None}

    def explicit(self) -> frozenset[str]:
        return frozenset(self.model_fields_set)

    def unchecked(self) -> ColumnMap:
        """This map as SQL for a table not at hand (`--print-sql`) reads it: a role named in
        --map wins over another's default (`--map age=years` reads ages, not `birth_date`)."""
        if "age" in self.explicit() and "birth_date" not in self.explicit() and self.age is not None:
            return self.model_copy(update={"birth_date": None})
        return self

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
                actual = next((lowered[a] for a in ALIASES.get(role, ()) if a in lowered), None)
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
            if kind != EMPTY and kind not in ROLE_TYPES[role]:
                problems.append(
                    Problem(
                        f"column {actual!r} ({role}) has type {kind}; expected {' or '.join(ROLE_TYPES[role])}",
                        file=source,
                        field=actual,
                        valid=_TYPE_HINT[role],
                    )
                )
            found[role] = actual
        if found.get("birth_date") and found.get("age"):
            if "age" in self.explicit() and "birth_date" not in self.explicit():
                found["birth_date"] = None  # an age column named in --map wins over a found birth date
            elif "age" not in self.explicit():
                found["age"] = None  # a birth date gives the age on the evaluation date: it wins over a found age
        if found.get("birth_date") and found.get("age"):
            problems.append(Problem("map either birth_date or age, not both", file=source, field="age"))
        if problems:
            raise InputError(problems)
        return ColumnMap.model_validate(found)


# Other names a role's column is found under when --map does not name it (any case, first found)
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "country": ("country_code",),
    "subdivision": ("state", "region", "province"),
    "birth_date": ("dob", "birthdate", "date_of_birth"),
    "age": ("age_years",),
    "signed_up": ("signup", "signup_date", "signed_up_at", "created_at", "joined"),
    "opted_out": ("opt_out", "opted_out_of_training"),
}


class ColumnUse(BaseModel):
    """The columns a count used: each role's column, whether `--map` gave it or it was found
    under the default name or an alias, and the table's columns that no role used."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    columns: dict[str, str] = Field(default_factory=dict, description="Role → the column used for it.")
    given: list[str] = Field(default_factory=list, description="Roles whose column --map named.")
    guessed: list[str] = Field(
        default_factory=list, description="Roles found without --map, under the default name or an alias."
    )
    ignored: list[str] = Field(default_factory=list, description="Columns of the table no role used.")

    @classmethod
    def of(cls, asked: ColumnMap, used: ColumnMap, schema: Mapping[str, str]) -> ColumnUse:
        """How `asked` (the --map) resolved to `used` on a table with `schema`."""
        columns = used.columns()
        return cls(
            columns=columns,
            given=[r for r in columns if r in asked.explicit()],
            guessed=[r for r in columns if r not in asked.explicit()],
            ignored=[c for c in schema if c not in columns.values()],
        )

    def describe(self) -> str:
        """`country=country (guessed), subdivision=state (given); ignored: plan`."""
        used = ", ".join(
            f"{role}={col} ({'given' if role in self.given else 'guessed'})" for role, col in self.columns.items()
        )
        return used + (f"; ignored: {', '.join(self.ignored)}" if self.ignored else "; no column ignored")


_TYPE_HINT = {
    "id": "any type",
    "country": "text: ISO 3166-1 alpha-2 codes such as US, DE, NO",
    "subdivision": "text: ISO 3166-2 codes (US-CA) or their part after the dash (CA)",
    "birth_date": "a DATE column (in CSV: YYYY-MM-DD)",
    "age": "a numeric column (years)",
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
