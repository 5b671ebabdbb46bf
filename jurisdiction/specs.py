"""Read practice specs (YAML or JSON files, or data) into `Practice` models, with file/line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import SpecError
from .loading import Document, from_data, load_document, parse_bytes
from .practice import Practice
from .validate import validate_model

__all__ = ["load_practice", "load_practices", "parse_practice", "practice_from_document"]


def practice_from_document(doc: Document) -> Practice:
    return validate_model(doc, Practice, error=SpecError)


def load_practice(path: Path | str) -> Practice:
    """Read one spec file; raise `SpecError` naming file, line and field on any problem."""
    try:
        doc = load_document(path)
    except SpecError:
        raise
    except Exception as exc:
        problems = getattr(exc, "problems", None)
        if problems is None:
            raise
        raise SpecError(problems) from None
    return practice_from_document(doc)


def load_practices(paths: list[Path | str]) -> list[Practice]:
    return [load_practice(p) for p in paths]


def parse_practice(data: Any, source: str = "<input>") -> Practice:
    """Validate a spec given as text/bytes (YAML or JSON) or as already-parsed data."""
    try:
        if isinstance(data, (bytes, str)):
            blob = data.encode("utf-8") if isinstance(data, str) else data
            doc = parse_bytes(blob, source)
        else:
            doc = from_data(data, source)
    except SpecError:
        raise
    except Exception as exc:
        problems = getattr(exc, "problems", None)
        if problems is None:
            raise
        raise SpecError(problems) from None
    return practice_from_document(doc)
