"""Step 1 of the pipeline: read a YAML or JSON file strictly, keeping where each value stood.

YAML is read with YAML 1.2 scalars, so `NO` is Norway and `on` is a string; duplicate keys,
non-UTF-8 bytes, empty files, oversize files and absurd nesting are errors that name the
file and line. JSON is read by the same parser (JSON is YAML 1.2), which gives JSON files
line numbers and duplicate-key checks too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .errors import InputError, Problem

__all__ = ["Document", "from_data", "load_document", "parse_bytes", "parse_text"]

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 48

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """Plain data read from a file, and the (line, column) of every key and item (1-based)."""

    data: Any
    source: str
    positions: Mapping[Path_, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path_) -> tuple[int | None, int | None]:
        """The position of `path`, or of its nearest ancestor that has one."""
        line, column = _nearest(self.positions, path)
        return (line or None, column or None)

    def problem(self, path: Path_, message: str, **extra: Any) -> Problem:
        line, column = self.locate(path)
        dotted = dotted_path(path)
        return Problem(message, file=self.source, line=line, column=column, field=dotted or None, **extra)


def dotted_path(path: Path_) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class _Constructor(RoundTripConstructor):
    """ruamel's round-trip constructor, but a bad date or an absurd integer becomes a
    problem with a position instead of a bare ValueError from deep inside the parser."""


def _timestamp(self: RoundTripConstructor, node: Any, values: Any = None) -> Any:
    # `2024-13-01` looks like a date but is none: keep the text, so that the model reports
    # it against its field ("'2024-13-01' is not a date; write YYYY-MM-DD").
    try:
        return RoundTripConstructor.construct_yaml_timestamp(self, node, values)
    except (ValueError, OverflowError):
        return str(node.value)


class _HugeInt:
    """Stands in for an integer too long to convert (Python refuses > 4300 digits); reported
    against its field by `_plain`."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _int(self: RoundTripConstructor, node: Any) -> Any:
    try:
        return RoundTripConstructor.construct_yaml_int(self, node)
    except (ValueError, OverflowError):
        return _HugeInt(sum(ch.isdigit() for ch in str(node.value)))


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_Constructor.add_constructor("tag:yaml.org,2002:int", _int)


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = False
    yaml.Constructor = _Constructor
    return yaml


class _Unreadable(Exception):
    """A value that parsed but that no spec or rule file can hold; args: (path, problem kwargs)."""


class _TooDeep(Exception):
    pass


def _describe(value: Any) -> str:
    if isinstance(value, _HugeInt):
        return f"a number with {value.digits:,} digits"
    tag = getattr(value, "tag", None)
    if tag is not None and str(tag) not in ("None", ""):
        return f"a value tagged {tag}"
    if isinstance(value, bytes):
        return "a !!binary value"
    if isinstance(value, (set, frozenset)) or type(value).__name__ == "CommentedSet":
        return "a !!set value"
    if isinstance(value, (tuple, list)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"


def _plain(node: Any, path: Path_, positions: dict[Path_, tuple[int, int]], depth: int = 0) -> Any:
    """Turn ruamel's round-trip nodes into plain Python values, recording positions."""
    if depth > MAX_DEPTH:
        raise _TooDeep(path)
    if not path and isinstance(node, (CommentedMap, CommentedSeq)):
        # the document itself: where problems with no better place are reported
        with contextlib.suppress(TypeError, AttributeError):
            positions[()] = (node.lc.line + 1, node.lc.col + 1)
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            try:
                line, col = node.lc.key(key)
                where: tuple[int, int] | None = (line + 1, col + 1)
            except (KeyError, TypeError, AttributeError):  # pragma: no cover - ruamel always records
                where = None
            if not isinstance(key, str):
                if where is not None:
                    positions[(*path, "?")] = where
                shown = "null" if key is None else str(key).lower() if isinstance(key, bool) else str(key)
                quoted = not isinstance(key, (tuple, list, dict)) and not hasattr(key, "items")
                raise _Unreadable(
                    (*path, "?"),
                    {
                        "message": f"a key must be text, not {'null' if key is None else _describe(key)}",
                        "valid": "a plain key such as `id` or `US`",
                        "suggestion": f'quote it: "{shown}"' if quoted else None,
                    },
                )
            if where is not None:
                positions[(*path, key)] = where
            out[key] = _plain(value, (*path, key), positions, depth + 1)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, value in enumerate(node):
            try:
                line, col = node.lc.item(i)
                positions[(*path, i)] = (line + 1, col + 1)
            except (KeyError, TypeError, AttributeError):  # pragma: no cover
                pass
            items.append(_plain(value, (*path, i), positions, depth + 1))
        return items
    value = _scalar(node)
    if isinstance(value, _HugeInt):
        raise _Unreadable(
            path,
            {
                "message": f"a number with {value.digits:,} digits is too large to read",
                "valid": "a number of at most 4,300 digits",
            },
        )
    if value is not None and not isinstance(value, (bool, int, float, str, dt.date)):
        raise _Unreadable(
            path,
            {
                "message": f"{_describe(node)} is not supported here",
                "valid": "a string, number, boolean, date (YYYY-MM-DD), list or mapping",
                "suggestion": "remove the YAML tag",
            },
        )
    return value


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dt.datetime):
        return dt.datetime(*value.timetuple()[:6])
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    return value


_LINE_IN_MESSAGE = re.compile(r"line (\d+), column (\d+)")


def parse_text(text: str, source: str) -> Document:
    """Parse YAML or JSON text; raise `InputError` with file and line on any problem."""
    if not text.strip():
        raise InputError([Problem("the file is empty", file=source, line=1, valid="a YAML or JSON mapping")])
    positions: dict[Path_, tuple[int, int]] = {}
    try:
        raw = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = (exc.problem or str(exc)).strip()
        if "duplicate key" in message:
            message = message.split(" with value")[0].replace("found ", "") + " (each key may appear once)"
        return _raise_marked(source, mark, message)
    except YAMLError as exc:
        raise InputError([Problem(f"not valid YAML or JSON: {exc}", file=source)]) from None
    except RecursionError:
        raise InputError([Problem(f"nesting is deeper than {MAX_DEPTH} levels", file=source)]) from None
    try:
        data = _plain(raw, (), positions)
    except _Unreadable as bad:
        path, extra = bad.args
        line, col = _nearest(positions, path)
        shown = dotted_path(tuple(p for p in path if p != "?"))
        raise InputError([Problem(file=source, line=line, column=col, field=shown or None, **extra)]) from None
    except _TooDeep as deep:
        path = deep.args[0]
        line, col = _nearest(positions, path)
        raise InputError(
            [Problem(f"nesting is deeper than {MAX_DEPTH} levels", file=source, line=line, column=col)]
        ) from None
    if data is None:
        raise InputError(
            [
                Problem(
                    "the file holds no data (only comments or an empty document)",
                    file=source,
                    line=1,
                    valid="a YAML or JSON mapping",
                )
            ]
        )
    return Document(data=data, source=source, positions=positions)


def _nearest(positions: Mapping[Path_, tuple[int, int]], path: Path_) -> tuple[int | None, int | None]:
    probe = tuple(path)
    while probe:
        if probe in positions:
            return positions[probe]
        probe = probe[:-1]
    return positions.get((), (None, None))


def _raise_marked(source: str, mark: Any, message: str) -> Document:
    line = mark.line + 1 if mark is not None else None
    col = mark.column + 1 if mark is not None else None
    raise InputError([Problem(message, file=source, line=line, column=col)]) from None


def load_document(path: Path | str, *, display: str | None = None) -> Document:
    """Read and parse one file (YAML or JSON) strictly."""
    p = Path(path)
    source = display or str(path)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise InputError(
                [
                    Problem(
                        f"the file is {size:,} bytes; the limit is {MAX_BYTES:,}",
                        file=source,
                        valid="a spec or rule file under 8 MiB",
                        suggestion="split it into several files",
                    )
                ]
            )
        blob = p.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem("no such file", file=source)]) from None
    except IsADirectoryError:
        raise InputError([Problem("this is a directory, not a file", file=source)]) from None
    except PermissionError:
        raise InputError([Problem("permission denied", file=source)]) from None
    return parse_bytes(blob, source)


def parse_bytes(blob: bytes, source: str) -> Document:
    """Decode UTF-8 strictly (naming the line of the first bad byte) and parse."""
    if len(blob) > MAX_BYTES:
        raise InputError([Problem(f"the input is {len(blob):,} bytes; the limit is {MAX_BYTES:,}", file=source)])
    if blob.startswith(b"\xef\xbb\xbf"):
        blob = blob[3:]
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = blob[: exc.start].count(b"\n") + 1
        raise InputError(
            [
                Problem(
                    f"not UTF-8: byte 0x{blob[exc.start]:02x} at offset {exc.start}",
                    file=source,
                    line=line,
                    valid="UTF-8 text",
                    suggestion="re-save the file as UTF-8",
                )
            ]
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError([Problem("the file contains a NUL byte; it is not a text file", file=source, line=line)])
    return parse_text(text, source)


def from_data(data: Any, source: str = "<input>") -> Document:
    """A `Document` for data that did not come from a file (an API call): no line numbers,
    but the same field paths in errors."""
    positions: dict[Path_, tuple[int, int]] = {}

    def walk(node: Any, path: Path_, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise InputError([Problem(f"nesting is deeper than {MAX_DEPTH} levels", file=source)])
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            positions[(*path, key)] = (0, 0)
            walk(value, (*path, key), depth + 1)

    walk(data, (), 0)
    return Document(data=data, source=source, positions={k: v for k, v in positions.items()})
