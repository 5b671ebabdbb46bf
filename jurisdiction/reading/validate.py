"""Validate loaded data against a pydantic model, turning every error into a `Problem` that
names the file, line, field, what is valid and, where one fits, a "did you mean"."""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from jurisdiction.errors import MAX_PROBLEMS, InvalidValue, Problem, capped, suggest
from jurisdiction.reading.loading import Document, Path_

__all__ = ["model_problems", "validate_model"]

M = TypeVar("M", bound=BaseModel)

SLUG_HELP = (
    "lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, "
    "at most 128 characters (e.g. genai-training-2024)"
)
URL_KINDS = ("url_parsing", "url_scheme", "url_type", "url_syntax_violation", "url_too_long")
MAX_SHOWN = 80

YAML11 = {"yes", "no", "on", "off", "y", "n", "true", "false", "Yes", "No", "On", "Off", "YES", "NO", "ON", "OFF"}


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that owns the last part of `loc` (for listing valid field names)."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
            if field is None:
                return None
            current = field.annotation
        else:
            current = _unwrap(current, part)
            if current is None:
                return None
    current = _unwrap(current, None)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp: Any, part: Any) -> Any:
    """Step through Optional/list/dict/Annotated to the model inside."""
    for _ in range(6):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            models = [a for a in typing.get_args(tp) if a is not type(None)]
            inner = [m for m in models if isinstance(m, type) and issubclass(m, BaseModel)]
            tp = inner[0] if inner else (models[0] if models else None)
            continue
        if origin in (list, tuple) and isinstance(part, int):
            tp = typing.get_args(tp)[0]
            part = None
            continue
        if origin is dict and part is not None and not isinstance(part, int):
            tp = typing.get_args(tp)[1]
            part = None
            continue
        break
    return tp


def _short(value: object) -> str:
    """repr(value), cut short: a message must not repeat a megabyte of input."""
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 5] + "…" + text[-4:]


def _slug_guess(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    guess = re.sub(r"[^a-z0-9._-]+", "-", value.strip().lower()).strip("-._")[:128]
    return guess or None


def _blame(
    doc: Document, model: type[BaseModel], base: Path_, loc: tuple[Any, ...], field: str | None
) -> tuple[Any, ...]:
    """A check over a whole model ("ends (…) is before starts (…)") is reported at the field it
    names (`InvalidValue.field`), when that field stands in the document."""
    owner = _model_at(model, loc)
    if owner is None or field is None:
        return loc
    if field in _field_names(owner) and (*base, *loc, field) in doc.positions:
        return (*loc, field)
    return loc


_TYPE_KINDS = (
    "int_type",
    "int_parsing",
    "string_type",
    "date_type",
    "list_type",
    "dict_type",
    "model_type",
    "float_type",
    "bool_type",
)


def model_problems(doc: Document, model: type[BaseModel], exc: ValidationError, base: Path_ = ()) -> list[Problem]:
    problems: list[Problem] = []
    errors = exc.errors(include_url=False)
    # a union reports a mismatch once per member: read a few more than are shown, then count
    shown = errors[: 4 * MAX_PROBLEMS]
    for err in shown:
        kind = err["type"]
        loc = _real_loc(doc, base, err["loc"], kind)
        value = err.get("input")
        message = err["msg"]
        raised = err.get("ctx", {}).get("error")
        refused = raised if isinstance(raised, InvalidValue) else None
        if refused is not None and not isinstance(value, (str, int, float, bool, type(None), list)):
            loc = _blame(doc, model, base, loc, refused.field)
        path = (*base, *loc)
        valid = None
        guess = None
        found = None
        code = kind
        if kind == "extra_forbidden":
            owner = _model_at(model, loc[:-1])
            names = _field_names(owner) if owner else []
            message = f"unknown field `{loc[-1]}`"
            code = "unknown_field"
            valid = ", ".join(names) if names else None
            guess = suggest(loc[-1], names) if names else None
            value = None
        elif kind == "missing":
            message = f"required field `{loc[-1]}` is missing"
            code = "missing_field"
            owner = _model_at(model, loc[:-1])
            if owner is not None:
                field = next((f for n, f in owner.model_fields.items() if (f.alias or n) == loc[-1]), None)
                if field is not None and field.description:
                    valid = field.description
        elif kind.startswith("bool") and isinstance(value, str):
            message = f"{value!r} is not a boolean"
            code = "not_boolean"
            valid = "true or false"
            if value in YAML11:
                message += " (YAML 1.1 read this as a boolean; this tool reads YAML 1.2, where it is a string)"
                guess = "true" if value.lower() in ("yes", "on", "y", "true") else "false"
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            message = f"{value!r} is not allowed"
            code = "not_allowed"
            valid = str(expected).replace("'", "")
            options = [o.strip() for o in str(expected).replace(" or ", ",").replace("'", "").split(",") if o.strip()]
            guess = suggest(value, options)
        elif kind == "value_error":
            if refused is not None:
                message, code, valid, guess = refused.message, refused.code, refused.valid, refused.suggestion
            else:
                message, code = message.removeprefix("Value error, "), "invalid_value"
        elif kind in _TYPE_KINDS:
            wanted = message.lower().removeprefix("input should be ")
            valid = wanted.removeprefix("a valid ")
            found = f"{type(value).__name__} {_short(value)}" if not isinstance(value, (dict, list)) else None
            found = found or f"a {type(value).__name__}"
            message = f"expected {wanted}, got {found}"
            code = "wrong_type"
        elif kind in URL_KINDS:
            reason = message.lower().removeprefix("input should be a valid url, ")
            message = f"{_short(value)} is not a valid URL ({reason})"
            code = "invalid_url"
            valid = "an absolute http:// or https:// URL, e.g. https://eur-lex.europa.eu/eli/reg/2016/679/oj"
        elif kind == "string_pattern_mismatch":
            pattern = str(err.get("ctx", {}).get("pattern", ""))
            code = "invalid_id"
            if pattern.startswith("^[a-z0-9][a-z0-9._-]"):
                message = f"{_short(value)} is not a valid id"
                valid = SLUG_HELP
                guess = _slug_guess(value)
            else:  # pragma: no cover - every pattern in the models is the slug pattern
                message = f"{_short(value)} does not match the pattern {pattern}"
        elif kind == "too_short" and isinstance(value, list):
            least = err.get("ctx", {}).get("min_length", 1)
            code = "too_few_items"
            message = (
                f"the list is empty; give at least {least} item{'s' if least != 1 else ''}"
                if not value
                else f"the list needs at least {least} items, got {len(value)}"
            )
            valid = _description(model, loc)
        problems.append(
            doc.problem(
                path,
                message,
                valid=valid,
                suggestion=guess,
                value=value if isinstance(value, (str, int, float, bool)) else None,
                code=code,
                found=found,
            )
        )
    merged = _merge_union_noise(problems)
    return list(capped(merged, more=len(errors) - len(shown)))


def _merge_union_noise(problems: list[Problem]) -> list[Problem]:
    """A value checked against a union (`int | str`, `X | list[X]`) fails once per member.
    Keep what helps: drop a type mismatch where another member got further into the value
    (its problems sit deeper), and fold the remaining type mismatches at one place into one
    ("expected integer, number, string or boolean, got a dict")."""
    fields = [p.field or "" for p in problems]

    def deeper(prefix: str) -> bool:
        return any(f != prefix and (f.startswith(prefix + ".") or f.startswith(prefix + "[")) for f in fields)

    kept = [p for p in problems if not (p.code == "wrong_type" and p.field and deeper(p.field))]
    out: list[Problem] = []
    merged: dict[tuple[object, ...], int] = {}
    for problem in kept:
        if problem.code != "wrong_type":
            out.append(problem)
            continue
        key = (problem.file, problem.line, problem.column, problem.field, problem.found)
        if key not in merged:
            merged[key] = len(out)
            out.append(problem)
            continue
        first = out[merged[key]]
        wants = [*dict.fromkeys([*(first.valid or "").split(" or "), problem.valid or ""])]
        valid = f"{', '.join(wants[:-1])} or {wants[-1]}"
        out[merged[key]] = dataclasses.replace(first, message=f"expected {valid}, got {first.found}", valid=valid)
    return out


def _description(model: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    owner = _model_at(model, loc[:-1]) if loc else None
    if owner is None:
        return None
    field = next((f for n, f in owner.model_fields.items() if (f.alias or n) == loc[-1]), None)
    return field.description if field is not None else None


def _real_loc(doc: Document, base: Path_, loc: tuple[Any, ...], kind: str) -> tuple[Any, ...]:
    """Drop pydantic's union-member tags ('int', 'list[ParamValue]', …) from an error location,
    keeping only the keys and indexes that stand in the document."""
    kept: list[Any] = []
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(part, int) or (*base, *kept, part) in doc.positions or (last and kind == "missing"):
            kept.append(part)
    return tuple(kept)


def validate_model(
    doc: Document, model: type[M], data: Any = None, base: Path_ = (), error: type[Exception] | None = None
) -> M:
    """Validate `data` (default: the whole document) or raise `error` with every problem."""
    from jurisdiction.errors import InputError

    payload = doc.data if data is None else data
    if not isinstance(payload, dict):
        problem = doc.problem(
            base, f"expected a mapping of fields, got {type(payload).__name__}", valid=", ".join(_field_names(model))
        )
        raise (error or InputError)([problem])
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise (error or InputError)(model_problems(doc, model, exc, base)) from None
