"""Step 1 of the pipeline: read a YAML or JSON file strictly, keeping where each value stood.

YAML is read with YAML 1.2 scalars, so `NO` is Norway and `on` is a string; duplicate keys,
non-UTF-8 bytes, empty files, oversize files and absurd nesting are errors that name the
file and line. JSON is read by the same parser (JSON is YAML 1.2), which gives JSON files
line numbers and duplicate-key checks too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
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


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = False
    return yaml


class _TooDeep(Exception):
    pass


def _plain(node: Any, path: Path_, positions: dict[Path_, tuple[int, int]], depth: int = 0) -> Any:
    """Turn ruamel's round-trip nodes into plain Python values, recording positions."""
    if depth > MAX_DEPTH:
        raise _TooDeep(path)
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            k = key if isinstance(key, str) else _scalar(key)
            try:
                line, col = node.lc.key(key)
                positions[(*path, k)] = (line + 1, col + 1)
            except (KeyError, TypeError, AttributeError):  # pragma: no cover - ruamel always records
                pass
            out[k] = _plain(value, (*path, k), positions, depth + 1)
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
    return _scalar(node)


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


_LINE_IN_MESSAGE = re.compile(r'line (\d+), column (\d+)')


def parse_text(text: str, source: str) -> Document:
    """Parse YAML or JSON text; raise `InputError` with file and line on any problem."""
    if not text.strip():
        raise InputError([Problem("the file is empty", file=source, line=1,
                                  valid="a YAML or JSON mapping")])
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
    except _TooDeep as deep:
        path = deep.args[0]
        line, col = _nearest(positions, path)
        raise InputError([Problem(f"nesting is deeper than {MAX_DEPTH} levels", file=source,
                                  line=line, column=col)]) from None
    if data is None:
        raise InputError([Problem("the file holds no data (only comments or an empty document)",
                                  file=source, line=1, valid="a YAML or JSON mapping")])
    return Document(data=data, source=source, positions=positions)


def _nearest(positions: Mapping[Path_, tuple[int, int]], path: Path_) -> tuple[int | None, int | None]:
    probe = tuple(path)
    while probe:
        if probe in positions:
            return positions[probe]
        probe = probe[:-1]
    return (None, None)


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
            raise InputError([Problem(
                f"the file is {size:,} bytes; the limit is {MAX_BYTES:,}", file=source,
                valid="a spec or rule file under 8 MiB", suggestion="split it into several files")])
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
        raise InputError([Problem(f"the input is {len(blob):,} bytes; the limit is {MAX_BYTES:,}",
                                  file=source)])
    if blob.startswith(b"\xef\xbb\xbf"):
        blob = blob[3:]
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = blob[: exc.start].count(b"\n") + 1
        raise InputError([Problem(
            f"not UTF-8: byte 0x{blob[exc.start]:02x} at offset {exc.start}", file=source, line=line,
            valid="UTF-8 text", suggestion="re-save the file as UTF-8")]) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError([Problem("the file contains a NUL byte; it is not a text file",
                                  file=source, line=line)])
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
