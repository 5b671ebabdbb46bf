"""The fast paths give the slow paths' answers.

- `Evaluator.evaluate_plain` (plain data, no models) serialises byte for byte as `evaluate`.
- The evaluator's caches (scope buckets, the native engine's per-pattern answers, literals
  over the practice's facts shared across laws) never change an answer, whatever came before
  and however small the caches are.
- A law row's `jurisdictions` counts codes, not dated-parameter stretches.
- `parse_practice`'s standard-library JSON lane reads what the strict positioned reader reads,
  and anything unusual gets the strict reader's problems (message, line, field).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from pydantic_core import to_json
from ruamel.yaml import YAML

import jurisdiction.engines.native as native_module
import jurisdiction.evaluation.evaluator as evaluator_module
from jurisdiction.engines import FactSet, Matches
from jurisdiction.engines.native import NativeEngine
from jurisdiction.errors import InputError, Problem, SpecError
from jurisdiction.evaluation.assessment import Assessment
from jurisdiction.evaluation.evaluator import Evaluator, verdict_of
from jurisdiction.law.compiler import CompiledCondition
from jurisdiction.law.facts import practice_facts
from jurisdiction.practice.model import Practice
from jurisdiction.practice.specs import _plain_json, load_practice, merge, parse_practice, practice_from_document
from jurisdiction.reading.loading import MAX_BYTES, load_document, parse_bytes
from jurisdiction.vocabulary.regions import groups
from tests.helpers import EXAMPLES, library
from tools.varied_specs import varied_specs

BOOK = library()
EVALUATOR = Evaluator(BOOK, "native")

EXAMPLE_PATHS = sorted(EXAMPLES.glob("*.yaml"))
EXAMPLE_DATES = (dt.date(2023, 3, 1), dt.date(2025, 8, 15), dt.date(2028, 6, 30))
VARIED = varied_specs(400, seed=20260701)
FIRST_DAY, LAST_DAY = dt.date(2023, 1, 1), dt.date(2028, 12, 31)


def _today(i: int) -> dt.date:
    """Evaluation dates spread over 2023–2028 (7919 is prime: no short cycle)."""
    return FIRST_DAY + dt.timedelta(days=(i * 7919) % ((LAST_DAY - FIRST_DAY).days + 1))


Item = tuple[str, Practice, dt.date]

EXAMPLE_ITEMS: list[Item] = [
    (f"example {path.stem} @ {day}", load_practice(path), day) for path in EXAMPLE_PATHS for day in EXAMPLE_DATES
]
CASE_ITEMS: list[Item] = [
    (f"rule test {file} / {case.name!r}", parse_practice(merge(test.base, case.practice)), case.today)
    for file, test, _ in BOOK.tests
    for case in test.cases
]
VARIED_ITEMS: list[Item] = [
    (f"varied spec #{i} ({spec['id']}) @ {_today(i)}", parse_practice(spec), _today(i)) for i, spec in enumerate(VARIED)
]

STATES = sorted({code for law in BOOK.laws for code, _ in law.windows if code.startswith("US-")})


def _local_spec(i: int, spec: dict[str, Any]) -> dict[str, Any]:
    """A varied spec moved to where what differs between jurisdictions decides: state laws'
    user-count thresholds, and the GDPR's per-country digital consent age."""
    rng = random.Random(i)
    states = rng.sample(STATES, 5)
    counts = {code: rng.choice([0, 20_000, 40_000, 60_000, 150_000, 10**6]) for code in states[:4]}
    users = {"regions": [*states, "EU", "EEA", "GB"], "min_age": rng.choice([13, 14, 15, 16]), "counts": counts}
    return {**spec, "id": f"local-{i:03d}", "users": users}


LOCAL_ITEMS: list[Item] = [
    (f"local spec #{i} @ {_today(i + 400)}", parse_practice(_local_spec(i, VARIED[i])), _today(i + 400))
    for i in range(60)
]


def test_the_inputs_are_what_the_tests_claim() -> None:
    assert len(EXAMPLE_PATHS) >= 5
    assert len(CASE_ITEMS) >= len(BOOK.laws) * 3
    todays = {day for _, _, day in VARIED_ITEMS}
    assert min(todays).year == 2023 and max(todays).year == 2028
    assert len({day.year for day in todays}) == 6
    assert len(VARIED_ITEMS) == 400


# ---------------------------------------------------------------------------------------
# a) evaluate_plain is evaluate, byte for byte


def _plain_problems(evaluator: Evaluator, item: Item) -> list[str]:
    label, practice, today = item
    plain = evaluator.evaluate_plain(practice, today)
    model = evaluator.evaluate(practice, today)
    text = model.model_dump_json(exclude_none=True)
    problems = []
    if to_json(plain.data) != text.encode():
        problems.append(f"{label}: to_json(plain.data) differs from evaluate().model_dump_json(exclude_none=True)")
    if Assessment.model_validate_json(text) != model:
        problems.append(f"{label}: the JSON does not read back as the same Assessment")
    if Assessment.model_validate(plain.data) != model:
        problems.append(f"{label}: Assessment.model_validate(plain.data) != evaluate()")
    uncovered = plain.data.get("coverage", {}).get("uncovered", [])
    if not (plain.verdict == plain.data["verdict"] == model.verdict == verdict_of(plain.obligations, uncovered)):
        problems.append(
            f"{label}: verdicts disagree: plain.verdict={plain.verdict}, data={plain.data['verdict']}, "
            f"model={model.verdict}, verdict_of(plain.obligations)={verdict_of(plain.obligations, uncovered)}"
        )
    owed = [(o.id, o.status, o.severity, o.kind) for o in plain.obligations]
    listed = [(o["id"], o["status"], o["severity"], o["kind"]) for o in plain.data["obligations"]]
    if owed != listed:
        problems.append(f"{label}: plain.obligations {owed} != data['obligations'] {listed}")
    return problems


@pytest.mark.parametrize(
    "items",
    [EXAMPLE_ITEMS, CASE_ITEMS, VARIED_ITEMS, LOCAL_ITEMS],
    ids=["examples at 3 dates", "rule test cases", "varied specs", "local facts varied"],
)
def test_plain_data_serialises_as_the_models(items: list[Item]) -> None:
    problems = [p for item in items for p in _plain_problems(EVALUATOR, item)]
    assert not problems, "\n".join(problems[:20])


def test_plain_data_is_not_bare() -> None:
    """The comparison above is not vacuous: there are obligations of every status, dates, and
    every verdict."""
    seen_status: set[str] = set()
    verdicts: set[str] = set()
    for _, practice, today in VARIED_ITEMS[:200] + CASE_ITEMS:
        plain = EVALUATOR.evaluate_plain(practice, today)
        verdicts.add(plain.verdict)
        seen_status.update(o.status for o in plain.obligations)
        assert isinstance(plain.data["today"], dt.date)
    assert verdicts == {"clear", "action_required", "blocked"}
    assert seen_status == {"met", "pending", "violated"}


# ---------------------------------------------------------------------------------------
# b) the caches never change an answer

# 240 varied specs with the 60 local ones mixed in: one in five
CACHE_ITEMS = [item for n in range(60) for item in (*VARIED_ITEMS[4 * n : 4 * n + 4], LOCAL_ITEMS[n])]


def _answers(evaluator: Evaluator, items: list[Item]) -> list[bytes]:
    return [to_json(evaluator.evaluate_plain(practice, today).data) for _, practice, today in items]


@pytest.fixture(scope="module")
def in_order() -> list[bytes]:
    """The answers of one shared evaluator, fed CACHE_ITEMS in order."""
    return _answers(Evaluator(BOOK, "native"), CACHE_ITEMS)


def _differences(expected: list[bytes], got: list[bytes], items: list[Item]) -> list[str]:
    assert len(expected) == len(got) == len(items)
    return [label for (label, _, _), a, b in zip(items, expected, got, strict=True) if a != b]


def test_a_shared_evaluator_answers_as_fresh_ones(in_order: list[bytes]) -> None:
    picked = list(range(0, len(CACHE_ITEMS), 3))  # 100 of them: a fresh evaluator each
    fresh = [to_json(Evaluator(BOOK, "native").evaluate_plain(*CACHE_ITEMS[i][1:]).data) for i in picked]
    bad = _differences([in_order[i] for i in picked], fresh, [CACHE_ITEMS[i] for i in picked])
    assert not bad, f"a shared evaluator (after the specs before) answers differently from a fresh one: {bad[:10]}"


def test_order_does_not_change_answers(in_order: list[bytes]) -> None:
    backwards = Evaluator(BOOK, "native")
    reversed_answers = _answers(backwards, CACHE_ITEMS[::-1])[::-1]
    assert not _differences(in_order, reversed_answers, CACHE_ITEMS), "forward vs reversed order"

    order = list(range(len(CACHE_ITEMS)))
    random.Random(11).shuffle(order)
    shuffled = Evaluator(BOOK, "native")
    got = dict(zip(order, _answers(shuffled, [CACHE_ITEMS[i] for i in order]), strict=True))
    assert not _differences(in_order, [got[i] for i in range(len(order))], CACHE_ITEMS), "forward vs shuffled"

    # the same evaluator again, every cache warm
    assert not _differences(in_order, _answers(backwards, CACHE_ITEMS), CACHE_ITEMS), "a second, warm pass"


def test_answers_handed_out_are_not_changed_by_later_evaluations() -> None:
    """Plain data must not share anything mutable with the caches: data returned earlier still
    serialises the same after many more evaluations on the same evaluator."""
    evaluator = Evaluator(BOOK, "native")
    kept = [evaluator.evaluate_plain(practice, today).data for _, practice, today in CACHE_ITEMS[:100]]
    before = [to_json(data) for data in kept]
    _answers(evaluator, CACHE_ITEMS)
    _answers(evaluator, CACHE_ITEMS[::-1])
    after = [to_json(data) for data in kept]
    assert not _differences(before, after, CACHE_ITEMS[:100])


@pytest.mark.parametrize(("patterns", "scopes"), [(0, 1), (1, 1), (2, 3)])
def test_tiny_memos_do_not_change_answers(
    monkeypatch: pytest.MonkeyPatch, in_order: list[bytes], patterns: int, scopes: int
) -> None:
    # both are module globals read at call time (`_LawPlan.match`, `Evaluator._buckets`)
    monkeypatch.setattr(native_module, "PATTERNS_PER_LAW", patterns)
    monkeypatch.setattr(evaluator_module, "SCOPES_KEPT", scopes)
    evaluator = Evaluator(BOOK, "native")
    got = _answers(evaluator, CACHE_ITEMS)
    bad = _differences(in_order, got, CACHE_ITEMS)
    assert not bad, f"PATTERNS_PER_LAW={patterns}, SCOPES_KEPT={scopes}: answers differ for {bad[:10]}"
    # run again in reverse with the memos full (and evicting)
    bad = _differences(in_order, _answers(evaluator, CACHE_ITEMS[::-1])[::-1], CACHE_ITEMS)
    assert not bad, f"PATTERNS_PER_LAW={patterns}, SCOPES_KEPT={scopes}, second pass: answers differ for {bad[:10]}"


def test_the_memo_knobs_are_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without this, the test above could pass while testing the default sizes only."""
    _, practice, _ = CASE_ITEMS[0]
    base = practice_facts(practice)
    factsets = [FactSet(law.id, base, base) for law in BOOK.laws if not law.spec.parameters]

    engine = NativeEngine(BOOK.conditions)
    first, again = engine.match(factsets), engine.match(factsets)
    assert first == again and all(a is b for a, b in zip(first, again, strict=True)), "answers kept by default"

    monkeypatch.setattr(native_module, "PATTERNS_PER_LAW", 0)
    engine = NativeEngine(BOOK.conditions)
    first, again = engine.match(factsets), engine.match(factsets)
    assert first == again and not any(a is b for a, b in zip(first, again, strict=True)), "nothing kept at 0"

    scopes = {tuple(p.users.regions) for _, p, _ in CACHE_ITEMS}
    assert len(scopes) > 5
    evaluator = Evaluator(BOOK, "native")
    _answers(evaluator, CACHE_ITEMS[:60])
    assert len(evaluator._bucket_cache) > 1
    assert len(evaluator._bucket_cache) <= evaluator_module.SCOPES_KEPT
    monkeypatch.setattr(evaluator_module, "SCOPES_KEPT", 1)
    evaluator = Evaluator(BOOK, "native")
    _answers(evaluator, CACHE_ITEMS[:60])
    assert len(evaluator._bucket_cache) == 1


# ---------------------------------------------------------------------------------------
# c) a law row counts the codes that list the law


def _count_problems(label: str, data: Mapping[str, Any]) -> list[str]:
    problems = []
    listing: dict[str, int] = {}
    for row in data["jurisdictions"]:
        if len(set(row["laws"])) != len(row["laws"]) or row["laws"] != sorted(row["laws"]):
            problems.append(f"{label}: {row['code']} lists laws {row['laws']} (not sorted and distinct)")
        if not row["affected"] and row["laws"]:
            problems.append(f"{label}: {row['code']} is not affected but lists laws {row['laws']}")
        for law_id in row["laws"]:
            listing[law_id] = listing.get(law_id, 0) + 1
    rows = {row["id"]: row["jurisdictions"] for row in data["laws"]}
    if rows != listing:
        wrong = {
            k: (rows.get(k), listing.get(k)) for k in rows.keys() | listing.keys() if rows.get(k) != listing.get(k)
        }
        problems.append(f"{label}: law rows (row count, codes listing it) disagree: {wrong}")
    return problems


def test_law_rows_count_the_jurisdictions_that_list_them() -> None:
    problems = []
    for label, practice, today in EXAMPLE_ITEMS + VARIED_ITEMS + LOCAL_ITEMS + CASE_ITEMS:
        problems += _count_problems(label, EVALUATOR.evaluate_plain(practice, today).data)
    assert not problems, "\n".join(problems[:20])


def _spec(regions: list[str], counts: dict[str, int], starts: str, ends: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "id": "dated-parameters",
        "title": "A practice across a dated parameter change",
        "data_subjects": ["customer"],
        "data_categories": ["user.content.public", "user.health_and_medical"],
        "data_uses": ["train_ai_system"],
        "users": {"regions": regions, "counts": counts, "min_age": 18},
        "control": "opt_out",
        "existing_data": True,
        "starts": starts,
    }
    if ends is not None:
        spec["ends"] = ends
    return spec


DATED = [
    # Connecticut: thresholds change on 2026-07-01 (P.A. 25-113)
    ("us-ct-ctdpa", "US-CT", ["US-CT"], {"US-CT": 200_000}, "2026-01-01", "2026-12-31"),
    ("us-ct-ctdpa", "US-CT", ["US-CT"], {"US-CT": 200_000}, "2025-03-01", None),
    ("us-ct-ctdpa", "US-CT", ["US-CT"], {"US-CT": 50_000}, "2026-01-01", "2026-12-31"),  # covered from July only
    ("us-ct-ctdpa", "US-CT", ["US"], {"US-CT": 200_000}, "2026-01-01", "2026-12-31"),
    ("us-ct-ctdpa", "US-CT", ["US-CT", "US-CO", "US-MT"], {"US-CT": 200_000}, "2026-01-01", None),
    # Montana: thresholds change on 2025-10-01 (SB 297)
    ("us-mt-mcdpa", "US-MT", ["US-MT"], {"US-MT": 200_000}, "2025-01-01", "2025-12-31"),
]


@pytest.mark.parametrize(("law_id", "code", "regions", "counts", "starts", "ends"), DATED)
def test_a_law_with_dated_parameters_counts_a_code_once(
    law_id: str, code: str, regions: list[str], counts: dict[str, int], starts: str, ends: str | None
) -> None:
    """Before the fix, each stretch between parameter changes counted the code again: 2."""
    practice = parse_practice(_spec(regions, counts, starts, ends))
    law = BOOK.by_id[law_id]
    changes = [d for d in law.param_changes(code) if practice.starts < d <= (practice.ends or dt.date.max)]
    assert changes, "the practice's period must span a change of the law's parameters"
    for today in (practice.starts, changes[0], dt.date(2028, 1, 1)):
        assessment = EVALUATOR.evaluate(practice, today)
        row = next(row for row in assessment.laws if row.id == law_id)
        assert row.jurisdictions == 1, f"{law_id} row for {regions} @ {today}"
        listing = [j.code for j in assessment.jurisdictions if law_id in j.laws]
        assert listing == [code]
        for row in assessment.laws:
            assert row.jurisdictions == sum(row.id in j.laws for j in assessment.jurisdictions), row.id


# ---------------------------------------------------------------------------------------
# d) the native engine: literals over the practice's facts shared across laws, or not

CODES = (
    "US-CA",
    "US-CT",
    "US-MT",
    "US-TX",
    "US-VA",
    "US-CO",
    "DE",
    "FR",
    "DK",
    "NO",
    "IS",
    "GB",
    "CH",
    "BR",
    "CA",
    "CA-QC",
    "JP",
)
CONDITIONS_OF: dict[str, list[CompiledCondition]] = {}
for _cond in BOOK.conditions.values():
    CONDITIONS_OF.setdefault(_cond.law, []).append(_cond)


def _law_codes() -> dict[str, list[str]]:
    out = {}
    for law in BOOK.laws:
        named = [code for spec in law.spec.parameters.values() for code in spec.values]
        named += [code for code, _ in law.windows if code not in groups()]  # a country's or state's own law
        out[law.id] = [c for c in dict.fromkeys((*CODES, *named)) if law.spans(c)]
    return out


LAW_CODES = _law_codes()


def _factsets(practice: Practice) -> tuple[list[FactSet], list[FactSet]]:
    """The fact sets the evaluator would build for the practice, for every law over several
    jurisdictions, parameter stretches and user counts: with `shared` and without."""
    base = practice_facts(practice)
    counts = practice.users.counts
    shared: list[FactSet] = []
    alone: list[FactSet] = []
    for law in BOOK.laws:
        reads_count = "consumers_here" in BOOK.facts_used(law.id)
        seen: set[tuple[Any, ...]] = set()
        for code in LAW_CODES[law.id]:
            for day in sorted({practice.starts, *law.param_changes(code)}):
                params = law.params_on(code, day) if law.spec.parameters else ()
                for n in (None, counts.get(code), 0, 40_000, 10**8) if reads_count else (None,):
                    extra = (*params, ("consumers_here", n)) if n is not None else params
                    if extra in seen:
                        continue
                    seen.add(extra)
                    values = {**base, **dict(extra)} if extra else base
                    shared.append(FactSet(law.id, values, base))
                    alone.append(FactSet(law.id, dict(values)))
    return shared, alone


def _oracle(fs: FactSet) -> Matches:
    """The compiled conditions read literal by literal (`Literal.holds`), no engine."""
    return {c.id: hits for c in CONDITIONS_OF.get(fs.law, []) if (hits := c.matches(fs.values))}


def test_native_engine_shared_facts_change_nothing() -> None:
    with_shared, without = NativeEngine(BOOK.conditions), NativeEngine(BOOK.conditions)
    reverse = NativeEngine(BOOK.conditions)
    items = EXAMPLE_ITEMS[:: len(EXAMPLE_DATES)] + CASE_ITEMS + VARIED_ITEMS[:200] + LOCAL_ITEMS[:30]
    practices = [p for _, p, _ in items]
    checked = 0
    for n, practice in enumerate(practices):
        shared, alone = _factsets(practice)
        a = with_shared.match(shared)
        b = without.match(alone)
        c = reverse.match(shared[::-1])[::-1]
        assert a == b, f"practice #{n} ({practice.id}): matches with FactSet.shared differ from without"
        assert a == c, f"practice #{n} ({practice.id}): matches depend on the order of the fact sets"
        if n % 4 == 0:  # the oracle is slow: a quarter of the practices
            expected = [_oracle(fs) for fs in alone]
            bad = [fs.law for fs, got, want in zip(alone, a, expected, strict=True) if got != want]
            assert not bad, f"practice #{n} ({practice.id}): native engine differs from Literal.holds for {bad}"
        checked += len(shared)
    assert checked > 15_000
    assert {fs.law for fs in _factsets(practices[0])[0]} == set(BOOK.law_ids)


def test_each_fact_set_matched_alone_agrees() -> None:
    """One practice's fact sets, each in a `match` call of its own (nothing tested before)."""
    engine, together = NativeEngine(BOOK.conditions), NativeEngine(BOOK.conditions)
    for _, practice, _ in VARIED_ITEMS[200:260]:
        shared, _ = _factsets(practice)
        one_by_one = [engine.match([fs])[0] for fs in shared]
        assert one_by_one == together.match(shared), practice.id


def test_fact_sets_of_several_practices_in_one_call() -> None:
    """`shared` is per practice: fact sets of two practices, interleaved in one call, get the
    answers each practice gets alone."""
    engine, apart = NativeEngine(BOOK.conditions), NativeEngine(BOOK.conditions)
    items = VARIED_ITEMS[260:300] + LOCAL_ITEMS[30:60]
    for (_, p, _), (_, q, _) in zip(items[::2], items[1::2], strict=True):
        first, second = _factsets(p)[0], _factsets(q)[0]
        mixed = [fs for pair in zip(first, second, strict=False) for fs in pair]
        mixed += first[len(second) :] + second[len(first) :]
        expected = dict(zip(map(id, first), apart.match(first), strict=True))
        expected.update(zip(map(id, second), apart.match(second), strict=True))
        got = engine.match(mixed)
        assert got == [expected[id(fs)] for fs in mixed], f"{p.id} with {q.id}"


# ---------------------------------------------------------------------------------------
# e) parse_practice's JSON lane reads what the strict reader reads

_DUMPER = YAML(typ="safe", pure=True)
_DUMPER.default_flow_style = False


def _yaml(data: Any) -> str:
    out = io.StringIO()
    _DUMPER.dump(data, out)
    return out.getvalue()


def _strict(blob: bytes, source: str = "<x>") -> Practice:
    return practice_from_document(parse_bytes(blob, source))


def _json(data: Any, **kwargs: Any) -> str:
    return json.dumps(data, default=lambda d: d.isoformat(), **kwargs)


def test_varied_specs_read_the_same_every_way() -> None:
    bad = []
    for i, spec in enumerate(VARIED):
        blob = _json(spec).encode()
        assert _plain_json(blob) is not None, f"spec #{i}: the fast lane was not taken"
        strict = _strict(blob)
        readings = {
            "JSON bytes": parse_practice(blob),
            "indented JSON text": parse_practice(_json(spec, indent=2)),
            "YAML": parse_practice(_yaml(spec)),
            "YAML bytes, strict reader": _strict(_yaml(spec).encode()),
            "parsed data": parse_practice(spec),
        }
        bad += [f"spec #{i}: {way}" for way, got in readings.items() if got != strict]
        if strict.model_dump() != readings["JSON bytes"].model_dump():
            bad.append(f"spec #{i}: model_dump differs")
    assert not bad, bad[:20]


@pytest.mark.parametrize("path", EXAMPLE_PATHS, ids=lambda p: p.stem)
def test_examples_read_the_same_as_json(path: Any) -> None:
    data = load_document(path).data
    blob = _json(data).encode()
    assert _plain_json(blob) is not None
    expected = load_practice(path)
    assert parse_practice(blob) == expected
    assert parse_practice(_json(data, indent=2)) == expected
    assert parse_practice(path.read_bytes()) == expected
    assert parse_practice(path.read_text(encoding="utf-8")) == expected
    assert _strict(blob) == expected


BASE: dict[str, Any] = {
    "id": "nasty",
    "title": "Nasty input",
    "data_subjects": ["customer"],
    "data_categories": ["user.content.public"],
    "data_uses": ["train_ai_system"],
    "recipients": ["first_party"],
    "sale": False,
    "users": {"regions": ["US-CA", "DE"], "min_age": 18, "counts": {"US-CA": 1000}},
    "control": "opt_in",
    "existing_data": True,
    "starts": "2025-01-01",
    "policy": {"discloses": ["train_ai_system"], "updated": "2024-11-01"},
    "business": {"annual_revenue_usd": 30_000_000, "revenue_share_from_sale": 0.2},
}
TEXT = _json(BASE, indent=2)
LINES = TEXT.splitlines()


def _line_of(needle: str) -> int:
    return next(n for n, line in enumerate(LINES, 1) if needle in line)


def _swap(old: str, new: str) -> str:
    assert TEXT.count(old) == 1, old
    return TEXT.replace(old, new)


def _deep(n: int) -> str:
    return "[" * n + "]" * n


NESTED_60 = '{"a": ' * 59 + "1" + "}" * 59

# (name, input, the outcome the brief requires: "error", "ok", or None for "whatever the strict reader says")
NASTY: list[tuple[str, bytes | str, str | None]] = [
    ("duplicate key", _swap('"sale": false,', '"sale": false,\n  "sale": true,'), "error"),
    ("duplicate key, compact", _json(BASE).replace('"sale": false', '"sale": false, "sale": false'), "error"),
    ("duplicate nested key", _swap('"min_age": 18,', '"min_age": 18,\n    "min_age": 18,'), "error"),
    ("duplicate key, only in escapes", _swap('"sale": false,', '"sale": false,\n  "s\\u0061le": true,'), "error"),
    ("NaN", _swap('"sale": false', '"sale": NaN'), "error"),
    ("NaN as a share", _swap('"revenue_share_from_sale": 0.2', '"revenue_share_from_sale": NaN'), "error"),
    ("Infinity", _swap('"min_age": 18', '"min_age": Infinity'), "error"),
    ("-Infinity", _swap('"min_age": 18', '"min_age": -Infinity'), "error"),
    ("a number with 5,000 digits", _swap('"min_age": 18', '"min_age": ' + "7" * 5000), "error"),
    ("a count with 5,000 digits", _swap('"US-CA": 1000', '"US-CA": ' + "7" * 5000), "error"),
    ("UTF-8 BOM before {", b"\xef\xbb\xbf" + TEXT.encode(), "ok"),
    (
        "UTF-8 BOM before {, unknown field",
        b"\xef\xbb\xbf" + _swap('"sale"', '"colour": 1,\n  "sale"').encode(),
        "error",
    ),
    ("not UTF-8 (latin-1 in the title)", _swap("Nasty input", "Caf\xe9").encode("latin-1"), "error"),
    ("not UTF-8 (a stray byte)", TEXT.encode().replace(b"Nasty", b"Na\xffsty"), "error"),
    ("JSON nested 60 deep (unknown field)", _swap('"sale": false', '"sale": false, "deep": ' + _deep(60)), "error"),
    ("JSON nested 60 deep (known field)", _swap('"Nasty input"', _deep(60)), "error"),
    ("JSON objects nested 60 deep", _swap('"Nasty input"', NESTED_60), "error"),
    ("only JSON nesting, 60 deep", _deep(60), "error"),
    ("a JSON array at top level", "[" + TEXT + "]", "error"),
    ("a JSON string at top level", '"id"', "error"),
    ("JSON null", "null", "error"),
    ("unknown field", _swap('"sale": false,', '"sale": false,\n  "colour": "red",'), "error"),
    ("unknown nested field", _swap('"min_age": 18,', '"min_age": 18,\n    "age": 18,'), "error"),
    ('wrong type ("sale": "no")', _swap('"sale": false', '"sale": "no"'), "error"),
    ("wrong type (a number as a string)", _swap('"min_age": 18', '"min_age": "18"'), "error"),
    ("wrong type (a float age)", _swap('"min_age": 18', '"min_age": 18.0'), "error"),
    ("an empty object", "{}", "error"),
    ("an empty object, spread out", "\n{\n\n}\n", "error"),
    ("whitespace before {", "  \n\n  " + TEXT, "ok"),
    ("whitespace before {, bytes", b"\r\n \r\n" + TEXT.encode(), "ok"),
    ("whitespace before {, unknown field", "\n\n\n" + _swap('"sale"', '"colour": 1,\n  "sale"'), "error"),
    ("a date that is no date", _swap('"2025-01-01"', '"2025-02-30"'), "error"),
    ("ends before starts", _swap('"starts"', '"ends": "2024-01-01",\n  "starts"'), "error"),
    ("trailing text", TEXT + " x", "error"),
    ("two documents", TEXT + "\n---\n{}", "error"),
    ("a comment after the object", TEXT + "\n# done", "ok"),
    ("a trailing comma", TEXT[:-2] + ",\n}", None),
    ("a raw tab in a string", _swap("Nasty input", "Nasty\tinput"), None),
    ("an escaped NUL in a string", _swap("Nasty input", "Nasty\\u0000input"), None),
    ("a raw NUL byte", TEXT.encode().replace(b"Nasty", b"Na\x00sty"), "error"),
    ("over the size limit", _json({**BASE, "title": "x" * MAX_BYTES}).encode(), "error"),
    # Found while writing these tests: inputs that json.loads accepts and the strict reader
    # does not (or reads differently). The fast lane must hand them to the strict reader.
    ("UTF-16-LE bytes", TEXT.encode("utf-16-le"), None),
    ("UTF-32-LE bytes", TEXT.encode("utf-32-le"), None),
    ("UTF-16 with a BOM", TEXT.encode("utf-16"), None),
    ("a raw DEL (U+007F) in a string", _swap("Nasty input", "Nasty\x7finput"), None),
    ("a raw NEL (U+0085) in a string", _swap("Nasty input", "Nasty\x85input"), None),
    ("a raw U+FFFE in a string", _swap("Nasty input", "Nasty\ufffeinput"), None),
    ("an escaped surrogate pair (json.dumps of an emoji)", _json({**BASE, "title": "Nasty 😀"}), None),
    ("a tab before {", "\t" + TEXT, None),
    ("a newline and a tab before {", "\n\t" + TEXT, None),
    # a str of fewer than MAX_BYTES characters but more than MAX_BYTES bytes in UTF-8
    (
        "text over the size limit in UTF-8",
        _json({**BASE, "title": "é" * (MAX_BYTES // 2 + 1000)}, ensure_ascii=False),
        None,
    ),
]


Outcome = tuple[str, Any]


def _outcome(read: Callable[[], Practice]) -> Outcome:
    try:
        return ("ok", read())
    except InputError as exc:
        return ("error", [(p.message, p.line, p.column, p.field, p.file) for p in exc.problems])


def _show(outcome: Outcome) -> str:
    kind, value = outcome
    if kind == "error":
        return f"problems {value}"
    title = repr(value.title)
    return f"a Practice with title={title if len(title) < 60 else title[:50] + '…'} ({len(value.title):,} characters)"


def _blob(data: bytes | str) -> bytes:
    return data if isinstance(data, bytes) else data.encode("utf-8")


@pytest.mark.parametrize(("name", "data", "required"), NASTY, ids=[n for n, _, _ in NASTY])
def test_nasty_input_reads_as_the_strict_reader_reads_it(name: str, data: bytes | str, required: str | None) -> None:
    strict = _outcome(lambda: _strict(_blob(data)))
    got = _outcome(lambda: parse_practice(data, "<x>"))
    if required is not None:
        assert strict[0] == required, f"the strict reader: {strict}"
    if got[0] == "error":
        with pytest.raises(SpecError):
            parse_practice(data, "<x>")
    assert got == strict, f"{name}: parse_practice gave {_show(got)}; the strict reader {_show(strict)}"
    if isinstance(data, str):  # and as bytes
        assert _outcome(lambda: parse_practice(_blob(data), "<x>")) == strict


def test_the_duplicate_key_is_named_at_its_line() -> None:
    text = _swap('"sale": false,', '"sale": false,\n  "sale": true,')
    with pytest.raises(SpecError) as caught:
        parse_practice(text.encode())
    (problem,) = caught.value.problems
    assert isinstance(problem, Problem)
    assert problem.line == _line_of('"sale"') + 1
    assert problem.field == "sale"
    assert "duplicate key" in problem.message


def test_an_unknown_field_is_named_at_its_line() -> None:
    text = "\n\n\n" + _swap('"sale": false,', '"sale": false,\n  "colour": "red",')
    with pytest.raises(SpecError) as caught:
        parse_practice(text)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (3 + _line_of('"sale"') + 1, "colour")
    assert problem.message == "unknown field `colour`"
