"""Step 2 (law side): the rule-file and rule-test formats, as strict pydantic models.

A rule file (`rules/<folder>/law.yaml`) holds one law: where and when it applies, dated
per-jurisdiction parameters, named terms (reusable conditions), and rules. Each rule says
when it applies (a condition over practice facts), what it demands (an obligation kind), by
when (a lead time before the start date), how a spec shows it done, and why, with the
article/section and a source URL. See docs/rules.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from jurisdiction.practice.model import DataSubjectKey, Day, Slug
from jurisdiction.vocabulary.regions import RegionCode

__all__ = [
    "AppliesIn",
    "Done",
    "Due",
    "Expect",
    "LawInfo",
    "ObligationKind",
    "ParamValue",
    "Parameter",
    "Protects",
    "Rule",
    "RuleFile",
    "Severity",
    "Status",
    "TermDefinition",
    "TestCase",
    "TestFile",
]

ObligationKind = Literal[
    "policy_update", "notice", "opt_out", "consent", "parental_consent", "impact_assessment", "disclosure", "prohibited"
]
Severity = Literal["blocking", "warning"]
Topic = Literal[
    "notice", "secondary_use", "sensitive_data", "minors", "assessments", "sale_sharing", "ai", "profiling", "rights"
]
Status = Literal["met", "pending", "violated"]

# defer_build: a book from the cache never validates a law file, so it never pays for the schema
MODEL = ConfigDict(extra="forbid", frozen=True, populate_by_name=False, defer_build=True)
Url = Annotated[HttpUrl, Field(description="Source URL of the primary text (or the best public copy).")]
Citation = Annotated[str, Field(min_length=3, description="Article/section, e.g. 'GDPR Art. 13(3)'.")]
Condition = Annotated[
    dict[str, Any],
    Field(
        description="A condition over practice facts: {all: [...]}, {any: [...]}, {not: {...}}, "
        "{<term>: true}, or {<fact>: <value or {op: value}>}. See docs/rules.md."
    ),
]


class AppliesIn(BaseModel):
    """Where, and from when, a law applies."""

    model_config = MODEL
    in_: list[RegionCode] = Field(alias="in", min_length=1, description="Codes or groups.")
    from_: Day = Field(alias="from", description="First day it applies there.")
    to: Day | None = Field(None, description="Last day it applies there; absent = still in force.")
    citation: str | None = Field(None, description="What makes it apply there, if not the law itself.")
    url: HttpUrl | None = Field(None, description="Source for that.")
    note: str | None = Field(None, description="Anything a reader should know.")


class Protects(BaseModel):
    """Whom the law protects, in its own words, and whom its text leaves out. The law applies
    to a practice only if some of the practice's data subjects are protected (not excluded)."""

    model_config = MODEL
    persons: Literal["natural_persons", "consumers", "children", "employees", "students", "patients"] = Field(
        description="Whom the law protects: natural_persons (data subjects: GDPR family), consumers (residents, "
        "in the law's sense), children, employees, students or patients."
    )
    excludes: list[DataSubjectKey] = Field(
        default_factory=list,
        description="Data subjects the text leaves out (fideslang keys, matched with their children), e.g. "
        "employee, job_applicant and customer.business_contact for a law that excludes the employment and "
        "commercial contexts.",
    )
    citation: str = Field(min_length=1, description="Where the law defines whom it protects.")
    url: HttpUrl | None = Field(None, description="Source of the definition, on the official publisher.")
    verified: bool = Field(True, description="False where the definition was not checked against the official text.")
    uncertain: str | None = Field(None, description="Where the scope is unsettled, and the reading encoded.")


class LawInfo(BaseModel):
    """The law a rule file encodes."""

    model_config = MODEL
    id: Slug = Field(description="Law id, e.g. eu-gdpr; prefixes every rule id.")
    title: str = Field(min_length=1, description="Official or common title.")
    short: str | None = Field(None, description="Short name, e.g. GDPR.")
    citation: Citation
    url: Url
    applies: list[AppliesIn] = Field(min_length=1, description="Where and when the law applies.")
    enacted: Day | None = Field(None, description="Day enacted/adopted (for laws not yet in force).")
    applicability: Condition | None = Field(
        None,
        description="When the law reaches the business at all (e.g. consumer-count or revenue "
        "thresholds), over the same facts as rules; an unknown fact is taken to meet it, and the "
        "assessment says so.",
    )
    applicability_citation: str | None = Field(None, description="Where the thresholds are set.")
    age_knowledge: Literal["actual", "wilful_disregard", "constructive"] = Field(
        "constructive",
        description="When the law's rules on minors bind: on actual knowledge of a user's age ('known child'), "
        "on actual knowledge or wilful disregard, or where the business knew or should have known "
        "(constructive). With users' ages unknown (no users.min_age), every rule on minors is reported; under "
        "the first two it is a warning (it binds once the business knows), under constructive knowledge it "
        "keeps its severity.",
    )
    protects: Protects | None = Field(
        None, description="Whom the law protects and whom it excludes; absent = every data subject."
    )
    context: Literal["school"] | None = Field(
        None,
        description="The context the law is confined to: school = it reaches only practices with a `school` "
        "block (FERPA, SOPIPA); a practice outside the context is not in the law's scope, and the law is not "
        "listed for it. Absent = any practice.",
    )
    verified: bool = Field(
        True, description="False where the law's dates or scope were not checked against the primary text."
    )
    uncertain: str | None = Field(None, description="Where the law is unsettled, and which reading is encoded.")
    summary: str | None = Field(None, description="One paragraph for readers.")


class ParamValue(BaseModel):
    """One dated value of a parameter for one jurisdiction."""

    model_config = MODEL
    value: int | float | str | bool = Field(description="The value.")
    from_: Day | None = Field(None, alias="from", description="First day of this value; absent = always.")
    citation: Citation
    url: HttpUrl | None = Field(None, description="Source URL.")
    verified: bool = Field(True, description="False where not checked against a primary text.")
    uncertain: str | None = Field(None, description="Why the value is uncertain.")


class Parameter(BaseModel):
    """A per-jurisdiction value (e.g. Art. 8 age of digital consent), OpenFisca-style."""

    model_config = MODEL
    description: str = Field(min_length=1, description="What the value means.")
    citation: Citation
    url: Url
    default: int | float | str | bool | None = Field(None, description="Value where no jurisdiction value is given.")
    values: dict[RegionCode, ParamValue | list[ParamValue]] = Field(
        default_factory=dict, description="Values by jurisdiction code (a list for dated changes)."
    )


class TermDefinition(BaseModel):
    """A named condition, used in rules as `{<name>: true}`."""

    model_config = MODEL
    description: str = Field(min_length=1, description="What the term means in the law's words.")
    citation: str | None = Field(None, description="Where the law defines it.")
    when: Condition


class Due(BaseModel):
    """When an obligation must be met: `days_before` the anchor date."""

    model_config = MODEL
    anchor: Literal["starts"] = Field("starts", description="The spec date it is counted from.")
    days_before: int = Field(0, ge=0, le=3650, description="Lead time in days.")
    transition: Day | None = Field(
        None,
        description="For processing that began before the rule first applied: the day by "
        "which such processing must comply (a transition period).",
    )


class Done(BaseModel):
    """How a spec shows an obligation done: a date in the spec, a condition, or both."""

    model_config = MODEL
    on: Literal["policy_updated", "policy_notified", "starts"] | None = Field(
        None, description="Spec date on which it was/will be done (null in the spec = not done)."
    )
    when: Condition | None = Field(None, description="Condition that shows it done.")
    published: Literal["training_data_summary", "copyright_policy", "ai_documentation"] | None = Field(
        None, description="Done when the spec shows this document published (`published:`), on that day."
    )


class Rule(BaseModel):
    """One rule: when it applies, the obligation it creates, and its legal source."""

    model_config = MODEL
    id: Slug = Field(description="Unique within the law; the global id is <law>/<rule>.")
    title: str = Field(min_length=1, description="The obligation, as an instruction.")
    kind: ObligationKind = Field(description="What kind of obligation.")
    severity: Severity = Field("blocking", description="blocking: violating it blocks; warning: it never blocks.")
    citation: Citation
    url: Url
    from_: Day | None = Field(None, alias="from", description="First day the rule applies; absent = the law's.")
    to: Day | None = Field(None, description="Last day; absent = open.")
    when: Condition = Field(default_factory=dict, description="When the rule applies; {} = always.")
    due: Due = Field(default_factory=Due, description="When it must be met.")
    done: Done | None = Field(None, description="How the spec shows it met; absent = never (e.g. prohibited).")
    because: str = Field(min_length=1, description="The legal reason, in one sentence.")
    uncertain: str | None = Field(None, description="Where the law is unsettled, and why this (safer) reading.")
    verified: bool = Field(
        True, description="False where the citation or wording was not checked against the primary text."
    )
    cases: list[str] = Field(default_factory=list, description="Real cases or guidance behind the rule.")
    topics: list[Topic] = Field(
        default_factory=list,
        description="What the rule is about, for the coverage matrix (docs/coverage.md): "
        "notice, secondary_use, sensitive_data, minors, assessments, sale_sharing, ai, profiling, rights. "
        "Absent: inferred from the kind and the facts the rule tests.",
    )
    replaces: Slug | None = Field(
        None,
        description="The earlier version of this rule in the same law (e.g. before an amendment); "
        "`rules lint` checks that the earlier one's `to` and this one's `from` meet without gap or overlap.",
    )
    trigger: Literal["change"] | None = Field(
        None,
        description='change: the duty arises when the change is made ("whenever a controller makes a material '
        'change"): a change made before the rule applies (the policy update, or the start when there is none) '
        "does not trigger it.",
    )


class RuleFile(BaseModel):
    """A whole rule file."""

    model_config = MODEL
    law: LawInfo
    parameters: dict[Slug, Parameter] = Field(default_factory=dict, description="Per-jurisdiction values.")
    terms: dict[Slug, TermDefinition] = Field(default_factory=dict, description="Named conditions.")
    rules: list[Rule] = Field(min_length=1, description="The rules.")


class Expect(BaseModel):
    """What a test case expects."""

    model_config = MODEL
    verdict: Literal["clear", "action_required", "blocked"] | None = Field(None, description="Overall verdict.")
    obligations: dict[str, Status | Literal["applies"]] = Field(
        default_factory=dict, description="Rule id (local or global) → status (or 'applies')."
    )
    absent: list[str] = Field(default_factory=list, description="Rule ids that must not apply.")
    affected: dict[RegionCode, bool] = Field(default_factory=dict, description="Code → affected?")
    due: dict[str, Day] = Field(default_factory=dict, description="Rule id → due date.")


class TestCase(BaseModel):
    """One case: a practice (merged over the file's base), a date, and what it must give."""

    model_config = MODEL
    name: str = Field(min_length=1, description="Case name, unique in the file.")
    source: str | None = Field(None, description="The real case or statutory wording it comes from.")
    today: Day = Field(description="Evaluation date.")
    jurisdiction: RegionCode | None = Field(None, description="Only look at obligations touching this code.")
    practice: dict[str, Any] = Field(default_factory=dict, description="Practice fields over `base`.")
    expect: Expect


class TestFile(BaseModel):
    """The test cases beside a law."""

    model_config = MODEL
    law: Slug = Field(description="The law id under test.")
    base: dict[str, Any] = Field(default_factory=dict, description="Practice fields every case starts from.")
    cases: list[TestCase] = Field(min_length=1, description="The cases.")
