"""The worker-pool helper: results in task order, best by key (ties: first task), and the
single-process fallback inside a daemonic process."""

from __future__ import annotations

import multiprocessing as mp
import os

from solvers.parallel import best_of_workers, can_fork


def _work(x: int, tag: str) -> tuple[int, str, int]:
    return x * x, tag, os.getpid()


def test_results_in_task_order_and_best_by_key() -> None:
    tasks = [(3, "a"), (-1, "b"), (1, "c"), (2, "d")]
    runs, best = best_of_workers(_work, tasks, key=lambda r: r[0])
    assert [(r[0], r[1]) for r in runs] == [(9, "a"), (1, "b"), (1, "c"), (4, "d")]
    assert best == 1  # (-1)**2 == 1**2: the earlier task wins the tie
    assert all(r[2] != os.getpid() for r in runs)  # each ran in a worker process


def test_single_task_runs_in_process_without_key() -> None:
    def key(r):  # noqa: ANN001, ANN202
        raise AssertionError("key is not needed for one result")

    runs, best = best_of_workers(_work, [(5, "x")], key=key)
    assert best == 0 and runs[0][:2] == (25, "x") and runs[0][2] == os.getpid()


def _in_daemon(q) -> None:  # noqa: ANN001
    runs, best = best_of_workers(_work, [(2, "first"), (1, "second")], key=lambda r: r[0])
    q.put((can_fork(), [(r[0], r[1]) for r in runs], best))


def test_daemonic_process_runs_the_first_task_alone() -> None:
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_in_daemon, args=(q,), daemon=True)
    p.start()
    forked, runs, best = q.get(timeout=60)
    p.join(timeout=60)
    assert not forked and runs == [(4, "first")] and best == 0
