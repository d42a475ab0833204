"""The one worker-pool helper of the engine: independent searches side by side, best kept
(:func:`best_of_workers`), and independent tasks side by side, results in task order
(:func:`map_tasks`).

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
import os
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


def _indexed(fn: Callable[..., R], k: int, args: tuple[Any, ...]) -> tuple[int, R]:
    return k, fn(*args)


def _star_indexed(task: tuple[Callable[..., Any], int, tuple[Any, ...]]) -> tuple[int, Any]:
    return _indexed(*task)


def local_workers() -> int:
    """Worker processes to use on this machine: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def map_tasks(
    fn: Callable[..., R],
    arg_tuples: Sequence[tuple[Any, ...]],
    *,
    workers: int | None = None,
    on_result: Callable[[int, R], None] | None = None,
) -> list[R]:
    """``[fn(*args) for args in arg_tuples]`` on ``workers`` processes (default: the local cores).

    Independent tasks (e.g. the calendars of different territories) side by side. Results come
    back in task order whatever the order of completion, so the outcome depends only on the tasks;
    ``on_result(k, result)`` is called in the calling process as each task finishes (progress).
    Tasks are handed out one at a time (``chunksize`` 1), so a long task does not hold back short
    ones queued behind it. With one worker, one task, or inside a daemonic process (a batch worker
    may not start children) the tasks run one after another in this process.
    """
    tasks = list(arg_tuples)
    n = len(tasks)
    workers = local_workers() if workers is None else max(1, int(workers))
    workers = min(workers, n)
    out: list[Any] = [None] * n
    if workers <= 1 or not can_fork():
        for k, args in enumerate(tasks):
            out[k] = fn(*args)
            if on_result is not None:
                on_result(k, out[k])
        return out
    with mp.get_context("fork").Pool(workers) as pool:
        for k, res in pool.imap_unordered(_star_indexed, [(fn, k, args) for k, args in enumerate(tasks)],
                                          chunksize=1):
            out[k] = res
            if on_result is not None:
                on_result(k, res)
    return out
