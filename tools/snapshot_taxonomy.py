"""Write jurisdiction/vocabulary/data/fideslang_taxonomy.json from the installed fideslang package.

Run: python tools/snapshot_taxonomy.py   (needs the `dev` extra, which installs fideslang)
tests/test_taxonomy.py fails when the snapshot drifts from the installed fideslang.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "jurisdiction" / "vocabulary" / "data" / "fideslang_taxonomy.json"


def snapshot() -> dict[str, object]:
    import fideslang
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    def rows(items: list) -> list[dict[str, str | None]]:
        return sorted(
            (
                {
                    "key": item.fides_key,
                    "name": item.name,
                    "parent": getattr(item, "parent_key", None),
                    "description": item.description,
                }
                for item in items
                if not getattr(item, "version_deprecated", None)
            ),
            key=lambda row: str(row["key"]),
        )

    return {
        "source": f"fideslang {fideslang.__version__} default taxonomy",
        "data_category": rows(DEFAULT_TAXONOMY.data_category),
        "data_use": rows(DEFAULT_TAXONOMY.data_use),
        "data_subject": rows(DEFAULT_TAXONOMY.data_subject),
    }


def render() -> str:
    return json.dumps(snapshot(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {OUT}\n")
