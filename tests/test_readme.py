"""The README's commands run, and what it shows of their output is what they print."""

from __future__ import annotations

import re
import shlex
import subprocess

from tests.helpers import ROOT, cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands() -> list[tuple[str, list[str]]]:
    """(command, lines of output shown after it) for every `$ …jurisdiction …` line."""
    found: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.S):
        current: tuple[str, list[str]] | None = None
        for line in block.splitlines():
            if line.startswith("$ "):
                current = (line[2:], [])
                found.append(current)
            elif current is not None:
                current[1].append(line)
    return [(cmd, shown) for cmd, shown in found if "jurisdiction " in cmd]


def test_readme_has_commands() -> None:
    assert len(commands()) >= 8


def test_every_readme_command_runs_and_prints_what_is_shown(monkeypatch: object) -> None:
    monkeypatch.chdir(ROOT)  # type: ignore[attr-defined]
    for command, shown in commands():
        words = shlex.split(command.split(" #")[0].split(" > ")[0])
        if words[0] == "./dev":
            words = words[1:]
        assert words[0] == "jurisdiction", command
        if words[1] == "serve":
            continue  # a server runs until stopped: tests/test_server.py runs it for real
        result = cli(*words[1:])
        assert result.code in (0, 1), f"{command}\n{result.err}"
        assert "Traceback" not in result.err
        position = 0
        for line in shown:
            for fragment in (f.strip() for f in line.split("…")):
                if not fragment or fragment in "[]()<>":
                    continue
                found = result.out.find(fragment.strip("[]()<>"), position)
                assert found >= 0, f"README shows {fragment!r} for `{command}`, but the command printed:\n{result.out}"
                position = found


def test_the_first_command_runs_as_written() -> None:
    # the README's first command, through ./dev, in the venv the test command made (the tour's
    # other commands run in-process above: same words, same CLI)
    first = commands()[0][0]
    assert first.startswith("./dev jurisdiction check ")
    proc = subprocess.run(["bash", "-c", first], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "Verdict: BLOCKED" in proc.stdout
    assert "Traceback" not in proc.stderr
