"""The one worker-pool helper of the engine: independent searches side by side, best kept.

Solvers that can use several cores run independent searches (different seeds or settings) over
the same budget and keep the best result. The searches run in forked processes (``fork``: the
children inherit the loaded modules and start no threads; task arguments and results are
pickled), and the results come back in task order, so the outcome depends only on the tasks,
never on which process finishes first.

A daemonic process (e.g. a batch worker) may not start children: there, and whenever there is a
single task, only the first task runs, in the calling process. Callers therefore put the search
they would run alone first.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

R = TypeVar("R")


def can_fork() -> bool:
    """Whether this process may start worker processes (daemonic processes may not)."""
    return not mp.current_process().daemon


def best_of_workers(
    fn: Callable[..., R],
    arg_tuples: Sequence[tuple[Any, ...]],
    key: Callable[[R], Any],
) -> tuple[list[R], int]:
    """Run ``fn(*args)`` for every tuple of ``arg_tuples``, one process each; pick the best.

    Parameters
    ----------
    fn:
        A module-level function (it is called in forked children).
    arg_tuples:
        One argument tuple per worker; the first is the search to run alone.
    key:
        Sort key of a result, smaller is better; ties go to the earlier task.

    Returns
    -------
    (results, best)
        ``results`` in task order and the index of the best one. With a single task, or inside a
        daemonic process, only the first task runs (in this process): ``([result], 0)``, and
        ``key`` is not called.
    """
    if not arg_tuples:
        raise ValueError("best_of_workers needs at least one task")
    if len(arg_tuples) == 1 or not can_fork():
        return [fn(*arg_tuples[0])], 0
    with mp.get_context("fork").Pool(len(arg_tuples)) as pool:
        results = pool.starmap(fn, list(arg_tuples))
    keys = [key(r) for r in results]
    best = min(range(len(results)), key=lambda k: (keys[k], k))
    return results, best
