"""A loaded RuleBook is immutable and safe to share across threads, on both engines: 8 threads
run thousands of evaluations each, over varied practices, and every result equals the
sequential one. `evaluate_many` gives the same results, in order, in-process and in a pool."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

import pytest

from jurisdiction import Assessment, Practice, RuleBook, parse_practice
from jurisdiction.engines import rete_available
from jurisdiction.evaluation.evaluator import Evaluator
from jurisdiction.practice.specs import merge
from tests.helpers import RULES, library

THREADS = 8
# Evaluations per thread (rete is about three times slower); JURISDICTION_THREAD_RUNS sets both, for a soak.
_SOAK = os.environ.get("JURISDICTION_THREAD_RUNS")
RUNS = {"native": int(_SOAK or 2000), "rete": int(_SOAK or 1000)}

BOOK = library()
_CASES: list[tuple[Practice, dt.date]] = [
    (parse_practice(merge(test.base, case.practice)), case.today) for _, test, _ in BOOK.tests for case in test.cases
]
WORK = _CASES[:: max(1, len(_CASES) // 60)]  # about 60 cases across every law: varied, and bounded in time

ENGINES = [
    "native",
    pytest.param(
        "rete", marks=pytest.mark.skipif(not rete_available(), reason="durable_rules does not import on this Python")
    ),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_threads_share_one_evaluator(engine: str) -> None:
    runs = RUNS[engine]
    evaluator = Evaluator(BOOK, engine)
    expected = [evaluator.evaluate(p, today).model_dump_json() for p, today in WORK]
    assert len(set(expected)) > 10  # the workload really varies
    errors: list[str] = []
    done = [0] * THREADS
    start = threading.Barrier(THREADS)

    def worker(k: int) -> None:
        start.wait()
        try:
            for i in range(runs):
                j = (i * 7 + k * 13) % len(WORK)  # threads interleave different practices
                practice, today = WORK[j]
                got = evaluator.evaluate(practice, today).model_dump_json()
                if got != expected[j]:
                    errors.append(f"thread {k}, run {i}: practice #{j} differs from the sequential result")
                    return
                done[k] += 1
        except Exception as exc:  # reported below, with the thread
            errors.append(f"thread {k}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    elapsed = time.perf_counter() - began
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert errors == []
    assert done == [runs] * THREADS
    print(f"\n{engine}: {THREADS} threads x {runs} evaluations in {elapsed:.2f} s")


def test_a_fresh_engine_builds_its_law_plans_under_contention() -> None:
    """The native engine builds a law's plan when the law is first matched: threads that reach
    the same laws at once, on a fresh evaluator, still get the sequential answers."""
    expected = [Evaluator(BOOK, "native").evaluate(p, today).model_dump_json() for p, today in WORK]
    fresh = Evaluator(BOOK, "native")
    start = threading.Barrier(THREADS)
    errors: list[str] = []

    def worker(k: int) -> None:
        start.wait()
        try:
            for i in range(len(WORK)):
                j = (i + k * 7) % len(WORK)
                if fresh.evaluate(WORK[j][0], WORK[j][1]).model_dump_json() != expected[j]:
                    errors.append(f"thread {k}: practice #{j} differs from the sequential result")
                    return
        except Exception as exc:  # reported below, with the thread
            errors.append(f"thread {k}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert errors == []


def test_threads_load_books_and_build_engines_while_others_evaluate() -> None:
    """A reload builds a new book and engine while requests run on the old one."""
    engines = ["native", "rete"] if rete_available() else ["native"]
    practice, today = WORK[0]
    old = {name: Evaluator(BOOK, name) for name in engines}
    expected = old["native"].evaluate(practice, today).model_dump_json()
    stop = threading.Event()
    errors: list[str] = []

    runs = dict.fromkeys(engines, 0)

    def evaluating(name: str) -> None:
        while not stop.is_set():
            if old[name].evaluate(practice, today).model_dump_json() != expected:
                errors.append(f"{name}: result changed while engines were built")
                return
            runs[name] += 1
            time.sleep(0.001)  # leave the GIL to the thread that builds (bounds this test's time)

    threads = [threading.Thread(target=evaluating, args=(name,)) for name in engines]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            book = RuleBook.load(RULES)
            oracle = Evaluator(book, "native").evaluate(practice, today).model_dump_json()
            for name in engines:
                assert Evaluator(book, name).evaluate(practice, today).model_dump_json() == oracle
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert errors == []
    assert all(runs.values())


def test_evaluate_many_is_identical_and_in_order() -> None:
    evaluator = Evaluator(BOOK, "native")
    practices = [p for p, _ in WORK]
    today = dt.date(2025, 6, 1)
    sequential = [evaluator.evaluate(p, today) for p in practices]
    for workers in (None, 2):
        got = evaluator.evaluate_many(practices * 3, today, workers=workers)
        assert all(isinstance(a, Assessment) for a in got)
        assert [a.model_dump_json() for a in got] == [a.model_dump_json() for a in sequential * 3]


def test_evaluate_many_stays_in_process_unless_asked() -> None:
    from jurisdiction.evaluation.batch import plan_workers

    assert plan_workers(1, None) == 1
    assert plan_workers(10, None) == 1
    assert plan_workers(100_000, None) == 1  # the pool lost at every size measured
    assert plan_workers(10_000, 1) == 1
    assert plan_workers(10_000, 2) == 2


def test_a_batch_pauses_the_garbage_collector_and_restores_it() -> None:
    import gc

    from jurisdiction.evaluation.batch import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested (or another thread's batch): stays off
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()
