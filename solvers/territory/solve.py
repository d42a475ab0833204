"""Entry point :func:`solve` of the territory-design solver."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from solvers.common import Stop, StopClock
from solvers.territory.construct import flow_allocation, repair_contiguity, seed_centres
from solvers.territory.edit import complete_initial
from solvers.territory.exact import enumerate_optimum, n_assignments
from solvers.territory.large_cut import applies, solve_cut_large
from solvers.territory.model import Model, evaluate, status_of
from solvers.territory.params import TerritoryParams
from solvers.territory.problem import (
    TerritoryPhases,
    TerritoryProblem,
    TerritoryResult,
    TerritorySolveStats,
)
from solvers.territory.search import TravelSearch
from solvers.territory.tabu import solve_tabu


def solve(
    problem: TerritoryProblem, *, stop: Stop, seed: int, params: TerritoryParams | None = None
) -> TerritoryResult:
    """Solve a territory-design problem (model: :mod:`solvers.territory.problem`).

    Method
    ------
    * ``"exact"`` (and ``"auto"`` when ``k**n_unlocked <= params.max_enumeration``): enumeration of
      all assignments; the result is ``OPTIMAL`` when a feasible one exists.
    * ``objective="weighted_travel"``: seeds (free centres: units nearest the centroids of a
      workload-balanced recursive coordinate bisection; fixed: the given bases) -> capacitated
      location-allocation by min-cost flow (exact workload balance, nearest centres per unit),
      one recentring + reallocation round -> contiguity repair (detached parts to the cheapest
      adjacent territory; parts with locked units joined by shortest paths) -> diffusion of
      surplus workload along the territory graph (min-cost flow) -> boundary local search with
      balance penalties, articulation checks / block moves and recentring
      (:mod:`solvers.territory.search`). With ``initial`` the search starts from it instead
      (re-zoning), honouring ``max_moved``.
    * ``objective="cut_edges"``: tabu search with single moves and swaps, strategic
      oscillation on the balance penalty, articulation checks (:mod:`solvers.territory.tabu`).
      With a time limit and no iteration limit, graphs of up to 150 units then continue with
      the recombination walk (ReCom: two merged territories re-split along a random spanning
      tree, every step accepted, best plan kept, restarts from random tree plans;
      :mod:`solvers.territory.recom`) until 80 % of the time (``params.tabu_until``,
      ``params.recom_until``), and the CP-SAT model
      (:mod:`solvers.territory.cpsat`) hinted by the best plan, which may prove optimality
      (status ``OPTIMAL``). Contiguous graphs above ``params.max_cpsat_units`` units (without
      a disruption budget, radius or market groups) take the large-graph method instead
      (:mod:`solvers.territory.large_cut`): a random spanning-tree plan (tabu search with
      locks), a recombination walk steered to few cut edges (best balanced split of several
      random trees, Metropolis acceptance) until 60 % of the budget, then a large-neighbourhood
      search re-optimising regions along the boundaries exactly with CP-SAT
      (:mod:`solvers.territory.lns`).
    * ``objective="diameter"``: compact starts (flow allocation around bisection seeds at six
      axis rotations, contiguity repair; half the budget in equal parts, the best plan then
      continues with the rest), each improved by tabu search on the threshold form:
      conflicts ``d_uv > D`` inside territories are removed, and ``D`` is lowered after each
      balanced conflict-free plan. Without a contiguity
      requirement the contiguous move rules are still used on a connected graph (they find
      smaller diameters on the DTDP set than free moves; the plan is valid either way).

    Iterations
    ----------
    ``weighted_travel``: one iteration is one sweep of the boundary local search (all boundary
    moves scored, improving ones applied). ``cut_edges`` / ``diameter``: one iteration is one
    tabu move (large ``cut_edges`` graphs: one tabu move, one walk step, or
    ``params.lns_step_iterations`` per re-optimised neighbourhood). Equal ``seed`` and
    ``Stop.max_iterations`` give the identical assignment; a time
    limit may stop earlier, and the CP-SAT / recombination phases (time limit only) depend on
    machine speed. Enumeration (tiny instances) counts no iterations.

    Parameters
    ----------
    problem:
        The instance.
    stop:
        Stopping rule (time and/or iteration limit).
    seed:
        Seed of the ``numpy.random.Generator`` used for seeding and tie-breaking.
    params:
        Method and tuning values (:class:`~solvers.territory.params.TerritoryParams`; default:
        ``method="auto"``).

    Returns
    -------
    TerritoryResult
        The plan, re-evaluated from the assignment, with :class:`TerritorySolveStats`.
    """
    params = params or TerritoryParams()
    method = params.method
    clock = stop.clock()
    model = Model(problem)
    rng = np.random.default_rng(seed)
    # statistics gathered by the phases: names of TerritorySolveStats fields
    info: dict[str, Any] = {"method": "", "iterations": 0}
    proven = False
    x: np.ndarray | None = None
    centres: np.ndarray | None = None
    size = n_assignments(model)
    if method == "exact" or (method == "auto" and size <= params.max_enumeration):
        if size > 50 * params.max_enumeration:
            raise ValueError(f"{size:.3g} assignments are too many to enumerate")
        bx, val = enumerate_optimum(model)
        info["method"] = "enumeration"
        info["assignments_enumerated"] = int(size)
        if bx is not None:
            x, proven = bx, True
            info["bound"] = val
    if x is None:
        if problem.objective == "weighted_travel":
            x, centres = _solve_travel(model, clock, rng, info)
        elif applies(model, params):
            x = solve_cut_large(model, clock, rng, info, params)
        else:
            x = solve_tabu(model, clock, rng, info, params)
            proven = bool(info.get("proven_optimal", False))
    obj, terr, viol, moved, moved_share, parts = evaluate(model, x, centres)
    info.update(parts)
    info["iterations"] = max(info.get("iterations", 0), clock.iterations)
    info["runtime_s"] = clock.elapsed()
    info["n_edges"] = int(len(model.graph.edges))
    return TerritoryResult(
        status=status_of(viol, proven),
        assignment=np.asarray(x, dtype=np.int64),
        objective=obj,
        territories=terr,
        violations=viol,
        moved=moved,
        moved_share=moved_share,
        stats=TerritorySolveStats(**info),
    )


def _solve_travel(
    model: Model, clock: StopClock, rng: np.random.Generator, info: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Construction + boundary local search for the weighted-travel objective."""
    p = model.p
    t0 = time.perf_counter()
    phases: dict[str, float] = {}
    if p.fixed_centres:
        centres = model.fixed_centre_locations()
    elif model.initial is not None:
        x0 = complete_initial(model)
        centres = model.best_centres(x0)
    else:
        centres = seed_centres(model, rng)
    rows = model.centre_rows(centres)
    phases["seed_s"] = time.perf_counter() - t0
    if model.initial is not None:
        x = complete_initial(model, rows)
    else:
        x = flow_allocation(model, rows)
        phases["flow_s"] = time.perf_counter() - t0 - sum(phases.values())
        if not p.fixed_centres:
            # one location-allocation round: recentre on the allocation, allocate again
            centres = model.best_centres(x, centres)
            rows = model.centre_rows(centres)
            x = flow_allocation(model, rows)
            phases["flow2_s"] = time.perf_counter() - t0 - sum(phases.values())
    if p.contiguous:
        x = repair_contiguity(model, x, rows, None if p.fixed_centres else centres)
        if not p.fixed_centres:
            bad = x[centres] != np.arange(model.k)
            if np.any(bad):
                centres = model.best_centres(x, centres)
                rows = model.centre_rows(centres)
        phases["repair_s"] = time.perf_counter() - t0 - sum(phases.values())
    search = TravelSearch(model, x, centres, rows)
    search.run(clock)
    phases["search_s"] = time.perf_counter() - t0 - sum(phases.values())
    info.update(
        method="flow+local_search",
        iterations=search.iterations,
        moves=search.moves,
        phases=TerritoryPhases(**phases),
    )
    return search.x, search.centres
