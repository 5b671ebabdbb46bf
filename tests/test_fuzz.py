"""Fuzzing the readers: whatever bytes arrive as a spec or a rule file, the answer is a model
or an `InputError` naming the place, never another exception, quickly. A short run here
(hypothesis, a few hundred inputs); `python benchmarks/fuzz.py` runs long ones."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from jurisdiction import Evaluator, RuleBook, parse_practice  # noqa: E402
from jurisdiction.errors import InputError  # noqa: E402
from tests.helpers import EXAMPLES, RULES  # noqa: E402

SEEDS = [path.read_bytes() for path in sorted(EXAMPLES.glob("*.yaml"))]
YAML_BITS = [b"[", b"]", b"{", b"}", b": ", b"- ", b"&a ", b"*a", b"\n", b"  ", b"'", b'"', b"#", b"!!", b"\t", b"\x00"]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "bits"]))
        if action == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif action == "bits":
            data[at:at] = draw(st.sampled_from(YAML_BITS)) * draw(st.integers(1, 200))
        else:
            chunk = draw(st.binary(min_size=1, max_size=12))
            data[at : at + (len(chunk) if action == "replace" else 0)] = chunk
    return bytes(data)


@settings(max_examples=300, deadline=dt.timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow])
@given(mutated(SEEDS))
def test_mutated_specs_are_read_or_refused(blob: bytes) -> None:
    try:
        practice = parse_practice(blob, "fuzz.yaml")
    except InputError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    Evaluator(_book(), "native").evaluate(practice, dt.date(2026, 12, 1))  # a spec that reads is evaluated


_BOOKS: dict[str, RuleBook] = {}


def _book() -> RuleBook:
    if "book" not in _BOOKS:
        _BOOKS["book"] = RuleBook.load(RULES)
    return _BOOKS["book"]


LAW = (RULES / "us-va-vcdpa" / "law.yaml").read_bytes()


@settings(max_examples=100, deadline=dt.timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow])
@given(mutated([LAW]))
def test_mutated_rule_files_are_loaded_or_refused(tmp_path_factory: pytest.TempPathFactory, blob: bytes) -> None:
    library = tmp_path_factory.mktemp("lib")
    (library / "us-va-vcdpa").mkdir()
    (library / "us-va-vcdpa" / "law.yaml").write_bytes(blob)
    try:
        RuleBook.load(library)
    except InputError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
    finally:
        shutil.rmtree(library, ignore_errors=True)


def test_the_fuzzer_reaches_both_outcomes() -> None:
    """Not vacuous: the seeds read, and a mutation is refused."""
    assert all(parse_practice(seed, "seed.yaml") for seed in SEEDS)
    with pytest.raises(InputError):
        parse_practice(SEEDS[0].replace(b"id:", b"id: [", 1), "broken.yaml")


def test_long_runs_are_a_benchmark() -> None:
    assert (Path(__file__).resolve().parents[1] / "benchmarks" / "fuzz.py").is_file()
