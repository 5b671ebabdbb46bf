"""The shipped JSON Schemas match the models, and real files validate against them."""

from __future__ import annotations

import json

import jsonschema
import pytest

from jurisdiction.reading.loading import load_document
from jurisdiction.schemas import DIR, SCHEMAS, schema_text
from tests.helpers import EXAMPLES, ROOT, RULES, cli


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_shipped_schema_has_not_drifted(name: str) -> None:
    shipped = (DIR / f"{name}.schema.json").read_text(encoding="utf-8")
    assert shipped == schema_text(name), f"run `python -m jurisdiction.schemas` and commit {name}.schema.json"


def test_cli_prints_the_schema() -> None:
    result = cli("schema", "practice")
    assert result.code == 0
    assert json.loads(result.out)["title"] == "Practice"


def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _jsonable(value: object) -> object:
    return json.loads(json.dumps(value, default=str))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_examples_validate_against_practice_schema(path: object) -> None:
    _validator("practice").validate(_jsonable(load_document(path).data))  # type: ignore[arg-type]


def test_rule_files_validate_against_rules_schema() -> None:
    validator = _validator("rules")
    files = sorted(RULES.glob("*/law.yaml"))
    assert files
    for path in files:
        validator.validate(_jsonable(load_document(path).data))


@pytest.mark.parametrize("path", sorted((ROOT / "tests" / "golden").glob("*.json")), ids=lambda p: p.stem)
def test_golden_assessments_validate_against_assessment_schema(path: object) -> None:
    _validator("assessment").validate(json.loads(path.read_text(encoding="utf-8")))  # type: ignore[attr-defined]
