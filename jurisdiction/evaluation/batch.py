"""Batches: in-process with the cyclic garbage collector paused (the default), or, when a
caller asks for `workers`, a process pool that runs an evaluator's `evaluate_plain` over
chunks of practices. The pool loses at every batch size measured (benchmarks/many.py: the
parent turns every answer back into an `Assessment`, which costs about what evaluating it
does), so `Evaluator.evaluate_many` stays in-process unless told otherwise. Results are
identical to the sequential ones and in the same order.

Forked workers use the parent's evaluator as it is; spawned ones receive the compiled
`RuleBook` (pickled) and build the same engine. Each sends back its assessments as JSON bytes
(plain data, no models), which the parent validates into `Assessment`s (faster than
unpickling pydantic models). Measured in benchmarks/many.py and docs/performance.md.

    >>> plan_workers(10_000, None)   # in-process unless asked
    1
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from pydantic_core import to_json

from jurisdiction.evaluation.assessment import Assessment
from jurisdiction.practice.model import Practice

__all__ = ["PlainEvaluator", "cores", "evaluate_in_processes", "gc_paused", "plan_workers"]


class PlainEvaluator(Protocol):
    """What a worker needs of an evaluator: its answer as plain data."""

    def evaluate_plain(self, practice: Practice, today: dt.date) -> Any: ...


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a batch, back on after (if it was on). A batch
    allocates many objects and frees them by reference counting; the collector's passes over
    them found nothing and took half the time (benchmarks/many.py). Threads that overlap may
    leave it on early, never off."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def plan_workers(batch: int, workers: int | None) -> int:
    """How many processes to use for `batch` practices: 1 (in-process) unless `workers` asks
    for more (capped by the batch)."""
    if batch < 2 or workers is None:
        return 1
    return max(1, min(workers, batch))


# A worker process's evaluator (one per process: the pool's initializer sets it).
_worker: PlainEvaluator | None = None


def _start(make: Callable[[], PlainEvaluator] | None, inherited: PlainEvaluator | None) -> None:
    """A worker's evaluator: the parent's own when forked (its caches warm, nothing copied
    until written), else a new one made in the worker."""
    global _worker
    _worker = inherited if inherited is not None else make() if make is not None else None


def _run(practices: list[Practice], today: dt.date) -> list[bytes]:
    assert _worker is not None
    return [to_json(_worker.evaluate_plain(p, today).data) for p in practices]


def evaluate_in_processes(
    evaluator: PlainEvaluator,
    make: Callable[[], PlainEvaluator],
    practices: Sequence[Practice],
    today: dt.date,
    processes: int,
) -> list[Assessment]:
    """Evaluate `practices` on `processes` worker processes, in order. `make` builds an equal
    evaluator in a spawned worker (it must pickle: a `functools.partial` of the class)."""
    import multiprocessing  # here: a one-spec check does not pay for importing the pool
    from concurrent.futures import ProcessPoolExecutor

    # Several chunks per worker even out uneven practices; map() keeps the order.
    size = max(1, -(-len(practices) // (processes * 4)))
    chunks = [list(practices[i : i + size]) for i in range(0, len(practices), size)]
    # fork starts a worker in milliseconds (spawn: about a second), but is unsafe once the
    # caller has other threads (a server, say): then spawn.
    single = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if single else "spawn")
    initargs = (None, evaluator) if single else (make, None)
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_start, initargs=initargs) as pool:
        return [
            Assessment.model_validate_json(text)
            for texts in pool.map(_run, chunks, [today] * len(chunks))
            for text in texts
        ]
