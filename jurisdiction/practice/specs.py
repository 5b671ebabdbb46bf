"""Read practice specs (YAML or JSON files, or data) into `Practice` models, with file/line errors."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from jurisdiction.errors import InputError, Problem, SpecError
from jurisdiction.practice.model import Practice
from jurisdiction.reading.loading import MAX_BYTES, Document, from_data, load_document, parse_bytes
from jurisdiction.reading.validate import validate_model

__all__ = ["iter_errors", "load_practice", "load_practices", "merge", "parse_practice", "practice_from_document"]


def practice_from_document(doc: Document) -> Practice:
    return validate_model(doc, Practice, error=SpecError)


def load_practice(path: Path | str) -> Practice:
    """Read one spec file; raise `SpecError` naming file, line and field on any problem."""
    with _as_spec_error():
        doc = load_document(path)
    return practice_from_document(doc)


@contextmanager
def _as_spec_error() -> Iterator[None]:
    """A file-level input problem (bad bytes, bad YAML) is a problem with the spec."""
    try:
        yield
    except SpecError:
        raise
    except InputError as exc:
        raise SpecError(exc.problems) from None


def load_practices(paths: list[Path | str]) -> list[Practice]:
    return [load_practice(p) for p in paths]


def parse_practice(data: Any, source: str = "<input>", *, strict_json: bool = False) -> Practice:
    """Validate a spec given as text/bytes (YAML or JSON; `strict_json`: only JSON) or as
    already-parsed data."""
    if isinstance(data, (bytes, str)):
        quick = _plain_json(data)
        if quick is not None:
            try:
                return Practice.model_validate(quick)
            except ValidationError:
                pass  # read it again with positions, to say where
    with _as_spec_error():
        if isinstance(data, (bytes, str)):
            blob = data.encode("utf-8") if isinstance(data, str) else data
            doc = parse_bytes(blob, source, strict_json=strict_json)
        else:
            doc = from_data(data, source)
    return practice_from_document(doc)


class _NotPlain(Exception):
    pass


def _refuse(*_: Any) -> Any:
    raise _NotPlain


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _NotPlain  # a duplicate key: the full reader names it
    return out


# What YAML reads as it is, inside a string or out: anything else (control characters, C1,
# U+FEFF, U+FFFE, lone surrogates, a BOM) sends the text to the strict reader.
_NOT_PLAIN = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


def _plain_json(data: bytes | str) -> dict[str, Any] | None:
    """A JSON object read with the standard library's C parser, when the text is plain JSON
    with nothing to report (UTF-8, within the size limit, no duplicate key, no NaN, no
    character YAML would read differently); else None, and the strict reader (`loading`)
    takes over. About ten times faster for the HTTP service's JSON bodies; for valid input the
    answer is the same value either way (tests/test_fast_paths.py)."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > MAX_BYTES or data.lstrip()[:1] != b"{":
        return None
    try:
        text = data.decode("utf-8")  # strictly: json.loads would also take UTF-16 and UTF-32
        if _NOT_PLAIN.search(text):
            return None
        found = json.loads(text, object_pairs_hook=_unique, parse_constant=_refuse)
    except (_NotPlain, ValueError, RecursionError):
        return None
    return found if isinstance(found, dict) else None


def iter_errors(spec: Path | str | bytes | dict[str, Any]) -> Iterator[Problem]:
    """Every problem with a spec (a path, YAML/JSON bytes, or parsed data), in file order;
    nothing when it is valid. `load_practice` / `parse_practice` raise them all at once in a
    `SpecError`, whose `.best` is the one to show first.

    >>> [p.field for p in iter_errors({"id": "x", "title": "t"})][:2]
    ['data_subjects', 'data_categories']
    """
    try:
        if isinstance(spec, (str, Path)) and not isinstance(spec, bytes):
            load_practice(spec)
        else:
            parse_practice(spec)
    except SpecError as exc:
        yield from sorted(exc.problems, key=lambda p: (p.line or 0, p.column or 0))


def merge(base: Any, over: Any) -> Any:
    """Deep-merge `over` onto `base` (mappings merge; anything else replaces)."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = copy.deepcopy(base)
        for key, value in over.items():
            out[key] = merge(out.get(key), value) if key in out else copy.deepcopy(value)
        return out
    return copy.deepcopy(over)
