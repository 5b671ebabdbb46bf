"""JSON Schemas, generated from the models and shipped in `jurisdiction/schemas/`.
`tests/test_schemas.py` fails when the shipped files drift from the models.

Regenerate: python -m jurisdiction.schemas
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from jurisdiction.evaluation.assessment import Assessment
from jurisdiction.evaluation.timeline import Timeline
from jurisdiction.law.rulefile import RuleFile, TestFile
from jurisdiction.practice.model import Practice

__all__ = ["SCHEMAS", "schema_text"]

SCHEMAS: dict[str, type[BaseModel]] = {
    "practice": Practice,
    "rules": RuleFile,
    "tests": TestFile,
    "assessment": Assessment,
    "timeline": Timeline,
}
DIR = Path(__file__).resolve().parent / "schemas"


def schema_text(which: str) -> str:
    model = SCHEMAS[which]
    output = which in ("assessment", "timeline")
    mode: Literal["validation", "serialization"] = "serialization" if output else "validation"
    schema = model.model_json_schema(mode=mode, by_alias=True)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://jurisdiction.invalid/schemas/{which}.schema.json",
        **schema,
    }
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    DIR.mkdir(exist_ok=True)
    for name in SCHEMAS:
        (DIR / f"{name}.schema.json").write_text(schema_text(name), encoding="utf-8")
