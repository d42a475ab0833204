"""Entry points of the routing backends: :func:`solve` and :func:`improve_routes`."""

from __future__ import annotations

from dataclasses import replace

from solvers.common import Stop
from solvers.parallel import best_of_workers
from solvers.routing.ortools import solve_ortools
from solvers.routing.params import BACKENDS, RoutingParams
from solvers.routing.problem import RoutingProblem, RoutingResult
from solvers.routing.pyvrp import run_worker, solve_pyvrp


def solve(
    problem: RoutingProblem, *, stop: Stop, seed: int, params: RoutingParams | None = None
) -> RoutingResult:
    """Solve a :class:`RoutingProblem` with one backend (model: :mod:`solvers.routing.problem`).

    Parameters
    ----------
    problem:
        The instance; ``problem.initial`` is the optional warm start.
    stop:
        Time and/or iteration limit (iterations as documented per backend:
        :mod:`solvers.routing.pyvrp`, :mod:`solvers.routing.ortools`).
    seed:
        Random seed (PyVRP); OR-Tools is deterministic and ignores it.
    params:
        Backend and workers (:class:`RoutingParams`; default: PyVRP, one worker). With
        ``workers > 1`` (PyVRP) that many independent searches with seeds ``seed, seed + 1,
        ...`` run in processes over the same budget (:func:`solvers.parallel.best_of_workers`);
        the best result is kept (feasible first, then cost; ties: the lowest seed), so it still
        depends only on ``seed`` and the limits. The second search tries one route fewer when
        the loads are tight (:func:`solvers.routing.pyvrp.solve_pyvrp_fleet`). Inside a daemonic
        process (which may not start children) one search runs.

    Returns
    -------
    RoutingResult
        ``status`` is ``FEASIBLE`` when every hard constraint holds, else ``INFEASIBLE``.
    """
    params = params or RoutingParams()
    if params.backend == "pyvrp":
        if params.workers <= 1:
            return solve_pyvrp(problem, stop=stop, seed=seed)
        tasks = [(problem, stop, seed + k, params, k == 1) for k in range(int(params.workers))]
        runs, best = best_of_workers(run_worker, tasks, key=lambda r: (not r.feasible, r.cost))
        res = runs[best]
        if len(runs) == 1:  # inside a daemonic process: the first search alone
            return res
        stats = replace(res.stats, workers=len(runs), worker_best=best,
                        worker_costs=tuple(r.cost for r in runs))
        return replace(res, stats=stats)
    if params.backend == "ortools":
        return solve_ortools(problem, stop=stop)
    raise ValueError(f"unknown routing backend {params.backend!r}; choose one of {BACKENDS}")


def improve_routes(problem: RoutingProblem, *, seed: int, params: RoutingParams | None = None) -> RoutingResult:
    """One local-search descent from ``problem.initial`` (no perturbation): a cheap re-optimisation.

    PyVRP: one exhaustive pass of its granular local search (all operators) under the penalty
    manager's initial penalties (from a random start if there is no warm start). OR-Tools: greedy
    descent from the restored routes. Only ``params.backend`` is used; a descent needs no
    stopping rule.
    """
    params = params or RoutingParams()
    if params.backend == "pyvrp":
        return solve_pyvrp(problem, stop=Stop(time_limit_s=None, max_iterations=1), seed=seed, descent_only=True)
    if params.backend == "ortools":
        return solve_ortools(problem, stop=Stop(time_limit_s=None, max_iterations=10**6), descent_only=True)
    raise ValueError(f"unknown routing backend {params.backend!r}; choose one of {BACKENDS}")
