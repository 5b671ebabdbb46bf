"""The pytest plugin runs any rule library's YAML cases: `pytest --rules DIR`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import RULES


def _pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # the plugin named explicitly, and no other plugin loaded from the environment
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [sys.executable, "-m", "pytest", "-p", "jurisdiction.pytest_plugin", "-p", "no:cacheprovider", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_a_users_own_library(tmp_path: Path) -> None:
    library = tmp_path / "our-rules"
    shutil.copytree(RULES / "us-va-vcdpa", library / "us-va-vcdpa")
    cases = (library / "us-va-vcdpa" / "tests.yaml").read_text(encoding="utf-8").count("\n  - name: ")
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")  # no repo config

    passed = _pytest(tmp_path, "--rules", "our-rules", "-q")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert f"{cases} passed" in passed.stdout

    tests = library / "us-va-vcdpa" / "tests.yaml"
    text = tests.read_text(encoding="utf-8")
    tests.write_text(text.replace("verdict: blocked", "verdict: clear", 1), encoding="utf-8")
    failed = _pytest(tmp_path, "--rules", "our-rules", "-q")
    assert failed.returncode == 1
    assert "our-rules/us-va-vcdpa/tests.yaml:18 case 'linkedin-2024-virginia-default-on-genai-setting' failed" in (
        failed.stdout
    )
    assert "verdict: expected clear, got blocked" in failed.stdout
    assert f"1 failed, {cases - 1} passed" in failed.stdout


def test_a_folder_without_laws_collects_nothing_of_ours(tmp_path: Path) -> None:
    """A tests.yaml that is not beside a law.yaml is someone else's file."""
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")
    (tmp_path / "tests.yaml").write_text("law: nothing\ncases: []\n", encoding="utf-8")
    done = _pytest(tmp_path, "-q")
    assert done.returncode == 5  # pytest: no tests collected
