"""`Evaluator.evaluate_many` on several cores: a process pool for big batches, in-process for
small ones (starting workers costs more than a small batch takes). Results are identical to
the sequential ones and in the same order.

Forked workers use the parent's evaluator as it is; spawned ones receive the compiled
`RuleBook` (pickled) and build the same engine. Each sends back its assessments as JSON bytes
(`evaluate_plain`, no models), which the parent validates into `Assessment`s (faster than
unpickling pydantic models). Measured in benchmarks/many.py and docs/performance.md.

    >>> plan_workers(10, None)   # a small batch stays in-process
    1
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

from pydantic_core import to_json

from .assessment import Assessment
from .practice import Practice
from .rulebook import RuleBook

if TYPE_CHECKING:
    from .evaluator import Evaluator

__all__ = ["MIN_BATCH", "evaluate_many", "plan_workers"]

MIN_BATCH = 2000  # below this many practices, in-process is as fast or faster (benchmarks/many.py)
_IN_WORKER = False
_worker_evaluator: Evaluator | None = None


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def plan_workers(batch: int, workers: int | None) -> int:
    """How many processes to use for `batch` practices. `workers=None` decides by size and
    cores; an explicit number is taken as asked (capped by the batch). 1 = in-process."""
    if _IN_WORKER or batch < 2:
        return 1
    if workers is None:
        return 1 if batch < MIN_BATCH else min(cores(), batch // (MIN_BATCH // 2))
    return max(1, min(workers, batch))


def _start(book: RuleBook, engine: str, inherited: Evaluator | None = None) -> None:
    """A worker's evaluator: the parent's own when forked (its caches warm, nothing copied
    until written), else a new one over the pickled book."""
    global _IN_WORKER, _worker_evaluator
    from .evaluator import Evaluator

    _IN_WORKER = True
    _worker_evaluator = inherited if inherited is not None else Evaluator(book, engine)


def _run(practices: list[Practice], today: dt.date) -> list[bytes]:
    assert _worker_evaluator is not None
    # plain data straight to JSON: no models built in the worker
    return [to_json(_worker_evaluator.evaluate_plain(p, today).data) for p in practices]


def evaluate_many(
    evaluator: Evaluator, practices: Sequence[Practice], today: dt.date, workers: int | None = None
) -> list[Assessment]:
    """Evaluate `practices` as of `today`, in order, on `plan_workers(...)` processes."""
    n = plan_workers(len(practices), workers)
    engine = evaluator.engine.name
    if n == 1 or engine not in ("native", "rete"):
        return [evaluator._evaluate(p, today) for p in practices]
    # Several chunks per worker even out uneven practices; map() keeps the order.
    size = max(1, -(-len(practices) // (n * 4)))
    chunks = [list(practices[i : i + size]) for i in range(0, len(practices), size)]
    # fork starts a worker in milliseconds (spawn: about a second), but is unsafe once the
    # caller has other threads (a server, say): then spawn.
    single = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if single else "spawn")
    start = (evaluator.book, engine, evaluator if single else None)
    with ProcessPoolExecutor(n, mp_context=context, initializer=_start, initargs=start) as pool:
        return [
            Assessment.model_validate_json(text)
            for texts in pool.map(_run, chunks, [today] * len(chunks))
            for text in texts
        ]
