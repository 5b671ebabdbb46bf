"""Varied practice specs, generated deterministically from a seed, for benchmarks.

A benchmark that posts the same five examples again and again measures a workload no
service sees, and would flatter any cache. These specs vary everything the rules read:
regions (single states, the US, the EU, worldwide mixes), data categories, uses, subjects,
recipients, control, ages, dates (so due dates and statuses vary), business figures and
published documents. Every spec is valid; each has its own id.

    >>> len(varied_specs(3, seed=1)), varied_specs(1, seed=1) == varied_specs(1, seed=1)
    (3, True)
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

REGION_SETS = [
    ["US"],
    ["US-CA"],
    ["US-TX", "US-VA"],
    ["US", "CA"],
    ["EU"],
    ["EU", "EEA", "CH", "GB"],
    ["DE", "FR"],
    ["GB"],
    ["CH"],
    ["BR"],
    ["CA", "CA-QC"],
    ["US", "EU", "EEA", "CH", "GB", "CA", "BR"],
    ["US-CO", "US-CT", "US-OR", "US-MN"],
    ["US-NJ", "US-MD", "US-OK", "US-AL"],
    ["JP", "US"],
]
EXCLUDES = [[], [], [], ["US-CA"], ["EU"], ["GB", "CH"]]
CATEGORIES = [
    "user.content.public",
    "user.content.private",
    "user.demographic.profile",
    "user.demographic.age_range",
    "user.health_and_medical",
    "user.biometric",
    "user.location.precise",
    "user.financial",
    "user.behavior.browsing_history",
    "user.contact.email",
    "user.device.cookie_id",
    "user.childrens",
]
USES = [
    "train_ai_system.generative",
    "train_ai_system",
    "marketing.advertising",
    "marketing.advertising.third_party.targeted",
    "analytics.reporting",
    "personalize",
    "essential.service",
    "essential.fraud_detection",
    "third_party_sharing",
]
SUBJECTS = ["customer", "employee", "prospect", "job_applicant", "patient"]
RECIPIENTS = ["first_party", "processor", "affiliate", "third_party"]
ASSESSMENTS = ["dpia", "lia", "data_protection_assessment", "risk_assessment", "pia"]
DOCUMENTS = ["training_data_summary", "copyright_policy", "ai_documentation"]


def _day(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))


def varied_spec(rng: random.Random, n: int) -> dict[str, Any]:
    regions = rng.choice(REGION_SETS)
    exclude = [r for r in rng.choice(EXCLUDES) if r not in regions]
    starts = _day(rng, dt.date(2023, 1, 1), dt.date(2027, 6, 30))
    uses = rng.sample(USES, rng.randint(1, 3))
    spec: dict[str, Any] = {
        "id": f"varied-{n:06d}",
        "title": f"Generated practice {n}",
        "data_subjects": rng.sample(SUBJECTS, rng.randint(1, 2)),
        "data_categories": rng.sample(CATEGORIES, rng.randint(1, 4)),
        "data_uses": uses,
        "recipients": rng.sample(RECIPIENTS, rng.randint(1, 3)),
        "sale": rng.random() < 0.2,
        "users": {"regions": list(regions), "exclude": exclude},
        "control": rng.choice(["none", "opt_out", "opt_in"]),
        "existing_data": rng.random() < 0.5,
        "assessments": [{"type": a} for a in rng.sample(ASSESSMENTS, rng.randint(0, 2))],
        "parental_consent": rng.random() < 0.3,
        "significant_decisions": rng.random() < 0.15,
        "starts": starts.isoformat(),
        "policy": {"discloses": rng.sample(USES, rng.randint(0, 3))},
    }
    if rng.random() < 0.7:
        spec["users"]["min_age"] = rng.choice([0, 13, 16, 18, 21])
    if rng.random() < 0.4:
        spec["users"]["counts"] = {regions[0]: rng.randrange(1_000, 200_000_000)}
    if rng.random() < 0.5:
        spec["legal_basis"] = rng.choice(["consent", "legitimate_interest", "contract"])
    if rng.random() < 0.3:
        spec["ends"] = (starts + dt.timedelta(days=rng.randint(30, 1500))).isoformat()
    for key in ("updated", "notified"):
        if rng.random() < 0.6:
            spec["policy"][key] = (starts - dt.timedelta(days=rng.randint(-60, 120))).isoformat()
    if rng.random() < 0.5:
        spec["business"] = {"annual_revenue_usd": rng.choice([1_000_000, 30_000_000, 5_000_000_000])}
        if rng.random() < 0.5:
            spec["business"]["revenue_share_from_sale"] = rng.choice([0.0, 0.2, 0.6])
    if rng.random() < 0.2:
        spec["published"] = {d: (starts - dt.timedelta(days=rng.randint(-30, 90))).isoformat() for d in DOCUMENTS[:2]}
    return spec


def varied_specs(count: int, seed: int = 2026) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [varied_spec(rng, n) for n in range(count)]
