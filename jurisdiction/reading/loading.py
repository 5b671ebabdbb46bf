"""Step 1 of the pipeline: read a YAML or JSON file strictly, keeping where each value stood.

YAML is read with YAML 1.2 scalars, so `NO` is Norway and `on` is a string; duplicate keys,
non-UTF-8 bytes, empty files, oversize files and absurd nesting are errors that name the
file and line. JSON is read by the same parser (JSON is YAML 1.2), which gives JSON files
line numbers and duplicate-key checks too.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from jurisdiction.errors import InputError, Problem

__all__ = ["Document", "from_data", "load_document", "parse_bytes", "parse_text", "read_file", "read_stream"]

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 48
MAX_ALIASES = 1000  # alias references (`*name`) in one document
MAX_VALUES = 250_000  # values in one document once aliases are expanded

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
    # The C parser (ruamel.yaml.clib) composes about ten times faster than the pure-Python
    # one; both resolve plain scalars by YAML 1.2 and both give every node its position.
    yaml = YAML(typ="safe", pure=not _C_PARSER)
    yaml.version = (1, 2)
    return yaml


# ruamel.yaml.clib's extension module; without it the pure parser gives the same answers.
_C_PARSER = importlib.util.find_spec("_ruamel_yaml") is not None


class _Unreadable(Exception):
    """A value that parsed but that no spec or rule file can hold; args: (path, problem kwargs)."""


class _TooDeep(Exception):
    pass


class _TooLarge(Exception):
    pass


_BRACKETS = re.compile(r"[\[\]{}]")
_INDENT = re.compile(r"^[ ]+", re.M)
_ALIAS = re.compile(r"(?:^|[\s,\[{:-])\*[^\s,\[\]{}]")
_OPENS = frozenset({"FlowSequenceStartToken", "FlowMappingStartToken", "BlockMappingStartToken",
                    "BlockSequenceStartToken"})  # fmt: skip
_CLOSES = frozenset({"FlowSequenceEndToken", "FlowMappingEndToken", "BlockEndToken"})


def _refuse_before_composing(text: str, source: str) -> None:
    """Refuse a document that would overflow the C composer's stack (it recurses per nesting
    level, and crashes the process rather than raising) or that references aliases without
    bound, before it is composed. A cheap over-estimate of the depth is checked first; only a
    document that may be too deep is scanned token by token (iteratively)."""
    depth = deepest = 0
    for m in _BRACKETS.finditer(text):
        depth = depth + 1 if m.group() in "[{" else max(0, depth - 1)
        deepest = max(deepest, depth)
    indent = max((len(m.group()) for m in _INDENT.finditer(text)), default=0)
    if deepest + indent > MAX_DEPTH:
        depth = 0
        try:
            for token in YAML(typ="safe", pure=True).scan(text):
                name = type(token).__name__
                if name in _OPENS:
                    depth += 1
                    if depth > MAX_DEPTH:
                        line, col = token.start_mark.line + 1, token.start_mark.column + 1
                        raise InputError(
                            [
                                Problem(
                                    f"nesting is deeper than {MAX_DEPTH} levels",
                                    file=source,
                                    line=line,
                                    column=col,
                                    code="too_deep",
                                    valid=f"at most {MAX_DEPTH} levels of lists and mappings",
                                )
                            ]
                        )
                elif name in _CLOSES:
                    depth -= 1
        except YAMLError:
            pass  # not YAML: the composer says where, without recursing far
    if len(_ALIAS.findall(text)) > MAX_ALIASES:
        raise InputError(
            [
                Problem(
                    f"more than {MAX_ALIASES:,} YAML alias references (*name)",
                    file=source,
                    code="too_many_aliases",
                    valid=f"at most {MAX_ALIASES:,} aliases; a spec or rule file needs few or none",
                )
            ]
        )


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


def _at(node: Any) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Plain Python values from a composed YAML node tree, with the position of every key and
    item, duplicate keys refused, and only the plain YAML 1.2 types allowed."""

    def __init__(self, constructor: Any) -> None:
        self.constructor = constructor
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.values = 0  # values built, aliases expanded: bounded, so an alias bomb stops early

    def build(self, node: Any, path: Path_, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise _TooDeep(path)
        self.values += 1
        if self.values > MAX_VALUES:
            raise _TooLarge(path)
        kind = type(node).__name__
        tag = str(node.tag)
        if kind == "MappingNode":
            if tag != _MAP:
                raise self._unsupported(node, path)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                where = _at(key_node)
                if type(key_node).__name__ != "ScalarNode" or str(key_node.tag) != _STR:
                    self.positions[(*path, "?")] = where
                    shown = "null" if str(key_node.tag).endswith(":null") else getattr(key_node, "value", "")
                    plain = type(key_node).__name__ == "ScalarNode"
                    described = self._describe_key(key_node)
                    raise _Unreadable(
                        (*path, "?"),
                        {
                            "message": f"a key must be text, not {described}",
                            "valid": "a plain key such as `id` or `US`",
                            "suggestion": f'quote it: "{shown}"' if plain else None,
                        },
                    )
                key = key_node.value
                if key in out:
                    self.positions[(*path, key)] = where
                    raise _Unreadable(
                        (*path, key),
                        {"message": f'duplicate key "{key}" (each key may appear once)'},
                    )
                self.positions[(*path, key)] = where
                out[key] = self.build(value_node, (*path, key), depth + 1)
            return out
        if kind == "SequenceNode":
            if tag != _SEQ:
                raise self._unsupported(node, path)
            items = []
            for i, item in enumerate(node.value):
                self.positions[(*path, i)] = _at(item)
                items.append(self.build(item, (*path, i), depth + 1))
            return items
        if tag == _STR:  # most scalars: no need to look further
            return str(node.value)
        return self._scalar(node, path, tag)

    def _scalar(self, node: Any, path: Path_, full: str) -> Any:
        tag = full.rsplit(":", 1)[-1] if full.startswith("tag:yaml.org,2002:") else None
        c = self.constructor
        if tag == "str":
            return str(node.value)
        if tag == "null":
            return None
        if tag == "bool":
            return bool(c.construct_yaml_bool(node))
        if tag == "int":
            try:
                return int(c.construct_yaml_int(node))
            except (ValueError, OverflowError):
                digits = sum(ch.isdigit() for ch in str(node.value))
                raise _Unreadable(
                    path,
                    {
                        "message": f"a number with {digits:,} digits is too large to read",
                        "valid": "a number of at most 4,300 digits",
                    },
                ) from None
        if tag == "float":
            return float(c.construct_yaml_float(node))
        if tag == "timestamp":
            # `2024-13-01` looks like a date but is none: keep the text, so that the model
            # reports it against its field ("'2024-13-01' is not a date; write YYYY-MM-DD").
            try:
                value = c.construct_yaml_timestamp(node)
            except (ValueError, OverflowError):
                return str(node.value)
            if isinstance(value, dt.datetime):
                return dt.datetime(*value.timetuple()[:6])
            return dt.date(value.year, value.month, value.day)
        raise self._unsupported(node, path)

    @staticmethod
    def _describe_key(node: Any) -> str:
        kind = type(node).__name__
        if kind == "MappingNode":
            return "a mapping"
        if kind == "SequenceNode":
            return "a list"
        tag = str(node.tag).rsplit(":", 1)[-1]
        if tag == "null":
            return "null"
        if tag == "bool":
            return f"bool {node.value.lower()}"
        return f"{tag} {node.value}"

    def _unsupported(self, node: Any, path: Path_) -> _Unreadable:
        tag = str(node.tag)
        shown = tag.replace("tag:yaml.org,2002:", "!!")
        what = {"!!set": "a !!set value", "!!binary": "a !!binary value"}.get(shown, f"a value tagged {shown}")
        return _Unreadable(
            path,
            {
                "message": f"{what} is not supported here",
                "valid": "a string, number, boolean, date (YYYY-MM-DD), list or mapping",
                "suggestion": "remove the YAML tag",
            },
        )


_SURROGATE_PAIR = re.compile(r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)


def _json_as_yaml(text: str) -> str:
    """JSON text that YAML 1.2 reads the same way. Two things valid in JSON are not in YAML: a
    tab before the document's first bracket (indentation), and a character beyond U+FFFF
    escaped as a UTF-16 surrogate pair (Python's `json.dumps` writes emoji so). In JSON every
    raw tab is outside a string, so tabs become spaces (columns stay put); pairs become one
    `\\U` escape. Anything that is not JSON is returned as it is."""
    if text.lstrip()[:1] not in ("{", "[") or ("\t" not in text and "\\u" not in text):
        return text
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return text

    def joined(m: re.Match[str]) -> str:
        high, low = int(m.group(2), 16), int(m.group(3), 16)
        return f"{m.group(1)}\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}"

    return _SURROGATE_PAIR.sub(joined, text.replace("\t", " "))


def _strict_json(text: str, source: str, why: str) -> None:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            [
                Problem(
                    f"not valid JSON: {exc.msg}",
                    file=source,
                    line=exc.lineno,
                    column=exc.colno,
                    code="json_syntax",
                    valid=why,
                )
            ]
        ) from None
    except RecursionError:
        pass  # nested too deeply: the depth check says so, with its place


def parse_text(text: str, source: str, *, strict_json: bool = False) -> Document:
    """Parse YAML or JSON text; raise `InputError` with file and line on any problem. JSON is
    read strictly (YAML would accept a trailing comma, say) when `source` ends in .json or
    `strict_json` says the text is JSON (an HTTP body sent as application/json)."""
    if not text.strip():
        raise InputError([Problem("the file is empty", file=source, line=1, valid="a YAML or JSON mapping")])
    if strict_json:
        _strict_json(text, source, "JSON, since the Content-Type says so (send YAML as application/yaml)")
    elif source.lower().endswith(".json"):
        _strict_json(text, source, "JSON, since the file's name ends in .json (name it .yaml for YAML)")
    text = _json_as_yaml(text)
    _refuse_before_composing(text, source)
    yaml = _yaml()
    try:
        root = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = (exc.problem or str(exc)).strip()
        return _raise_marked(source, mark, message)
    except YAMLError as exc:
        raise InputError([Problem(f"not valid YAML or JSON: {exc}", file=source)]) from None
    except RecursionError:
        raise InputError([Problem(f"nesting is deeper than {MAX_DEPTH} levels", file=source)]) from None
    if root is None:
        raise _no_data(source)
    builder = _Builder(yaml.constructor)
    builder.positions[()] = _at(root)  # where problems with no better place are reported
    try:
        data = builder.build(root, ())
    except _Unreadable as bad:
        path, extra = bad.args
        line, col = _nearest(builder.positions, path)
        shown = dotted_path(tuple(p for p in path if p != "?"))
        raise InputError([Problem(file=source, line=line, column=col, field=shown or None, **extra)]) from None
    except _TooLarge as large:
        line, col = _nearest(builder.positions, large.args[0])
        raise InputError(
            [
                Problem(
                    f"the document expands to more than {MAX_VALUES:,} values (YAML aliases repeat their values)",
                    file=source,
                    line=line,
                    column=col,
                    code="too_large",
                    valid=f"at most {MAX_VALUES:,} values",
                )
            ]
        ) from None
    except (_TooDeep, RecursionError) as deep:
        path = deep.args[0] if isinstance(deep, _TooDeep) else ()
        line, col = _nearest(builder.positions, path)
        raise InputError(
            [Problem(f"nesting is deeper than {MAX_DEPTH} levels", file=source, line=line, column=col)]
        ) from None
    if data is None:
        raise _no_data(source)
    return Document(data=data, source=source, positions=builder.positions)


def _no_data(source: str) -> InputError:
    return InputError(
        [
            Problem(
                "the file holds no data (only comments or an empty document)",
                file=source,
                line=1,
                valid="a YAML or JSON mapping",
            )
        ]
    )


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
    source = display or str(path)
    return parse_bytes(read_file(path, source), source)


def read_file(path: Path | str, source: str) -> bytes:
    """A regular file's bytes, refused before it can hurt: only regular files (a FIFO, a
    device such as /dev/zero or a socket is refused without reading, so nothing blocks or
    fills memory), and at most `MAX_BYTES`, counted as read from the file, not taken from its
    size on disk."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not block; regular files ignore it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise InputError([Problem("no such file", file=source, code="no_such_file")]) from None
    except IsADirectoryError:
        raise InputError([Problem("this is a directory, not a file", file=source, code="not_a_file")]) from None
    except PermissionError:
        raise InputError([Problem("permission denied", file=source, code="permission_denied")]) from None
    except OSError as exc:  # a symlink loop, a name too long, ...
        message = f"cannot open it: {exc.strerror or exc}"
        raise InputError([Problem(message, file=source, code="unreadable")]) from None
    with os.fdopen(fd, "rb") as stream:
        mode = os.fstat(stream.fileno()).st_mode
        if stat.S_ISDIR(mode):
            raise InputError([Problem("this is a directory, not a file", file=source, code="not_a_file")])
        if not stat.S_ISREG(mode):
            raise InputError(
                [
                    Problem(
                        "not a regular file (a FIFO, device or socket); it is not read",
                        file=source,
                        code="not_a_file",
                        valid="a YAML or JSON file, or - for standard input",
                    )
                ]
            )
        try:
            blob = stream.read(MAX_BYTES + 1)
        except OSError as exc:
            message = f"cannot read it: {exc.strerror or exc}"
            raise InputError([Problem(message, file=source, code="unreadable")]) from None
    if len(blob) > MAX_BYTES:
        raise InputError([_too_large(source)])
    return blob


def read_stream(stream: IO[bytes], source: str) -> bytes:
    """At most `MAX_BYTES` from a stream (standard input), refused beyond that without reading
    the rest."""
    blob = stream.read(MAX_BYTES + 1)
    if len(blob) > MAX_BYTES:
        raise InputError([_too_large(source)])
    return blob


def _too_large(source: str) -> Problem:
    return Problem(
        f"the input is too large: the limit is {MAX_BYTES:,} bytes (8 MiB), counted as read",
        file=source,
        code="too_large",
        valid="a spec or rule file under 8 MiB",
        suggestion="split it into several files",
    )


def parse_bytes(blob: bytes, source: str, *, strict_json: bool = False) -> Document:
    """Decode UTF-8 strictly (naming the line of the first bad byte) and parse (`parse_text`)."""
    if len(blob) > MAX_BYTES:
        raise InputError([_too_large(source)])
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
    return parse_text(text, source, strict_json=strict_json)


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
