"""What `check` and `diff` read: spec files, folders (recursive, with include/exclude globs),
standard input, Fides manifests, and earlier versions of specs from git."""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from jurisdiction.errors import InputError, Problem, SpecError, UsageError
from jurisdiction.practice.fides import FIDES_FACTS, is_manifest, practices_from_manifest
from jurisdiction.practice.model import Practice
from jurisdiction.practice.specs import practice_from_document
from jurisdiction.reading.loading import Document, from_data, load_document, parse_bytes, read_stream

__all__ = [
    "Inputs",
    "Skipped",
    "Spec",
    "git_show",
    "is_practice_spec",
    "read_inputs",
    "read_one",
    "read_specs",
    "spec_files",
]

SPEC_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Spec:
    practice: Practice
    source: str  # the path as given (or the stdin name)
    document: Document | None  # for line numbers; None for specs built from a Fides manifest
    path: Path | None  # the file on disk, for git


def spec_files(paths: Sequence[str], include: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[str]:
    """Files named, and spec files found under folders named (sorted), filtered by globs
    matched against the path relative to the folder and against the file name."""
    out: list[str] = []
    for raw in paths:
        if raw == "-":
            out.append(raw)
            continue
        p = Path(raw)
        if not p.is_dir():
            out.append(raw)
            continue
        found = []
        for f in sorted(p.rglob("*")):
            if f.suffix not in SPEC_SUFFIXES or not f.is_file():
                continue
            rel = f.relative_to(p).as_posix()
            if any(part.startswith(".") for part in f.relative_to(p).parts):
                continue
            if f.name.startswith("jurisdiction."):  # config beside specs: waivers, Fides facts
                continue
            if include and not any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(f.name, g) for g in include):
                continue
            if any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(f.name, g) for g in exclude):
                continue
            found.append(str(f))
        if not found:
            raise InputError(
                [Problem("no .yaml, .yml or .json specs in this folder (after --include/--exclude)", file=raw)]
            )
        out.extend(found)
    return out


@dataclass(frozen=True)
class Skipped:
    """A file found in a folder that is not a practice spec (a compose file, a workflow...)."""

    source: str
    why: str


@dataclass(frozen=True)
class Inputs:
    specs: list[Spec]
    skipped: list[Skipped]


# keys that say a document means to be a practice spec; a document with none of them, found in
# a folder, is some other YAML/JSON file (title/description alone say nothing)
_GENERIC_KEYS = frozenset({"title", "description", "name", "version"})
SPEC_KEYS = frozenset(Practice.model_fields) - _GENERIC_KEYS


def is_practice_spec(doc: Document) -> bool:
    """Whether a document means to be a practice spec (or a Fides manifest): a mapping with at
    least one of a spec's own keys. A spec with mistakes still is one, and gets its errors."""
    return is_manifest(doc) or (isinstance(doc.data, dict) and any(key in SPEC_KEYS for key in doc.data))


def read_specs(
    paths: Sequence[str], *, stdin: IO[bytes] | None = None, stdin_name: str = "<stdin>", fides_facts: str | None = None
) -> list[Spec]:
    """Every spec, or a `SpecError` listing every problem in every file."""
    return read_inputs(paths, stdin=stdin, stdin_name=stdin_name, fides_facts=fides_facts).specs


def read_inputs(
    paths: Sequence[str],
    *,
    stdin: IO[bytes] | None = None,
    stdin_name: str = "<stdin>",
    fides_facts: str | None = None,
    scanned: Collection[str] = (),
) -> Inputs:
    """Every spec, or a `SpecError` listing every problem in every file. Files in `scanned`
    (found in a folder, not named) that are not practice specs are skipped and listed; a file
    named explicitly is always read as a spec."""
    specs: list[Spec] = []
    skipped: list[Skipped] = []
    problems: list[Problem] = []
    lenient = frozenset(scanned)
    for raw in paths:
        try:
            found = read_one(raw, stdin=stdin, stdin_name=stdin_name, fides_facts=fides_facts, lenient=raw in lenient)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if isinstance(found, Skipped):
            skipped.append(found)
        else:
            specs.extend(found)
    if problems:
        raise SpecError(problems)
    return Inputs(specs, skipped)


def read_one(
    raw: str,
    *,
    stdin: IO[bytes] | None = None,
    stdin_name: str = "<stdin>",
    fides_facts: str | None = None,
    lenient: bool = False,
) -> list[Spec] | Skipped:
    """The specs of one file (a Fides manifest holds several), or, when `lenient` (the file was
    found in a folder), `Skipped` if it is not a practice spec. Raises `InputError`."""
    if raw == "-":
        if stdin is None:
            raise UsageError("`-` reads a spec from standard input, but there is none")
        doc = parse_bytes(read_stream(stdin, stdin_name), stdin_name)
        path = None
    else:
        doc = load_document(raw)
        path = Path(raw)
        if not is_practice_spec(doc):
            if lenient:  # found in a folder: some other YAML/JSON file
                return Skipped(raw, _not_a_spec(doc))
            if isinstance(doc.data, dict):  # named: one clear error, not one per field
                raise InputError([_no_spec_problem(doc)])
    if not is_manifest(doc):
        return [Spec(practice_from_document(doc), doc.source, doc, path)]
    facts = fides_facts
    beside = path.parent / FIDES_FACTS if path is not None else None
    if facts is None and beside is not None and beside.exists():
        facts = str(beside)
    return [
        Spec(practice_from_document(from_data(data, f"{doc.source} ({practice_id})")), doc.source, None, path)
        for practice_id, data in practices_from_manifest(doc, facts)
    ]


def _not_a_spec(doc: Document) -> str:
    if not isinstance(doc.data, dict):
        return f"not a practice spec (a {type(doc.data).__name__}, not a mapping)"
    keys = sorted(str(k) for k in doc.data)
    shown = ", ".join(keys[:5]) + (", ..." if len(keys) > 5 else "")
    return f"not a practice spec (its keys: {shown or 'none'}; a spec has id, data_uses, users...)"


def _no_spec_problem(doc: Document) -> Problem:
    return Problem(
        f"this file is {_not_a_spec(doc)}; check only practice specs, or --exclude other files",
        file=doc.source,
        line=1,
        code="not_a_spec",
        valid=", ".join(Practice.model_fields),
    )


def git_show(path: Path, ref: str) -> bytes | None:
    """The file's content at `ref`, or None when the file did not exist there."""
    import subprocess  # only `--base` runs git

    folder = path.resolve().parent
    try:
        top = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
        subprocess.run(
            ["git", "-C", top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            capture_output=True,
            check=True,
            timeout=30,
        )
    except FileNotFoundError:
        raise UsageError("--base needs git on the PATH") from None
    except subprocess.CalledProcessError:
        raise UsageError(f"--base {ref}: not a git repository, or no such revision (for {path})") from None
    rel = path.resolve().relative_to(Path(top).resolve()).as_posix()
    shown = subprocess.run(["git", "-C", top, "show", f"{ref}:{rel}"], capture_output=True, timeout=30, check=False)
    return shown.stdout if shown.returncode == 0 else None
