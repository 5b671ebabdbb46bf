"""The compiled-library cache: same answers, safe under concurrent runs, never trusted from a
folder others can write, and a broken entry is rebuilt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jurisdiction import RuleBook
from jurisdiction.cache import cache_dir
from tests.helpers import EXAMPLES, RULES

SPEC = EXAMPLES / "linkedin-2024-as-happened.yaml"


def _check(cache: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JURISDICTION_CACHE_DIR": cache}
    argv = [sys.executable, "-m", "jurisdiction", "check", str(SPEC), "--today", "2024-09-20", "--format", "json"]
    return subprocess.run([*argv, *extra], capture_output=True, text=True, env=env, timeout=300, check=False)


def test_a_cached_library_gives_byte_identical_answers(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    off = _check("off")
    first = _check(str(folder))  # builds and stores
    assert list(folder.glob("*.pickle")), "nothing was cached"
    second = _check(str(folder))  # loads
    assert off.returncode == first.returncode == second.returncode == 1
    assert off.stdout == first.stdout == second.stdout
    assert second.stderr == ""


def test_concurrent_runs_on_an_empty_cache_all_succeed(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    env = {**os.environ, "JURISDICTION_CACHE_DIR": str(folder)}
    argv = [sys.executable, "-m", "jurisdiction", "check", str(SPEC), "--today", "2024-09-20", "--format", "json"]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(4)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [1, 1, 1, 1]
    assert len({out for out, _ in outs}) == 1 and all(err == b"" for _, err in outs)
    # two entries: the compiled library and the ISO 3166-2 table (vocabulary.regions)
    assert len(list(folder.glob("*.pickle"))) == 2 and not list(folder.glob(".tmp-*"))


def test_a_broken_entry_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cache"
    monkeypatch.setenv("JURISDICTION_CACHE_DIR", str(folder))
    fresh = RuleBook.load(RULES)
    entries = list(folder.glob("*.pickle"))  # the library's, and the regions' table if this process had none yet
    for entry in entries:
        entry.write_bytes(b"not a pickle")
    again = RuleBook.load(RULES)
    assert again.revision == fresh.revision and again.law_ids == fresh.law_ids
    assert any(entry.read_bytes() != b"not a pickle" for entry in entries)  # the library's stored anew


def test_a_folder_others_can_write_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    monkeypatch.setenv("JURISDICTION_CACHE_DIR", str(folder))
    RuleBook.load(RULES)
    assert not list(folder.glob("*.pickle"))
    monkeypatch.setenv("JURISDICTION_CACHE_DIR", "off")
    assert cache_dir() is None


def test_an_edited_law_is_not_answered_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JURISDICTION_CACHE_DIR", str(tmp_path / "cache"))
    rules = tmp_path / "rules"
    law = rules / "law"
    law.mkdir(parents=True)
    text = (RULES / "us-va-vcdpa" / "law.yaml").read_text(encoding="utf-8")
    (law / "law.yaml").write_text(text, encoding="utf-8")
    before = RuleBook.load(rules)
    (law / "law.yaml").write_text(text.replace("id: us-va-vcdpa", "id: us-va-vcdpa-edited", 1), encoding="utf-8")
    after = RuleBook.load(rules)
    assert before.law_ids == ("us-va-vcdpa",) and after.law_ids == ("us-va-vcdpa-edited",)
