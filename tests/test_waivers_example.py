"""Waivers as documented: the README names the real fields, the example file waives through
`check --waivers`, and a field that does not exist is an error naming it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from jurisdiction.outputs.waivers import WaiverEntry

from .helpers import EXAMPLES, ROOT, cli

WAIVERS = EXAMPLES / "jurisdiction.waivers.yml"
PLANNED = EXAMPLES / "linkedin-2024-planned-correctly.yaml"


def test_the_example_waivers_file_waives_through_check() -> None:
    base = ("check", PLANNED, "--today", "2024-09-20", "--accept-uncovered", "--format", "json")
    plain = json.loads(cli(*base).out)
    waived = cli(*base, "--waivers", WAIVERS)
    assert waived.code == 0, waived.err
    data = json.loads(waived.out)
    by_id = {o["id"]: o for o in data["obligations"]}
    target = by_id["us-ca-ab2013/training-data-documentation"]
    assert target["status"] == "pending"
    assert target["waived"]["owner"] == "privacy@example.com"
    assert target["waived"]["expires"] == "2027-06-30"
    assert target["waived"]["source"].endswith("jurisdiction.waivers.yml:14")
    assert [o["id"] for o in data["obligations"] if "waived" in o] == [target["id"]]
    assert all("waived" not in o for o in plain["obligations"])
    text = cli("check", PLANNED, "--today", "2024-09-20", "--waivers", WAIVERS)
    assert "Waived (not counted toward the verdict):" in text.out and re.search(r", 1 waived\b", text.out)


def test_docs_name_the_real_waiver_fields() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    bullet = readme[readme.index("- **Waivers**") : readme.index("- **Change gating**")]
    named = set(re.findall(r"`([a-z_]+)`", bullet))
    fields = set(WaiverEntry.model_fields)
    assert fields <= named, fields - named
    assert "examples/jurisdiction.waivers.yml" in bullet
    example = WAIVERS.read_text(encoding="utf-8")
    for field in fields:
        assert re.search(rf"^#\s+{field}\s", example, re.M), field


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("expires:", "expiry:", "unknown field `expiry`"),
        ("owner:", "owned_by:", "unknown field `owned_by`"),
        ("obligation:", "id:", "unknown field `id`"),
    ],
)
def test_a_waiver_field_that_does_not_exist_is_an_error_naming_it(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    bad = tmp_path / "waivers.yaml"
    bad.write_text(WAIVERS.read_text(encoding="utf-8").replace(f" {old} ", f" {new} "), encoding="utf-8")
    r = cli("check", PLANNED, "--today", "2024-09-20", "--waivers", bad)
    assert r.code == 2, r.err
    assert expected in r.err and str(bad) in r.err
    assert "obligation, spec, jurisdictions, reason, owner, expires" in r.err
    assert "Traceback" not in r.err
