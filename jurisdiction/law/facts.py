"""The facts rules are written over, and how they are derived from a practice.

Facts are the rule language's whole vocabulary: a rule may test only what is listed in
`FACTS`. Taxonomy-valued facts are closed upward (a key brings its ancestors), so a rule
on a parent key matches a spec that names a child. A fact that the spec leaves open is
*unknown* (absent from the fact set); see docs/rules.md for how rules treat unknowns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from jurisdiction.practice.model import AssessmentType, OutputMedium, Practice, TransferMechanism
from jurisdiction.vocabulary.regions import country_of, expand, membership
from jurisdiction.vocabulary.taxonomy import TaxonomyKind, taxonomy

__all__ = [
    "FACTS",
    "LOCAL_FACTS",
    "WARN_UNKNOWN",
    "FactSpec",
    "LocalValues",
    "local_values",
    "practice_facts",
    "transfer_abroad",
]

FactType = Literal["set", "bool", "enum", "number"]


@dataclass(frozen=True)
class FactSpec:
    name: str
    type: FactType
    description: str
    taxonomy: TaxonomyKind | None = None
    values: tuple[str, ...] = ()
    may_be_unknown: bool = False
    per_jurisdiction: bool = False  # its value differs between the jurisdictions of one practice
    # a rule that holds only on this fact's unknown reading is a warning (docs/rules.md)
    unknown_warns: bool = False


def _facts(*specs: FactSpec) -> dict[str, FactSpec]:
    return {s.name: s for s in specs}


FACTS: Mapping[str, FactSpec] = _facts(
    FactSpec("data_uses", "set", "the practice's data uses (purposes), with their parents", taxonomy="data_use"),
    FactSpec("data_categories", "set", "the data categories used, with their parents", taxonomy="data_category"),
    FactSpec("data_subjects", "set", "whose data, with their parents", taxonomy="data_subject"),
    FactSpec(
        "new_uses", "set", "data uses the policy in force before the change does not disclose", taxonomy="data_use"
    ),
    FactSpec(
        "recipients", "set", "who receives the data", values=("first_party", "processor", "affiliate", "third_party")
    ),
    FactSpec(
        "assessments",
        "set",
        "assessments the spec shows completed",
        values=get_args(AssessmentType),
    ),
    FactSpec("purpose_new", "bool", "some data use is not disclosed by the policy in force"),
    FactSpec("retroactive", "bool", "a new purpose is applied to data collected before the change"),
    FactSpec("existing_data", "bool", "the practice uses data collected before it starts"),
    FactSpec("sale", "bool", "data is disclosed for money or other valuable consideration"),
    FactSpec("shared_outside", "bool", "data goes to an affiliate or a third party"),
    FactSpec(
        "parental_consent",
        "bool",
        "verifiable parental consent is obtained under the age threshold, and covers the new uses (if any)",
    ),
    FactSpec(
        "consent_covers_new_uses",
        "bool",
        "the users' consent names every new data use, obtained after they were told of it and before the start",
    ),
    FactSpec("consent_separate", "bool", "the consent was obtained separately from other terms and consents"),
    FactSpec("ai_interacts", "bool", "the AI system interacts directly with people", may_be_unknown=True),
    FactSpec("ai_generates_content", "bool", "the AI system generates synthetic content", may_be_unknown=True),
    FactSpec("ai_interaction_disclosed", "bool", "the product tells people they deal with an AI system"),
    FactSpec("ai_outputs_marked", "bool", "the product marks its outputs as artificially generated"),
    FactSpec(
        "ai_public_release",
        "bool",
        "the model is in a generative AI system or service made publicly available to users, not internal only "
        "(ai_system.public_release)",
        may_be_unknown=True,
        unknown_warns=True,
    ),
    FactSpec(
        "ai_monthly_users",
        "number",
        "total monthly visitors or users of the generative AI system, all places (ai_system.monthly_users)",
        may_be_unknown=True,
        unknown_warns=True,
    ),
    FactSpec(
        "ai_output_media",
        "set",
        "what the AI system generates: text, image, video, audio (ai_system.output_media)",
        values=get_args(OutputMedium),
        may_be_unknown=True,
        unknown_warns=True,
    ),
    FactSpec(
        "control",
        "enum",
        "the users' choice: none, opt_out (default on) or opt_in",
        values=("none", "opt_out", "opt_in"),
    ),
    FactSpec(
        "legal_basis",
        "enum",
        "the legal basis the spec claims",
        values=("consent", "legitimate_interest", "contract", "legal_obligation", "vital_interests", "public_task"),
        may_be_unknown=True,
    ),
    FactSpec("min_age", "number", "age of the youngest user whose data is used", may_be_unknown=True),
    FactSpec("significant_decisions", "bool", "outputs feed decisions with legal or similarly significant effects"),
    FactSpec(
        "consumers_here",
        "number",
        "users in this jurisdiction (users.counts)",
        may_be_unknown=True,
        per_jurisdiction=True,
    ),
    FactSpec("annual_revenue_usd", "number", "the business's annual gross revenue (USD)", may_be_unknown=True),
    FactSpec(
        "revenue_share_from_sale", "number", "share of revenue from selling personal data (0-1)", may_be_unknown=True
    ),
    # The school context (the spec's `school` block; absent = not a school context).
    FactSpec(
        "school_role",
        "enum",
        "how the business stands to the schools: none (not a school context), school, vendor or direct",
        values=("none", "school", "vendor", "direct"),
    ),
    FactSpec("k12_service", "bool", "the service is designed, marketed and used primarily for K-12 school purposes"),
    FactSpec("education_records", "bool", "the practice uses personally identifiable data from education records"),
    FactSpec(
        "school_federal_funds",
        "bool",
        "the school receives funds under a program of the US Department of Education",
        may_be_unknown=True,
    ),
    FactSpec("school_authorized", "bool", "the school authorized some of the practice's data uses"),
    FactSpec(
        "beyond_school_authorization",
        "bool",
        "some data use of the practice is not among the uses the school authorized",
    ),
    FactSpec(
        "unauthorized_uses",
        "set",
        "the practice's data uses the school did not authorize, with their parents",
        taxonomy="data_use",
    ),
    # cross-border transfers
    FactSpec(
        "transfer_abroad",
        "bool",
        "data of users in this jurisdiction is processed in or sent to a country outside it (for EEA "
        "states: outside the EEA) (transfers.to)",
        may_be_unknown=True,
        per_jurisdiction=True,
        unknown_warns=True,
    ),
    FactSpec(
        "transfer_mechanisms",
        "set",
        "transfer tools in place for the data that leaves (transfers.mechanisms; none stated = empty)",
        values=get_args(TransferMechanism),
    ),
    FactSpec("transfers_disclosed", "bool", "the privacy notice names the destinations, recipients and safeguards"),
)

# Facts whose value differs between the jurisdictions of one practice.
LOCAL_FACTS = frozenset(name for name, spec in FACTS.items() if spec.per_jurisdiction)
# Facts a rule may hold on only by their unknown reading, and is then a warning.
WARN_UNKNOWN = frozenset(name for name, spec in FACTS.items() if spec.unknown_warns)
# Per code: its per-jurisdiction facts that are known, as sorted (fact, value) pairs.
LocalValues = tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]


# The spec field each fact is read from: where a CI annotation points.
FACT_FIELDS: Mapping[str, str] = {
    "data_uses": "data_uses",
    "data_categories": "data_categories",
    "data_subjects": "data_subjects",
    "new_uses": "data_uses",
    "purpose_new": "data_uses",
    "recipients": "recipients",
    "assessments": "assessments",
    "retroactive": "existing_data",
    "existing_data": "existing_data",
    "sale": "sale",
    "shared_outside": "recipients",
    "parental_consent": "parental_consent",
    "consent_covers_new_uses": "consent",
    "consent_separate": "consent.separate",
    "ai_interacts": "ai_system.interacts_with_people",
    "ai_generates_content": "ai_system.generates_content",
    "ai_interaction_disclosed": "ai_system.discloses_ai_interaction",
    "ai_outputs_marked": "ai_system.marks_outputs",
    "ai_public_release": "ai_system.public_release",
    "ai_monthly_users": "ai_system.monthly_users",
    "ai_output_media": "ai_system.output_media",
    "control": "control",
    "legal_basis": "legal_basis",
    "min_age": "users.min_age",
    "significant_decisions": "significant_decisions",
    "consumers_here": "users.counts",
    "annual_revenue_usd": "business.annual_revenue_usd",
    "revenue_share_from_sale": "business.revenue_share_from_sale",
    "school_role": "school.role",
    "k12_service": "school.k12",
    "education_records": "school.education_records",
    "school_federal_funds": "school.federal_funds",
    "school_authorized": "school.authorized_uses",
    "beyond_school_authorization": "school.authorized_uses",
    "unauthorized_uses": "school.authorized_uses",
    "transfer_abroad": "transfers.to",
    "transfer_mechanisms": "transfers.mechanisms",
    "transfers_disclosed": "transfers.disclosed",
}
DONE_FIELDS: Mapping[str, str] = {
    "policy_updated": "policy.updated",
    "policy_notified": "policy.notified",
    "starts": "starts",
}


def practice_facts(practice: Practice) -> dict[str, Any]:
    """The law-independent facts of a practice. Unknown facts are left out."""
    tax = taxonomy()
    disclosed = practice.policy.discloses
    new = [u for u in practice.data_uses if not tax.covers("data_use", disclosed, u)]
    covered = _consent_covers(practice, new)
    facts: dict[str, Any] = {
        "data_uses": tax.closure("data_use", practice.data_uses),
        "data_categories": tax.closure("data_category", practice.data_categories),
        "data_subjects": tax.closure("data_subject", practice.data_subjects),
        "new_uses": tax.closure("data_use", new),
        "recipients": frozenset(practice.recipients),
        "assessments": frozenset(a.type for a in practice.assessments),
        "purpose_new": bool(new),
        "retroactive": bool(new) and practice.existing_data and not _collected_after_disclosure(practice),
        "existing_data": practice.existing_data,
        "sale": practice.sale,
        "shared_outside": bool({"affiliate", "third_party"} & set(practice.recipients)),
        "parental_consent": practice.parental_consent and (not new or covered),
        "consent_covers_new_uses": covered,
        "consent_separate": practice.consent is not None and practice.consent.separate,
        "ai_interaction_disclosed": practice.ai_system is not None and practice.ai_system.discloses_ai_interaction,
        "ai_outputs_marked": practice.ai_system is not None and practice.ai_system.marks_outputs,
        "control": practice.control,
    }
    if practice.legal_basis is not None:
        facts["legal_basis"] = practice.legal_basis
    if practice.users.min_age is not None:
        facts["min_age"] = practice.users.min_age
    facts["significant_decisions"] = practice.significant_decisions
    system = practice.ai_system
    if system is not None and system.interacts_with_people is not None:
        facts["ai_interacts"] = system.interacts_with_people
    if system is not None and system.generates_content is not None:
        facts["ai_generates_content"] = system.generates_content
    if system is not None and system.public_release is not None:
        facts["ai_public_release"] = system.public_release
    if system is not None and system.monthly_users is not None:
        facts["ai_monthly_users"] = system.monthly_users
    if system is not None and system.output_media is not None:
        facts["ai_output_media"] = frozenset(system.output_media)
    if practice.business.annual_revenue_usd is not None:
        facts["annual_revenue_usd"] = practice.business.annual_revenue_usd
    if practice.business.revenue_share_from_sale is not None:
        facts["revenue_share_from_sale"] = practice.business.revenue_share_from_sale
    transfers = practice.transfers
    facts["transfer_mechanisms"] = frozenset(transfers.mechanisms if transfers is not None else ())
    facts["transfers_disclosed"] = transfers is not None and transfers.disclosed
    facts.update(school_facts(practice))
    return facts


def school_facts(practice: Practice) -> dict[str, Any]:
    """The school-context facts. Without a `school` block the practice is not in a school
    context: every school fact is known and false (the federal-funds fact too)."""
    school = practice.school
    if school is None:
        return {
            "school_role": "none",
            "k12_service": False,
            "education_records": False,
            "school_federal_funds": False,
            "school_authorized": False,
            "beyond_school_authorization": False,
            "unauthorized_uses": frozenset(),
        }
    tax = taxonomy()
    beyond = [use for use in practice.data_uses if not tax.covers("data_use", school.authorized_uses, use)]
    facts: dict[str, Any] = {
        "school_role": school.role,
        "k12_service": school.k12,
        "education_records": school.education_records,
        "school_authorized": bool(school.authorized_uses),
        "beyond_school_authorization": bool(beyond),
        "unauthorized_uses": tax.closure("data_use", beyond),
    }
    if school.federal_funds is not None:
        facts["school_federal_funds"] = school.federal_funds
    return facts


def practice_contexts(practice: Practice) -> frozenset[str]:
    """The contexts a law may be confined to (`law.context`): `school` when the spec has a
    `school` block."""
    return frozenset({"school"}) if practice.school is not None else frozenset()


def transfer_abroad(practice: Practice, code: str) -> bool | None:
    """Whether data of users in `code` leaves for a country outside it: outside the code's
    country, or, for a country in the EEA on the day the practice starts, outside the EEA.
    None (unknown) when the spec does not say where the data goes."""
    transfers = practice.transfers
    if transfers is None:
        return None
    on = practice.starts
    home = country_of(code)
    places = {country_of(c) for c in expand(transfers.to, on)}
    if any(on in span for span in membership(home, "EEA")):
        return any(not any(on in span for span in membership(place, "EEA")) for place in places)
    return any(place != home for place in places)


def _consent_covers(practice: Practice, new: list[str]) -> bool:
    """Whether the stated consent names every new data use, was obtained no earlier than users
    were told of the change (an informed consent) and no later than the start."""
    consent = practice.consent
    if consent is None:
        return False
    tax = taxonomy()
    if not all(tax.covers("data_use", consent.uses, use) for use in new or practice.data_uses):
        return False
    day = consent.obtained
    if day is None:
        return True
    told = practice.policy.notified or practice.policy.updated
    return day <= practice.starts and (told is None or day >= told)


def _collected_after_disclosure(practice: Practice) -> bool:
    """All the data was collected after the policy disclosing the practice took effect."""
    since, updated = practice.data_collected_from, practice.policy.updated
    return since is not None and updated is not None and since >= updated


def local_values(practice: Practice, codes: tuple[str, ...]) -> LocalValues:
    """The known per-jurisdiction facts of each code that has any: its user count
    (`consumers_here`) and whether its users' data leaves it (`transfer_abroad`)."""
    counts = practice.users.counts
    know_transfers = practice.transfers is not None
    if not counts and not know_transfers:
        return ()
    out = []
    for code in codes:
        pairs: list[tuple[str, Any]] = []
        if code in counts:
            pairs.append(("consumers_here", counts[code]))
        if know_transfers:
            pairs.append(("transfer_abroad", transfer_abroad(practice, code)))
        if pairs:
            out.append((code, tuple(pairs)))
    return tuple(out)


def consumers_in(practice: Practice, code: str) -> int | None:
    """Users counted for exactly this code (a state's own count; not a share of a country's)."""
    return practice.users.counts.get(code)


def spec_keys(practice: Practice) -> dict[str, list[str]]:
    """The keys as the spec wrote them (not closed upward), for explanations."""
    return {
        "data_uses": list(practice.data_uses),
        "data_categories": list(practice.data_categories),
        "data_subjects": list(practice.data_subjects),
        "new_uses": list(practice.data_uses),
        "new": new_uses_of(practice),
        "disclosed": list(practice.policy.discloses),
        "unauthorized_uses": list(practice.data_uses),
    }


def new_uses_of(practice: Practice) -> list[str]:
    tax = taxonomy()
    return [u for u in practice.data_uses if not tax.covers("data_use", practice.policy.discloses, u)]
