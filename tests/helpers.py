"""Shared test helpers: run the CLI in-process."""

from __future__ import annotations

import functools
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

from jurisdiction import RuleBook
from jurisdiction.cli import run

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures"
RULES = ROOT / "rules"
# a spec whose only pending obligation is a warning (the CLI and HTTP gates pass it)
WARN_ONLY = ROOT / "tests" / "fixtures" / "specs" / "warn-only.yaml"


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli(*argv: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = run([str(a) for a in argv], out, err)
    return Result(code, out.getvalue(), err.getvalue())


@functools.cache
def library() -> RuleBook:
    """The shipped library with its test files, loaded once per test session (for tests that
    parametrize over it at collection; test bodies take the `book` fixture)."""
    return RuleBook.load(RULES, with_tests=True)


def spark_ready() -> bool:
    """pyspark is installed (the spark extra) and Java is on the PATH."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None


def with_uncovered(spec: Path, folder: Path, code: str = "RU") -> Path:
    """A copy of `spec` whose users also live in `code`, where the library has no complete law
    (Russia: a law exists, not encoded)."""
    text = spec.read_text(encoding="utf-8")
    assert "regions: [" in text
    copy = folder / f"{spec.stem}-with-{code.lower()}.yaml"
    copy.write_text(text.replace("regions: [", f"regions: [{code}, ", 1), encoding="utf-8")
    return copy
