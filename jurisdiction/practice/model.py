"""Step 2 (input side): the practice spec, as strict pydantic models.

A practice is a planned or running data practice: which data, about whom, for what purposes,
shared with whom, for users where, under which control, starting when, and what the privacy
policy said and says. See docs/contract.md for the format; every field is described here so that the
generated JSON Schema documents itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from jurisdiction.errors import InvalidValue, suggest
from jurisdiction.vocabulary.regions import RegionCode
from jurisdiction.vocabulary.taxonomy import TaxonomyKind, taxonomy

__all__ = [
    "AISystem",
    "AssessmentDone",
    "AssessmentType",
    "Business",
    "Consent",
    "DataCategoryKey",
    "DataSubjectKey",
    "DataUseKey",
    "OutputMedium",
    "Policy",
    "Practice",
    "School",
    "TransferMechanism",
    "Transfers",
    "Users",
]


def _key_checker(kind: TaxonomyKind) -> Any:
    def check(value: object) -> str:
        if not isinstance(value, str):
            raise InvalidValue(f"a {kind.replace('_', ' ')} key must be a string, not {value!r}", code="wrong_type")
        known = taxonomy().keys(kind)
        if value in known:
            return value
        raise InvalidValue(
            f"unknown {kind.replace('_', ' ')} key {value!r}",
            code="unknown_key",
            valid="a key of fideslang's default taxonomy or the project's sub-keys (`jurisdiction taxonomy`, "
            "docs/taxonomy.md)",
            suggestion=suggest(value, known),
        )

    return check


DataCategoryKey = Annotated[str, BeforeValidator(_key_checker("data_category"))]
DataUseKey = Annotated[str, BeforeValidator(_key_checker("data_use"))]
DataSubjectKey = Annotated[str, BeforeValidator(_key_checker("data_subject"))]


DATE_HELP = "YYYY-MM-DD, e.g. 2024-08-01"


def _iso_date(value: object) -> object:
    """Dates are YYYY-MM-DD: a YAML date, or an ISO string (JSON). Timestamps and numbers
    are refused rather than guessed at."""
    if isinstance(value, dt.datetime):
        raise InvalidValue("give a date (YYYY-MM-DD), not a timestamp", code="not_a_date", valid="YYYY-MM-DD")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidValue(
                f"{value!r} is not a date", code="not_a_date", valid="YYYY-MM-DD, e.g. 2024-08-01"
            ) from None
    raise InvalidValue(f"{value!r} is not a date", code="not_a_date", valid="YYYY-MM-DD, e.g. 2024-08-01")


Day = Annotated[dt.date, BeforeValidator(_iso_date)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,127}$")]


def _unique(values: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    for v in values:
        if v in seen:
            raise InvalidValue(f"{v!r} is listed twice", code="duplicate_item")
        seen.add(v)
    return values


Recipient = Literal["first_party", "processor", "affiliate", "third_party"]
Control = Literal["none", "opt_out", "opt_in"]
LegalBasis = Literal["consent", "legitimate_interest", "contract", "legal_obligation", "vital_interests", "public_task"]
AssessmentType = Literal[
    "dpia", "lia", "data_protection_assessment", "risk_assessment", "pia", "fria", "ai_risk_management", "tia"
]
DocumentKind = Literal["training_data_summary", "copyright_policy", "ai_documentation"]
OutputMedium = Literal["text", "image", "video", "audio"]

STRICT = ConfigDict(extra="forbid", frozen=True, strict=True)


class AssessmentDone(BaseModel):
    """A completed assessment, with the day it was completed."""

    model_config = STRICT
    type: AssessmentType = Field(
        description="Which assessment: dpia, lia (legitimate-interest "
        "assessment), data_protection_assessment (US states), "
        "risk_assessment (California), pia, fria (fundamental-rights impact assessment, AI Act "
        "Art. 27), ai_risk_management (AI Act Art. 9), tia (transfer impact assessment for data sent abroad, e.g. "
        "Vietnam's cross-border transfer impact assessment dossier)."
    )
    completed: Day | None = Field(None, description="Day it was completed; absent = assumed done in time.")


def _assessment(value: object) -> object:
    return {"type": value} if isinstance(value, str) else value


def _distinct_codes(value: object) -> object:
    """Keys that mean the same code (`NO` and `no`) would silently overwrite each other."""
    if isinstance(value, dict):
        seen: dict[str, object] = {}
        for key in value:
            norm = key.strip().upper() if isinstance(key, str) else key
            if norm in seen:
                raise InvalidValue(
                    f"{seen[norm]!r} and {key!r} name the same code {norm}; give each code once", code="duplicate_code"
                )
            seen[norm] = key
    return value


class Users(BaseModel):
    """Whose data the practice uses."""

    model_config = STRICT
    regions: Annotated[list[RegionCode], AfterValidator(_unique)] = Field(
        min_length=1, description="Where the users live: ISO 3166-1 / 3166-2 codes or group names (EU, EEA, EFTA)."
    )
    exclude: Annotated[list[RegionCode], AfterValidator(_unique)] = Field(
        default_factory=list, description="Codes or groups left out of the practice."
    )
    min_age: int | None = Field(
        None,
        ge=0,
        le=130,
        description="Youngest user whose data is used. Absent means unknown: rules on minors then "
        "assume minors may be included (never 'adults only').",
    )
    counts: Annotated[dict[RegionCode, Annotated[int, Field(ge=0)]], BeforeValidator(_distinct_codes)] = Field(
        default_factory=dict, description="Optional user numbers per code."
    )


class Policy(BaseModel):
    """The privacy policy: what it disclosed before this change, and when it changes."""

    model_config = STRICT
    discloses: Annotated[list[DataUseKey], AfterValidator(_unique)] = Field(
        default_factory=list,
        description="Data uses the policy in force before this change discloses; a data use not "
        "covered here (itself or a parent) is a new purpose.",
    )
    updated: Day | None = Field(
        None, description="Day the policy disclosing this practice takes/took effect; null = not planned."
    )
    notified: Day | None = Field(None, description="Day users are/were told individually; null = not planned.")


class Consent(BaseModel):
    """What the users' consent (or their parents') covers, and when it was obtained. A consent
    counts for a new data use only if it names that use (or a parent of it) and was obtained
    after users were told of the use and before the processing starts."""

    model_config = STRICT
    uses: Annotated[list[DataUseKey], AfterValidator(_unique)] = Field(
        min_length=1, description="The data uses the consent names (fideslang keys, matched hierarchically)."
    )
    obtained: Day | None = Field(None, description="Day the consent was (or is to be) obtained; absent = unknown.")
    separate: bool = Field(
        False,
        description="Obtained separately from other terms and consents (COPPA's consent to disclose to third "
        "parties since 2026-04-22; PIPL Art. 23).",
    )


class AISystem(BaseModel):
    """The product built on the model, where the practice trains or runs AI: what people meet.
    Product measures (an AI-interaction label, machine-readable marking of outputs) are facts
    of the product, not of any notice to users."""

    model_config = STRICT
    interacts_with_people: bool | None = Field(
        None, description="The system interacts directly with people (a chatbot, an assistant); absent = unknown."
    )
    generates_content: bool | None = Field(
        None, description="The system generates synthetic text, images, audio or video; absent = unknown."
    )
    discloses_ai_interaction: bool = Field(
        False, description="People are told, at the latest at the first interaction, that they deal with an AI system."
    )
    marks_outputs: bool = Field(
        False, description="Outputs are marked in a machine-readable format as artificially generated."
    )
    public_release: bool | None = Field(
        None,
        description="The model is in a generative AI system or service made publicly available to users (true), "
        "or used internally only (false); absent = unknown. Decisive for California's AB 2013 (Civ. Code § 3111: "
        "systems 'made publicly available to Californians') and the AI Transparency Act (Bus. & Prof. Code "
        "§ 22757.1(d): a system 'publicly accessible within the geographic boundaries of the state').",
    )
    monthly_users: Annotated[int, Field(ge=0)] | None = Field(
        None,
        description="Total monthly visitors or users of the generative AI system, counted in all places (not only "
        "one state's); absent = unknown. Decisive for California's AI Transparency Act (Bus. & Prof. Code "
        "§ 22757.1(d): a covered provider's system has over 1,000,000 monthly visitors or users).",
    )
    output_media: Annotated[list[OutputMedium], AfterValidator(_unique)] | None = Field(
        None,
        description="What the system generates: text, image, video, audio; absent = unknown. Decisive for "
        "California's AI Transparency Act, whose detection tool and disclosures concern image, video and audio "
        "content (Bus. & Prof. Code §§ 22757.2(a)(1), 22757.3(a)-(b)): a text-only system is outside them.",
    )


class Business(BaseModel):
    """Facts about the business that laws' applicability thresholds test. Absent = unknown:
    the law is then taken to apply, and the assessment says so."""

    model_config = STRICT
    annual_revenue_usd: Annotated[int, Field(ge=0)] | None = Field(
        None, description="Annual gross revenue in US dollars."
    )
    revenue_share_from_sale: Annotated[float, Field(ge=0, le=1)] | None = Field(
        None, description="Share of gross revenue (0 to 1) from selling personal data."
    )


SchoolRole = Literal["school", "vendor", "direct"]


class School(BaseModel):
    """The school context of a practice: what the student-data laws (FERPA, California's
    SOPIPA) and COPPA's school-authorization route make decisive. Absent on a practice = the
    practice is not in a school context, and no student-data law reaches it."""

    model_config = STRICT
    role: SchoolRole = Field(
        description="How the business stands to the schools: school (the educational agency or institution, or "
        "its district, runs the practice itself); vendor (it provides the service to schools, which disclose "
        "students' data to it or authorize the collection: FERPA's contractor 'school official', 34 CFR "
        "99.31(a)(1)(i)(B); COPPA's school-authorized operator); direct (it offers an education service to "
        "students or parents without a school's authorization)."
    )
    k12: bool = Field(
        False,
        description="The site, service or application is used primarily for K-12 school purposes and was "
        "designed and marketed for K-12 school purposes, and the business knows it (the SOPIPA 'operator', "
        "Cal. Bus. & Prof. Code § 22584(a)).",
    )
    education_records: bool = Field(
        False,
        description="The practice uses personally identifiable information from students' education records: "
        "records directly related to a student and maintained by an educational agency or institution or by a "
        "party acting for it (34 CFR 99.3), including what a school discloses to a vendor.",
    )
    federal_funds: bool | None = Field(
        None,
        description="The educational agency or institution receives funds under a program administered by the "
        "US Secretary of Education (FERPA applies only to those, 34 CFR 99.1). Absent = unknown, taken to hold "
        "(nearly every public school does).",
    )
    authorized_uses: Annotated[list[DataUseKey], AfterValidator(_unique)] = Field(
        default_factory=list,
        description="The data uses the school authorized (its contract, or its consent on the parents' behalf "
        "for the school's educational purposes), matched hierarchically; a data use of the practice not covered "
        "here goes beyond the school's authorization. Empty = the school authorized nothing.",
    )

    @model_validator(mode="after")
    def _direct_has_no_authorization(self) -> School:
        if self.role == "direct" and self.authorized_uses:
            raise InvalidValue(
                "role direct means no school authorized the practice, but authorized_uses is given",
                code="direct_with_authorization",
                field="authorized_uses",
                valid="role: vendor for a service schools authorize; or no authorized_uses with role: direct",
            )
        return self


# Cross-border transfers ------------------------------------------------------------------

TransferMechanism = Literal[
    "adequacy",
    "scc",
    "bcr",
    "certification",
    "code_of_conduct",
    "security_assessment",
    "standard_contract",
    "consent",
]


class Transfers(BaseModel):
    """Where the data is processed or sent, and the transfer tools relied on. Every user's data
    is taken to reach every place listed; a place inside the users' own country (for users in
    the EEA: inside the EEA) is not a transfer abroad."""

    model_config = STRICT
    to: Annotated[list[RegionCode], AfterValidator(_unique)] = Field(
        description="Countries where the data is processed, stored or sent: ISO 3166-1 / 3166-2 codes or group "
        "names (EU, EEA). [] = the data stays where its users are."
    )
    mechanisms: Annotated[list[TransferMechanism], AfterValidator(_unique)] = Field(
        default_factory=list,
        description="Transfer tools in place for the data that leaves: adequacy (an adequacy decision covers the "
        "destination), scc (standard data protection clauses), bcr (binding corporate rules), certification, "
        "code_of_conduct, security_assessment (China: CAC security assessment), standard_contract (China: CAC "
        "standard contract), consent (the users' own consent to the transfer abroad, given after being told the "
        "destination and the recipient). Absent or [] = none in place (a rule that needs one reports it).",
    )
    disclosed: bool = Field(
        False,
        description="The privacy notice names the countries the data goes to, the recipients abroad and the "
        "safeguards relied on (GDPR Art. 13(1)(f), FADP Art. 19(4), PIPL Art. 39).",
    )


class Practice(BaseModel):
    """A described data practice: the input of every check."""

    model_config = STRICT
    id: Slug = Field(description="Unique slug, e.g. genai-training-2024.")
    title: str = Field(min_length=1, description="Human title.")
    description: str | None = Field(None, description="Free text.")
    data_subjects: Annotated[list[DataSubjectKey], AfterValidator(_unique)] = Field(
        min_length=1, description="fideslang data-subject keys."
    )
    data_categories: Annotated[list[DataCategoryKey], AfterValidator(_unique)] = Field(
        min_length=1, description="fideslang data-category keys, matched hierarchically."
    )
    data_uses: Annotated[list[DataUseKey], AfterValidator(_unique)] = Field(
        min_length=1, description="fideslang data-use keys: the purposes."
    )
    recipients: Annotated[list[Recipient], AfterValidator(_unique)] = Field(
        default_factory=lambda: list[Recipient](["first_party"]),
        description="Who receives the data: first_party | processor | affiliate | third_party.",
    )
    sale: bool = Field(False, description="Disclosed for money or other valuable consideration.")
    users: Users = Field(description="Whose data.")
    control: Control = Field(
        "none", description="The choice users get: none | opt_out (a default-on setting) | opt_in."
    )
    existing_data: bool = Field(
        True, description="Also uses data collected before `starts`. Absent = true (the safer reading)."
    )
    legal_basis: LegalBasis | None = Field(None, description="GDPR-style legal basis claimed; absent = unknown.")
    assessments: list[
        Annotated[AssessmentDone, BeforeValidator(_assessment, json_schema_input_type=AssessmentType | AssessmentDone)]
    ] = Field(default_factory=list, description="Completed assessments: names (dpia, lia, …) or {type, completed}.")
    parental_consent: bool = Field(
        False,
        description="Verifiable parental consent is obtained for users under the local age threshold. For a new "
        "data use it counts only where `consent` names that use (a consent given for other uses does not "
        "carry over).",
    )
    consent: Consent | None = Field(
        None, description="What the users' (or parents') consent covers and when it was obtained; absent = unknown."
    )
    data_collected_from: Day | None = Field(
        None,
        description="Earliest day on which data the practice uses was collected. Data collected after the policy "
        "disclosing the practice took effect (`policy.updated`) was collected for it: not a new purpose for that "
        "data. Absent = unknown (read as older).",
    )
    ai_system: AISystem | None = Field(
        None, description="The AI product built on the model, where the practice trains or runs AI."
    )
    starts: Day = Field(description="Day processing starts (planned or actual).")
    ends: Day | None = Field(None, description="Day processing ends; absent = open-ended.")
    policy: Policy = Field(default_factory=Policy, description="Privacy policy facts.")
    business: Business = Field(default_factory=Business, description="Facts for applicability thresholds.")
    published: dict[DocumentKind, Day] = Field(
        default_factory=dict,
        description="Public documents and the day each is/was published: training_data_summary (EU AI Act "
        "Art. 53(1)(d), California AB 2013), copyright_policy (AI Act Art. 53(1)(c)), ai_documentation "
        "(developer documentation for deployers, e.g. Colorado).",
    )
    significant_decisions: bool = Field(
        False,
        description="Outputs are used to make, or substantially support, decisions with legal or "
        "similarly significant effects (credit, employment, housing, insurance, education, health care, "
        "essential services).",
    )
    school: School | None = Field(
        None,
        description="The school context (FERPA, SOPIPA, COPPA's school-authorization route); absent = the "
        "practice is not in a school context.",
    )

    transfers: Transfers | None = Field(
        None,
        description="Where the data is processed or sent (cross-border transfers). Absent = unknown: rules on "
        "transfers abroad then apply as warnings, with the assumption listed (never read as 'no transfer').",
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> Practice:
        if self.ends is not None and self.ends < self.starts:
            raise InvalidValue(
                f"ends ({self.ends}) is before starts ({self.starts})", code="dates_out_of_order", field="ends"
            )
        return self
