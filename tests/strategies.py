"""Generated practice specs (hypothesis), shared by the tests that compare answers: the
engines with each other, the timeline with evaluating every day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from jurisdiction.vocabulary.taxonomy import taxonomy

TAX = taxonomy()
CATEGORIES = sorted(TAX.keys("data_category"))
USES = sorted(TAX.keys("data_use"))
SUBJECTS = sorted(TAX.keys("data_subject"))


@st.composite
def practice_specs(draw: st.DrawFn, regions_pool: list[str], days: st.SearchStrategy[dt.date]) -> dict[str, Any]:
    """A practice spec (plain data) over `regions_pool`, its dates drawn from `days`."""
    regions = draw(st.lists(st.sampled_from(regions_pool), min_size=1, max_size=4, unique=True))
    starts = draw(days)
    spec: dict[str, Any] = {
        "id": "generated",
        "title": "generated",
        "data_subjects": draw(st.lists(st.sampled_from(SUBJECTS), min_size=1, max_size=2, unique=True)),
        "data_categories": draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=4, unique=True)),
        "data_uses": draw(st.lists(st.sampled_from(USES), min_size=1, max_size=3, unique=True)),
        "recipients": draw(
            st.lists(
                st.sampled_from(["first_party", "processor", "affiliate", "third_party"]),
                min_size=1,
                max_size=3,
                unique=True,
            )
        ),
        "sale": draw(st.booleans()),
        "users": {
            "regions": regions,
            "exclude": draw(st.lists(st.sampled_from(regions_pool), max_size=2, unique=True)),
            "counts": {r: draw(st.integers(0, 10**8)) for r in regions[:2]},
        },
        "control": draw(st.sampled_from(["none", "opt_out", "opt_in"])),
        "existing_data": draw(st.booleans()),
        "assessments": draw(
            st.lists(st.sampled_from(["dpia", "lia", "risk_assessment", "pia"]), max_size=3, unique=True)
        ),
        "parental_consent": draw(st.booleans()),
        "starts": starts.isoformat(),
        "policy": {
            "discloses": draw(st.lists(st.sampled_from(USES), max_size=3, unique=True)),
            "updated": draw(st.none() | days.map(dt.date.isoformat)),
            "notified": draw(st.none() | days.map(dt.date.isoformat)),
        },
    }
    if draw(st.booleans()):
        spec["users"]["min_age"] = draw(st.integers(0, 30))
    if draw(st.booleans()):
        spec["legal_basis"] = draw(st.sampled_from(["consent", "legitimate_interest", "contract"]))
    if draw(st.booleans()):
        spec["ends"] = (starts + dt.timedelta(days=draw(st.integers(0, 2000)))).isoformat()
    if draw(st.booleans()):
        role = draw(st.sampled_from(["school", "vendor", "direct"]))
        authorized = draw(st.lists(st.sampled_from(USES), max_size=3, unique=True))
        spec["school"] = {
            "role": role,
            "k12": draw(st.booleans()),
            "education_records": draw(st.booleans()),
            "federal_funds": draw(st.none() | st.booleans()),
            "authorized_uses": [] if role == "direct" else authorized,  # a direct service has no authorization
        }
    if draw(st.booleans()):
        spec["transfers"] = {
            "to": draw(st.lists(st.sampled_from(["US", "CN", "IN", "DE", "EEA", "GB", "BR"]), max_size=2, unique=True)),
            "mechanisms": draw(st.lists(st.sampled_from(["scc", "adequacy", "consent"]), max_size=2, unique=True)),
            "disclosed": draw(st.booleans()),
        }
    return spec
