"""`jurisdiction taxonomy`: the data categories, uses and subjects a spec may name, found
without opening the package's JSON."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from jurisdiction.vocabulary.taxonomy import KINDS, list_terms, taxonomy

from .helpers import ROOT, cli


def test_taxonomy_lists_every_key_of_every_kind_with_its_description() -> None:
    r = cli("taxonomy")
    assert r.code == 0, r.err
    tax = taxonomy()
    total = sum(len(tax.keys(kind)) for kind in KINDS)
    listed = [line for line in r.out.splitlines() if line.startswith("  ")]
    assert len(listed) == total
    for kind, label in zip(KINDS, ("data categories", "data uses", "data subjects"), strict=True):
        assert f"{label} ({len(tax.keys(kind))}):" in r.out
    assert "  user.health_and_medical.genetic\tData about the genetic makeup provided by the subject." in r.out
    assert "  train_ai_system.generative [project sub-key]\t" in r.out


@pytest.mark.parametrize("query", ["genetic", "GENETIC", "user.health_and_medical.gen", "genetic makeup"])
def test_taxonomy_query_matches_key_prefix_or_substring_of_key_or_description(query: str) -> None:
    r = cli("taxonomy", query, "--format", "json")
    assert r.code == 0, r.err
    assert [row["key"] for row in json.loads(r.out)] == ["user.health_and_medical.genetic"]


def test_taxonomy_kind_narrows_and_json_is_sorted_and_stable() -> None:
    r = cli("taxonomy", "train", "--kind", "use", "--format", "json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert {row["kind"] for row in rows} == {"data_use"}
    keys = [row["key"] for row in rows]
    assert keys == sorted(keys) and "train_ai_system.generative" in keys
    assert "trainee" not in keys  # a data subject: left out by --kind use
    assert set(rows[0]) == {"kind", "key", "name", "parent", "description", "origin"}
    assert cli("taxonomy", "train", "--kind", "use", "--format", "json").out == r.out
    both = json.loads(cli("taxonomy", "train", "--kind", "use", "--kind", "subject", "--format", "json").out)
    assert [row["key"] for row in both] == [*keys, "trainee"]
    everything = json.loads(cli("taxonomy", "--format", "json").out)
    order = [(KINDS.index(row["kind"]), row["key"]) for row in everything]
    assert order == sorted(order) and everything == list_terms()


def test_taxonomy_unknown_kind_and_no_match_exit_2() -> None:
    bad = cli("taxonomy", "--kind", "purpose")
    assert bad.code == 2 and "'purpose'" in bad.err
    for word in ("category", "use", "subject"):
        assert word in bad.err
    none = cli("taxonomy", "no-such-key-anywhere")
    assert none.code == 2 and none.out == ""
    assert "matches 'no-such-key-anywhere'" in none.err
    none_json = cli("taxonomy", "no-such-key-anywhere", "--format", "json")
    assert none_json.code == 2 and json.loads(none_json.out) == []


def _console(doc: Path) -> list[tuple[list[str], list[str]]]:
    found: list[tuple[list[str], list[str]]] = []
    text = doc.read_text(encoding="utf-8")
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ jurisdiction "):
                found.append((shlex.split(line[2:].split(" #")[0]), []))
            elif found and not line.startswith("$ "):
                found[-1][1].append(line)
    return found


def test_taxonomy_doc_commands_run_and_print_what_is_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    commands = [(w, shown) for w, shown in _console(ROOT / "docs" / "taxonomy.md") if w[1] == "taxonomy"]
    assert len(commands) >= 3
    for words, shown in commands:
        r = cli(*words[1:])
        assert r.code == 0, (words, r.err)
        for line in shown:
            assert line in r.out, (words, line)
