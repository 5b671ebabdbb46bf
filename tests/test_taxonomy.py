"""The taxonomy snapshot is fideslang's default taxonomy, and the project's sub-keys are sound."""

from __future__ import annotations

import json

import pytest

from jurisdiction.vocabulary.taxonomy import KINDS, taxonomy


def test_snapshot_matches_installed_fideslang() -> None:
    pytest.importorskip("fideslang")
    from tools.snapshot_taxonomy import OUT, render

    assert json.loads(OUT.read_text(encoding="utf-8")) == json.loads(render()), (
        "run `python tools/snapshot_taxonomy.py` and commit the snapshot"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_every_parent_exists_and_keys_nest(kind: str) -> None:
    table = taxonomy().keys(kind)  # type: ignore[arg-type]
    for key, term in table.items():
        if term.parent is not None:
            assert term.parent in table, key
            assert key.startswith(term.parent + "."), key
        else:
            assert "." not in key, key


def test_project_sub_keys_sit_under_fideslang_parents() -> None:
    tax = taxonomy()
    ours = [t for kind in KINDS for t in tax.keys(kind).values() if t.origin == "jurisdiction"]
    assert {t.key for t in ours} >= {"train_ai_system.generative", "third_party_sharing.affiliate"}
    for term in ours:
        assert term.description and term.parent


def test_hierarchical_matching() -> None:
    tax = taxonomy()
    assert tax.covers("data_category", ["user.health_and_medical"], "user.health_and_medical.genetic")
    assert not tax.covers("data_category", ["user.health_and_medical.genetic"], "user.health_and_medical")
    assert "train_ai_system" in tax.closure("data_use", ["train_ai_system.generative"])
