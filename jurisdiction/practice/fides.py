"""Fides interop: read a Fides system manifest (fideslang `system:` resources) as practice specs.

Each privacy declaration of each system becomes one practice. The manifest says what data,
about whom, for what use; the facts a practice also needs (where the users are, when it
starts, the policy's state, the users' choice…) come from a small side file:

    # jurisdiction.fides.yaml
    defaults:                      # merged into every practice
      users: {regions: [US, EU]}
      starts: 2026-01-01
      policy: {discloses: [essential.service], updated: 2025-12-01, notified: 2025-12-01}
      control: opt_out
    systems:                       # per system fides_key, merged over the defaults
      demo_analytics_system:
        users: {regions: [US]}
    declarations:                  # per practice id (<system>.<declaration>), merged last
      demo_analytics_system.analyze-customer-behaviour: {existing_data: false}

The mapping, field by field, is in docs/fides.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jurisdiction.errors import InputError, Problem
from jurisdiction.practice.specs import merge
from jurisdiction.reading.loading import Document, load_document

__all__ = ["FIDES_FACTS", "LEGAL_BASES", "is_manifest", "practices_from_manifest"]

FIDES_FACTS = "jurisdiction.fides.yaml"  # read from beside the manifest when --fides-facts is not given

LEGAL_BASES = {
    "Consent": "consent",
    "Contract": "contract",
    "Legal obligations": "legal_obligation",
    "Vital interests": "vital_interests",
    "Public interest": "public_task",
    "Legitimate interests": "legitimate_interest",
}


def is_manifest(doc: Document) -> bool:
    return isinstance(doc.data, dict) and isinstance(doc.data.get("system"), list)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-")[:60] or "declaration"


def practices_from_manifest(doc: Document, facts_path: Path | str | None) -> list[tuple[str, dict[str, Any]]]:
    """(practice id, spec data) for every privacy declaration in the manifest."""
    side: dict[str, Any] = {}
    if facts_path is not None:
        facts = load_document(facts_path)
        if not isinstance(facts.data, dict) or set(facts.data) - {"defaults", "systems", "declarations"}:
            raise InputError(
                [
                    facts.problem(
                        (),
                        "a Fides facts file has `defaults`, `systems` and `declarations`",
                        valid="defaults: {...}, systems: {<fides_key>: {...}}, declarations: {<practice id>: {...}}",
                    )
                ]
            )
        side = facts.data
    out = []
    problems = []
    for i, system in enumerate(doc.data["system"]):
        if not isinstance(system, dict) or "fides_key" not in system:
            problems.append(doc.problem(("system", i), "a system needs a fides_key"))
            continue
        key = str(system["fides_key"])
        for j, decl in enumerate(system.get("privacy_declarations") or []):
            where = ("system", i, "privacy_declarations", j)
            if not isinstance(decl, dict) or "data_use" not in decl:
                problems.append(doc.problem(where, "a privacy declaration needs a data_use"))
                continue
            practice_id = f"{_slug(key)}.{_slug(str(decl.get('name') or decl['data_use']))}"
            spec: dict[str, Any] = {
                "id": practice_id,
                "title": f"{system.get('name', key)}: {decl.get('name') or decl['data_use']}",
                "data_uses": [decl["data_use"]],
                "data_categories": list(decl.get("data_categories") or []),
                "data_subjects": list(decl.get("data_subjects") or []),
            }
            recipients = ["first_party"]
            if decl.get("data_shared_with_third_parties"):
                recipients.append("third_party")
            spec["recipients"] = recipients
            basis = decl.get("legal_basis_for_processing")
            if basis is not None:
                if basis not in LEGAL_BASES:
                    problems.append(
                        doc.problem(
                            (*where, "legal_basis_for_processing"),
                            f"unknown legal basis {basis!r}",
                            valid=", ".join(LEGAL_BASES),
                        )
                    )
                    continue
                spec["legal_basis"] = LEGAL_BASES[basis]
            spec = merge(side.get("defaults") or {}, spec)
            spec = merge(spec, (side.get("systems") or {}).get(key) or {})
            spec = merge(spec, (side.get("declarations") or {}).get(practice_id) or {})
            out.append((practice_id, spec))
    if problems:
        raise InputError(problems)
    if not out:
        raise InputError([Problem("the manifest has no privacy declarations", file=doc.source)])
    return out
