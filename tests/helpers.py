"""Shared test helpers: run the CLI in-process."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

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
