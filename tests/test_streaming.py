"""A folder gate streams: specs are read, evaluated and written a chunk at a time, every
format lets go of a spec's assessment once it has written it, and bad input anywhere in the
folder still means exit 2, every problem listed, nothing written."""

from __future__ import annotations

import datetime as dt
import gc
import json
import re
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from jurisdiction import Evaluator, load_practice
from jurisdiction.cli import CHUNK
from jurisdiction.outputs.formats import FORMATS, stream
from jurisdiction.outputs.gate import Checked, Gate, Report
from tests.helpers import EXAMPLES, cli

TODAY = "2026-12-01"
SPEC = EXAMPLES / "sensitive-health-insights.yaml"


def _folder(tmp_path: Path, n: int) -> Path:
    text = SPEC.read_text(encoding="utf-8")
    folder = tmp_path / "specs"
    folder.mkdir()
    for i in range(n):
        (folder / f"p{i:03d}.yaml").write_text(re.sub(r"(?m)^id: .*$", f"id: p{i:03d}", text), encoding="utf-8")
    return folder


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_formats_let_go_of_written_specs(book: object, fmt: str) -> None:
    evaluator = Evaluator(book)  # type: ignore[arg-type]
    practice = load_practice(SPEC)
    alive: list[weakref.ref[Checked]] = []

    def items() -> Iterator[Checked]:
        for i in range(8):
            gc.collect()
            # every spec two or more before this one has been let go of
            assert all(ref() is None for ref in alive[: max(0, i - 2)]), f"{fmt} keeps specs it has written"
            item = Checked(evaluator.evaluate(practice, dt.date(2026, 12, 1)), f"spec-{i}.yaml")
            alive.append(weakref.ref(item))
            yield item

    text = "".join(stream(fmt, Report(items(), Gate(), many=True)))
    assert len(alive) == 8 and text


def test_streamed_json_is_the_array_of_assessments(tmp_path: Path) -> None:
    folder = _folder(tmp_path, CHUNK + 3)  # more than one chunk
    result = cli("check", folder, "--today", TODAY, "--format", "json")
    assert result.code == cli("check", SPEC, "--today", TODAY).code, result.err
    got = json.loads(result.out)
    assert [a["practice"] for a in got] == [f"p{i:03d}" for i in range(CHUNK + 3)]
    one = json.loads(cli("check", SPEC, "--today", TODAY, "--format", "json").out)
    assert got[-1]["obligations"] == one["obligations"]
    sarif = json.loads(cli("check", folder, "--today", TODAY, "--format", "sarif").out)
    practices = {r["properties"]["practice"] for r in sarif["runs"][0]["results"]}
    assert len(practices) == CHUNK + 3
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} <= {
        r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]
    }


def test_bad_specs_anywhere_in_the_folder_write_nothing_and_are_all_listed(tmp_path: Path) -> None:
    folder = _folder(tmp_path, CHUNK + 5)
    (folder / "p001.yaml").write_text("id: p001\ntitle: x\ndata_uses: [no_such_use]\n", encoding="utf-8")
    (folder / f"p{CHUNK + 2:03d}.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    result = cli("check", folder, "--today", TODAY)
    assert result.code == 2
    assert result.out == ""
    assert "p001.yaml" in result.err and f"p{CHUNK + 2:03d}.yaml" in result.err


def test_duplicate_ids_across_chunks_are_an_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path, CHUNK + 5)
    text = (folder / "p000.yaml").read_text(encoding="utf-8")
    (folder / f"p{CHUNK + 3:03d}.yaml").write_text(text, encoding="utf-8")  # same id as p000
    result = cli("check", folder, "--today", TODAY)
    assert result.code == 2 and result.out == ""
    assert "practice ids must be unique" in result.err and "p000" in result.err


def test_folder_of_only_other_files_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "docker-compose.yml").write_text("services: {web: {image: nginx}}\n", encoding="utf-8")
    result = cli("check", folder, "--today", TODAY)
    assert result.code == 2 and result.out == ""
    assert "skipped" in result.err and "none of the files found is a practice spec" in result.err


def test_the_pre_commit_hook_skips_the_other_files_a_commit_touches(tmp_path: Path) -> None:
    import shlex

    from jurisdiction.reading.loading import load_document

    hook = load_document(str(EXAMPLES.parent / ".pre-commit-hooks.yaml")).data[0]
    argv = shlex.split(hook["entry"])[1:]  # without the program name
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services: {web: {image: nginx}}\n", encoding="utf-8")
    both = cli(*argv, compose, SPEC, "--today", TODAY)
    assert both.code in (0, 1) and "skipped" in both.err and "health-model-training" in both.out
    alone = cli(*argv, compose, "--today", TODAY)
    assert alone.code == 0 and "no practice spec among the files named" in alone.err
    # without the hook's flag, a file named explicitly must be a spec
    assert cli("check", compose, "--today", TODAY).code == 2
