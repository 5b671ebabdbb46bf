"""Regenerate tests/golden/*.json (the golden assessments the tests check).

Run: python tools/regen_golden.py   — then read the diff before committing it.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jurisdiction.cli import run  # noqa: E402

# The evaluation date of each example: the day the story is told from.
TODAY = {
    "linkedin-2024-as-happened": "2024-09-20",
    "linkedin-2024-planned-correctly": "2024-11-01",
    "eu-rollout-legitimate-interest": "2025-10-01",
    "childrens-learning-app": "2026-05-01",
    "sensitive-health-insights": "2026-12-01",
}


def golden(name: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(
        [
            "check",
            str(ROOT / "examples" / f"{name}.yaml"),
            "--format",
            "json",
            "--today",
            TODAY[name],
            "--rules",
            str(ROOT / "rules"),
            "--engine",
            "native",
        ],
        out,
        err,
    )
    return code, out.getvalue()


if __name__ == "__main__":
    for name in TODAY:
        _, text = golden(name)
        (ROOT / "tests" / "golden" / f"{name}.json").write_text(text, encoding="utf-8")
        print(f"wrote tests/golden/{name}.json")
