"""The facts of the AI system that the California AI laws make decisive: whether the model is
released to the public (`ai_system.public_release`), how many people use the system each month
(`ai_system.monthly_users`) and what it generates (`ai_system.output_media`). Each is unknown
when the spec leaves it out: a rule that holds only on that reading is a warning, with the
assumption listed; known, the rule keeps its severity or does not apply."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from jurisdiction import parse_practice
from jurisdiction.engines import rete_available
from jurisdiction.law.facts import FACT_FIELDS, FACTS, WARN_UNKNOWN, practice_facts
from jurisdiction.schemas import DIR
from tests.helpers import RULES, cli

AB2013 = "us-ca-ab2013/training-data-documentation"
SB942 = {"us-ca-sb942/ai-detection-tool", "us-ca-sb942/manifest-and-latent-disclosures"}
AI_FACTS = {
    "ai_public_release": ("bool", "ai_system.public_release"),
    "ai_monthly_users": ("number", "ai_system.monthly_users"),
    "ai_output_media": ("set", "ai_system.output_media"),
}

# A generative image model trained on Californian users' posts; the system built on it has been
# live since 2023, so AB 2013's documentation was due on 1 January 2026 and SB 942's duties on
# 2 August 2026.
BASE: dict[str, Any] = {
    "id": "image-generator",
    "title": "Train an image generator on users' posts",
    "data_subjects": ["customer"],
    "data_categories": ["user.content.public"],
    "data_uses": ["train_ai_system.generative"],
    "recipients": ["first_party"],
    "users": {"regions": ["US-CA"], "min_age": 18},
    "control": "opt_out",
    "existing_data": True,
    "starts": "2023-11-04",
    "policy": {"discloses": ["essential.service"]},
}
PUBLIC = {"public_release": True, "monthly_users": 5_000_000, "output_media": ["text", "image"]}


def _spec(ai_system: dict[str, Any] | None = None) -> dict[str, Any]:
    spec = copy.deepcopy(BASE)
    if ai_system is not None:
        spec["ai_system"] = ai_system
    return spec


def _write(folder: Path, spec: dict[str, Any], name: str = "spec.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def _check(folder: Path, spec: dict[str, Any], *extra: str) -> dict[str, Any]:
    result = cli("check", _write(folder, spec), "--format", "json", "--today", "2026-12-01", "--rules", RULES, *extra)
    assert result.code in (0, 1), result.err
    return json.loads(result.out)


def _obligations(assessment: dict[str, Any], ids: set[str]) -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in assessment["obligations"] if o["id"] in ids}


# -- the facts -------------------------------------------------------------------------------


def test_the_facts_are_declared_may_be_unknown_and_warn_when_unknown() -> None:
    for name, (kind, field) in AI_FACTS.items():
        spec = FACTS[name]
        assert (spec.type, spec.may_be_unknown, spec.unknown_warns) == (kind, True, True), name
        assert FACT_FIELDS[name] == field
        assert name in WARN_UNKNOWN
    assert FACTS["ai_output_media"].values == ("text", "image", "video", "audio")


def test_known_fields_become_facts() -> None:
    facts = practice_facts(parse_practice(_spec(PUBLIC)))
    assert facts["ai_public_release"] is True
    assert facts["ai_monthly_users"] == 5_000_000
    assert facts["ai_output_media"] == frozenset({"text", "image"})
    internal = practice_facts(parse_practice(_spec({"public_release": False, "monthly_users": 0, "output_media": []})))
    assert internal["ai_public_release"] is False
    assert internal["ai_monthly_users"] == 0  # zero is known, not unknown
    assert internal["ai_output_media"] == frozenset()


@pytest.mark.parametrize("ai_system", [None, {}, {"generates_content": True}], ids=["no-block", "empty", "other"])
def test_fields_left_out_are_unknown_not_false(ai_system: dict[str, Any] | None) -> None:
    facts = practice_facts(parse_practice(_spec(ai_system)))
    assert not set(AI_FACTS) & set(facts)


def test_the_practice_schema_has_the_fields() -> None:
    schema = json.loads((DIR / "practice.schema.json").read_text(encoding="utf-8"))
    props = schema["$defs"]["AISystem"]["properties"]
    assert {"public_release", "monthly_users", "output_media"} <= set(props)
    for name in ("public_release", "monthly_users", "output_media"):
        assert props[name]["default"] is None
        assert "California" in props[name]["description"], name  # names the law that makes it decisive
    users = next(option for option in props["monthly_users"]["anyOf"] if option.get("type") == "integer")
    assert users["minimum"] == 0
    media = next(option for option in props["output_media"]["anyOf"] if option.get("type") == "array")
    assert media["items"]["enum"] == ["text", "image", "video", "audio"]


@pytest.mark.parametrize(
    ("ai_system", "field", "words"),
    [
        ({"monthly_users": -1}, "ai_system.monthly_users", "greater than or equal to 0"),
        ({"monthly_users": "many"}, "ai_system.monthly_users", ""),
        ({"public_release": "yes"}, "ai_system.public_release", ""),
        ({"output_media": ["image", "hologram"]}, "ai_system.output_media[1]", "text, image, video or audio"),
        ({"output_media": ["image", "image"]}, "ai_system.output_media", "listed twice"),
    ],
)
def test_a_bad_value_exits_2(tmp_path: Path, ai_system: dict[str, Any], field: str, words: str) -> None:
    result = cli("check", _write(tmp_path, _spec(ai_system)), "--rules", RULES)
    assert result.code == 2, result.err
    assert f"{field}:" in result.err and words in result.err
    assert "Traceback" not in result.err and result.out == ""


# -- AB 2013 (Civ. Code § 3111: systems made publicly available to Californians) ------------------


def test_ab2013_a_released_system_without_documentation_blocks(tmp_path: Path) -> None:
    assessment = _check(tmp_path, _spec(PUBLIC))
    ob = _obligations(assessment, {AB2013})[AB2013]
    assert (ob["status"], ob["severity"]) == ("violated", "blocking")
    assert assessment["verdict"] == "blocked"
    assert not any("public_release" in a for a in assessment["assumptions"])


def test_ab2013_an_internal_only_system_owes_nothing(tmp_path: Path) -> None:
    assessment = _check(tmp_path, _spec({"public_release": False}))
    assert AB2013 not in _obligations(assessment, {AB2013})


def test_ab2013_an_unknown_release_is_a_warning_with_the_assumption(tmp_path: Path) -> None:
    assessment = _check(tmp_path, _spec({"generates_content": True}))
    ob = _obligations(assessment, {AB2013})[AB2013]
    assert (ob["status"], ob["severity"]) == ("violated", "warning")
    assert "ai_system.public_release is not given: this is a warning until the spec gives it" in ob["because"]
    assert "ai_public_release is not given: assuming it may be true (the safer reading)" in assessment["assumptions"]


# -- SB 942 (Bus. & Prof. Code § 22757.1(d): a covered provider) ----------------------------------


def test_sb942_a_covered_provider_of_images_owes_both_duties(tmp_path: Path) -> None:
    found = _obligations(_check(tmp_path, _spec(PUBLIC)), SB942)
    assert set(found) == SB942
    # the detection tool and the disclosures are shown through policy dates: warnings even when known
    assert {(o["status"], o["severity"]) for o in found.values()} == {("violated", "warning")}
    for ob in found.values():
        assert not any("is not given" in line for line in ob["because"])


@pytest.mark.parametrize(
    "ai_system",
    [
        {**PUBLIC, "public_release": False},
        {**PUBLIC, "monthly_users": 1_000_000},  # "over 1,000,000"
        {**PUBLIC, "monthly_users": 30_000},
        {**PUBLIC, "output_media": ["text"]},
    ],
    ids=["internal-only", "exactly-one-million", "small", "text-only"],
)
def test_sb942_does_not_reach_a_system_that_is_not_a_covered_one(tmp_path: Path, ai_system: dict[str, Any]) -> None:
    assert _obligations(_check(tmp_path, _spec(ai_system)), SB942) == {}


@pytest.mark.parametrize("engine", ["native", "rete"])
def test_sb942_unknown_facts_are_warnings_with_each_assumption(tmp_path: Path, engine: str) -> None:
    if engine == "rete" and not rete_available():
        pytest.skip("durable_rules is not installed")
    assessment = _check(tmp_path, _spec(), "--engine", engine)
    found = _obligations(assessment, SB942)
    assert set(found) == SB942 and {o["severity"] for o in found.values()} == {"warning"}
    for field in ("ai_system.public_release", "ai_system.monthly_users", "ai_system.output_media"):
        assert any(field in line and "warning" in line for line in found["us-ca-sb942/ai-detection-tool"]["because"])
    assumed = " ".join(assessment["assumptions"])
    assert "ai_monthly_users is not given: assuming it may be > 1000000" in assumed
    assert "ai_output_media is not given: assuming it may include image (the safer reading)" in assumed


@pytest.mark.parametrize("engine", ["native", "rete"])
def test_both_engines_read_a_known_media_set(tmp_path: Path, engine: str) -> None:
    if engine == "rete" and not rete_available():
        pytest.skip("durable_rules is not installed")
    audio = _obligations(_check(tmp_path, _spec({**PUBLIC, "output_media": ["audio"]}), "--engine", engine), SB942)
    text = _obligations(_check(tmp_path, _spec({**PUBLIC, "output_media": ["text"]}), "--engine", engine), SB942)
    assert set(audio) == SB942 and text == {}
