"""The built wheel carries the rule library: installed into a fresh venv and run from another
folder, `jurisdiction check` evaluates with the full library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, ROOT, RULES

pytestmark = pytest.mark.slow


def _run(*cmd: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600
    )


def test_wheel_installs_and_checks_from_anywhere(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", dist, ROOT, cwd=tmp_path)
    assert built.returncode == 0, built.stderr[-2000:]
    wheels = list(dist.glob("jurisdiction-*.whl"))
    assert len(wheels) == 1
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    installed = _run(bindir / "python", "-m", "pip", "install", "-q", wheels[0], cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    spec = elsewhere / "spec.yaml"
    spec.write_text((EXAMPLES / "linkedin-2024-as-happened.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    checked = _run(
        bindir / "jurisdiction", "check", spec.name, "--format", "json", "--today", "2024-09-20", cwd=elsewhere
    )
    assert checked.returncode == 1, checked.stderr
    assert json.loads(checked.stdout)["verdict"] == "blocked"
    listed = _run(bindir / "jurisdiction", "rules", "list", "--format", "json", cwd=elsewhere)
    shipped = {row["id"] for row in json.loads(listed.stdout)}
    assert shipped == {p.parent.name for p in RULES.glob("*/law.yaml")}
    where = _run(
        bindir / "python", "-c", "import jurisdiction.law.rulebook as r; print(r.default_rules_dir())", cwd=elsewhere
    )
    assert "site-packages" in where.stdout and where.stdout.strip().endswith("_rules")
